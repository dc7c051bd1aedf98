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

/// The interfaces this plugin serves (health reports each of their services SERVING).
pub(crate) const SERVED: &[&str] = &[
    "keyvalue_basic",
    "keyvalue_scan",
    "keyvalue_ttl",
    "keyvalue_transactional",
    "keyvalue_batch",
    "keyvalue_cas",
    "list_basic",
    "list_indexing",
    "list_range",
    "list_blocking",
    "set_basic",
    "set_operations",
    "set_cardinality",
    "set_random",
    "sortedset_basic",
    "sortedset_range",
    "sortedset_rank",
    "sortedset_operations",
    "sortedset_lex",
    "pubsub_basic",
    "pubsub_wildcards",
    "stream_basic",
    "stream_consumer_groups",
    "stream_replay",
    "stream_retention",
];

/// Adds the services of every model to `router`.
pub(crate) fn add_services(router: Router, backend: &Backend) -> Router {
    let router = keyvalue::add_services(router, backend);
    let router = list::add_services(router, backend);
    let router = set::add_services(router, backend);
    let router = sortedset::add_services(router, backend);
    let router = pubsub::add_services(router, backend);
    stream::add_services(router, backend)
}
