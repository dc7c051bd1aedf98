//! pubsub_basic, pubsub_ordering and pubsub_persistent over Kafka topics.
//!
//! A pubsub topic `<topic>` of namespace `ns` is two Kafka topics:
//! - `prism.<ns>.t.<topic>` with [`TOPIC_PARTITIONS`] partitions: Publish writes to partition 0
//!   (so plain publishes keep one order), PublishOrdered writes with the ordering key as the
//!   Kafka key, so the partitioner puts every message of a key in one partition and Kafka's
//!   per-partition order is the key's order;
//! - `prism.<ns>.d.<topic>` with one partition: the PublishPersistent log.
//!
//! A message id is the record's Kafka coordinates, `<kafka topic>/<partition>/<offset>`: unique,
//! and what every subscriber sees. A Subscribe is a consumer of its own that is assigned every
//! partition of both topics at their high watermarks, read before the call answers, so the stream
//! is live when its response arrives; nothing is buffered in the broker for a subscriber that
//! has gone. A durable subscription ([`persistent`]) is a Kafka group id whose committed offset is
//! its position in the persistent log.
//!
//! Order: a subscriber gets each partition in order, so plain publishes in publish order and each
//! ordering key in its order; plain, ordered and persistent publishes of one topic are not
//! ordered with each other (they are different partitions).

pub mod basic;
pub mod ordering;
pub mod persistent;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use prism_proto::pubsub::PubSubMessage;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio::sync::{mpsc, oneshot};
use tonic::Status;

use crate::broker::{status, Broker, Record};
use crate::names::{self, Kind};
use prism_plugin::check;

/// Partitions of a pubsub topic's Kafka topic (ordering keys spread over them).
pub const TOPIC_PARTITIONS: i32 = 4;

/// The Kafka topics of pubsub topic `topic`: (plain and ordered, persistent).
pub(crate) fn topics(namespace: &str, topic: &str) -> Result<(String, String), Status> {
    check::non_empty("topic", topic)?;
    Ok((
        names::name(namespace, Kind::Topic, &[topic])?,
        names::name(namespace, Kind::Durable, &[topic])?,
    ))
}

/// The message id of a record: its Kafka coordinates.
pub(crate) fn message_id(kafka_topic: &str, partition: i32, offset: i64) -> String {
    format!("{kafka_topic}/{partition}/{offset}")
}

/// A Kafka record as a delivered message of pubsub topic `topic`.
pub(crate) fn to_message(kafka_topic: &str, topic: &str, r: Record) -> PubSubMessage {
    PubSubMessage {
        message_id: message_id(kafka_topic, r.partition, r.offset),
        topic: topic.to_owned(),
        payload: r.payload,
        attributes: HashMap::new(),
        ordering_key: r
            .key
            .map(|k| String::from_utf8_lossy(&k).into_owned())
            .unwrap_or_default(),
    }
}

/// State shared by the pubsub services.
#[derive(Clone)]
pub struct PubSub {
    broker: Broker,
    /// Live subscriptions with a client-chosen id, by (namespace, id).
    named: Arc<Mutex<HashMap<(String, String), Named>>>,
    next: Arc<AtomicU64>,
    durable: persistent::Durables,
}

/// A live subscription with an id: how Unsubscribe stops it.
struct Named {
    serial: u64,
    stop: Option<oneshot::Sender<Vec<i64>>>,
    partitions: Vec<(String, i32)>,
}

/// What the subscription stream carries.
pub(crate) type Delivery = mpsc::UnboundedSender<Result<PubSubMessage, Status>>;

impl PubSub {
    /// The pubsub state over `broker`.
    pub fn new(broker: Broker) -> Self {
        PubSub {
            broker,
            named: Arc::default(),
            next: Arc::new(AtomicU64::new(1)),
            durable: persistent::Durables::default(),
        }
    }

    /// Creates both Kafka topics of a pubsub topic unless they exist.
    pub(crate) async fn ensure(&self, plain: &str, durable: &str) -> Result<(), Status> {
        self.broker
            .ensure_topic(plain, TOPIC_PARTITIONS, &[])
            .await?;
        self.broker.ensure_topic(durable, 1, &[]).await
    }

    /// The high watermark of each partition, in order.
    pub(crate) async fn ends(&self, partitions: &[(String, i32)]) -> Result<Vec<i64>, Status> {
        let mut ends = Vec::with_capacity(partitions.len());
        for (topic, partition) in partitions {
            ends.push(self.broker.watermarks(topic, *partition).await?.1);
        }
        Ok(ends)
    }

