//! The five stream interfaces (basic, consumer_groups, replay, retention, partitioning) over one
//! lock-guarded [`state::State`].
//!
//! Consumer groups push records into an unbounded channel per joined consumer while the lock is
//! held (sending never waits); a watcher task per consumer notices when the client cancels its stream
//! and hands the consumer's unacknowledged records back to the group.

mod state;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use prism_plugin::{check, stream, ItemStream, Reply};
use prism_proto::stream::append_to_partition_request::Target;
use prism_proto::stream::stream_basic_interface_server::StreamBasicInterface;
use prism_proto::stream::stream_consumer_groups_interface_server::StreamConsumerGroupsInterface;
use prism_proto::stream::stream_partitioning_interface_server::StreamPartitioningInterface;
use prism_proto::stream::stream_replay_interface_server::StreamReplayInterface;
use prism_proto::stream::stream_retention_interface_server::StreamRetentionInterface;
use prism_proto::stream::*;
use tokio::sync::mpsc::unbounded_channel;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::Status;

use crate::Faults;
use state::{now_ms, Delivery, Retention, State, PARTITIONS};

/// Deliberately broken stream behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[
    (
        "offsets_not_monotonic",
        "Append answers the previous offset for every odd offset (offsets repeat)",
    ),
    (
        "read_skips_start",
        "Read starts after `from_offset` instead of at it",
    ),
    (
        "group_delivers_to_all_consumers",
        "a consumer group delivers every record to every joined consumer",
    ),
    (
        "unacked_lost_on_leave",
        "unacknowledged records of a consumer that leaves are dropped, never delivered again",
    ),
    (
        "replay_range_exclusive_end",
        "ReplayRange leaves out the record at `end_offset`",
    ),
    (
        "seek_off_by_one",
        "SeekToOffset starts one record after the requested offset",
    ),
    (
        "retention_never_trims",
        "Compact removes nothing and keeps the low watermark where it was",
    ),
    (
        "partition_by_random",
        "AppendToPartition by key picks a random partition on every call",
    ),
    (
        "stream_namespace_prefix_leak",
        "namespaces differing only in trailing `:`, `%`, `_`, `*` or `}` share their stream data",
    ),
];

/// The service behind every stream interface.
pub(crate) fn service(faults: &Faults) -> StreamService {
    StreamService {
        state: Arc::new(Mutex::new(State::new(faults))),
        faults: faults.clone(),
    }
}

/// Serves every stream interface from one state.
#[derive(Debug, Clone)]
pub(crate) struct StreamService {
    state: Arc<Mutex<State>>,
    faults: Faults,
}

/// An open server stream of group deliveries.
type Deliveries = UnboundedReceiverStream<Result<StreamRecord, Status>>;

impl StreamService {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics half-way through an update, so a poisoned lock still guards consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn delivery(&self) -> Delivery {
        Delivery {
            to_all: self.faults.has("group_delivers_to_all_consumers"),
            lose_on_leave: self.faults.has("unacked_lost_on_leave"),
        }
    }

    /// Records of `stream` from `start` (validated) to `end` exclusive, at most `max`.
    fn range(
        &self,
        ns: &str,
        stream: &str,
        start: i64,
        end: i64,
        max: u32,
    ) -> Result<Vec<StreamRecord>, Status> {
        check::non_empty("stream", stream)?;
        let state = self.lock();
        let Some(log) = state.log(ns, stream) else {
            // Never appended to: only offset 0 (the next one) is a valid start.
            return state::Records::default()
                .check_start(start)
                .map(|()| Vec::new());
        };
        log.records.check_start(start)?;
        Ok(log.records.range(start, end, max))
    }

    /// Records from `start` (validated) to the end, at most `max`; `skip_first` is a fault's.
    fn starting_at(
        &self,
        ns: &str,
        stream: &str,
        start: i64,
        max: u32,
        skip_first: bool,
    ) -> Result<Vec<StreamRecord>, Status> {
        let mut items = self.range(ns, stream, start, i64::MAX, 0)?;
        if skip_first && !items.is_empty() {
            items.remove(0);
        }
        if max > 0 {
            items.truncate(max as usize);
        }
        Ok(items)
    }
}

#[prism_plugin::service]
impl StreamBasicInterface for StreamService {
    type ReadStream = ItemStream<StreamRecord>;

