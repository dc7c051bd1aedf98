//! pubsub_basic: Publish writes partition 0 of the topic's Kafka topic; Subscribe and Unsubscribe
//! are [`PubSub::subscribe`] and [`PubSub::unsubscribe`].

use prism_proto::pubsub::pub_sub_basic_interface_server::{
    PubSubBasicInterface, PubSubBasicInterfaceServer,
};
use prism_proto::pubsub::*;
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::Status;

use super::{message_id, topics, PubSub};
use prism_plugin::Reply;

/// The pubsub_basic server.
pub fn server(pubsub: PubSub) -> PubSubBasicInterfaceServer<PubSub> {
    PubSubBasicInterfaceServer::new(pubsub)
}

#[prism_plugin::service]
impl PubSubBasicInterface for PubSub {
    async fn publish(&self, r: PublishRequest) -> Reply<PublishResponse> {
        let (plain, durable) = topics(&r.namespace, &r.topic)?;
        self.ensure(&plain, &durable).await?;
        let w = self
            .broker
            .produce(&plain, Some(0), None, &r.payload)
            .await?;
        Ok(PublishResponse {
            message_id: message_id(&plain, w.partition, w.offset),
        })
    }

    type SubscribeStream = UnboundedReceiverStream<Result<PubSubMessage, Status>>;

    async fn subscribe(&self, r: SubscribeRequest) -> Reply<Self::SubscribeStream> {
        let (tx, rx) = mpsc::unbounded_channel();
        PubSub::subscribe(self, &r.namespace, &r.topic, &r.subscription_id, tx).await?;
        Ok(UnboundedReceiverStream::new(rx))
    }

    async fn unsubscribe(&self, r: UnsubscribeRequest) -> Reply<UnsubscribeResponse> {
        let found = PubSub::unsubscribe(self, &r.namespace, &r.subscription_id).await?;
        Ok(UnsubscribeResponse { found })
    }
}