    /// Subscribes to `topic` of `namespace`: a consumer assigned every partition at its end,
    /// delivering into `tx` until the stream is cancelled or Unsubscribe stops it.
    pub(crate) async fn subscribe(
        &self,
        namespace: &str,
        topic: &str,
        subscription_id: &str,
        tx: Delivery,
    ) -> Result<(), Status> {
        let (plain, durable) = topics(namespace, topic)?;
        let serial = self.next.fetch_add(1, Ordering::SeqCst);
        let mut partitions: Vec<(String, i32)> =
            (0..TOPIC_PARTITIONS).map(|p| (plain.clone(), p)).collect();
        partitions.push((durable.clone(), 0));
        let key = (namespace.to_owned(), subscription_id.to_owned());
        let (stop_tx, stop_rx) = oneshot::channel();
        if !subscription_id.is_empty() {
            let mut named = self.named.lock().unwrap_or_else(PoisonError::into_inner);
            if named.contains_key(&key) {
                return Err(Status::already_exists(format!(
                    "subscription id {subscription_id:?} is in use in this namespace"
                )));
            }
            named.insert(
                key.clone(),
                Named {
                    serial,
                    stop: Some(stop_tx),
                    partitions: partitions.clone(),
                },
            );
        }
        let started = self.start(&plain, &durable, &partitions).await;
        let (consumer, next) = match started {
            Ok(c) => c,
            Err(e) => {
                self.forget(&key, serial);
                return Err(e);
            }
        };
        let this = self.clone();
        let topic = topic.to_owned();
        tokio::spawn(async move {
            run_subscription(consumer, &topic, partitions, next, tx, stop_rx).await;
            this.forget(&key, serial);
        });
        Ok(())
    }

    async fn start(
        &self,
        plain: &str,
        durable: &str,
        partitions: &[(String, i32)],
    ) -> Result<(StreamConsumer, Vec<i64>), Status> {
        self.ensure(plain, durable).await?;
        let ends = self.ends(partitions).await?;
        let consumer: StreamConsumer = subscriber_config(&self.broker)
            .create()
            .map_err(|e| status("creating a subscriber", &e))?;
        let mut tpl = TopicPartitionList::new();
        for ((topic, partition), end) in partitions.iter().zip(&ends) {
            tpl.add_partition_offset(topic, *partition, Offset::Offset(*end))
                .map_err(|e| status("Assign", &e))?;
        }
        consumer.assign(&tpl).map_err(|e| status("Assign", &e))?;
        Ok((consumer, ends))
    }

    /// Drops the id of a subscription that ended, unless the id now belongs to a newer one.
    fn forget(&self, key: &(String, String), serial: u64) {
        let mut named = self.named.lock().unwrap_or_else(PoisonError::into_inner);
        if named.get(key).is_some_and(|n| n.serial == serial) {
            named.remove(key);
        }
    }

    /// Unsubscribe: the stream delivers what was published before this call answers, then ends.
    pub(crate) async fn unsubscribe(
        &self,
        namespace: &str,
        subscription_id: &str,
    ) -> Result<bool, Status> {
        let key = (namespace.to_owned(), subscription_id.to_owned());
        let found = self
            .named
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
        let Some(mut found) = found else {
            return Ok(false);
        };
        let ends = self.ends(&found.partitions).await?;
        if let Some(stop) = found.stop.take() {
            let _ = stop.send(ends);
        }
        Ok(true)
    }
}

/// Settings of a subscriber's consumer: assigned, never in a group, never committing.
fn subscriber_config(broker: &Broker) -> rdkafka::ClientConfig {
    broker.tail_config()
}

/// Delivers the records of `partitions` from `next` on, until the stream is cancelled or, after
/// Unsubscribe sent the end offsets, every partition reached its end.
async fn run_subscription(
    consumer: StreamConsumer,
    topic: &str,
    partitions: Vec<(String, i32)>,
    mut next: Vec<i64>,
    tx: Delivery,
    mut stop: oneshot::Receiver<Vec<i64>>,
) {
    let mut stop_open = true;
    let mut stop_at: Option<Vec<i64>> = None;
    let reached = |next: &[i64], stop_at: &Option<Vec<i64>>| {
        stop_at
            .as_ref()
            .is_some_and(|ends| next.iter().zip(ends).all(|(n, e)| n >= e))
    };
    loop {
        let got = tokio::select! {
            biased;
            () = tx.closed() => break,
            ends = &mut stop, if stop_open => {
                stop_open = false;
                // A closed channel (an anonymous subscription) never stops the stream.
                stop_at = ends.ok();
                if reached(&next, &stop_at) {
                    break;
                }
                continue;
            }
            got = consumer.recv() => match got {
                Ok(m) => (m.topic().to_owned(), Record::from_message(&m)),
                Err(e) => {
                    eprintln!("prism-kafka: subscriber of {topic:?}: {}", status("fetch", &e).message());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (kafka_topic, record) = got;
        let Some(i) = partitions
            .iter()
            .position(|(t, p)| *t == kafka_topic && *p == record.partition)
        else {
            continue;
        };
        if record.offset < next[i] {
            continue;
        }
        if let Some(ends) = &stop_at {
            if record.offset >= ends[i] {
                // Published after Unsubscribe answered: not for this stream.
                next[i] = ends[i];
                if reached(&next, &stop_at) {
                    break;
                }
                continue;
            }
        }
        next[i] = record.offset + 1;
        if tx
            .send(Ok(to_message(&kafka_topic, topic, record)))
            .is_err()
        {
            break;
        }
        if reached(&next, &stop_at) {
            break;
        }
    }
    drop(tx);
    let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
}
