//! The plugin's clients of the broker: one admin client, one producer, a pool of reading
//! consumers, and the calls every service makes through them.
//!
//! librdkafka's metadata, offset and commit calls block their thread, so they run on tokio's
//! blocking pool; produce and admin calls are futures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use tonic::Status;

use crate::alter::{self, ConfigOp};

/// How long one broker request may take before the call fails with UNAVAILABLE.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a finite read may wait for records the watermarks promised.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle reading consumers kept for the next read.
const IDLE_READERS: usize = 8;
/// Readers connected when the plugin starts.
const WARM_READERS: usize = 4;

/// A record as the services use it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Offset in its partition.
    pub offset: i64,
    /// Partition of its topic.
    pub partition: i32,
    /// Milliseconds since the Unix epoch (the topic's timestamp type decides whose clock).
    pub timestamp_ms: i64,
    /// The message key, if any.
    pub key: Option<Vec<u8>>,
    /// The payload (empty for none).
    pub payload: Vec<u8>,
}

impl Record {
    /// A record read from the broker.
    pub fn from_message<M: Message>(m: &M) -> Self {
        Record {
            offset: m.offset(),
            partition: m.partition(),
            timestamp_ms: m.timestamp().to_millis().unwrap_or(0),
            key: m.key().map(<[u8]>::to_vec),
            payload: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
        }
    }
}

/// Where a produced record landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    /// Its partition.
    pub partition: i32,
    /// Its offset in the partition.
    pub offset: i64,
    /// Its timestamp (ms since the epoch) as the broker stored it.
    pub timestamp_ms: i64,
}

/// A Kafka failure as a gRPC status: out-of-range offsets are OUT_OF_RANGE, an unreachable or
/// slow broker UNAVAILABLE, anything else INTERNAL; the message names the call.
pub fn status(what: &str, e: &KafkaError) -> Status {
    let message = format!("kafka {what}: {e}");
    match e.rdkafka_error_code() {
        // With auto.offset.reset=error librdkafka reports the broker's OFFSET_OUT_OF_RANGE as
        // "no offset to automatically reset to".
        Some(RDKafkaErrorCode::OffsetOutOfRange | RDKafkaErrorCode::AutoOffsetReset) => {
            Status::out_of_range(message)
        }
        Some(
            RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::RequestTimedOut
            | RDKafkaErrorCode::MessageTimedOut
            | RDKafkaErrorCode::NetworkException
            | RDKafkaErrorCode::CoordinatorNotAvailable
            | RDKafkaErrorCode::NotCoordinator
            | RDKafkaErrorCode::CoordinatorLoadInProgress,
        ) => Status::unavailable(message),
        _ => Status::internal(message),
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs a blocking librdkafka call on tokio's blocking pool.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Status> + Send + 'static,
) -> Result<T, Status> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Status::internal(format!("blocking broker call: {e}")))?
}

/// The broker could not be reached when the plugin started.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// librdkafka refused the configuration.
    #[error("cannot create a Kafka client for {bootstrap}: {source}")]
    Client {
        /// The bootstrap address.
        bootstrap: String,
        /// What librdkafka said.
        source: KafkaError,
    },
    /// The broker did not answer a metadata request.
    #[error("the Kafka broker at {bootstrap} does not answer a metadata request within {timeout:?}: {source}")]
    Unreachable {
        /// The bootstrap address.
        bootstrap: String,
        /// How long it was given.
        timeout: Duration,
        /// What librdkafka said.
        source: KafkaError,
    },
}

/// The clients of one broker, shared by every service (cheap to clone).
#[derive(Clone)]
pub struct Broker {
    inner: Arc<Inner>,
}

struct Inner {
    bootstrap: String,
    admin: AdminClient<DefaultClientContext>,
    producer: FutureProducer,
    /// Answers metadata and watermark requests (a consumer that never subscribes).
    meta: BaseConsumer,
    readers: Mutex<Vec<BaseConsumer>>,
    /// Topics known to exist, with their partition count once known: only a first use asks the
    /// broker (the plugin never adds partitions).
    topics: Mutex<HashMap<String, Option<usize>>>,
    /// One client per group id whose offsets the plugin commits or fetches outside membership.
    groups: Mutex<HashMap<String, Arc<BaseConsumer>>>,
}

