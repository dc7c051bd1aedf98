//! One module per data model: its services over PostgreSQL.

use prism_plugin::Services;

use crate::Backend;

pub mod common;
pub mod document;
pub mod graph;
pub mod jsonb;
pub mod keyvalue;
pub mod pubsub;
pub mod queue;
pub mod timeseries;

/// Adds the services of every model to `services`.
pub fn add_services(services: Services, backend: &Backend) -> Services {
    let services = keyvalue::add_services(services, backend);
    let services = queue::add_services(services, backend);
    let services = timeseries::add_services(services, backend);
    let services = document::add_services(services, backend);
    let services = graph::add_services(services, backend);
    pubsub::add_services(services, backend)
}
