//! pubsub_persistent: PublishPersistent writes the topic's persistent log
//! (`prism.<ns>.d.<topic>`); a durable subscription (topic, name) is the Kafka group id
//! `prism.<ns>.u.<topic>.<name>`, whose committed offset is the next persistent message it gets.
//!
//! The first SubscribeDurable commits the log's high watermark (the subscription exists from then
//! on). Each SubscribeDurable reads the committed offset, is assigned the log there, and commits
//! each message's next offset once the message went into its gRPC stream, so what was delivered is
//! never delivered again and what was published while the subscriber was away comes on its return.
//! The subscription is not a group member: the plugin itself makes sure one stream at a time
//! reads it (a new SubscribeDurable stops the previous stream, which ends OK, and waits until its
//! last commit is done), so commits are the group-less kind Kafka accepts for a group without
//! members. GetLastMessageID is the id of the log's last offset (its high watermark minus one).

use std::collections::HashMap;
use std::sync::{Arc, Mutex as SyncMutex, PoisonError};
use std::time::Duration;

use prism_proto::pubsub::pub_sub_persistent_interface_server::{
    PubSubPersistentInterface, PubSubPersistentInterfaceServer,
};
use prism_proto::pubsub::*;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::Status;

use super::{message_id, to_message, topics, Delivery, PubSub};
use crate::broker::{status, Broker, Record};
use crate::names::{self, Kind};
use prism_plugin::{check, Reply};

/// The pubsub_persistent server.
pub fn server(pubsub: PubSub) -> PubSubPersistentInterfaceServer<PubSub> {
    PubSubPersistentInterfaceServer::new(pubsub)
}

/// The open stream of each durable subscription, by group id.
#[derive(Clone, Default)]
pub struct Durables {
    open: Arc<SyncMutex<HashMap<String, Slot>>>,
}

/// The open stream of one durable subscription, if any; locked while a SubscribeDurable runs.
type Slot = Arc<Mutex<Option<Open>>>;

/// A durable subscription's open stream: how to stop it and learn that it stopped.
struct Open {
    stop: oneshot::Sender<()>,
    stopped: oneshot::Receiver<()>,
}

impl Durables {
    fn slot(&self, group: &str) -> Slot {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(group.to_owned())
            .or_default()
            .clone()
    }
}

/// Delivers the persistent log from `next` on, committing each delivered message, until the
/// stream is cancelled or a newer SubscribeDurable stops it.
async fn run_durable(
    consumer: Arc<StreamConsumer>,
    group: String,
    kafka_topic: String,
    topic: String,
    mut next: i64,
    tx: Delivery,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        let record = tokio::select! {
            biased;
            _ = &mut stop => break,
            () = tx.closed() => break,
            got = consumer.recv() => match got {
                Ok(m) => Record::from_message(&m),
                Err(e) => {
                    eprintln!(
                        "prism-kafka: durable subscription {group}: {}",
                        status("fetch", &e).message()
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if record.offset < next {
            continue;
        }
        let offset = record.offset;
        if tx
            .send(Ok(to_message(&kafka_topic, &topic, record)))
            .is_err()
        {
            break;
        }
        next = offset + 1;
        let committed = Broker::commit_with(consumer.clone(), &group, &kafka_topic, 0, next).await;
        if let Err(e) = committed {
            // The position stays behind: the message would come again on return. Say so.
            eprintln!("prism-kafka: durable subscription {group}: {}", e.message());
        }
    }
    drop(tx);
    let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
}

#[prism_plugin::service]
impl PubSubPersistentInterface for PubSub {
    async fn publish_persistent(
        &self,
        r: PublishPersistentRequest,
    ) -> Reply<PublishPersistentResponse> {
        let (plain, durable) = topics(&r.namespace, &r.topic)?;
        self.ensure(&plain, &durable).await?;
        let w = self
            .broker
            .produce(&durable, Some(0), None, &r.payload)
            .await?;
        Ok(PublishPersistentResponse {
            message_id: message_id(&durable, w.partition, w.offset),
        })
    }

    type SubscribeDurableStream = UnboundedReceiverStream<Result<PubSubMessage, Status>>;

    async fn subscribe_durable(
        &self,
        r: SubscribeDurableRequest,
    ) -> Reply<Self::SubscribeDurableStream> {
        let (plain, durable) = topics(&r.namespace, &r.topic)?;
        check::non_empty("subscriber_name", &r.subscriber_name)?;
        let group = names::name(
            &r.namespace,
            Kind::Subscription,
            &[&r.topic, &r.subscriber_name],
        )?;
        let slot = self.durable.slot(&group);
        let mut open = slot.lock().await;
        if let Some(previous) = open.take() {
            // Takeover: the previous stream ends (OK) after its last commit.
            let _ = previous.stop.send(());
            let _ = previous.stopped.await;
        }
        self.ensure(&plain, &durable).await?;
        let next = match self.broker.committed(&group, &durable, 0).await? {
            Some(offset) => offset,
            None => {
                let (_, high) = self.broker.watermarks(&durable, 0).await?;
                self.broker.commit(&group, &durable, 0, high).await?;
                high
            }
        };
        let mut config = self.broker.tail_config();
        config
            .set("group.id", &group)
            // Trimmed messages are gone: resume at the log start.
            .set("auto.offset.reset", "earliest");
        let consumer: StreamConsumer = config
            .create()
            .map_err(|e| status("creating a durable subscriber", &e))?;
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&durable, 0, Offset::Offset(next))
            .map_err(|e| status("Assign", &e))?;
        consumer.assign(&tpl).map_err(|e| status("Assign", &e))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let (stopped_tx, stopped_rx) = oneshot::channel();
        *open = Some(Open {
            stop: stop_tx,
            stopped: stopped_rx,
        });
        let topic = r.topic.clone();
        tokio::spawn(async move {
            run_durable(Arc::new(consumer), group, durable, topic, next, tx, stop_rx).await;
            let _ = stopped_tx.send(());
        });
        Ok(UnboundedReceiverStream::new(rx))
    }

    async fn get_last_message_id(
        &self,
        r: GetLastMessageIdRequest,
    ) -> Reply<GetLastMessageIdResponse> {
        let (_, durable) = topics(&r.namespace, &r.topic)?;
        let (_, high) = self.broker.watermarks(&durable, 0).await?;
        if high == 0 {
            return Err(Status::not_found(format!(
                "nothing was published persistently to topic {:?}",
                r.topic
            )));
        }
        Ok(GetLastMessageIdResponse {
            message_id: message_id(&durable, 0, high - 1),
        })
    }
}
