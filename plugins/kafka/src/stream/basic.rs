//! stream_basic: Append is a Produce to partition 0 of the stream's topic; Read fetches the
//! offsets the watermarks promise; GetLatestOffset is the high watermark minus one (DeleteRecords
//! moves only the low watermark, so trimming leaves it unchanged).

use prism_proto::stream::stream_basic_interface_server::{
    StreamBasicInterface, StreamBasicInterfaceServer,
};
use prism_proto::stream::*;

use crate::broker::Broker;
use prism_plugin::{check, stream as items, ItemStream, Reply};

/// The stream_basic service.
pub struct Basic {
    broker: Broker,
}

/// The stream_basic server over `broker`.
pub fn server(broker: Broker) -> StreamBasicInterfaceServer<Basic> {
    StreamBasicInterfaceServer::new(Basic { broker })
}

#[prism_plugin::service]
impl StreamBasicInterface for Basic {
    async fn append(&self, r: AppendRequest) -> Reply<AppendResponse> {
        let topic = super::topic(&r.namespace, &r.stream)?;
        super::ensure(&self.broker, &topic).await?;
        let written = self
            .broker
            .produce(&topic, Some(0), None, &r.payload)
            .await?;
        Ok(AppendResponse {
            offset: written.offset,
            timestamp_ms: written.timestamp_ms,
        })
    }

    type ReadStream = ItemStream<StreamRecord>;

    async fn read(&self, r: ReadRequest) -> Reply<Self::ReadStream> {
        let topic = super::topic(&r.namespace, &r.stream)?;
        check::non_negative("from_offset", r.from_offset)?;
        let records = super::read_from(&self.broker, &topic, r.from_offset, r.max).await?;
        items(records)
    }

    async fn get_latest_offset(&self, r: GetLatestOffsetRequest) -> Reply<GetLatestOffsetResponse> {
        let topic = super::topic(&r.namespace, &r.stream)?;
        let (_, high) = self.broker.watermarks(&topic, 0).await?;
        Ok(GetLatestOffsetResponse {
            latest_offset: high - 1,
        })
    }
}
