//! The stream interfaces' probes for [`crate::isolation::check`]: the streams `s` and `:s` in every
//! namespace of the family; the namespace of tag `t` appends `t + 2` records that name it.

use std::sync::Mutex;

use prism_suite::prelude::*;
use prism_suite::proto::stream::*;

use crate::isolation::{tagged, Probe};

/// Streams written in every namespace.
const STREAMS: &[&str] = &["s", ":s"];

/// Which interface a [`Streams`] probe exercises.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Uses {
    /// stream_basic: Append, Read, GetLatestOffset; the last step appends once more.
    Basic,
    /// stream_replay: SeekToOffset, SeekToTimestamp, ReplayRange.
    Replay,
    /// stream_retention: SetRetention (1 record), GetRetention, GetLatestOffset; the last step
    /// compacts.
    Retention,
    /// stream_consumer_groups: a group `g` per stream, joined once, its first record acknowledged.
    ConsumerGroups,
    /// stream_partitioning: explicit partitions 0 and 1, read with GetPartitions.
    Partitioning,
}

/// A probe over the streams of the family, exercising one interface.
pub(crate) struct Streams {
    uses: Uses,
    /// The partition count, as GetPartitions first answered it (stream_partitioning).
    partitions: Mutex<Option<u32>>,
}

impl Streams {
    pub(crate) fn new(uses: Uses) -> Self {
        Self {
            uses,
            partitions: Mutex::new(None),
        }
    }
}

/// The payloads appended (in order) to `stream` in the namespace of `tag`.
fn payloads(stream: &str, tag: usize) -> Vec<String> {
    (0..tag + 2)
        .map(|i| tagged(&format!("{stream}{i}"), tag))
        .collect()
}

/// Appends `payload` to `stream` in `ns`; the offset.
async fn append(cx: &Case, ns: &str, stream: &str, payload: &str) -> Result<i64, CaseError> {
    let req = cx.req_in(
        ns,
        AppendRequest {
            stream: stream.into(),
            payload: payload.as_bytes().to_vec(),
            ..Default::default()
        },
    );
    Ok(cx.stream_basic().append(req).await?.into_inner().offset)
}

/// Payloads of a finite stream of records, as `offset:payload`.
fn lines(records: Vec<StreamRecord>) -> Vec<String> {
    records
        .into_iter()
        .map(|r| format!("{}:{}", r.offset, String::from_utf8_lossy(&r.payload)))
        .collect()
}

fn expected_lines(payloads: &[String], from: usize) -> Vec<String> {
    payloads
        .iter()
        .enumerate()
        .skip(from)
        .map(|(i, p)| format!("{i}:{p}"))
        .collect()
}

impl Streams {
    async fn read(&self, cx: &Case, ns: &str, stream: &str) -> Result<Vec<String>, CaseError> {
        let req = cx.req_in(
            ns,
            ReadRequest {
                stream: stream.into(),
                from_offset: 0,
                ..Default::default()
            },
        );
        match cx.stream_basic().read(req).await {
            Ok(r) => Ok(lines(collect(r.into_inner()).await?)),
            Err(s) if s.code() == Code::OutOfRange => Ok(vec!["OUT_OF_RANGE".to_owned()]),
            Err(s) => Err(s.into()),
        }
    }

    async fn latest(&self, cx: &Case, ns: &str, stream: &str) -> Result<String, CaseError> {
        let req = cx.req_in(
            ns,
            GetLatestOffsetRequest {
                stream: stream.into(),
                ..Default::default()
            },
        );
        let latest = cx.stream_basic().get_latest_offset(req).await?;
        Ok(format!("latest {}", latest.into_inner().latest_offset))
    }

    async fn partition_count(&self, cx: &Case, ns: &str) -> Result<u32, CaseError> {
        let req = cx.req_in(
            ns,
            GetPartitionsRequest {
                stream: "s".into(),
                ..Default::default()
            },
        );
        Ok(cx
            .stream_partitioning()
            .get_partitions(req)
            .await?
            .into_inner()
            .count)
    }

    fn count(&self) -> u32 {
        self.partitions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or(0)
    }

    /// What the view of a stream holding `payloads` shows.
    fn shows(&self, stream: &str, tag: Option<usize>, payloads: &[String]) -> Vec<String> {
        let latest = format!("latest {}", payloads.len() as i64 - 1);
        match self.uses {
            Uses::Basic => {
                let mut v = vec![latest];
                v.extend(expected_lines(payloads, 0));
                v
            }
            Uses::Replay => {
                let mut v = expected_lines(payloads, 0);
                v.extend(expected_lines(&payloads[..payloads.len().min(2)], 0));
                v.extend(expected_lines(payloads, 0));
                v
            }
            Uses::Retention => {
                let policy = match tag {
                    Some(t) => format!("policy 1/{}", 3_600_000 + t),
                    None => "policy 0/0".to_owned(),
                };
                vec![policy, latest]
            }
            Uses::ConsumerGroups => vec![match tag {
                Some(_) => "group acked 1".to_owned(),
                None => "no group".to_owned(),
            }],
            Uses::Partitioning => {
                let _ = stream;
                let mut v = vec![format!("count {}", self.count())];
                v.extend((0..self.count()).map(|p| {
                    let latest = match (p, tag) {
                        (0, Some(t)) => t as i64 + 1,
                        (1, Some(_)) => 0,
                        _ => -1,
                    };
                    format!("partition {p} latest {latest}")
                }));
                v
            }
        }
    }

