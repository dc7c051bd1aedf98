//! One module per data model: its services over Redis.

use tonic::transport::server::Router;

use crate::Backend;

mod common;
pub(crate) mod keyvalue;
pub(crate) mod list;
pub(crate) mod pubsub;
pub(crate) mod set;
pub(crate) mod sortedset;
pub(crate) mod stream;

/// Adds the services of every model to `router`.
pub(crate) fn add_services(router: Router, backend: &Backend) -> Router {
    let router = keyvalue::add_services(router, backend);
    let router = list::add_services(router, backend);
    let router = set::add_services(router, backend);
    let router = sortedset::add_services(router, backend);
    let router = pubsub::add_services(router, backend);
    stream::add_services(router, backend)
}
