//! pubsub_basic: Publish writes partition 0 of the topic's Kafka topic; Subscribe and Unsubscribe
//! are [`PubSub::subscribe`] and [`PubSub::unsubscribe`].

use prism_proto::pubsub::pub_sub_basic_interface_server::{
    PubSubBasicInterface, PubSubBasicInterfaceServer,
};
use prism_proto::pubsub::*;
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::{Request, Response, Status};

use super::{message_id, topics, PubSub};
use prism_plugin::Reply;

/// The pubsub_basic server.
pub fn server(pubsub: PubSub) -> PubSubBasicInterfaceServer<PubSub> {
    PubSubBasicInterfaceServer::new(pubsub)
}

#[tonic::async_trait]
impl PubSubBasicInterface for PubSub {
    async fn publish(&self, request: Request<PublishRequest>) -> Reply<PublishResponse> {
        let r = request.into_inner();
        let (plain, durable) = topics(&r.namespace, &r.topic)?;
        self.ensure(&plain, &durable).await?;
        let w = self
            .broker
            .produce(&plain, Some(0), None, &r.payload)
            .await?;
        Ok(Response::new(PublishResponse {
            message_id: message_id(&plain, w.partition, w.offset),
        }))
    }

    type SubscribeStream = UnboundedReceiverStream<Result<PubSubMessage, Status>>;

    async fn subscribe(&self, request: Request<SubscribeRequest>) -> Reply<Self::SubscribeStream> {
        let r = request.into_inner();
        let (tx, rx) = mpsc::unbounded_channel();
        PubSub::subscribe(self, &r.namespace, &r.topic, &r.subscription_id, tx).await?;
        Ok(Response::new(UnboundedReceiverStream::new(rx)))
    }

    async fn unsubscribe(
        &self,
        request: Request<UnsubscribeRequest>,
    ) -> Reply<UnsubscribeResponse> {
        let r = request.into_inner();
        let found = PubSub::unsubscribe(self, &r.namespace, &r.subscription_id).await?;
        Ok(Response::new(UnsubscribeResponse { found }))
    }
}
