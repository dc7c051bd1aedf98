//! The data models beyond keyvalue, one module each: its state, its gRPC services and its
//! deliberately broken behaviours. Each module is self-contained so that models evolve apart.

use prism_plugin::Services;

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

/// Every model's services, in the order they are added.
const MODELS: [fn(Services, &Faults) -> Services; 9] = [
    pubsub::add_services,
    stream::add_services,
    queue::add_services,
    list::add_services,
    set::add_services,
    sortedset::add_services,
    timeseries::add_services,
    graph::add_services,
    document::add_services,
];

/// Adds the services of every model to `services`.
pub(crate) fn add_services(services: Services, faults: &Faults) -> Services {
    MODELS
        .iter()
        .fold(services, |services, add| add(services, faults))
}
