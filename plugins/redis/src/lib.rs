//! prism-redis: the Prism interfaces over a real Redis.
//!
//! Namespaces are kept apart for real: every key, channel and stream the plugin touches is
//! prefixed with the namespace (see [`keys`]), never shared by luck.
//!
//! Served (25 interfaces, see `models::SERVED`): keyvalue (basic, scan, ttl, transactional,
//! batch, cas), list (basic, indexing, range, blocking), set (basic, operations, cardinality,
//! random), sortedset (basic, range, rank, operations, lex), pubsub (basic, wildcards) and stream
//! (basic, consumer_groups, replay, retention). Most calls are one Redis command; what Redis
//! lacks lives in the plugin and is explained in each model's module doc: byte-order sorting,
//! buffered transaction writes, per-subscription buffering and control-channel unsubscribe for
//! pubsub, token-exact wildcard matching, and consumer redelivery for stream groups. That state
//! (open transactions, live subscription ids, joined consumers) is per plugin process.

#![warn(missing_docs)]

// Every server must accept the suites' 1 MiB values with room to spare, in both directions.
macro_rules! sized {
    ($server:expr) => {
        $server
            .max_decoding_message_size(prism_proto::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(prism_proto::MAX_MESSAGE_BYTES)
    };
}

pub mod keys;
mod models;

use tokio::net::TcpListener;
use tonic::transport::server::{Router, TcpIncoming};
use tonic::transport::Server;
use tonic_health::ServingStatus;

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

/// Fully qualified names of the gRPC services this plugin serves (besides health).
pub fn services() -> impl Iterator<Item = &'static str> {
    prism_proto::INTERFACES
        .iter()
        .filter(|i| models::SERVED.contains(&i.name))
        .map(|i| i.service)
}

/// A router serving every interface the plugin implements, and health reporting SERVING.
pub async fn router(backend: Backend) -> Router {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", ServingStatus::Serving)
        .await;
    let router = Server::builder().add_service(health);
    models::add_services(router, &backend)
}

/// Serves on an already-bound listener until the future is dropped.
pub async fn serve(listener: TcpListener, backend: Backend) -> Result<(), tonic::transport::Error> {
    // tonic leaves accepted sockets with Nagle on; first calls on a fresh channel would stall.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    router(backend).await.serve_with_incoming(incoming).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_served_interface_has_a_proto() {
        assert_eq!(super::services().count(), super::models::SERVED.len());
    }
}