/// Group clients kept; beyond that the cache starts over (a client is recreated when needed).
const GROUP_CLIENTS: usize = 128;

impl Broker {
    /// Clients of the broker at `bootstrap` (`host:port`, or `kafka://host:port`), once its
    /// metadata answers.
    pub async fn connect(bootstrap: &str) -> Result<Self, ConnectError> {
        let broker = Self::unconnected(bootstrap)?;
        let b = broker.clone();
        let answered = tokio::task::spawn_blocking(move || {
            b.inner
                .meta
                .fetch_metadata(None, REQUEST_TIMEOUT)
                .map(|_| ())
        })
        .await
        .unwrap_or(Err(KafkaError::Canceled));
        answered.map_err(|source| ConnectError::Unreachable {
            bootstrap: broker.inner.bootstrap.clone(),
            timeout: REQUEST_TIMEOUT,
            source,
        })?;
        // A reader's first read also connects it (tens of milliseconds): the first cases to
        // arrive find connected readers waiting.
        let b = broker.clone();
        tokio::task::spawn_blocking(move || {
            let warm: Vec<BaseConsumer> = (0..WARM_READERS)
                .filter_map(|_| reader_config(&b.inner.bootstrap).create().ok())
                .filter(|r: &BaseConsumer| r.fetch_metadata(None, REQUEST_TIMEOUT).is_ok())
                .collect();
            for r in warm {
                b.put_reader(r);
            }
        });
        Ok(broker)
    }

