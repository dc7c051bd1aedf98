//! Namespace isolation is pinned for every interface: for each data model, a memstore variant whose
//! namespaces leak into each other when one extends another by a trailing `:`, `%`, `_`, `*` or `}`
//! (`<model>_namespace_prefix_leak`) fails the `prefix_namespaces_are_isolated` case of every
//! interface of the model, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

/// The case of each interface that pins isolation under shared prefixes.
const CASE: &[&str] = &["prefix_namespaces_are_isolated"];

#[test]
fn keyvalue_namespace_leak_is_caught_by_every_keyvalue_interface() {
    support::assert_variants_caught(&[
        ("keyvalue_namespace_prefix_leak", "keyvalue_basic", CASE),
        ("keyvalue_namespace_prefix_leak", "keyvalue_scan", CASE),
        ("keyvalue_namespace_prefix_leak", "keyvalue_ttl", CASE),
        (
            "keyvalue_namespace_prefix_leak",
            "keyvalue_transactional",
            CASE,
        ),
        ("keyvalue_namespace_prefix_leak", "keyvalue_batch", CASE),
        ("keyvalue_namespace_prefix_leak", "keyvalue_cas", CASE),
    ]);
}

#[test]
fn pubsub_namespace_leak_is_caught_by_every_pubsub_interface() {
    support::assert_variants_caught(&[
        ("pubsub_namespace_prefix_leak", "pubsub_basic", CASE),
        ("pubsub_namespace_prefix_leak", "pubsub_wildcards", CASE),
        ("pubsub_namespace_prefix_leak", "pubsub_persistent", CASE),
        ("pubsub_namespace_prefix_leak", "pubsub_filtering", CASE),
        ("pubsub_namespace_prefix_leak", "pubsub_ordering", CASE),
    ]);
}

#[test]
fn stream_namespace_leak_is_caught_by_every_stream_interface() {
    support::assert_variants_caught(&[
        ("stream_namespace_prefix_leak", "stream_basic", CASE),
        (
            "stream_namespace_prefix_leak",
            "stream_consumer_groups",
            CASE,
        ),
        ("stream_namespace_prefix_leak", "stream_replay", CASE),
        ("stream_namespace_prefix_leak", "stream_retention", CASE),
        ("stream_namespace_prefix_leak", "stream_partitioning", CASE),
    ]);
}

#[test]
fn queue_namespace_leak_is_caught_by_every_queue_interface() {
    support::assert_variants_caught(&[
        ("queue_namespace_prefix_leak", "queue_basic", CASE),
        ("queue_namespace_prefix_leak", "queue_visibility", CASE),
        ("queue_namespace_prefix_leak", "queue_dead_letter", CASE),
        ("queue_namespace_prefix_leak", "queue_priority", CASE),
        ("queue_namespace_prefix_leak", "queue_delayed", CASE),
    ]);
}

#[test]
fn list_namespace_leak_is_caught_by_every_list_interface() {
    support::assert_variants_caught(&[
        ("list_namespace_prefix_leak", "list_basic", CASE),
        ("list_namespace_prefix_leak", "list_indexing", CASE),
        ("list_namespace_prefix_leak", "list_range", CASE),
        ("list_namespace_prefix_leak", "list_blocking", CASE),
    ]);
}

#[test]
fn set_namespace_leak_is_caught_by_every_set_interface() {
    support::assert_variants_caught(&[
        ("set_namespace_prefix_leak", "set_basic", CASE),
        ("set_namespace_prefix_leak", "set_operations", CASE),
        ("set_namespace_prefix_leak", "set_cardinality", CASE),
        ("set_namespace_prefix_leak", "set_random", CASE),
    ]);
}

#[test]
fn sortedset_namespace_leak_is_caught_by_every_sortedset_interface() {
    support::assert_variants_caught(&[
        ("sortedset_namespace_prefix_leak", "sortedset_basic", CASE),
        ("sortedset_namespace_prefix_leak", "sortedset_range", CASE),
        ("sortedset_namespace_prefix_leak", "sortedset_rank", CASE),
        (
            "sortedset_namespace_prefix_leak",
            "sortedset_operations",
            CASE,
        ),
        ("sortedset_namespace_prefix_leak", "sortedset_lex", CASE),
    ]);
}

#[test]
fn timeseries_namespace_leak_is_caught_by_every_timeseries_interface() {
    support::assert_variants_caught(&[
        ("timeseries_namespace_prefix_leak", "timeseries_basic", CASE),
        (
            "timeseries_namespace_prefix_leak",
            "timeseries_aggregation",
            CASE,
        ),
        (
            "timeseries_namespace_prefix_leak",
            "timeseries_retention",
            CASE,
        ),
        (
            "timeseries_namespace_prefix_leak",
            "timeseries_interpolation",
            CASE,
        ),
    ]);
}

#[test]
fn graph_namespace_leak_is_caught_by_every_graph_interface() {
    support::assert_variants_caught(&[
        ("graph_namespace_prefix_leak", "graph_basic", CASE),
        ("graph_namespace_prefix_leak", "graph_traversal", CASE),
        ("graph_namespace_prefix_leak", "graph_query", CASE),
        ("graph_namespace_prefix_leak", "graph_analytics", CASE),
    ]);
}

#[test]
fn document_namespace_leak_is_caught_by_every_document_interface() {
    support::assert_variants_caught(&[
        ("document_namespace_prefix_leak", "document_basic", CASE),
        ("document_namespace_prefix_leak", "document_query", CASE),
        ("document_namespace_prefix_leak", "document_indexing", CASE),
    ]);
}
