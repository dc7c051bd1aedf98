//! The stream interfaces over Redis: not served yet.

use tonic::transport::server::Router;

use crate::Backend;

/// Adds the stream services to `router`.
pub(crate) fn add_services(router: Router, _backend: &Backend) -> Router {
    router
}
