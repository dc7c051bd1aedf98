//! The stream interfaces over Kafka topics.
//!
//! A stream `<name>` of namespace `ns` is the single partition of topic `prism.<ns>.s.<name>`
//! (see [`crate::names`]), created by its first Append (or by the first call that must hold state
//! on it). Offsets are Kafka offsets; the low watermark is the partition's log start offset and
//! the next offset its high watermark, both from ListOffsets. Timestamps are the broker's
//! (`message.timestamp.type=LogAppendTime`), so they never decrease along the log whatever the
//! clients' clocks do. Reads fetch exactly the offsets the watermarks promised when the call
//! arrived, so a read is a finite stream of what the stream held then.
//!
//! The partitioned form of a stream is a topic of its own (`prism.<ns>.p.<name>`, see
//! [`partitioning`]); consumer groups are Kafka consumer groups ([`groups`]); retention is
//! DeleteRecords plus `retention.ms` ([`retention`]).

use prism_proto::stream::StreamRecord;
use tonic::Status;

use crate::broker::{Broker, Record};
use crate::names::{self, Kind};

pub mod basic;
pub mod groups;
pub mod partitioning;
pub mod replay;
pub mod retention;

/// Configs of every stream topic.
pub(crate) const STREAM_TOPIC: &[(&str, &str)] = &[("message.timestamp.type", "LogAppendTime")];

/// The Kafka topic of stream `stream` in `namespace`.
pub(crate) fn topic(namespace: &str, stream: &str) -> Result<String, Status> {
    prism_plugin::check::non_empty("stream", stream)?;
    names::name(namespace, Kind::Stream, &[stream])
}

/// Creates the topic of a stream unless it exists.
pub(crate) async fn ensure(broker: &Broker, topic: &str) -> Result<(), Status> {
    broker.ensure_topic(topic, 1, STREAM_TOPIC).await
}

/// A Kafka record as the stream interfaces answer it.
pub(crate) fn to_proto(r: Record) -> StreamRecord {
    StreamRecord {
        offset: r.offset,
        payload: r.payload,
        timestamp_ms: r.timestamp_ms,
    }
}

/// The records `from..` (at most `max`, 0 = all) of a stream as it is now: empty at the next
/// offset, OUT_OF_RANGE beyond it or below the low watermark.
pub(crate) async fn read_from(
    broker: &Broker,
    topic: &str,
    from: i64,
    max: u32,
) -> Result<Vec<StreamRecord>, Status> {
    let (low, high) = broker.watermarks(topic, 0).await?;
    let end = if max == 0 {
        high
    } else {
        high.min(from.saturating_add(i64::from(max)))
    };
    read_range(broker, topic, low, high, from, end).await
}

/// The records `from..end` of a stream whose watermarks are `low`/`high`, with the range rules of
/// the stream interfaces.
pub(crate) async fn read_range(
    broker: &Broker,
    topic: &str,
    low: i64,
    high: i64,
    from: i64,
    end: i64,
) -> Result<Vec<StreamRecord>, Status> {
    if from > high {
        return Err(Status::out_of_range(format!(
            "offset {from} is beyond the next offset {high}"
        )));
    }
    if from < low {
        return Err(Status::out_of_range(format!(
            "offset {from} is below the low watermark {low}: those records were trimmed"
        )));
    }
    let records = broker.read(topic, 0, from, end.min(high)).await?;
    Ok(records.into_iter().map(to_proto).collect())
}
