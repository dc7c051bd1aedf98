//! stream_consumer_groups over Kafka consumer groups.
//!
//! A Prism group `<group>` of stream `<stream>` is the Kafka consumer group
//! `prism.<ns>.g.<stream>.<group>` on the stream's topic, and each joined consumer is a librdkafka
//! consumer that subscribed to it (client id = the consumer's name): the broker's group
//! coordinator runs the join, sync, heartbeat and leave protocol and assigns the stream's one
//! partition to one member at a time, so each record goes to exactly one live consumer, in offset
//! order. Consumers share the stream by taking it over: when the owner leaves (its gRPC stream
//! is cancelled and the plugin closes the consumer, which sends LeaveGroup), the coordinator
//! rebalances and the next member resumes at the group's committed offset, which is how
//! unacknowledged records reach a remaining or the next consumer.
//!
//! Acknowledgements are per record, Kafka commits one offset per partition: the group's committed
//! offset is the first offset not acknowledged (every record before it is), and the records
//! acknowledged beyond it, with the group's start offset, are kept in the namespace's state topic
//! ([`crate::state`]; Kafka would carry them in the commit's metadata, which nisshi drops), so the
//! broker holds the whole acknowledgement state and a restarted plugin reads it back. A consumer
//! skips records acknowledged out of order when they come round again. Commits go through a joined
//! member (the broker refuses commits from outside an active group: measured, UNKNOWN_MEMBER_ID),
//! or through the group's own client when nobody is joined. CreateConsumerGroup is that first
//! commit, at the start offset; a group with no committed offset does not exist.
//!
//! What lives in the plugin process: the joined consumers (the plugin runs them) and which
//! records it delivered (Ack of a record never delivered answers false).
//!
//! Timings, chosen so that a case with joins and leaves finishes in well under a second: the
//! broker starts a group's first rebalance at once (`group.initial.rebalance.delay` 0, set by the
//! instance), members heartbeat every [`HEARTBEAT_MS`] ms, which is also how fast a member learns
//! of a rebalance, and fetches wait at most [`FETCH_WAIT_MS`] ms. librdkafka sends heartbeats from
//! its main thread, which otherwise wakes only every 500 ms or so (measured: a second member's
//! join and a handover each took 500 ms); a [`STATS_MS`] statistics timer wakes it often enough
//! for the heartbeat interval to hold (125 ms and 100 ms). `cooperative-sticky` assignment keeps
//! the partition with its owner when another consumer joins, so a join never moves records
//! between consumers; only a leave does.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as SyncMutex, PoisonError};
use std::time::Duration;

use prism_proto::stream::stream_consumer_groups_interface_server::{
    StreamConsumerGroupsInterface, StreamConsumerGroupsInterfaceServer,
};
use prism_proto::stream::*;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::ClientContext;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::Status;

use crate::broker::{status, Broker, Record};
use crate::names::{self, Kind};
use crate::state::Store;
use prism_plugin::{check, Reply};

/// How often a member heartbeats (and so how soon it joins a rebalance).
pub const HEARTBEAT_MS: u32 = 100;
/// How long the broker keeps a member that stopped heartbeating (a crashed plugin).
pub const SESSION_TIMEOUT_MS: u32 = 6000;
/// How long a member's fetch waits at the broker for new records.
pub const FETCH_WAIT_MS: u32 = 100;
/// librdkafka's statistics interval for members: it wakes the thread that sends heartbeats.
pub const STATS_MS: u32 = 100;
/// How long JoinConsumerGroup waits for the broker's first assignment.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an acknowledgement's commit is retried while the group rebalances.
const COMMIT_RETRY_FOR: Duration = Duration::from_secs(5);

/// The stream_consumer_groups service.
#[derive(Clone)]
pub struct Groups {
    broker: Broker,
    store: Store,
    states: Arc<Mutex<HashMap<String, Arc<Mutex<State>>>>>,
    next_member: Arc<AtomicU64>,
}

/// The stream_consumer_groups server.
pub fn server(groups: Groups) -> StreamConsumerGroupsInterfaceServer<Groups> {
    StreamConsumerGroupsInterfaceServer::new(groups)
}

