//! The stream data behind the model's one lock: logs with their retention and consumer groups, and
//! the partitioned logs. Plain data and rules; the services in `mod.rs` unpack requests and stream
//! answers.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use prism_proto::stream::StreamRecord;
use tokio::sync::mpsc::UnboundedSender;
use tonic::Status;

use crate::faults::Spaces;
use crate::Faults;

/// Partitions of every partitioned stream (the proto lets the backend choose; at least 2).
pub(crate) const PARTITIONS: u32 = 4;

/// Every namespace's streams.
#[derive(Debug, Default)]
pub(crate) struct State {
    namespaces: Spaces<Namespace>,
    /// Last consumer id handed out; ids tell a rejoined consumer from the one that left.
    last_consumer_id: u64,
}

#[derive(Debug, Default)]
struct Namespace {
    logs: HashMap<String, Log>,
    /// Per stream, per partition, the payloads in offset order.
    partitioned: HashMap<String, Vec<Vec<Vec<u8>>>>,
}

/// One stream: its retained records, retention policy and consumer groups.
#[derive(Debug, Default)]
pub(crate) struct Log {
    pub(crate) records: Records,
    pub(crate) retention: Retention,
    groups: BTreeMap<String, Group>,
}

/// The retained records of a stream, offsets `low..next`.
#[derive(Debug, Default)]
pub(crate) struct Records {
    retained: VecDeque<StreamRecord>,
    /// Offset of the oldest retained record (== `next` when none is retained).
    pub(crate) low: i64,
    /// Offset the next Append gets.
    pub(crate) next: i64,
    /// Timestamp of the last append, so that timestamps never decrease even if the clock does.
    last_ms: i64,
}

/// A retention policy; 0 = no limit.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Retention {
    pub(crate) max_records: u64,
    pub(crate) max_age_ms: i64,
}

/// A consumer group's progress over its stream.
#[derive(Debug)]
struct Group {
    start: i64,
    /// First offset never delivered.
    next: i64,
    /// Delivered and unacknowledged: offset -> id of the consumer holding it.
    delivered: BTreeMap<i64, u64>,
    /// Unacknowledged records whose consumer left, to deliver again first.
    returned: BTreeSet<i64>,
    acked: BTreeSet<i64>,
    consumers: BTreeMap<String, Consumer>,
    /// Round-robin position over `consumers`.
    turn: usize,
}

#[derive(Debug)]
struct Consumer {
    id: u64,
    tx: UnboundedSender<Result<StreamRecord, Status>>,
}

/// What GetConsumerGroupInfo answers.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct GroupInfo {
    pub(crate) consumers: Vec<String>,
    pub(crate) pending: u64,
    pub(crate) acked: u64,
    pub(crate) committed: i64,
}

