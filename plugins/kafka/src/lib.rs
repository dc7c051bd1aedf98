//! prism-kafka: the Prism stream and pubsub interfaces over a Kafka-API broker.
//!
//! Every Prism object is a Kafka object named by [`names`] (topics and group ids per namespace,
//! so namespaces are kept apart by the broker). Offsets are Kafka offsets, timestamps the
//! broker's, trimming is DeleteRecords, consumer groups are Kafka consumer groups; each module
//! says how its interface maps onto the broker and what state, if any, lives in the plugin.
//!
//! Served ([`services`]): stream_basic, stream_consumer_groups, stream_replay, stream_retention,
//! stream_partitioning ([`stream`]), pubsub_basic, pubsub_ordering, pubsub_persistent
//! ([`pubsub`]).

#![warn(missing_docs)]

pub mod alter;
pub mod broker;
pub mod names;
pub mod pubsub;
pub mod state;
pub mod stream;

pub use broker::{Broker, ConnectError};

/// Every interface the plugin serves, over `broker`: the one list of what is served.
pub fn services(broker: Broker) -> prism_plugin::Services {
    let store = state::Store::new(broker.clone());
    let pubsub = pubsub::PubSub::new(broker.clone());
    prism_plugin::Services::new()
        .add(stream::basic::server(broker.clone()))
        .add(stream::replay::server(broker.clone()))
        .add(stream::retention::server(broker.clone(), store.clone()))
        .add(stream::partitioning::server(broker.clone()))
        .add(stream::groups::server(stream::groups::Groups::new(
            broker.clone(),
            store,
        )))
        .add(pubsub::basic::server(pubsub.clone()))
        .add(pubsub::ordering::server(pubsub.clone()))
        .add(pubsub::persistent::server(pubsub))
        .note(format!("broker at {}", broker.bootstrap()))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn serves_the_stream_and_pubsub_interfaces() {
        // A broker that is never reached: building the services connects nothing.
        let broker = crate::Broker::unconnected("127.0.0.1:9").unwrap();
        let served: Vec<_> = crate::services(broker).interfaces().collect();
        assert_eq!(
            served,
            [
                "pubsub_basic",
                "pubsub_ordering",
                "pubsub_persistent",
                "stream_basic",
                "stream_consumer_groups",
                "stream_partitioning",
                "stream_replay",
                "stream_retention",
            ]
        );
    }
}
