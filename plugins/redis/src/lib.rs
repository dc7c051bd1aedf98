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

mod faults;
pub mod keys;
mod models;

pub use faults::{Faults, UnknownFault, FAULTS, FAULTS_ENV};

use prism_plugin::{ServeError, Services};
use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterfaceServer;
use prism_proto::keyvalue::key_value_batch_interface_server::KeyValueBatchInterfaceServer;
use prism_proto::keyvalue::key_value_cas_interface_server::KeyValueCasInterfaceServer;
use prism_proto::keyvalue::key_value_scan_interface_server::KeyValueScanInterfaceServer;
use prism_proto::keyvalue::key_value_transactional_interface_server::KeyValueTransactionalInterfaceServer;
use prism_proto::keyvalue::key_value_ttl_interface_server::KeyValueTtlInterfaceServer;
use prism_proto::list::list_basic_interface_server::ListBasicInterfaceServer;
use prism_proto::list::list_blocking_interface_server::ListBlockingInterfaceServer;
use prism_proto::list::list_indexing_interface_server::ListIndexingInterfaceServer;
use prism_proto::list::list_range_interface_server::ListRangeInterfaceServer;
use prism_proto::pubsub::pub_sub_basic_interface_server::PubSubBasicInterfaceServer;
use prism_proto::pubsub::pub_sub_wildcards_interface_server::PubSubWildcardsInterfaceServer;
use prism_proto::set::set_basic_interface_server::SetBasicInterfaceServer;
use prism_proto::set::set_cardinality_interface_server::SetCardinalityInterfaceServer;
use prism_proto::set::set_operations_interface_server::SetOperationsInterfaceServer;
use prism_proto::set::set_random_interface_server::SetRandomInterfaceServer;
use prism_proto::sortedset::sorted_set_basic_interface_server::SortedSetBasicInterfaceServer;
use prism_proto::sortedset::sorted_set_lex_interface_server::SortedSetLexInterfaceServer;
use prism_proto::sortedset::sorted_set_operations_interface_server::SortedSetOperationsInterfaceServer;
use prism_proto::sortedset::sorted_set_range_interface_server::SortedSetRangeInterfaceServer;
use prism_proto::sortedset::sorted_set_rank_interface_server::SortedSetRankInterfaceServer;
use prism_proto::stream::stream_basic_interface_server::StreamBasicInterfaceServer;
use prism_proto::stream::stream_consumer_groups_interface_server::StreamConsumerGroupsInterfaceServer;
use prism_proto::stream::stream_replay_interface_server::StreamReplayInterfaceServer;
use prism_proto::stream::stream_retention_interface_server::StreamRetentionInterfaceServer;
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
    /// Deliberate faults, for prism-suite's self-tests only: none unless [`Backend::with_faults`].
    pub faults: Faults,
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
        Ok(Backend {
            conn,
            client,
            faults: Faults::default(),
        })
    }

    /// The same connection, serving with `faults` (prism-suite's self-tests only).
    pub fn with_faults(self, faults: Faults) -> Self {
        Backend { faults, ..self }
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

/// Every interface the plugin serves, over `backend`: this list is the declaration of what it
/// serves (`redis::declared_matches_served` compares it with `registry/backends/redis.yaml`).
pub fn services(backend: Backend) -> Services {
    let keyvalue = models::keyvalue::service(&backend);
    let list = models::list::service(&backend);
    let pubsub = models::pubsub::service(&backend);
    let set = models::set::service(&backend);
    let sortedset = models::sortedset::service(&backend);
    let stream = models::stream::service(&backend);
    Services::new()
        .add(KeyValueBasicInterfaceServer::new(keyvalue.clone()))
        .add(KeyValueScanInterfaceServer::new(keyvalue.clone()))
        .add(KeyValueTtlInterfaceServer::new(keyvalue.clone()))
        .add(KeyValueTransactionalInterfaceServer::new(keyvalue.clone()))
        .add(KeyValueBatchInterfaceServer::new(keyvalue.clone()))
        .add(KeyValueCasInterfaceServer::new(keyvalue.clone()))
        .add(ListBasicInterfaceServer::new(list.clone()))
        .add(ListIndexingInterfaceServer::new(list.clone()))
        .add(ListRangeInterfaceServer::new(list.clone()))
        .add(ListBlockingInterfaceServer::new(list.clone()))
        .add(PubSubBasicInterfaceServer::new(pubsub.clone()))
        .add(PubSubWildcardsInterfaceServer::new(pubsub.clone()))
        .add(SetBasicInterfaceServer::new(set.clone()))
        .add(SetOperationsInterfaceServer::new(set.clone()))
        .add(SetCardinalityInterfaceServer::new(set.clone()))
        .add(SetRandomInterfaceServer::new(set.clone()))
        .add(SortedSetBasicInterfaceServer::new(sortedset.clone()))
        .add(SortedSetRangeInterfaceServer::new(sortedset.clone()))
        .add(SortedSetRankInterfaceServer::new(sortedset.clone()))
        .add(SortedSetOperationsInterfaceServer::new(sortedset.clone()))
        .add(SortedSetLexInterfaceServer::new(sortedset.clone()))
        .add(StreamBasicInterfaceServer::new(stream.clone()))
        .add(StreamConsumerGroupsInterfaceServer::new(stream.clone()))
        .add(StreamReplayInterfaceServer::new(stream.clone()))
        .add(StreamRetentionInterfaceServer::new(stream.clone()))
}

/// Serves on an already-bound listener until the future is dropped.
pub async fn serve(listener: TcpListener, backend: Backend) -> Result<(), ServeError> {
    services(backend).serve(listener).await
}