    async fn append(&self, req: AppendRequest) -> Reply<AppendResponse> {
        check::valid(&req)?;
        let (offset, timestamp_ms) =
            self.lock()
                .append(&req.namespace, &req.stream, req.payload, self.delivery());
        let offset = if self.faults.has("offsets_not_monotonic") && offset % 2 == 1 {
            offset - 1
        } else {
            offset
        };
        Ok(AppendResponse {
            offset,
            timestamp_ms,
        })
    }

    async fn read(&self, req: ReadRequest) -> Reply<Self::ReadStream> {
        let items = self.starting_at(
            &req.namespace,
            &req.stream,
            req.from_offset,
            req.max,
            self.faults.has("read_skips_start"),
        )?;
        stream(items)
    }

    async fn get_latest_offset(
        &self,
        req: GetLatestOffsetRequest,
    ) -> Reply<GetLatestOffsetResponse> {
        check::non_empty("stream", &req.stream)?;
        let latest_offset = self
            .lock()
            .log(&req.namespace, &req.stream)
            .map_or(-1, |log| log.records.next - 1);
        Ok(GetLatestOffsetResponse { latest_offset })
    }
}

#[prism_plugin::service]
impl StreamConsumerGroupsInterface for StreamService {
    type JoinConsumerGroupStream = Deliveries;

    async fn create_consumer_group(
        &self,
        req: CreateConsumerGroupRequest,
    ) -> Reply<CreateConsumerGroupResponse> {
        check::non_empty("stream", &req.stream)?;
        check::non_empty("group", &req.group)?;
        self.lock()
            .log_mut(&req.namespace, &req.stream)
            .create_group(&req.group, req.start_offset)?;
        Ok(CreateConsumerGroupResponse {})
    }

    async fn join_consumer_group(
        &self,
        req: JoinConsumerGroupRequest,
    ) -> Reply<Self::JoinConsumerGroupStream> {
        let JoinConsumerGroupRequest {
            namespace,
            stream,
            group,
            consumer,
        } = req;
        check::non_empty("stream", &stream)?;
        check::non_empty("group", &group)?;
        check::non_empty("consumer", &consumer)?;
        let (tx, rx) = unbounded_channel();
        let watch = tx.clone();
        // Registered before the response goes out, so the stream is live when the client sees it.
        let id = self
            .lock()
            .join(&namespace, &stream, &group, &consumer, tx, self.delivery())?;
        let svc = self.clone();
        tokio::spawn(async move {
            watch.closed().await;
            let delivery = svc.delivery();
            svc.lock()
                .leave(&namespace, &stream, &group, &consumer, id, delivery);
        });
        Ok(UnboundedReceiverStream::new(rx))
    }

    async fn ack(&self, req: AckRequest) -> Reply<AckResponse> {
        check::valid(&req)?;
        let acked = self
            .lock()
            .ack(&req.namespace, &req.stream, &req.group, req.offset)?;
        Ok(AckResponse { acked })
    }

    async fn get_consumer_group_info(
        &self,
        req: GetConsumerGroupInfoRequest,
    ) -> Reply<GetConsumerGroupInfoResponse> {
        check::non_empty("stream", &req.stream)?;
        check::non_empty("group", &req.group)?;
        let info = self
            .lock()
            .group_info(&req.namespace, &req.stream, &req.group)?;
        Ok(GetConsumerGroupInfoResponse {
            consumers: info.consumers,
            pending_count: info.pending,
            acked_count: info.acked,
            committed_offset: info.committed,
        })
    }
}

#[prism_plugin::service]
impl StreamReplayInterface for StreamService {
    type SeekToOffsetStream = ItemStream<StreamRecord>;
    type SeekToTimestampStream = ItemStream<StreamRecord>;
    type ReplayRangeStream = ItemStream<StreamRecord>;

    async fn seek_to_offset(&self, req: SeekToOffsetRequest) -> Reply<Self::SeekToOffsetStream> {
        let items = self.starting_at(
            &req.namespace,
            &req.stream,
            req.offset,
            req.max,
            self.faults.has("seek_off_by_one"),
        )?;
        stream(items)
    }

    async fn seek_to_timestamp(
        &self,
        req: SeekToTimestampRequest,
    ) -> Reply<Self::SeekToTimestampStream> {
        check::non_empty("stream", &req.stream)?;
        let state = self.lock();
        let items = state
            .log(&req.namespace, &req.stream)
            .map_or_else(Vec::new, |log| {
                let start = log.records.first_at_or_after(req.timestamp_ms);
                log.records.range(start, i64::MAX, req.max)
            });
        stream(items)
    }

