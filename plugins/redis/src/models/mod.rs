//! One module per data model: its services over Redis.

use prism_plugin::Services;

use crate::Backend;

mod common;
pub(crate) mod keyvalue;
pub(crate) mod list;
pub(crate) mod pubsub;
pub(crate) mod set;
pub(crate) mod sortedset;
pub(crate) mod stream;

/// Adds the services of every model to `services`.
pub(crate) fn add_services(services: Services, backend: &Backend) -> Services {
    [
        keyvalue::add_services,
        list::add_services,
        set::add_services,
        sortedset::add_services,
        pubsub::add_services,
        stream::add_services,
    ]
    .iter()
    .fold(services, |services, add| add(services, backend))
}