    /// Appends the records of `tag` to `stream` in `ns`, then uses the interface on it.
    async fn write_stream(&self, cx: &Case, ns: &str, stream: &str, tag: usize) -> CaseResult {
        for (i, payload) in payloads(stream, tag).into_iter().enumerate() {
            let offset = append(cx, ns, stream, &payload).await?;
            check_eq!(
                offset,
                i as i64,
                "offset Append answered on {stream:?} in this namespace"
            );
        }
        match self.uses {
            Uses::Retention => {
                let req = cx.req_in(
                    ns,
                    SetRetentionRequest {
                        stream: stream.into(),
                        max_records: 1,
                        max_age_ms: 3_600_000 + tag as i64,
                        ..Default::default()
                    },
                );
                cx.stream_retention().set_retention(req).await?;
            }
            Uses::ConsumerGroups => {
                let mut groups = cx.stream_consumer_groups();
                groups
                    .create_consumer_group(cx.req_in(
                        ns,
                        CreateConsumerGroupRequest {
                            stream: stream.into(),
                            group: "g".into(),
                            start_offset: 0,
                            ..Default::default()
                        },
                    ))
                    .await?;
                let join = cx.req_in(
                    ns,
                    JoinConsumerGroupRequest {
                        stream: stream.into(),
                        group: "g".into(),
                        consumer: "c".into(),
                        ..Default::default()
                    },
                );
                let mut records = groups.join_consumer_group(join).await?.into_inner();
                let first = tokio::time::timeout(Duration::from_secs(2), records.message())
                    .await
                    .map_err(|_| {
                        CaseError::check("no record delivered to the group's consumer within 2 s")
                    })??;
                let first =
                    first.ok_or_else(|| CaseError::check("the group's stream ended at once"))?;
                check_eq!(
                    lines(vec![first.clone()]),
                    expected_lines(&payloads(stream, tag), 0)[..1].to_vec(),
                    "first record delivered to the group of {stream:?} in this namespace"
                );
                let acked = groups
                    .ack(cx.req_in(
                        ns,
                        AckRequest {
                            stream: stream.into(),
                            group: "g".into(),
                            offset: first.offset,
                            ..Default::default()
                        },
                    ))
                    .await?
                    .into_inner()
                    .acked;
                check!(
                    acked,
                    "Ack of the record just delivered answered acked = false"
                );
            }
            _ => {}
        }
        Ok(())
    }
}

