//! One module per data model: its services over PostgreSQL.

use tonic::transport::server::Router;

use crate::Backend;

// Every server must accept the suites' 1 MiB values with room to spare, in both directions.
macro_rules! sized {
    ($server:expr) => {
        $server
            .max_decoding_message_size(prism_proto::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(prism_proto::MAX_MESSAGE_BYTES)
    };
}

pub mod common;
pub mod document;
pub mod graph;
pub mod jsonb;
pub mod keyvalue;
pub mod pubsub;
pub mod queue;
pub mod timeseries;

/// Adds the services of every model to `router`.
pub fn add_services(router: Router, backend: &Backend) -> Router {
    let router = keyvalue::add_services(router, backend);
    let router = queue::add_services(router, backend);
    let router = timeseries::add_services(router, backend);
    let router = document::add_services(router, backend);
    let router = graph::add_services(router, backend);
    pubsub::add_services(router, backend)
}
