//! stream_replay: SeekToOffset and ReplayRange are fetches between offsets the watermarks bound;
//! SeekToTimestamp asks the broker for the first offset at or after the timestamp (ListOffsets by
//! timestamp) and fetches from there.

use prism_proto::stream::stream_replay_interface_server::{
    StreamReplayInterface, StreamReplayInterfaceServer,
};
use prism_proto::stream::*;
use tonic::Status;

use crate::broker::Broker;
use prism_plugin::{check, stream as items, ItemStream, Reply};

/// The stream_replay service.
pub struct Replay {
    broker: Broker,
}

/// The stream_replay server over `broker`.
pub fn server(broker: Broker) -> StreamReplayInterfaceServer<Replay> {
    StreamReplayInterfaceServer::new(Replay { broker })
}

#[prism_plugin::service]
impl StreamReplayInterface for Replay {
    type SeekToOffsetStream = ItemStream<StreamRecord>;

    async fn seek_to_offset(&self, r: SeekToOffsetRequest) -> Reply<Self::SeekToOffsetStream> {
        let topic = super::topic(&r.namespace, &r.stream)?;
        check::non_negative("offset", r.offset)?;
        let records = super::read_from(&self.broker, &topic, r.offset, r.max).await?;
        items(records)
    }

    type SeekToTimestampStream = ItemStream<StreamRecord>;

    async fn seek_to_timestamp(
        &self,
        r: SeekToTimestampRequest,
    ) -> Reply<Self::SeekToTimestampStream> {
        let topic = super::topic(&r.namespace, &r.stream)?;
        let (low, high) = self.broker.watermarks(&topic, 0).await?;
        if low == high {
            return items(Vec::new());
        }
        // ListOffsets reads negative timestamps as "latest" and "earliest": before the epoch
        // means every retained record here.
        let Some(found) = self
            .broker
            .offset_for_time(&topic, 0, r.timestamp_ms.max(0))
            .await?
        else {
            return items(Vec::new());
        };
        let from = found.max(low);
        let end = if r.max == 0 {
            high
        } else {
            high.min(from.saturating_add(i64::from(r.max)))
        };
        let records = super::read_range(&self.broker, &topic, low, high, from, end).await?;
        items(records)
    }

    type ReplayRangeStream = ItemStream<StreamRecord>;

    async fn replay_range(&self, r: ReplayRangeRequest) -> Reply<Self::ReplayRangeStream> {
        let topic = super::topic(&r.namespace, &r.stream)?;
        check::non_negative("start_offset", r.start_offset)?;
        check::non_negative("end_offset", r.end_offset)?;
        if r.end_offset < r.start_offset {
            return Err(Status::invalid_argument(format!(
                "end_offset {} is before start_offset {}",
                r.end_offset, r.start_offset
            )));
        }
        let (low, high) = self.broker.watermarks(&topic, 0).await?;
        let records = super::read_range(
            &self.broker,
            &topic,
            low,
            high,
            r.start_offset,
            r.end_offset.saturating_add(1),
        )
        .await?;
        items(records)
    }
}
