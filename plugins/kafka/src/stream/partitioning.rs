//! stream_partitioning: the partitioned form of a stream is topic `prism.<ns>.p.<stream>` with
//! [`PARTITIONS`] partitions, created with them and never grown (the count is fixed for the
//! stream's lifetime). By key, the producer's partitioner places the record (murmur2, as Java's
//! default partitioner does, so every record of a key shares a partition); by explicit partition,
//! the record goes there. Offsets are the Kafka offsets of each partition.

use prism_proto::stream::append_to_partition_request::Target;
use prism_proto::stream::stream_partitioning_interface_server::{
    StreamPartitioningInterface, StreamPartitioningInterfaceServer,
};
use prism_proto::stream::*;
use tonic::Status;

use crate::broker::Broker;
use crate::names::{self, Kind};
use prism_plugin::{check, Reply};

/// Partitions of a partitioned stream.
pub const PARTITIONS: u32 = 4;

/// The stream_partitioning service.
pub struct Partitioning {
    broker: Broker,
}

/// The stream_partitioning server over `broker`.
pub fn server(broker: Broker) -> StreamPartitioningInterfaceServer<Partitioning> {
    StreamPartitioningInterfaceServer::new(Partitioning { broker })
}

fn topic(namespace: &str, stream: &str) -> Result<String, Status> {
    check::non_empty("stream", stream)?;
    names::name(namespace, Kind::Partitioned, &[stream])
}

impl Partitioning {
    /// The partition count of an existing topic, or the one a new topic gets.
    async fn count(&self, topic: &str) -> Result<u32, Status> {
        Ok(match self.broker.partition_count(topic).await? {
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
            None => PARTITIONS,
        })
    }
}

#[prism_plugin::service]
impl StreamPartitioningInterface for Partitioning {
    async fn get_partitions(&self, r: GetPartitionsRequest) -> Reply<GetPartitionsResponse> {
        let topic = topic(&r.namespace, &r.stream)?;
        let count = self.count(&topic).await?;
        let mut partitions = Vec::new();
        for partition in 0..count {
            let p = i32::try_from(partition).unwrap_or(i32::MAX);
            let (_, high) = self.broker.watermarks(&topic, p).await?;
            partitions.push(PartitionInfo {
                partition,
                latest_offset: high - 1,
            });
        }
        Ok(GetPartitionsResponse { count, partitions })
    }

    async fn append_to_partition(
        &self,
        r: AppendToPartitionRequest,
    ) -> Reply<AppendToPartitionResponse> {
        let topic = topic(&r.namespace, &r.stream)?;
        let (partition, key) = match &r.target {
            None => {
                return Err(Status::invalid_argument(
                    "set either key or partition to choose the partition",
                ))
            }
            Some(Target::Key(key)) => (None, Some(key.as_bytes())),
            Some(Target::Partition(p)) => {
                let count = self.count(&topic).await?;
                if *p >= count {
                    return Err(Status::out_of_range(format!(
                        "partition {p} does not exist: the stream has {count} partitions"
                    )));
                }
                (Some(i32::try_from(*p).unwrap_or(i32::MAX)), None)
            }
        };
        let partitions = i32::try_from(PARTITIONS).unwrap_or(i32::MAX);
        self.broker
            .ensure_topic(&topic, partitions, super::STREAM_TOPIC)
            .await?;
        let written = self
            .broker
            .produce(&topic, partition, key, &r.payload)
            .await?;
        Ok(AppendToPartitionResponse {
            partition: u32::try_from(written.partition).unwrap_or(0),
            offset: written.offset,
        })
    }
}