/// How a group hands out records, and what a leaving consumer's records become.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Delivery {
    /// Fault `group_delivers_to_all_consumers`.
    pub(crate) to_all: bool,
    /// Fault `unacked_lost_on_leave`.
    pub(crate) lose_on_leave: bool,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl State {
    /// An empty state, its namespaces filed as `faults` say.
    pub(crate) fn new(faults: &Faults) -> Self {
        Self {
            namespaces: Spaces::new(faults, "stream_namespace_prefix_leak"),
            ..Self::default()
        }
    }

    /// The log `stream`, if it was ever created.
    pub(crate) fn log(&self, ns: &str, stream: &str) -> Option<&Log> {
        self.namespaces.get(ns)?.logs.get(stream)
    }

    /// The log `stream`, created empty when missing.
    pub(crate) fn log_mut(&mut self, ns: &str, stream: &str) -> &mut Log {
        self.namespaces
            .entry(ns.to_owned())
            .or_default()
            .logs
            .entry(stream.to_owned())
            .or_default()
    }

    /// Appends `payload` to `stream` and delivers it to the groups; its offset and timestamp.
    pub(crate) fn append(
        &mut self,
        ns: &str,
        stream: &str,
        payload: Vec<u8>,
        delivery: Delivery,
    ) -> (i64, i64) {
        let log = self.log_mut(ns, stream);
        let answer = log.records.push(payload, now_ms());
        log.dispatch(delivery);
        answer
    }

    /// Adds consumer `name` to a group and delivers what is waiting; its id.
    pub(crate) fn join(
        &mut self,
        ns: &str,
        stream: &str,
        group: &str,
        name: &str,
        tx: UnboundedSender<Result<StreamRecord, Status>>,
        delivery: Delivery,
    ) -> Result<u64, Status> {
        self.last_consumer_id += 1;
        let id = self.last_consumer_id;
        let log = self
            .namespaces
            .get_mut(ns)
            .and_then(|n| n.logs.get_mut(stream))
            .ok_or_else(|| unknown_group(stream, group))?;
        let g = log
            .groups
            .get_mut(group)
            .ok_or_else(|| unknown_group(stream, group))?;
        if g.consumers.contains_key(name) {
            return Err(Status::already_exists(format!(
                "consumer {name:?} is already joined to group {group:?}"
            )));
        }
        g.consumers.insert(name.to_owned(), Consumer { id, tx });
        log.dispatch(delivery);
        Ok(id)
    }

    /// Consumer `name` (with `id`) left: its unacknowledged records go back to the group.
    pub(crate) fn leave(
        &mut self,
        ns: &str,
        stream: &str,
        group: &str,
        name: &str,
        id: u64,
        delivery: Delivery,
    ) {
        let Some(log) = self
            .namespaces
            .get_mut(ns)
            .and_then(|n| n.logs.get_mut(stream))
        else {
            return;
        };
        if let Some(g) = log.groups.get_mut(group) {
            g.remove_consumer(name, id, delivery);
        }
        log.dispatch(delivery);
    }

    /// The group `group` of `stream`.
    fn group_mut(&mut self, ns: &str, stream: &str, group: &str) -> Result<&mut Group, Status> {
        self.namespaces
            .get_mut(ns)
            .and_then(|n| n.logs.get_mut(stream))
            .and_then(|l| l.groups.get_mut(group))
            .ok_or_else(|| unknown_group(stream, group))
    }

    /// Acknowledges `offset` in a group; whether it was delivered and not yet acknowledged.
    pub(crate) fn ack(
        &mut self,
        ns: &str,
        stream: &str,
        group: &str,
        offset: i64,
    ) -> Result<bool, Status> {
        let g = self.group_mut(ns, stream, group)?;
        let held = g.delivered.remove(&offset).is_some() || g.returned.remove(&offset);
        if held {
            g.acked.insert(offset);
        }
        Ok(held)
    }

    /// What GetConsumerGroupInfo answers for a group.
    pub(crate) fn group_info(
        &mut self,
        ns: &str,
        stream: &str,
        group: &str,
    ) -> Result<GroupInfo, Status> {
        let g = self.group_mut(ns, stream, group)?;
        let mut committed = g.start;
        while g.acked.contains(&committed) {
            committed += 1;
        }
        Ok(GroupInfo {
            consumers: g.consumers.keys().cloned().collect(),
            pending: (g.delivered.len() + g.returned.len()) as u64,
            acked: g.acked.len() as u64,
            committed,
        })
    }

    /// Appends to a partition (already validated); the record's offset in it.
    pub(crate) fn append_to_partition(
        &mut self,
        ns: &str,
        stream: &str,
        partition: u32,
        payload: Vec<u8>,
    ) -> i64 {
        let parts = self.partitions_mut(ns, stream);
        let part = &mut parts[partition as usize];
        part.push(payload);
        part.len() as i64 - 1
    }

    /// Latest offset of every partition of `stream`, in index order (-1 when empty).
    pub(crate) fn partition_latest(&self, ns: &str, stream: &str) -> Vec<i64> {
        let parts = self
            .namespaces
            .get(ns)
            .and_then(|n| n.partitioned.get(stream));
        (0..PARTITIONS as usize)
            .map(|p| parts.map_or(0, |parts| parts[p].len()) as i64 - 1)
            .collect()
    }

    fn partitions_mut(&mut self, ns: &str, stream: &str) -> &mut Vec<Vec<Vec<u8>>> {
        self.namespaces
            .entry(ns.to_owned())
            .or_default()
            .partitioned
            .entry(stream.to_owned())
            .or_insert_with(|| vec![Vec::new(); PARTITIONS as usize])
    }
}