    /// Clients of the broker at `bootstrap`, created without talking to it (librdkafka connects
    /// on first use).
    pub fn unconnected(bootstrap: &str) -> Result<Self, ConnectError> {
        let bootstrap = bootstrap
            .trim()
            .trim_start_matches("kafka://")
            .trim_end_matches('/')
            .to_owned();
        let client = |source| ConnectError::Client {
            bootstrap: bootstrap.clone(),
            source,
        };
        let admin = client_config(&bootstrap).create().map_err(client)?;
        let producer = producer_config(&bootstrap).create().map_err(client)?;
        let meta = reader_config(&bootstrap).create().map_err(client)?;
        Ok(Broker {
            inner: Arc::new(Inner {
                bootstrap,
                admin,
                producer,
                meta,
                readers: Mutex::new(Vec::new()),
                topics: Mutex::new(HashMap::new()),
                groups: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The bootstrap address.
    pub fn bootstrap(&self) -> &str {
        &self.inner.bootstrap
    }

    /// A client config for this broker with the plugin's common settings.
    pub fn client_config(&self) -> ClientConfig {
        client_config(&self.inner.bootstrap)
    }

    /// The config of a consumer that tails assigned partitions (see [`READERS_GROUP`]).
    pub fn tail_config(&self) -> ClientConfig {
        reader_config_waiting(&self.inner.bootstrap, TAIL_FETCH_WAIT_MS)
    }

    fn known(&self, topic: &str) -> bool {
        self.inner
            .topics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(topic)
    }

    fn known_count(&self, topic: &str) -> Option<usize> {
        self.inner
            .topics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(topic)
            .copied()
            .flatten()
    }

    fn remember(&self, topic: &str, partitions: Option<usize>) {
        let mut topics = self
            .inner
            .topics
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let known = topics.entry(topic.to_owned()).or_default();
        if partitions.is_some() {
            *known = partitions;
        }
    }

    /// Creates `topic` with `partitions` and `configs` unless it exists.
    pub async fn ensure_topic(
        &self,
        topic: &str,
        partitions: i32,
        configs: &[(&str, &str)],
    ) -> Result<(), Status> {
        if self.known(topic) {
            return Ok(());
        }
        let mut new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
        for (k, v) in configs {
            new = new.set(k, v);
        }
        let opts = AdminOptions::new().request_timeout(Some(REQUEST_TIMEOUT));
        let got = self
            .inner
            .admin
            .create_topics([&new], &opts)
            .await
            .map_err(|e| status(&format!("CreateTopics {topic}"), &e))?;
        for result in got {
            match result {
                Ok(_) => self.remember(topic, usize::try_from(partitions).ok()),
                // Created by an earlier plugin or a concurrent call: its count is asked for later.
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => self.remember(topic, None),
                Err((_, code)) => {
                    return Err(Status::internal(format!(
                        "kafka CreateTopics {topic}: {code}"
                    )))
                }
            }
        }
        Ok(())
    }

    /// The number of partitions of `topic`; `None` when it does not exist.
    pub async fn partition_count(&self, topic: &str) -> Result<Option<usize>, Status> {
        if let Some(n) = self.known_count(topic) {
            return Ok(Some(n));
        }
        let b = self.clone();
        let topic = topic.to_owned();
        blocking(move || {
            let md = b
                .inner
                .meta
                .fetch_metadata(Some(&topic), REQUEST_TIMEOUT)
                .map_err(|e| status(&format!("metadata of {topic}"), &e))?;
            let Some(t) = md.topics().iter().find(|t| t.name() == topic) else {
                return Ok(None);
            };
            match t.error() {
                // A topic being created can be listed before its partitions are.
                None if t.partitions().is_empty() => Ok(None),
                None => {
                    b.remember(&topic, Some(t.partitions().len()));
                    Ok(Some(t.partitions().len()))
                }
                Some(e)
                    if RDKafkaErrorCode::from(e) == RDKafkaErrorCode::UnknownTopicOrPartition =>
                {
                    Ok(None)
                }
                Some(e) => Err(Status::internal(format!(
                    "kafka metadata of {topic}: {}",
                    RDKafkaErrorCode::from(e)
                ))),
            }
        })
        .await
    }

    /// (low, high) watermarks of a partition: the log start offset and the next offset.
    /// `(0, 0)` for a topic that does not exist yet (nothing was ever written to it).
    pub async fn watermarks(&self, topic: &str, partition: i32) -> Result<(i64, i64), Status> {
        if !self.known(topic) && self.partition_count(topic).await?.is_none() {
            return Ok((0, 0));
        }
        let b = self.clone();
        let topic = topic.to_owned();
        blocking(move || {
            let what = || format!("ListOffsets of {topic}/{partition}");
            let mut refreshed = false;
            loop {
                match b
                    .inner
                    .meta
                    .fetch_watermarks(&topic, partition, REQUEST_TIMEOUT)
                {
                    Ok(marks) => return Ok(marks),
                    // The client's metadata cache can predate the topic (another client of the
                    // plugin created it): refresh it once, then the answer stands.
                    Err(e)
                        if !refreshed
                            && matches!(
                                e.rdkafka_error_code(),
                                Some(
                                    RDKafkaErrorCode::UnknownPartition
                                        | RDKafkaErrorCode::UnknownTopicOrPartition
                                        | RDKafkaErrorCode::UnknownTopic
                                )
                            ) =>
                    {
                        refreshed = true;
                        b.inner
                            .meta
                            .fetch_metadata(Some(&topic), REQUEST_TIMEOUT)
                            .map_err(|e| status(&what(), &e))?;
                    }
                    Err(e) => return Err(status(&what(), &e)),
                }
            }
        })
        .await
    }

    /// The first offset of a partition whose timestamp is at or after `timestamp_ms`; `None` when
    /// every record is older (ListOffsets by timestamp).
    pub async fn offset_for_time(
        &self,
        topic: &str,
        partition: i32,
        timestamp_ms: i64,
    ) -> Result<Option<i64>, Status> {
        let b = self.clone();
        let topic = topic.to_owned();
        blocking(move || {
            let what = || format!("ListOffsets by timestamp of {topic}/{partition}");
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(&topic, partition, Offset::Offset(timestamp_ms))
                .map_err(|e| status(&what(), &e))?;
            let got = b
                .inner
                .meta
                .offsets_for_times(tpl, REQUEST_TIMEOUT)
                .map_err(|e| status(&what(), &e))?;
            let elems = got.elements();
            let e = elems
                .first()
                .ok_or_else(|| Status::internal(format!("kafka {}: no answer", what())))?;
            e.error().map_err(|err| status(&what(), &err))?;
            match e.offset() {
                Offset::Offset(o) => Ok(Some(o)),
                Offset::End => Ok(None),
                other => Err(Status::internal(format!(
                    "kafka {}: unexpected answer {other:?}",
                    what()
                ))),
            }
        })
        .await
    }

    /// Produces one record; where it landed. `partition` None lets the partitioner choose (by key).
    pub async fn produce(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        payload: &[u8],
    ) -> Result<Written, Status> {
        let mut record = FutureRecord::<[u8], [u8]>::to(topic)
            .payload(payload)
            .timestamp(now_ms());
        if let Some(p) = partition {
            record = record.partition(p);
        }
        if let Some(k) = key {
            record = record.key(k);
        }
        let delivered = self
            .inner
            .producer
            .send(record, REQUEST_TIMEOUT)
            .await
            .map_err(|(e, _)| status(&format!("Produce to {topic}"), &e))?;
        Ok(Written {
            partition: delivered.partition,
            offset: delivered.offset,
            timestamp_ms: delivered.timestamp.to_millis().unwrap_or_else(now_ms),
        })
    }

    /// The records of a partition at offsets `from..to`, read with a pooled consumer. A fetch
    /// below the log start is OUT_OF_RANGE (the broker's OFFSET_OUT_OF_RANGE).
    pub async fn read(
        &self,
        topic: &str,
        partition: i32,
        from: i64,
        to: i64,
    ) -> Result<Vec<Record>, Status> {
        if from >= to {
            return Ok(Vec::new());
        }
        let b = self.clone();
        let topic = topic.to_owned();
        blocking(move || {
            let reader = b.take_reader()?;
            let got = read_with(&reader, &topic, partition, from, to);
            let _ = reader.unassign();
            b.put_reader(reader);
            got
        })
        .await
    }

    fn take_reader(&self) -> Result<BaseConsumer, Status> {
        let idle = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(r) => Ok(r),
            None => reader_config(&self.inner.bootstrap)
                .create()
                .map_err(|e| status("creating a reader", &e)),
        }
    }

    fn put_reader(&self, reader: BaseConsumer) {
        let mut idle = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_READERS {
            idle.push(reader);
        }
    }

    /// DeleteRecords of a partition before `before`; the new low watermark.
    pub async fn delete_records(
        &self,
        topic: &str,
        partition: i32,
        before: i64,
    ) -> Result<i64, Status> {
        let what = format!("DeleteRecords of {topic}/{partition} before {before}");
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Offset(before))
            .map_err(|e| status(&what, &e))?;
        let opts = AdminOptions::new().request_timeout(Some(REQUEST_TIMEOUT));
        let got = self
            .inner
            .admin
            .delete_records(&tpl, &opts)
            .await
            .map_err(|e| status(&what, &e))?;
        let mut low = before;
        for e in got.elements() {
            e.error().map_err(|err| status(&what, &err))?;
            if let Offset::Offset(o) = e.offset() {
                low = o;
            }
        }
        Ok(low)
    }

    /// The value of topic config `name` when it is set on the topic itself (not a default).
    pub async fn topic_config(&self, topic: &str, name: &str) -> Result<Option<String>, Status> {
        let what = format!("DescribeConfigs of {topic}");
        let opts = AdminOptions::new().request_timeout(Some(REQUEST_TIMEOUT));
        let got = self
            .inner
            .admin
            .describe_configs([&ResourceSpecifier::Topic(topic)], &opts)
            .await
            .map_err(|e| status(&what, &e))?;
        let Some(resource) = got.into_iter().next() else {
            return Ok(None);
        };
        let resource = match resource {
            Ok(r) => r,
            Err(RDKafkaErrorCode::UnknownTopicOrPartition) => return Ok(None),
            Err(code) => return Err(Status::internal(format!("kafka {what}: {code}"))),
        };
        Ok(resource
            .entries
            .into_iter()
            .find(|e| e.name == name && e.source == rdkafka::admin::ConfigSource::DynamicTopic)
            .and_then(|e| e.value))
    }

    /// Sets or deletes configs of `topic` (IncrementalAlterConfigs).
    pub async fn alter_topic(
        &self,
        topic: &str,
        ops: Vec<(String, Option<String>)>,
    ) -> Result<(), Status> {
        let b = self.clone();
        let topic = topic.to_owned();
        blocking(move || {
            let ops: Vec<ConfigOp<'_>> = ops
                .iter()
                .map(|(k, v)| match v {
                    Some(v) => ConfigOp::Set(k, v),
                    None => ConfigOp::Delete(k),
                })
                .collect();
            alter::alter_topic(b.inner.admin.inner(), &topic, &ops, REQUEST_TIMEOUT)
                .map_err(|e| Status::internal(format!("kafka {e}")))
        })
        .await
    }
}

impl Broker {
    /// The client that commits and fetches the offsets of `group` without joining it.
    pub fn group_client(&self, group: &str) -> Result<Arc<BaseConsumer>, Status> {
        let mut clients = self
            .inner
            .groups
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = clients.get(group) {
            return Ok(c.clone());
        }
        let client: BaseConsumer = reader_config(&self.inner.bootstrap)
            .set("group.id", group)
            .create()
            .map_err(|e| status(&format!("creating a client of group {group}"), &e))?;
        let client = Arc::new(client);
        if clients.len() >= GROUP_CLIENTS {
            // Closing a group client waits on the broker: not on this thread.
            let old: Vec<_> = clients.drain().map(|(_, c)| c).collect();
            tokio::task::spawn_blocking(move || drop(old));
        }
        clients.insert(group.to_owned(), client.clone());
        Ok(client)
    }

    /// The offset `group` committed for a partition (OffsetFetch); `None` when it has none.
    pub async fn committed(
        &self,
        group: &str,
        topic: &str,
        partition: i32,
    ) -> Result<Option<i64>, Status> {
        let client = self.group_client(group)?;
        let topic = topic.to_owned();
        let what = format!("OffsetFetch of group {group} for {topic}/{partition}");
        blocking(move || {
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition(&topic, partition);
            let got = client
                .committed_offsets(tpl, REQUEST_TIMEOUT)
                .map_err(|e| status(&what, &e))?;
            let Some(e) = got.find_partition(&topic, partition) else {
                return Ok(None);
            };
            if let Err(err) = e.error() {
                if err.rdkafka_error_code() == Some(RDKafkaErrorCode::UnknownTopicOrPartition) {
                    return Ok(None);
                }
                return Err(status(&what, &err));
            }
            Ok(match e.offset() {
                Offset::Offset(o) => Some(o),
                _ => None,
            })
        })
        .await
    }

    /// Commits `offset` for a partition on behalf of `group` (OffsetCommit) through `client`: a
    /// member of the group, or its group client when nobody is joined.
    pub async fn commit_with<K, C>(
        client: Arc<K>,
        group: &str,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<(), Status>
    where
        K: Consumer<C> + Send + Sync + 'static,
        C: rdkafka::consumer::ConsumerContext + 'static,
    {
        let what = format!("OffsetCommit of group {group} for {topic}/{partition} at {offset}");
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
            .map_err(|e| status(&what, &e))?;
        blocking(move || {
            client
                .commit(&tpl, CommitMode::Sync)
                .map_err(|e| status(&what, &e))
        })
        .await
    }

    /// Commits through the group client of `group` (the group must have no members).
    pub async fn commit(
        &self,
        group: &str,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<(), Status> {
        let client = self.group_client(group)?;
        Self::commit_with(client, group, topic, partition, offset).await
    }
}

/// Reads offsets `from..to` of one partition with `reader`.
fn read_with(
    reader: &BaseConsumer,
    topic: &str,
    partition: i32,
    from: i64,
    to: i64,
) -> Result<Vec<Record>, Status> {
    let what = format!("Fetch of {topic}/{partition} from {from}");
    // A reused reader learns of a topic created after its last metadata refresh only on
    // librdkafka's next periodic one (measured: 0.9 s for the first read of a new stream); asking
    // for the topic's metadata first takes one round trip.
    reader
        .fetch_metadata(Some(topic), REQUEST_TIMEOUT)
        .map_err(|e| status(&what, &e))?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Offset(from))
        .map_err(|e| status(&what, &e))?;
    reader.assign(&tpl).map_err(|e| status(&what, &e))?;
    let deadline = std::time::Instant::now() + READ_TIMEOUT;
    let mut got = Vec::new();
    let mut next = from;
    while next < to {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(Status::unavailable(format!(
                "kafka {what}: offsets {next}..{to} did not arrive within {READ_TIMEOUT:?}"
            )));
        }
        let Some(m) = reader.poll(left.min(Duration::from_millis(200))) else {
            continue;
        };
        let m = m.map_err(|e| status(&what, &e))?;
        // A reused consumer can still hold a message of its previous assignment.
        if m.topic() != topic || m.partition() != partition || m.offset() < next {
            continue;
        }
        if m.offset() > next {
            return Err(Status::internal(format!(
                "kafka {what}: the broker skipped offsets {next}..{}",
                m.offset()
            )));
        }
        got.push(Record::from_message(&m));
        next += 1;
    }
    Ok(got)
}

/// Settings every client of the plugin shares.
fn client_config(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        // The harness runs everything on loopback, IPv4.
        .set("broker.address.family", "v4")
        .set("socket.nagle.disable", "true")
        .set("log_level", "4");
    c
}

fn producer_config(bootstrap: &str) -> ClientConfig {
    let mut c = client_config(bootstrap);
    c.set("acks", "all")
        // Each Append waits for its own answer: do not hold records back to batch them.
        .set("linger.ms", "0")
        // Java's default partitioner, so that a key lands where a Java producer would put it.
        .set("partitioner", "murmur2_random")
        .set("message.timeout.ms", "10000");
    c
}

/// The group id of consumers that only read assigned partitions: librdkafka's consumer API needs
/// one, though they never join it and never commit.
pub const READERS_GROUP: &str = "prism-kafka-readers";

/// A consumer that reads assigned partitions, never joins a group and never commits; its fetches
/// wait up to `fetch_wait_ms` at the broker for records.
fn reader_config_waiting(bootstrap: &str, fetch_wait_ms: u32) -> ClientConfig {
    let mut c = client_config(bootstrap);
    c.set("group.id", READERS_GROUP)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        // Out of range is an answer (OUT_OF_RANGE), never a silent reset.
        .set("auto.offset.reset", "error")
        .set("fetch.wait.max.ms", fetch_wait_ms.to_string())
        .set("fetch.error.backoff.ms", "20");
    c
}

/// How long a subscriber's fetch waits at the broker for new records (nisshi polls its storage
/// meanwhile, so a record arrives within about half of it; Apache Kafka answers at once).
pub const TAIL_FETCH_WAIT_MS: u32 = 100;
/// How long a finite read's fetch waits at the broker. A read asks only for records that exist,
/// but librdkafka fetches ahead once it has them, and a long wait there would hold the pooled
/// reader's next read on the same connection for as long (measured: 100 ms with 100).
const READ_FETCH_WAIT_MS: u32 = 5;

/// A pooled reader (finite reads, metadata, watermarks).
fn reader_config(bootstrap: &str) -> ClientConfig {
    reader_config_waiting(bootstrap, READ_FETCH_WAIT_MS)
}
