//! MemStore: the in-memory reference backend of prism-suite.
//!
//! It serves every Prism interface that has a proto (the keyvalue ones here, the other data models in
//! `models/`), written with `prism-plugin`: in-process (`plugin: built-in`, through [`serve`]) or as
//! the standalone `prism-memstore-plugin` binary. The suites are checked against it, so it favours
//! plain, obviously correct code over speed: one lock per model around its state, lazy expiry,
//! optimistic transactions.

#![warn(missing_docs)]

mod faults;
mod keyvalue;
mod models;
mod store;
mod txn;

use prism_plugin::{ServeError, Services};
use prism_proto::document::document_basic_interface_server::DocumentBasicInterfaceServer;
use prism_proto::document::document_indexing_interface_server::DocumentIndexingInterfaceServer;
use prism_proto::document::document_query_interface_server::DocumentQueryInterfaceServer;
use prism_proto::graph::graph_analytics_interface_server::GraphAnalyticsInterfaceServer;
use prism_proto::graph::graph_basic_interface_server::GraphBasicInterfaceServer;
use prism_proto::graph::graph_query_interface_server::GraphQueryInterfaceServer;
use prism_proto::graph::graph_traversal_interface_server::GraphTraversalInterfaceServer;
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
use prism_proto::pubsub::pub_sub_filtering_interface_server::PubSubFilteringInterfaceServer;
use prism_proto::pubsub::pub_sub_ordering_interface_server::PubSubOrderingInterfaceServer;
use prism_proto::pubsub::pub_sub_persistent_interface_server::PubSubPersistentInterfaceServer;
use prism_proto::pubsub::pub_sub_wildcards_interface_server::PubSubWildcardsInterfaceServer;
use prism_proto::queue::queue_basic_interface_server::QueueBasicInterfaceServer;
use prism_proto::queue::queue_dead_letter_interface_server::QueueDeadLetterInterfaceServer;
use prism_proto::queue::queue_delayed_interface_server::QueueDelayedInterfaceServer;
use prism_proto::queue::queue_priority_interface_server::QueuePriorityInterfaceServer;
use prism_proto::queue::queue_visibility_interface_server::QueueVisibilityInterfaceServer;
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
use prism_proto::stream::stream_partitioning_interface_server::StreamPartitioningInterfaceServer;
use prism_proto::stream::stream_replay_interface_server::StreamReplayInterfaceServer;
use prism_proto::stream::stream_retention_interface_server::StreamRetentionInterfaceServer;
use prism_proto::timeseries::time_series_aggregation_interface_server::TimeSeriesAggregationInterfaceServer;
use prism_proto::timeseries::time_series_basic_interface_server::TimeSeriesBasicInterfaceServer;
use prism_proto::timeseries::time_series_interpolation_interface_server::TimeSeriesInterpolationInterfaceServer;
use prism_proto::timeseries::time_series_retention_interface_server::TimeSeriesRetentionInterfaceServer;
use tokio::net::TcpListener;

pub use faults::{Faults, UnknownFault, FAULTS_ENV};
pub use store::MemStore;

use keyvalue::KeyValueService;

/// Every interface served on `store`: all that have a proto, since memstore is the reference
/// implementation of all of them. This list is the declaration of what memstore serves.
pub fn services(store: MemStore) -> Services {
    let faults = store.faults().clone();
    let keyvalue = KeyValueService::new(store);
    let document = models::document::service(&faults);
    let graph = models::graph::service(&faults);
    let list = models::list::service(&faults);
    let pubsub = models::pubsub::service(&faults);
    let queue = models::queue::service(&faults);
    let set = models::set::service(&faults);
    let sortedset = models::sortedset::service(&faults);
    let stream = models::stream::service(&faults);
    let timeseries = models::timeseries::service(&faults);
    let services = Services::new()
        .add(KeyValueBasicInterfaceServer::new(keyvalue.clone()))
        .add(KeyValueScanInterfaceServer::new(keyvalue.clone()))
        .add(KeyValueTtlInterfaceServer::new(keyvalue.clone()))
        .add(KeyValueTransactionalInterfaceServer::new(keyvalue.clone()))
        .add(KeyValueBatchInterfaceServer::new(keyvalue.clone()))
        .add(KeyValueCasInterfaceServer::new(keyvalue))
        .add(DocumentBasicInterfaceServer::new(document.clone()))
        .add(DocumentQueryInterfaceServer::new(document.clone()))
        .add(DocumentIndexingInterfaceServer::new(document.clone()))
        .add(GraphBasicInterfaceServer::new(graph.clone()))
        .add(GraphTraversalInterfaceServer::new(graph.clone()))
        .add(GraphQueryInterfaceServer::new(graph.clone()))
        .add(GraphAnalyticsInterfaceServer::new(graph.clone()))
        .add(ListBasicInterfaceServer::new(list.clone()))
        .add(ListIndexingInterfaceServer::new(list.clone()))
        .add(ListRangeInterfaceServer::new(list.clone()))
        .add(ListBlockingInterfaceServer::new(list.clone()))
        .add(PubSubBasicInterfaceServer::new(pubsub.clone()))
        .add(PubSubWildcardsInterfaceServer::new(pubsub.clone()))
        .add(PubSubPersistentInterfaceServer::new(pubsub.clone()))
        .add(PubSubFilteringInterfaceServer::new(pubsub.clone()))
        .add(PubSubOrderingInterfaceServer::new(pubsub.clone()))
        .add(QueueBasicInterfaceServer::new(queue.clone()))
        .add(QueueVisibilityInterfaceServer::new(queue.clone()))
        .add(QueueDeadLetterInterfaceServer::new(queue.clone()))
        .add(QueuePriorityInterfaceServer::new(queue.clone()))
        .add(QueueDelayedInterfaceServer::new(queue.clone()))
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
        .add(StreamPartitioningInterfaceServer::new(stream.clone()))
        .add(TimeSeriesBasicInterfaceServer::new(timeseries.clone()))
        .add(TimeSeriesAggregationInterfaceServer::new(
            timeseries.clone(),
        ))
        .add(TimeSeriesRetentionInterfaceServer::new(timeseries.clone()))
        .add(TimeSeriesInterpolationInterfaceServer::new(
            timeseries.clone(),
        ));
    match faults.enabled().as_slice() {
        [] => services,
        on => services.note(format!("injected faults on: {}", on.join(", "))),
    }
}

/// Serves a fresh store with `faults` on an already-bound listener until the future is dropped.
pub async fn serve(listener: TcpListener, faults: Faults) -> Result<(), ServeError> {
    services(MemStore::with_faults(faults))
        .serve(listener)
        .await
}
