//! The data models beyond keyvalue, one module each: its state, its gRPC services and its
//! deliberately broken behaviours. Each module is self-contained so that models evolve apart.

use tonic::transport::server::Router;

use crate::Faults;

pub(crate) mod document;
pub(crate) mod graph;
pub(crate) mod list;
pub(crate) mod pubsub;
pub(crate) mod queue;
pub(crate) mod set;
pub(crate) mod sortedset;
pub(crate) mod stream;
pub(crate) mod timeseries;

/// Adds the services of every model to `router`.
pub(crate) fn add_services(router: Router, faults: &Faults) -> Router {
    let router = pubsub::add_services(router, faults);
    let router = stream::add_services(router, faults);
    let router = queue::add_services(router, faults);
    let router = list::add_services(router, faults);
    let router = set::add_services(router, faults);
    let router = sortedset::add_services(router, faults);
    let router = timeseries::add_services(router, faults);
    let router = graph::add_services(router, faults);
    document::add_services(router, faults)
}
