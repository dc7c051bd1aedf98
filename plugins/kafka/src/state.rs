//! Plugin state that has no Kafka API of its own, kept on the broker in a compacted topic per
//! namespace (`prism.<ns>.k`), the way Kafka Connect and Kafka Streams keep theirs.
//!
//! Two things need it: a stream's record-count retention policy (Kafka has time and size
//! retention, not a record count) and the acknowledgements of a consumer group beyond its
//! committed offset (Kafka commits one offset per partition). Kafka's answer for the second is the
//! commit's metadata string, but nisshi 0.8.1 stores commits without it (measured: OffsetFetch
//! answers an empty metadata), so both live here instead. A value is keyed by the Kafka name of
//! the object it belongs to; the last record of a key is its value.
//!
//! The plugin reads a namespace's topic once, on first use, and keeps it in memory; every change
//! is produced before it is applied, under the namespace's lock, so memory follows the log's order
//! and a restarted plugin reads back what it wrote.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;
use tonic::Status;

use crate::broker::Broker;
use crate::names::{self, Kind};

type Values = HashMap<String, String>;

/// A namespace's values once read (`None` before the first use); locked while one is changed.
type Slot = Arc<Mutex<Option<Values>>>;

/// The state topics of every namespace the plugin touched.
#[derive(Clone)]
pub struct Store {
    broker: Broker,
    namespaces: Arc<std::sync::Mutex<HashMap<String, Slot>>>,
}

impl Store {
    /// The store on `broker`.
    pub fn new(broker: Broker) -> Self {
        Store {
            broker,
            namespaces: Arc::default(),
        }
    }

    fn slot(&self, namespace: &str) -> Slot {
        self.namespaces
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(namespace.to_owned())
            .or_default()
            .clone()
    }

    async fn load(&self, topic: &str) -> Result<Values, Status> {
        let (low, high) = self.broker.watermarks(topic, 0).await?;
        let mut values = Values::new();
        for r in self.broker.read(topic, 0, low, high).await? {
            let Some(key) = r.key else { continue };
            let key = String::from_utf8_lossy(&key).into_owned();
            values.insert(key, String::from_utf8_lossy(&r.payload).into_owned());
        }
        Ok(values)
    }

    /// The value of `key` in `namespace`.
    pub async fn get(&self, namespace: &str, key: &str) -> Result<Option<String>, Status> {
        let topic = names::name(namespace, Kind::State, &[])?;
        let slot = self.slot(namespace);
        let mut values = slot.lock().await;
        if values.is_none() {
            *values = Some(self.load(&topic).await?);
        }
        Ok(values.as_ref().and_then(|v| v.get(key).cloned()))
    }

    /// Sets `key` in `namespace` to `value`, on the broker first.
    pub async fn put(&self, namespace: &str, key: &str, value: &str) -> Result<(), Status> {
        let topic = names::name(namespace, Kind::State, &[])?;
        let slot = self.slot(namespace);
        let mut values = slot.lock().await;
        if values.is_none() {
            *values = Some(self.load(&topic).await?);
        }
        self.broker
            .ensure_topic(&topic, 1, &[("cleanup.policy", "compact")])
            .await?;
        self.broker
            .produce(&topic, Some(0), Some(key.as_bytes()), value.as_bytes())
            .await?;
        if let Some(v) = values.as_mut() {
            v.insert(key.to_owned(), value.to_owned());
        }
        Ok(())
    }
}
