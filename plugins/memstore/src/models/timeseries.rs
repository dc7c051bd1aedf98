//! The timeseries interfaces: not served yet.

use tonic::transport::server::Router;

use crate::Faults;

/// Deliberately broken timeseries behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[];

/// Adds the timeseries services to `router`.
pub(crate) fn add_services(router: Router, _faults: &Faults) -> Router {
    router
}
