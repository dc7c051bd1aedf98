//! The keyvalue interfaces over Redis: not served yet.

use tonic::transport::server::Router;

use crate::Backend;

/// Adds the keyvalue services to `router`.
pub(crate) fn add_services(router: Router, _backend: &Backend) -> Router {
    router
}
