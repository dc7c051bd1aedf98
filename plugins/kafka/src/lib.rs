//! prism-kafka: the Prism stream and pubsub interfaces over a Kafka-API broker.
//!
//! Every Prism object is a Kafka object named by [`names`] (topics and group ids per namespace,
//! so namespaces are kept apart by the broker). Offsets are Kafka offsets, timestamps the
//! broker's, trimming is DeleteRecords, consumer groups are Kafka consumer groups; each module
//! says how its interface maps onto the broker and what state, if any, lives in the plugin.
//!
//! Served: stream_basic, stream_consumer_groups, stream_replay, stream_retention,
//! stream_partitioning ([`stream`]), pubsub_basic, pubsub_ordering, pubsub_persistent
//! ([`pubsub`]).

#![warn(missing_docs)]

// Every server must accept the suites' 1 MiB values with room to spare, in both directions.
macro_rules! sized {
    ($server:expr) => {
        $server
            .max_decoding_message_size(prism_proto::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(prism_proto::MAX_MESSAGE_BYTES)
    };
}

pub mod alter;
pub mod broker;
mod check;
pub mod names;
pub mod pubsub;
pub mod state;
pub mod stream;

use tokio::net::TcpListener;
use tonic::transport::server::{Router, TcpIncoming};
use tonic::transport::Server;
use tonic_health::ServingStatus;

pub use broker::Broker;

/// The interfaces this plugin serves (health reports each of their services SERVING).
pub const SERVED: &[&str] = &[
    "stream_basic",
    "stream_consumer_groups",
    "stream_replay",
    "stream_retention",
    "stream_partitioning",
    "pubsub_basic",
    "pubsub_ordering",
    "pubsub_persistent",
];

/// Fully qualified names of the gRPC services this plugin serves (besides health).
pub fn services() -> impl Iterator<Item = &'static str> {
    prism_proto::INTERFACES
        .iter()
        .filter(|i| SERVED.contains(&i.name))
        .map(|i| i.service)
}

/// A router serving every interface the plugin implements, and health reporting SERVING.
pub async fn router(broker: Broker) -> Router {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", ServingStatus::Serving)
        .await;
    for service in services() {
        reporter
            .set_service_status(service, ServingStatus::Serving)
            .await;
    }
    let router = Server::builder().add_service(health);
    let store = state::Store::new(broker.clone());
    let router = stream::add_services(router, &broker, &store);
    pubsub::add_services(router, &broker)
}

/// Serves on an already-bound listener until the future is dropped.
pub async fn serve(listener: TcpListener, broker: Broker) -> Result<(), tonic::transport::Error> {
    // tonic leaves accepted sockets with Nagle on; first calls on a fresh channel would stall.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    router(broker).await.serve_with_incoming(incoming).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_served_interface_has_a_proto() {
        assert_eq!(super::services().count(), super::SERVED.len());
    }
}
