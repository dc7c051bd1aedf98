//! pubsub_persistent: PublishPersistent writes the topic's persistent log
//! (`prism.<ns>.d.<topic>`); a durable subscription (topic, name) is the Kafka group id
//! `prism.<ns>.u.<topic>.<name>`, whose committed offset is the next persistent message it gets.
//!
//! The first SubscribeDurable commits the log's high watermark (the subscription exists from then
//! on). Each SubscribeDurable reads the committed offset, is assigned the log there, and commits
//! each message's next offset once tonic took the message from its stream ([`DurableStream`]), so
//! what was delivered is never delivered again and what was published while the subscriber was
//! away comes on its return. Handing a message over is what commits it, not fetching it: a client
//! that cancels its stream resets it before it publishes anything more on its connection, and
//! hyper never polls a reset stream again, so a message published after the cancel stays for the
//! return (committing at fetch lost such a message under load: `subscriber_names_have_own_positions`
//! failed 2 runs of 9 beside the Redis and PostgreSQL matrices).
//! The subscription is not a group member: the plugin itself makes sure one stream at a time
//! reads it (a new SubscribeDurable stops the previous stream, which ends OK, and waits until its
//! last commit is done), so commits are the group-less kind Kafka accepts for a group without
//! members. GetLastMessageID is the id of the log's last offset (its high watermark minus one).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex as SyncMutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use prism_proto::pubsub::pub_sub_persistent_interface_server::{
    PubSubPersistentInterface, PubSubPersistentInterfaceServer,
};
use prism_proto::pubsub::*;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio_stream::Stream;
use tonic::Status;

use super::{message_id, to_message, topics, PubSub};
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

/// What the fetching task hands the stream: a message and the offset after it.
type Fetched = (i64, PubSubMessage);

/// What the commit task is asked: commit an offset, or report that every earlier commit is done.
enum Commit {
    Next(i64),
    Finish(oneshot::Sender<()>),
}

/// A durable subscription's gRPC stream: a message is committed when tonic takes it, in the same
/// poll, and never once the subscription was stopped (a takeover).
pub struct DurableStream {
    fetched: mpsc::UnboundedReceiver<Fetched>,
    /// The commit task's queue; `None` once stopped. Taking a message and queueing its commit
    /// happen under this lock, so a stop sees every commit of a message handed over.
    commits: Arc<SyncMutex<Option<mpsc::UnboundedSender<Commit>>>>,
}

impl Stream for DurableStream {
    type Item = Result<PubSubMessage, Status>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let commits = this.commits.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(queue) = commits.as_ref() else {
            return Poll::Ready(None);
        };
        this.fetched.poll_recv(cx).map(|got| {
            got.map(|(next, message)| {
                let _ = queue.send(Commit::Next(next));
                Ok(message)
            })
        })
    }
}

/// Commits, in order, the offsets after the messages tonic took; the latest of a burst only.
async fn run_commits(
    consumer: Arc<StreamConsumer>,
    group: String,
    kafka_topic: String,
    mut queue: mpsc::UnboundedReceiver<Commit>,
) {
    while let Some(first) = queue.recv().await {
        let mut next = None;
        let mut finish = None;
        let mut command = Some(first);
        while let Some(c) = command {
            match c {
                Commit::Next(offset) => next = Some(offset),
                Commit::Finish(done) => finish = Some(done),
            }
            command = if finish.is_some() {
                None
            } else {
                queue.try_recv().ok()
            };
        }
        if let Some(offset) = next {
            let committed =
                Broker::commit_with(consumer.clone(), &group, &kafka_topic, 0, offset).await;
            if let Err(e) = committed {
                // The position stays behind: the message would come again on return. Say so.
                eprintln!("prism-kafka: durable subscription {group}: {}", e.message());
            }
        }
        if let Some(done) = finish {
            let _ = done.send(());
            return;
        }
    }
}

/// The consumer of one durable subscription's stream, and the names it reads under.
struct Reader {
    consumer: Arc<StreamConsumer>,
    group: String,
    kafka_topic: String,
    topic: String,
}

/// Fetches the persistent log from `next` on for the stream, until the stream is dropped (the
/// client cancelled) or a newer SubscribeDurable stops it; then waits for the last commit.
async fn run_durable(
    Reader {
        consumer,
        group,
        kafka_topic,
        topic,
    }: Reader,
    mut next: i64,
    fetched: mpsc::UnboundedSender<Fetched>,
    commits: Arc<SyncMutex<Option<mpsc::UnboundedSender<Commit>>>>,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        let record = tokio::select! {
            biased;
            _ = &mut stop => break,
            () = fetched.closed() => break,
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
        next = record.offset + 1;
        if fetched
            .send((next, to_message(&kafka_topic, &topic, record)))
            .is_err()
        {
            break;
        }
    }
    // From here on the stream hands nothing over (it ends OK); what it did is committed first.
    let queue = commits
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(queue) = queue {
        let (done, finished) = oneshot::channel();
        if queue.send(Commit::Finish(done)).is_ok() {
            let _ = finished.await;
        }
    }
    drop(fetched);
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

    type SubscribeDurableStream = DurableStream;

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
        let consumer = Arc::new(consumer);
        let (fetched_tx, fetched_rx) = mpsc::unbounded_channel();
        let (commit_tx, commit_rx) = mpsc::unbounded_channel();
        tokio::spawn(run_commits(
            consumer.clone(),
            group.clone(),
            durable.clone(),
            commit_rx,
        ));
        let commits = Arc::new(SyncMutex::new(Some(commit_tx)));
        let (stop_tx, stop_rx) = oneshot::channel();
        let (stopped_tx, stopped_rx) = oneshot::channel();
        *open = Some(Open {
            stop: stop_tx,
            stopped: stopped_rx,
        });
        let topic = r.topic.clone();
        let stream = DurableStream {
            fetched: fetched_rx,
            commits: commits.clone(),
        };
        tokio::spawn(async move {
            let reader = Reader {
                consumer,
                group,
                kafka_topic: durable,
                topic,
            };
            run_durable(reader, next, fetched_tx, commits, stop_rx).await;
            let _ = stopped_tx.send(());
        });
        Ok(stream)
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
