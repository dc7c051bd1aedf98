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
//! - Queues receive and peek under a per-queue advisory lock (FIFO under concurrency), and every
//!   time (visibility, delays, leases) is the database's `now()`, so several plugin processes
//!   agree ([`models::queue`]).
//! - Documents are JSONB, queried with `->` chains (objects only, as the proto's paths) and
//!   sorted by an explicit type rank, not JSONB's own order ([`models::document`]).
//! - Traversals are recursive CTEs carrying a visited set, so they end on cycles
//!   ([`models::graph`]).
//! - Transactions validate what they read and wrote at commit, under row locks; a conflict is
//!   ABORTED and nothing of it is applied ([`models::keyvalue`]).
//! - Pub/sub is LISTEN/NOTIFY ([`models::pubsub`]).
//!
//! Served: 22 interfaces, see [`services`].

#![warn(missing_docs)]

pub mod error;
pub mod models;
pub mod schema;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};

pub use error::BackendError;

/// How long a call may wait for a pooled connection, or for a new one to be made.
const POOL_WAIT: Duration = Duration::from_secs(5);
/// Connections the pool keeps at most; the suites run 16 cases at once, each a few calls deep.
const POOL_SIZE: usize = 24;
/// Connections opened at start.
const POOL_WARM: usize = 16;

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
        let backend = Backend::new(url)?;
        schema::ensure(&backend).await?;
        backend.warm().await;
        Ok(backend)
    }

    /// A backend for `url` that has not connected yet: connections are made when first needed.
    pub fn new(url: &str) -> Result<Self, BackendError> {
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
        Ok(Backend { pool, config })
    }

    /// Opens [`POOL_WARM`] connections now, so that the first burst of calls (the suites start 16
    /// cases at once) does not wait for the database to fork a backend per call.
    async fn warm(&self) {
        let opened = futures_util::future::join_all((0..POOL_WARM).map(|_| self.pool.get())).await;
        drop(opened);
    }

    /// A pooled connection, or UNAVAILABLE saying why none can be had.
    pub async fn client(&self) -> Result<deadpool_postgres::Object, tonic::Status> {
        self.pool.get().await.map_err(error::pool_status)
    }
}

/// Every interface this plugin serves, over `backend`: the served set is what is added here
/// (`Services::interfaces`), declared nowhere else.
pub fn services(backend: Backend) -> prism_plugin::Services {
    models::add_services(prism_plugin::Services::new(), &backend)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn serves_the_twenty_two_interfaces() {
        let backend = super::Backend::new("postgres://postgres@127.0.0.1:1/postgres").expect("url");
        let served: Vec<&str> = super::services(backend).interfaces().collect();
        assert_eq!(served.len(), 22, "{served:?}");
        for model in [
            "keyvalue_",
            "queue_",
            "timeseries_",
            "document_",
            "graph_",
            "pubsub_basic",
        ] {
            assert!(
                served.iter().any(|i| i.starts_with(model)),
                "{model} in {served:?}"
            );
        }
        assert!(!served.contains(&"graph_query"));
    }

    #[test]
    fn a_bad_url_is_a_clear_error() {
        let err = super::Backend::new("http://nope").err().expect("rejected");
        assert!(err.to_string().contains("not a PostgreSQL URL"), "{err}");
    }
}