    async fn replay_range(&self, req: ReplayRangeRequest) -> Reply<Self::ReplayRangeStream> {
        check::valid(&req)?;
        let end = if self.faults.has("replay_range_exclusive_end") {
            req.end_offset
        } else {
            req.end_offset.saturating_add(1)
        };
        let items = self.range(&req.namespace, &req.stream, req.start_offset, end, 0)?;
        stream(items)
    }
}

#[prism_plugin::service]
impl StreamRetentionInterface for StreamService {
    async fn set_retention(&self, req: SetRetentionRequest) -> Reply<SetRetentionResponse> {
        check::valid(&req)?;
        self.lock().log_mut(&req.namespace, &req.stream).retention = Retention {
            max_records: req.max_records,
            max_age_ms: req.max_age_ms,
        };
        Ok(SetRetentionResponse {})
    }

    async fn get_retention(&self, req: GetRetentionRequest) -> Reply<GetRetentionResponse> {
        check::valid(&req)?;
        let retention = self
            .lock()
            .log(&req.namespace, &req.stream)
            .map(|log| log.retention)
            .unwrap_or_default();
        Ok(GetRetentionResponse {
            max_records: retention.max_records,
            max_age_ms: retention.max_age_ms,
        })
    }

    async fn compact(&self, req: CompactRequest) -> Reply<CompactResponse> {
        check::valid(&req)?;
        let mut state = self.lock();
        let Some(log) = state.log(&req.namespace, &req.stream) else {
            return Ok(CompactResponse {
                low_watermark: 0,
                removed: 0,
            });
        };
        if self.faults.has("retention_never_trims") {
            let low_watermark = log.records.low;
            return Ok(CompactResponse {
                low_watermark,
                removed: 0,
            });
        }
        let log = state.log_mut(&req.namespace, &req.stream);
        let removed = log.compact(now_ms());
        Ok(CompactResponse {
            low_watermark: log.records.low,
            removed,
        })
    }
}

#[prism_plugin::service]
impl StreamPartitioningInterface for StreamService {
    async fn get_partitions(&self, req: GetPartitionsRequest) -> Reply<GetPartitionsResponse> {
        check::valid(&req)?;
        let latest = self.lock().partition_latest(&req.namespace, &req.stream);
        let partitions = (0..PARTITIONS)
            .zip(latest)
            .map(|(partition, latest_offset)| PartitionInfo {
                partition,
                latest_offset,
            })
            .collect();
        Ok(GetPartitionsResponse {
            count: PARTITIONS,
            partitions,
        })
    }

    async fn append_to_partition(
        &self,
        req: AppendToPartitionRequest,
    ) -> Reply<AppendToPartitionResponse> {
        check::non_empty("stream", &req.stream)?;
        let partition = match req.target {
            None => return Err(Status::invalid_argument("set either `key` or `partition`")),
            Some(Target::Partition(p)) if p >= PARTITIONS => {
                return Err(Status::out_of_range(format!(
                    "partition {p} is not below the partition count {PARTITIONS}"
                )))
            }
            Some(Target::Partition(p)) => p,
            Some(Target::Key(key)) if self.faults.has("partition_by_random") => {
                (RandomState::new().hash_one(key) % u64::from(PARTITIONS)) as u32
            }
            Some(Target::Key(key)) => partition_of(&key),
        };
        let offset =
            self.lock()
                .append_to_partition(&req.namespace, &req.stream, partition, req.payload);
        Ok(AppendToPartitionResponse { partition, offset })
    }
}

/// The partition of `key`: FNV-1a of its bytes, so that it is the same in every process and run.
fn partition_of(key: &str) -> u32 {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    (hash % u64::from(PARTITIONS)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_partitions_are_stable_and_spread() {
        let parts: Vec<u32> = (0..32).map(|i| partition_of(&format!("key-{i}"))).collect();
        assert_eq!(
            parts,
            (0..32)
                .map(|i| partition_of(&format!("key-{i}")))
                .collect::<Vec<_>>()
        );
        for p in 0..PARTITIONS {
            assert!(parts.contains(&p), "no key of 32 maps to partition {p}");
        }
    }

    #[test]
    fn every_fault_name_is_in_the_catalogue() {
        for (name, _) in FAULTS {
            assert!(Faults::parse(name).is_ok(), "{name}");
        }
    }
}
