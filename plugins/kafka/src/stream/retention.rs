//! stream_retention over Kafka's own trimming.
//!
//! - `max_age_ms` is the topic's `retention.ms` (`-1`, Kafka's "no limit", for 0), so a broker that
//!   applies time retention trims on its own schedule too; GetRetention reads it back with
//!   DescribeConfigs (only a value set on the topic counts: a default is "no policy").
//! - `max_records` has no Kafka config. It is kept on the broker in the namespace's state topic
//!   ([`crate::state`]), with the low watermark at the last Compact.
//! - Compact computes the new log start from the policy (high watermark - max_records; the first
//!   offset stamped within max_age, by ListOffsets by timestamp) and trims with DeleteRecords.
//!   `removed` is the low watermark now minus the one stored at the previous Compact, which
//!   counts what the broker trimmed on its own as well.

use prism_proto::stream::stream_retention_interface_server::{
    StreamRetentionInterface, StreamRetentionInterfaceServer,
};
use prism_proto::stream::*;
use tonic::Status;

use crate::broker::{now_ms, Broker};
use crate::names::{self, Kind};
use crate::state::Store;
use prism_plugin::Reply;

const RETENTION_MS: &str = "retention.ms";

/// The stream_retention service.
pub struct Retention {
    broker: Broker,
    store: Store,
}

/// The stream_retention server over `broker`, keeping its state in `store`.
pub fn server(broker: Broker, store: Store) -> StreamRetentionInterfaceServer<Retention> {
    StreamRetentionInterfaceServer::new(Retention { broker, store })
}

/// What the state topic holds for a stream: the record-count policy and the low watermark at the
/// last Compact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Stored {
    max_records: u64,
    compacted: i64,
}

impl Stored {
    fn encode(self) -> String {
        format!(
            "max_records={};compacted={}",
            self.max_records, self.compacted
        )
    }

    fn decode(value: &str) -> Self {
        let mut stored = Stored::default();
        for part in value.split(';') {
            if let Some(v) = part.strip_prefix("max_records=") {
                stored.max_records = v.parse().unwrap_or(0);
            } else if let Some(v) = part.strip_prefix("compacted=") {
                stored.compacted = v.parse().unwrap_or(0);
            }
        }
        stored
    }
}

impl Retention {
    async fn stored(&self, namespace: &str, key: &str) -> Result<Stored, Status> {
        let value = self.store.get(namespace, key).await?;
        Ok(value.as_deref().map(Stored::decode).unwrap_or_default())
    }

    async fn max_age_ms(&self, topic: &str) -> Result<i64, Status> {
        let value = self.broker.topic_config(topic, RETENTION_MS).await?;
        Ok(value
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|ms| *ms > 0)
            .unwrap_or(0))
    }
}

/// The stream's topic and its key in the state topic.
fn names_of(namespace: &str, stream: &str) -> Result<(String, String), Status> {
    let topic = super::topic(namespace, stream)?;
    let key = names::name(namespace, Kind::Retention, &[stream])?;
    Ok((topic, key))
}

#[prism_plugin::service]
impl StreamRetentionInterface for Retention {
    async fn set_retention(&self, r: SetRetentionRequest) -> Reply<SetRetentionResponse> {
        let (topic, key) = names_of(&r.namespace, &r.stream)?;
        if r.max_age_ms < 0 {
            return Err(Status::invalid_argument(format!(
                "max_age_ms must not be negative, got {}",
                r.max_age_ms
            )));
        }
        super::ensure(&self.broker, &topic).await?;
        let age = if r.max_age_ms == 0 {
            "-1".to_owned()
        } else {
            r.max_age_ms.to_string()
        };
        self.broker
            .alter_topic(
                &topic,
                vec![
                    (RETENTION_MS.to_owned(), Some(age)),
                    ("cleanup.policy".to_owned(), Some("delete".to_owned())),
                ],
            )
            .await?;
        let stored = Stored {
            max_records: r.max_records,
            ..self.stored(&r.namespace, &key).await?
        };
        self.store.put(&r.namespace, &key, &stored.encode()).await?;
        Ok(SetRetentionResponse {})
    }

    async fn get_retention(&self, r: GetRetentionRequest) -> Reply<GetRetentionResponse> {
        let (topic, key) = names_of(&r.namespace, &r.stream)?;
        let max_records = self.stored(&r.namespace, &key).await?.max_records;
        let max_age_ms = self.max_age_ms(&topic).await?;
        Ok(GetRetentionResponse {
            max_records,
            max_age_ms,
        })
    }

    async fn compact(&self, r: CompactRequest) -> Reply<CompactResponse> {
        let (topic, key) = names_of(&r.namespace, &r.stream)?;
        let (low, high) = self.broker.watermarks(&topic, 0).await?;
        let stored = self.stored(&r.namespace, &key).await?;
        let max_age_ms = self.max_age_ms(&topic).await?;
        let mut keep_from = low;
        if stored.max_records > 0 {
            let max = i64::try_from(stored.max_records).unwrap_or(i64::MAX);
            keep_from = keep_from.max(high.saturating_sub(max));
        }
        if max_age_ms > 0 && high > low {
            // A record is kept while now - timestamp < max_age, i.e. timestamp > now - max_age.
            let cutoff = now_ms() - max_age_ms + 1;
            let first_young = self
                .broker
                .offset_for_time(&topic, 0, cutoff)
                .await?
                .unwrap_or(high);
            keep_from = keep_from.max(first_young);
        }
        let low = if keep_from > low {
            self.broker.delete_records(&topic, 0, keep_from).await?;
            self.broker.watermarks(&topic, 0).await?.0
        } else {
            low
        };
        let removed = u64::try_from(low - stored.compacted).unwrap_or(0);
        if low != stored.compacted {
            let now = Stored {
                compacted: low,
                ..stored
            };
            self.store.put(&r.namespace, &key, &now.encode()).await?;
        }
        Ok(CompactResponse {
            low_watermark: low,
            removed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Stored;

    #[test]
    fn stored_round_trips() {
        let s = Stored {
            max_records: 4,
            compacted: 6,
        };
        assert_eq!(Stored::decode(&s.encode()), s);
        assert_eq!(Stored::decode(""), Stored::default());
    }
}