impl Probe for Streams {
    type View = Vec<Vec<String>>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        if self.uses == Uses::Partitioning {
            let count = self.partition_count(cx, ns).await?;
            check!(count >= 2, "GetPartitions answered a count of {count}");
            let first = *self
                .partitions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert(count);
            check_eq!(count, first, "partition counts of namespaces of the family");
            for stream in STREAMS {
                for (i, payload) in payloads(stream, tag).into_iter().enumerate() {
                    let req = cx.req_in(
                        ns,
                        AppendToPartitionRequest {
                            stream: (*stream).into(),
                            payload: payload.into_bytes(),
                            target: Some(append_to_partition_request::Target::Partition(0)),
                            ..Default::default()
                        },
                    );
                    let got = cx
                        .stream_partitioning()
                        .append_to_partition(req)
                        .await?
                        .into_inner();
                    check_eq!(
                        got.offset,
                        i as i64,
                        "offset of an append to partition 0 of {stream:?}"
                    );
                }
                let req = cx.req_in(
                    ns,
                    AppendToPartitionRequest {
                        stream: (*stream).into(),
                        payload: tagged("p1", tag).into_bytes(),
                        target: Some(append_to_partition_request::Target::Partition(1)),
                        ..Default::default()
                    },
                );
                let got = cx
                    .stream_partitioning()
                    .append_to_partition(req)
                    .await?
                    .into_inner();
                check_eq!(
                    got.offset,
                    0,
                    "offset of the first append to partition 1 of {stream:?}"
                );
            }
            return Ok(());
        }
        // The two streams at once: a consumer-group join is a broker rebalance (tens of ms on
        // Kafka, 14 of them per case), and the streams of one namespace are independent.
        futures_util::future::try_join_all(
            STREAMS
                .iter()
                .map(|stream| self.write_stream(cx, ns, stream, tag)),
        )
        .await?;
        Ok(())
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut out = Vec::new();
        for stream in STREAMS {
            let view = match self.uses {
                Uses::Basic => {
                    let mut v = vec![self.latest(cx, ns, stream).await?];
                    v.extend(self.read(cx, ns, stream).await?);
                    v
                }
                Uses::Replay => {
                    let mut replay = cx.stream_replay();
                    let seek = cx.req_in(
                        ns,
                        SeekToOffsetRequest {
                            stream: (*stream).into(),
                            offset: 0,
                            ..Default::default()
                        },
                    );
                    let mut v =
                        lines(collect(replay.seek_to_offset(seek).await?.into_inner()).await?);
                    let range = cx.req_in(
                        ns,
                        ReplayRangeRequest {
                            stream: (*stream).into(),
                            start_offset: 0,
                            end_offset: 1,
                            ..Default::default()
                        },
                    );
                    // A stream never appended to has next offset 0: the range from 0 is empty.
                    v.extend(lines(
                        collect(replay.replay_range(range).await?.into_inner()).await?,
                    ));
                    let since = cx.req_in(
                        ns,
                        SeekToTimestampRequest {
                            stream: (*stream).into(),
                            timestamp_ms: 0,
                            ..Default::default()
                        },
                    );
                    v.extend(lines(
                        collect(replay.seek_to_timestamp(since).await?.into_inner()).await?,
                    ));
                    v
                }
                Uses::Retention => {
                    let req = cx.req_in(
                        ns,
                        GetRetentionRequest {
                            stream: (*stream).into(),
                            ..Default::default()
                        },
                    );
                    let policy = cx.stream_retention().get_retention(req).await?.into_inner();
                    // Records are not read: the backend may trim on its own schedule.
                    vec![
                        format!("policy {}/{}", policy.max_records, policy.max_age_ms),
                        self.latest(cx, ns, stream).await?,
                    ]
                }
                Uses::ConsumerGroups => {
                    let req = cx.req_in(
                        ns,
                        GetConsumerGroupInfoRequest {
                            stream: (*stream).into(),
                            group: "g".into(),
                            ..Default::default()
                        },
                    );
                    match cx
                        .stream_consumer_groups()
                        .get_consumer_group_info(req)
                        .await
                    {
                        Ok(info) => vec![format!("group acked {}", info.into_inner().acked_count)],
                        Err(s) if s.code() == Code::NotFound => vec!["no group".to_owned()],
                        Err(s) => return Err(s.into()),
                    }
                }
                Uses::Partitioning => {
                    let req = cx.req_in(
                        ns,
                        GetPartitionsRequest {
                            stream: (*stream).into(),
                            ..Default::default()
                        },
                    );
                    let got = cx
                        .stream_partitioning()
                        .get_partitions(req)
                        .await?
                        .into_inner();
                    let mut v = vec![format!("count {}", got.count)];
                    v.extend(
                        got.partitions.into_iter().map(|p| {
                            format!("partition {} latest {}", p.partition, p.latest_offset)
                        }),
                    );
                    v
                }
            };
            out.push(view);
        }
        Ok(out)
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        STREAMS
            .iter()
            .map(|stream| {
                let held = tag.map(|t| payloads(stream, t)).unwrap_or_default();
                self.shows(stream, tag, &held)
            })
            .collect()
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        for stream in STREAMS {
            match self.uses {
                Uses::Basic | Uses::Replay => {
                    let offset = append(cx, ns, stream, &tagged("more", tag)).await?;
                    check_eq!(
                        offset,
                        tag as i64 + 2,
                        "offset of one more Append to {stream:?}"
                    );
                }
                Uses::Retention => {
                    let req = cx.req_in(
                        ns,
                        CompactRequest {
                            stream: (*stream).into(),
                            ..Default::default()
                        },
                    );
                    let got = cx.stream_retention().compact(req).await?.into_inner();
                    check_eq!(
                        (got.low_watermark, got.removed),
                        (tag as i64 + 1, tag as u64 + 1),
                        "Compact of {stream:?} (keep 1 record of {}): low watermark and removed",
                        tag + 2
                    );
                }
                // Groups and partitions cannot be removed: the last step changes nothing, and the
                // reads must still show every namespace's own.
                Uses::ConsumerGroups | Uses::Partitioning => {}
            }
        }
        Ok(())
    }

    fn changed(&self, tag: usize) -> Self::View {
        STREAMS
            .iter()
            .map(|stream| {
                let mut held = payloads(stream, tag);
                match self.uses {
                    Uses::Basic | Uses::Replay => {
                        held.push(tagged("more", tag));
                        self.shows(stream, Some(tag), &held)
                    }
                    Uses::Retention | Uses::ConsumerGroups | Uses::Partitioning => {
                        self.shows(stream, Some(tag), &held)
                    }
                }
            })
            .collect()
    }
}