impl Log {
    /// Creates a consumer group whose first record is `start`.
    pub(crate) fn create_group(&mut self, group: &str, start: i64) -> Result<(), Status> {
        if self.groups.contains_key(group) {
            return Err(Status::already_exists(format!(
                "consumer group {group:?} already exists"
            )));
        }
        self.records.check_start(start)?;
        self.groups.insert(
            group.to_owned(),
            Group {
                start,
                next: start,
                delivered: BTreeMap::new(),
                returned: BTreeSet::new(),
                acked: BTreeSet::new(),
                consumers: BTreeMap::new(),
                turn: 0,
            },
        );
        Ok(())
    }

    /// Hands every deliverable record of every group to one of its consumers.
    fn dispatch(&mut self, delivery: Delivery) {
        for group in self.groups.values_mut() {
            group.dispatch(&self.records, delivery);
        }
    }

    /// Removes what the policy does not keep (at `now_ms`); how many records went.
    pub(crate) fn compact(&mut self, now_ms: i64) -> u64 {
        let Retention {
            max_records,
            max_age_ms,
        } = self.retention;
        let mut removed = 0;
        while let Some(oldest) = self.records.retained.front() {
            let too_many = max_records > 0 && self.records.retained.len() as u64 > max_records;
            let too_old = max_age_ms > 0 && now_ms - oldest.timestamp_ms >= max_age_ms;
            if !(too_many || too_old) {
                break;
            }
            self.records.retained.pop_front();
            self.records.low += 1;
            removed += 1;
        }
        removed
    }
}

impl Records {
    fn push(&mut self, payload: Vec<u8>, now_ms: i64) -> (i64, i64) {
        let offset = self.next;
        self.last_ms = self.last_ms.max(now_ms);
        self.retained.push_back(StreamRecord {
            offset,
            payload,
            timestamp_ms: self.last_ms,
        });
        self.next += 1;
        (offset, self.last_ms)
    }

    /// The retained record at `offset`.
    fn get(&self, offset: i64) -> Option<&StreamRecord> {
        let index = usize::try_from(offset.checked_sub(self.low)?).ok()?;
        self.retained.get(index)
    }

    /// OK when reading may start at `start`: a retained offset or the next one.
    pub(crate) fn check_start(&self, start: i64) -> Result<(), Status> {
        if start < 0 {
            return Err(Status::invalid_argument(format!(
                "offset {start} is negative"
            )));
        }
        if start < self.low {
            return Err(Status::out_of_range(format!(
                "offset {start} is below the low watermark {}",
                self.low
            )));
        }
        if start > self.next {
            return Err(Status::out_of_range(format!(
                "offset {start} is beyond the next offset {}",
                self.next
            )));
        }
        Ok(())
    }

    /// Retained records from `start` (at or above `low`) to `end` exclusive, at most `max` (0 = all).
    pub(crate) fn range(&self, start: i64, end: i64, max: u32) -> Vec<StreamRecord> {
        let limit = if max == 0 { usize::MAX } else { max as usize };
        let end = end.min(self.next);
        (start.max(self.low)..end)
            .filter_map(|offset| self.get(offset).cloned())
            .take(limit)
            .collect()
    }

    /// Offset of the first retained record stamped at or after `timestamp_ms`, else the next offset.
    pub(crate) fn first_at_or_after(&self, timestamp_ms: i64) -> i64 {
        self.retained
            .iter()
            .find(|r| r.timestamp_ms >= timestamp_ms)
            .map_or(self.next, |r| r.offset)
    }
}

impl Group {
    fn dispatch(&mut self, records: &Records, delivery: Delivery) {
        while !self.consumers.is_empty() {
            let offset = if let Some(offset) = self.returned.pop_first() {
                offset
            } else if self.next < records.next {
                self.next += 1;
                self.next - 1
            } else {
                return;
            };
            let Some(record) = records.get(offset) else {
                continue; // trimmed by retention before anyone got it
            };
            let names: Vec<String> = if delivery.to_all {
                self.consumers.keys().cloned().collect()
            } else {
                let turn = self.turn % self.consumers.len();
                self.turn = self.turn.wrapping_add(1);
                self.consumers
                    .keys()
                    .nth(turn)
                    .cloned()
                    .into_iter()
                    .collect()
            };
            let mut holder = None;
            for name in names {
                let Some(consumer) = self.consumers.get(&name) else {
                    continue;
                };
                let id = consumer.id;
                if consumer.tx.send(Ok(record.clone())).is_ok() {
                    holder.get_or_insert(id);
                } else {
                    // Its stream is gone and the watcher has not told us yet.
                    self.remove_consumer(&name, id, delivery);
                }
            }
            match holder {
                Some(id) => {
                    self.delivered.insert(offset, id);
                }
                None => {
                    self.returned.insert(offset);
                }
            }
        }
    }

