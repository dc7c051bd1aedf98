//! pubsub_ordering: the ordering key is the Kafka key, so the producer's partitioner puts every
//! message of a key into one partition of the topic, and Kafka keeps a partition in order.

use prism_proto::pubsub::pub_sub_ordering_interface_server::{
    PubSubOrderingInterface, PubSubOrderingInterfaceServer,
};
use prism_proto::pubsub::*;

use super::{message_id, topics, PubSub};
use prism_plugin::{check, Reply};

/// The pubsub_ordering server.
pub fn server(pubsub: PubSub) -> PubSubOrderingInterfaceServer<PubSub> {
    PubSubOrderingInterfaceServer::new(pubsub)
}

#[prism_plugin::service]
impl PubSubOrderingInterface for PubSub {
    async fn publish_ordered(&self, r: PublishOrderedRequest) -> Reply<PublishOrderedResponse> {
        let (plain, durable) = topics(&r.namespace, &r.topic)?;
        check::non_empty("ordering_key", &r.ordering_key)?;
        self.ensure(&plain, &durable).await?;
        let w = self
            .broker
            .produce(&plain, None, Some(r.ordering_key.as_bytes()), &r.payload)
            .await?;
        Ok(PublishOrderedResponse {
            message_id: message_id(&plain, w.partition, w.offset),
        })
    }
}