/// One group as this plugin knows it.
struct State {
    namespace: String,
    topic: String,
    group_id: String,
    start: i64,
    /// First offset not acknowledged.
    committed: i64,
    /// Acknowledged offsets beyond `committed`.
    acked: BTreeSet<i64>,
    /// One past the highest offset this plugin delivered.
    delivered: i64,
    members: BTreeMap<String, Member>,
}

struct Member {
    id: u64,
    consumer: Arc<StreamConsumer<MemberContext>>,
    joined: Arc<AtomicBool>,
}

impl State {
    /// What the state topic keeps for the group.
    fn encode(&self) -> String {
        let acked: Vec<String> = self.acked.iter().map(i64::to_string).collect();
        format!("start={};acked={}", self.start, acked.join(","))
    }

    fn pending(&self) -> u64 {
        let span = u64::try_from(self.delivered - self.committed).unwrap_or(0);
        let acked_in = self.acked.range(..self.delivered).count() as u64;
        span.saturating_sub(acked_in)
    }
}

/// Reads `start=<o>;acked=<o>,...`; `None` when the value is not the plugin's.
fn decode(value: &str) -> Option<(i64, BTreeSet<i64>)> {
    let mut start = None;
    let mut acked = BTreeSet::new();
    for part in value.split(';') {
        if let Some(v) = part.strip_prefix("start=") {
            start = v.parse().ok();
        } else if let Some(v) = part.strip_prefix("acked=") {
            for o in v.split(',').filter(|o| !o.is_empty()) {
                acked.insert(o.parse().ok()?);
            }
        }
    }
    Some((start?, acked))
}

/// Tells a Join that the broker assigned (or not) the stream to its member.
struct MemberContext {
    assigned: SyncMutex<Option<oneshot::Sender<()>>>,
    joined: Arc<AtomicBool>,
    name: String,
}

impl ClientContext for MemberContext {}

impl ConsumerContext for MemberContext {
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(_) => {
                self.joined.store(true, Ordering::SeqCst);
                let first = self
                    .assigned
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                if let Some(tx) = first {
                    let _ = tx.send(());
                }
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => eprintln!("prism-kafka: consumer {}: rebalance: {e}", self.name),
        }
    }
}

type Delivery = mpsc::UnboundedSender<Result<StreamRecord, Status>>;

impl Groups {
    /// The service over `broker`.
    pub fn new(broker: Broker, store: Store) -> Self {
        Groups {
            broker,
            store,
            states: Arc::default(),
            next_member: Arc::new(AtomicU64::new(1)),
        }
    }

    fn names(namespace: &str, stream: &str, group: &str) -> Result<(String, String), Status> {
        let topic = super::topic(namespace, stream)?;
        check::non_empty("group", group)?;
        let group_id = names::name(namespace, Kind::Group, &[stream, group])?;
        Ok((topic, group_id))
    }

    /// The group, from this plugin's memory or the broker's committed offset; NOT_FOUND when
    /// it was never created.
    async fn lookup(
        &self,
        namespace: &str,
        stream: &str,
        group: &str,
    ) -> Result<Arc<Mutex<State>>, Status> {
        let (topic, group_id) = Self::names(namespace, stream, group)?;
        let mut states = self.states.lock().await;
        if let Some(s) = states.get(&group_id) {
            return Ok(s.clone());
        }
        let committed = self.broker.committed(&group_id, &topic, 0).await?;
        let Some(committed) = committed else {
            return Err(Status::not_found(format!(
                "consumer group {group:?} of stream {stream:?} does not exist"
            )));
        };
        let stored = self.store.get(namespace, &group_id).await?;
        let (start, acked) = match stored.as_deref().map(decode) {
            Some(Some((start, acked))) => (start, acked),
            Some(None) => {
                return Err(Status::failed_precondition(format!(
                    "the state of Kafka group {group_id} is not the plugin's: {stored:?}"
                )))
            }
            // Created by another client: its committed offset is all there is.
            None => (committed, BTreeSet::new()),
        };
        let acked: BTreeSet<i64> = acked.into_iter().filter(|o| *o >= committed).collect();
        let delivered = acked.last().map_or(committed, |o| (o + 1).max(committed));
        let state = Arc::new(Mutex::new(State {
            namespace: namespace.to_owned(),
            topic,
            group_id: group_id.clone(),
            start,
            committed,
            acked,
            delivered,
            members: BTreeMap::new(),
        }));
        states.insert(group_id, state.clone());
        Ok(state)
    }

