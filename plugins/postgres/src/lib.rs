//! prism-postgres: the Prism interfaces over a real PostgreSQL.
//!
//! Every interface is plain SQL over tables in the `prism` schema (see [`schema`]), through a
//! deadpool pool of tokio-postgres connections. What the SQL must get right, and where each rule
//! lives:
//!
//! - Namespaces are a column of every table and part of every primary key and query; nothing is
//!   shared by name.
//! - Keys are `bytea`, so they sort in byte order and may hold any UTF-8 (NUL included); a scan
//!   prefix is a key range (`key >= prefix AND key < successor(prefix)`), never a `LIKE` pattern,
//!   so `%`, `_` and `\` are literal ([`models::keyvalue`]).
//! - Queues dequeue with `FOR UPDATE SKIP LOCKED`, and every time (visibility, delays, leases) is
//!   the database's `now()`, so several plugin processes agree ([`models::queue`]).
//! - Documents are JSONB, queried with `->` chains (objects only, as the proto's paths) and
//!   sorted by an explicit type rank, not JSONB's own order ([`models::document`]).
//! - Traversals are recursive CTEs carrying a visited set, so they end on cycles
//!   ([`models::graph`]).
//! - Transactions validate what they read and wrote at commit, under row locks; a conflict is
//!   ABORTED and nothing of it is applied ([`models::keyvalue`]).
//! - Pub/sub is LISTEN/NOTIFY ([`models::pubsub`]).
//!
//! Served: see [`SERVED`].

#![warn(missing_docs)]

pub mod error;
pub mod models;
pub mod schema;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::net::TcpListener;
use tonic::transport::server::{Router, TcpIncoming};
use tonic::transport::Server;
use tonic_health::ServingStatus;

pub use error::BackendError;

/// How long a call may wait for a pooled connection, or for a new one to be made.
const POOL_WAIT: Duration = Duration::from_secs(5);
/// Connections the pool keeps at most; the suites run 16 cases at once, each a few calls deep.
const POOL_SIZE: usize = 24;

/// The interfaces this plugin serves (health reports each of their services SERVING).
pub const SERVED: &[&str] = &[
    "keyvalue_basic",
    "keyvalue_scan",
    "keyvalue_ttl",
    "keyvalue_transactional",
    "keyvalue_batch",
    "keyvalue_cas",
    "queue_basic",
    "queue_visibility",
    "queue_dead_letter",
    "queue_priority",
    "queue_delayed",
    "timeseries_basic",
    "timeseries_aggregation",
    "timeseries_retention",
    "timeseries_interpolation",
    "document_basic",
    "document_query",
    "document_indexing",
    "graph_basic",
    "graph_traversal",
    "graph_analytics",
    "pubsub_basic",
];

/// The PostgreSQL the plugin serves from, shared by every service.
#[derive(Clone)]
pub struct Backend {
    /// Pooled connections for ordinary statements.
    pub pool: Pool,
    /// Connection settings, for connections of their own (the LISTEN connection of pub/sub).
    pub config: tokio_postgres::Config,
}

impl Backend {
    /// Connects to the PostgreSQL at `url` (`postgres://user@host:port/db`) and creates the
    /// schema if needed.
    pub async fn connect(url: &str) -> Result<Self, BackendError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| BackendError::Url {
            url: url.to_owned(),
            source: e,
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(POOL_WAIT);
        }
        config.application_name("prism-postgres-plugin");
        let manager = Manager::from_config(
            config.clone(),
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .recycle_timeout(Some(POOL_WAIT))
            .build()
            .map_err(|e| BackendError::Pool(e.to_string()))?;
        let backend = Backend { pool, config };
        schema::ensure(&backend).await?;
        Ok(backend)
    }

    /// A pooled connection, or UNAVAILABLE saying why none can be had.
    pub async fn client(&self) -> Result<deadpool_postgres::Object, tonic::Status> {
        self.pool.get().await.map_err(error::pool_status)
    }
}

/// Fully qualified names of the gRPC services this plugin serves (besides health).
pub fn services() -> impl Iterator<Item = &'static str> {
    prism_proto::INTERFACES
        .iter()
        .filter(|i| SERVED.contains(&i.name))
        .map(|i| i.service)
}

/// A router serving every interface the plugin implements, and health reporting SERVING for
/// `""` and for each served service.
pub async fn router(backend: Backend) -> Router {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", ServingStatus::Serving)
        .await;
    for service in services() {
        reporter
            .set_service_status(service, ServingStatus::Serving)
            .await;
    }
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
        assert_eq!(super::services().count(), super::SERVED.len());
    }
}