    /// Removes consumer `name` if it is still the one with `id`; its records go back to the group.
    fn remove_consumer(&mut self, name: &str, id: u64, delivery: Delivery) {
        if self.consumers.get(name).is_none_or(|c| c.id != id) {
            return;
        }
        self.consumers.remove(name);
        let held: Vec<i64> = self
            .delivered
            .iter()
            .filter(|(_, holder)| **holder == id)
            .map(|(offset, _)| *offset)
            .collect();
        for offset in held {
            self.delivered.remove(&offset);
            if !delivery.lose_on_leave {
                self.returned.insert(offset);
            }
        }
    }
}

fn unknown_group(stream: &str, group: &str) -> Status {
    Status::not_found(format!("stream {stream:?} has no consumer group {group:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc::unbounded_channel;

    fn log_with(n: usize) -> Log {
        let mut log = Log::default();
        for i in 0..n {
            log.records.push(vec![i as u8], 1_000 + i as i64);
        }
        log
    }

    #[test]
    fn offsets_count_from_zero_and_timestamps_never_decrease() {
        let mut records = Records::default();
        assert_eq!(records.push(b"a".to_vec(), 50), (0, 50));
        assert_eq!(records.push(b"b".to_vec(), 40), (1, 50));
        assert_eq!(records.push(b"c".to_vec(), 60), (2, 60));
    }

    #[test]
    fn compact_trims_by_count_and_age_and_keeps_offsets() {
        let mut log = log_with(10);
        log.retention.max_records = 4;
        assert_eq!(log.compact(0), 6);
        assert_eq!((log.records.low, log.records.next), (6, 10));
        assert!(log.records.check_start(5).is_err());
        assert_eq!(log.records.range(6, 7, 0)[0].payload, vec![6]);
        log.retention = Retention {
            max_records: 0,
            max_age_ms: 100,
        };
        // Records stamped 1006..=1009: at 1108 those of age >= 100 (1006..=1008) go.
        assert_eq!(log.compact(1_108), 3);
        assert_eq!(log.records.low, 9);
    }

    #[test]
    fn start_positions_are_low_to_next() {
        let log = log_with(3);
        assert!(log.records.check_start(0).is_ok());
        assert!(log.records.check_start(3).is_ok());
        assert_eq!(
            log.records.check_start(4).map_err(|s| s.code()),
            Err(tonic::Code::OutOfRange)
        );
        assert_eq!(
            log.records.check_start(-1).map_err(|s| s.code()),
            Err(tonic::Code::InvalidArgument)
        );
    }

    #[test]
    fn a_group_hands_each_record_to_one_consumer_and_returns_a_leavers_records() {
        let mut log = log_with(4);
        log.create_group("g", 0).expect("new group");
        let (tx_a, mut rx_a) = unbounded_channel();
        let (tx_b, mut rx_b) = unbounded_channel();
        let group = log.groups.get_mut("g").expect("group");
        group
            .consumers
            .insert("a".into(), Consumer { id: 1, tx: tx_a });
        group
            .consumers
            .insert("b".into(), Consumer { id: 2, tx: tx_b });
        log.dispatch(Delivery::default());
        let mut got_a = Vec::new();
        while let Ok(Ok(r)) = rx_a.try_recv() {
            got_a.push(r.offset);
        }
        let mut got_b = Vec::new();
        while let Ok(Ok(r)) = rx_b.try_recv() {
            got_b.push(r.offset);
        }
        assert_eq!((got_a.clone(), got_b), (vec![0, 2], vec![1, 3]));

        drop(rx_a);
        let group = log.groups.get_mut("g").expect("group");
        group.remove_consumer("a", 1, Delivery::default());
        log.dispatch(Delivery::default());
        let mut again = Vec::new();
        while let Ok(Ok(r)) = rx_b.try_recv() {
            again.push(r.offset);
        }
        assert_eq!(again, got_a);
    }
}