    fn member_config(&self, group_id: &str, consumer: &str) -> rdkafka::ClientConfig {
        let mut c = self.broker.client_config();
        c.set("group.id", group_id)
            .set("client.id", consumer)
            .set("partition.assignment.strategy", "cooperative-sticky")
            .set("heartbeat.interval.ms", HEARTBEAT_MS.to_string())
            .set("session.timeout.ms", SESSION_TIMEOUT_MS.to_string())
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            // Trimmed records are gone: resume at the log start.
            .set("auto.offset.reset", "earliest")
            .set("fetch.wait.max.ms", FETCH_WAIT_MS.to_string())
            .set("statistics.interval.ms", STATS_MS.to_string())
            .set("allow.auto.create.topics", "false");
        c
    }

    /// Stores the state's acknowledgements, then commits its offset through a joined member when
    /// there is one.
    async fn persist(&self, s: &State) -> Result<(), Status> {
        self.store
            .put(&s.namespace, &s.group_id, &s.encode())
            .await?;
        let deadline = tokio::time::Instant::now() + COMMIT_RETRY_FOR;
        loop {
            let member = s
                .members
                .values()
                .find(|m| m.joined.load(Ordering::SeqCst))
                .map(|m| m.consumer.clone());
            let result = match member {
                Some(consumer) => {
                    Broker::commit_with(consumer, &s.group_id, &s.topic, 0, s.committed).await
                }
                None if s.members.is_empty() => {
                    self.broker
                        .commit(&s.group_id, &s.topic, 0, s.committed)
                        .await
                }
                None => Err(Status::unavailable("no member has joined the group yet")),
            };
            match result {
                Ok(()) => return Ok(()),
                // A rebalance in progress, a generation that just changed, a member not yet in.
                Err(e) if tokio::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Delivers what the member's consumer fetches until its gRPC stream is cancelled, then leaves
/// the group.
async fn run_member(
    state: Arc<Mutex<State>>,
    name: String,
    id: u64,
    consumer: Arc<StreamConsumer<MemberContext>>,
    tx: Delivery,
) {
    loop {
        let record = tokio::select! {
            () = tx.closed() => break,
            got = consumer.recv() => match got {
                Ok(m) => Record::from_message(&m),
                Err(e) => {
                    eprintln!("prism-kafka: consumer {name}: {}", status("fetch", &e).message());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let mut s = state.lock().await;
        if record.offset < s.committed || s.acked.contains(&record.offset) {
            continue;
        }
        s.delivered = s.delivered.max(record.offset + 1);
        drop(s);
        if tx.send(Ok(super::to_proto(record))).is_err() {
            break;
        }
    }
    {
        let mut s = state.lock().await;
        if s.members.get(&name).is_some_and(|m| m.id == id) {
            s.members.remove(&name);
        }
    }
    // The last handle closes the consumer: LeaveGroup, which waits on the broker.
    let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
}

#[prism_plugin::service]
impl StreamConsumerGroupsInterface for Groups {
    async fn create_consumer_group(
        &self,
        r: CreateConsumerGroupRequest,
    ) -> Reply<CreateConsumerGroupResponse> {
        let (topic, group_id) = Self::names(&r.namespace, &r.stream, &r.group)?;
        check::non_negative("start_offset", r.start_offset)?;
        super::ensure(&self.broker, &topic).await?;
        let (low, high) = self.broker.watermarks(&topic, 0).await?;
        if r.start_offset < low || r.start_offset > high {
            return Err(Status::out_of_range(format!(
                "start offset {} is outside the stream's offsets {low}..={high}",
                r.start_offset
            )));
        }
        let mut states = self.states.lock().await;
        let exists = states.contains_key(&group_id)
            || self.broker.committed(&group_id, &topic, 0).await?.is_some();
        if exists {
            return Err(Status::already_exists(format!(
                "consumer group {:?} of stream {:?} already exists",
                r.group, r.stream
            )));
        }
        let state = State {
            namespace: r.namespace.clone(),
            topic,
            group_id: group_id.clone(),
            start: r.start_offset,
            committed: r.start_offset,
            acked: BTreeSet::new(),
            delivered: r.start_offset,
            members: BTreeMap::new(),
        };
        self.persist(&state).await?;
        states.insert(group_id, Arc::new(Mutex::new(state)));
        Ok(CreateConsumerGroupResponse {})
    }

    type JoinConsumerGroupStream = UnboundedReceiverStream<Result<StreamRecord, Status>>;

    async fn join_consumer_group(
        &self,
        r: JoinConsumerGroupRequest,
    ) -> Reply<Self::JoinConsumerGroupStream> {
        check::non_empty("consumer", &r.consumer)?;
        let state = self.lookup(&r.namespace, &r.stream, &r.group).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let (assigned_tx, assigned) = oneshot::channel();
        let id = self.next_member.fetch_add(1, Ordering::SeqCst);
        let consumer = {
            let mut s = state.lock().await;
            if s.members.contains_key(&r.consumer) {
                return Err(Status::already_exists(format!(
                    "consumer {:?} is already joined to group {:?}",
                    r.consumer, r.group
                )));
            }
            let joined = Arc::new(AtomicBool::new(false));
            let context = MemberContext {
                assigned: SyncMutex::new(Some(assigned_tx)),
                joined: joined.clone(),
                name: r.consumer.clone(),
            };
            let consumer: StreamConsumer<MemberContext> = self
                .member_config(&s.group_id, &r.consumer)
                .create_with_context(context)
                .map_err(|e| status("creating a group member", &e))?;
            consumer
                .subscribe(&[s.topic.as_str()])
                .map_err(|e| status("Subscribe", &e))?;
            let consumer = Arc::new(consumer);
            s.members.insert(
                r.consumer.clone(),
                Member {
                    id,
                    consumer: consumer.clone(),
                    joined,
                },
            );
            consumer
        };
        tokio::spawn(run_member(
            state.clone(),
            r.consumer.clone(),
            id,
            consumer,
            tx.clone(),
        ));
        match tokio::time::timeout(JOIN_TIMEOUT, assigned).await {
            Ok(Ok(())) => Ok(UnboundedReceiverStream::new(rx)),
            _ => {
                // Dropping the receiver ends the member's task, which leaves the group.
                drop(rx);
                Err(Status::unavailable(format!(
                    "the broker did not complete the join of consumer {:?} to group {:?} \
                     within {JOIN_TIMEOUT:?}",
                    r.consumer, r.group
                )))
            }
        }
    }

    async fn ack(&self, r: AckRequest) -> Reply<AckResponse> {
        let state = self.lookup(&r.namespace, &r.stream, &r.group).await?;
        let mut s = state.lock().await;
        let o = r.offset;
        if o < s.committed || o >= s.delivered || s.acked.contains(&o) {
            return Ok(AckResponse { acked: false });
        }
        let before = (s.committed, s.acked.clone());
        s.acked.insert(o);
        loop {
            let next = s.committed;
            if !s.acked.remove(&next) {
                break;
            }
            s.committed += 1;
        }
        if let Err(e) = self.persist(&s).await {
            (s.committed, s.acked) = before;
            return Err(e);
        }
        Ok(AckResponse { acked: true })
    }

    async fn get_consumer_group_info(
        &self,
        r: GetConsumerGroupInfoRequest,
    ) -> Reply<GetConsumerGroupInfoResponse> {
        let state = self.lookup(&r.namespace, &r.stream, &r.group).await?;
        let s = state.lock().await;
        let acked_before = u64::try_from(s.committed - s.start).unwrap_or(0);
        Ok(GetConsumerGroupInfoResponse {
            consumers: s.members.keys().cloned().collect(),
            pending_count: s.pending(),
            acked_count: acked_before + s.acked.len() as u64,
            committed_offset: s.committed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_state_round_trips() {
        let (start, acked) = decode("start=3;acked=5,7").unwrap();
        assert_eq!(start, 3);
        assert_eq!(acked.into_iter().collect::<Vec<_>>(), vec![5, 7]);
        let (start, acked) = decode("start=0;acked=").unwrap();
        assert_eq!((start, acked.len()), (0, 0));
        assert!(decode("").is_none());
        assert!(decode("start=1;acked=x").is_none());
    }
}
