//! The stream interfaces: not served yet.

use tonic::transport::server::Router;

use crate::Faults;

/// Deliberately broken stream behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[];

/// Adds the stream services to `router`.
pub(crate) fn add_services(router: Router, _faults: &Faults) -> Router {
    router
}
