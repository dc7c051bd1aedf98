//! prism-redis: the Prism interfaces over a real Redis.
//!
//! Namespaces are kept apart for real: every key, channel and stream the plugin touches is
//! prefixed with the namespace (see [`keys`]), never shared by luck.
//!
//! What it serves is declared once, by what [`services`] adds (one module per data model in
//! `models/`); `registry/backends/redis.yaml` claims the same, and the generated
//! `redis::declared_matches_served` test compares the two. Most calls are one Redis command; what
//! Redis lacks lives in the plugin and is explained in each model's module doc: byte-order sorting,
//! buffered transaction writes, per-subscription buffering and control-channel unsubscribe for
//! pubsub, token-exact wildcard matching, and consumer redelivery for stream groups. That state
//! (open transactions, live subscription ids, joined consumers) is per plugin process.

#![warn(missing_docs)]

pub mod keys;
mod models;

use prism_plugin::{ServeError, Services};
use tokio::net::TcpListener;

/// How long an ordinary command may take before the call fails.
const RESPONSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long connecting to Redis may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A connection to the Redis the plugin serves from, shared by every service.
#[derive(Clone)]
pub struct Backend {
    /// Multiplexed, reconnecting connection for ordinary commands.
    pub conn: redis::aio::ConnectionManager,
    /// The client, for dedicated connections (blocking commands, subscriptions).
    pub client: redis::Client,
}

impl Backend {
    /// Connects to the Redis at `url` (`redis://host:port`).
    pub async fn connect(url: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        // The crate's 500 ms response timeout is too tight for 1 MiB values on a loaded machine.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(CONNECT_TIMEOUT));
        let conn = redis::aio::ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(Backend { conn, client })
    }

    /// A connection of its own, for state that lives on a connection (WATCH, blocking commands).
    /// A command on it may block up to `blocks_for` before the usual response timeout starts.
    pub async fn dedicated(
        &self,
        blocks_for: std::time::Duration,
    ) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let config = redis::AsyncConnectionConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT.saturating_add(blocks_for)))
            .set_connection_timeout(Some(CONNECT_TIMEOUT));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }
}

/// Every interface the plugin serves, over `backend`.
pub fn services(backend: Backend) -> Services {
    models::add_services(Services::new(), &backend)
}

/// Serves on an already-bound listener until the future is dropped.
pub async fn serve(listener: TcpListener, backend: Backend) -> Result<(), ServeError> {
    services(backend).serve(listener).await
}
