//! The 45 interfaces of MEMO-006 and the data model each belongs to.

/// Every interface a backend may claim, with its data model, in catalogue order.
pub const INTERFACES: &[(&str, &str)] = &[
    ("keyvalue_basic", "keyvalue"),
    ("keyvalue_scan", "keyvalue"),
    ("keyvalue_ttl", "keyvalue"),
    ("keyvalue_transactional", "keyvalue"),
    ("keyvalue_batch", "keyvalue"),
    ("keyvalue_cas", "keyvalue"),
    ("pubsub_basic", "pubsub"),
    ("pubsub_wildcards", "pubsub"),
    ("pubsub_persistent", "pubsub"),
    ("pubsub_filtering", "pubsub"),
    ("pubsub_ordering", "pubsub"),
    ("stream_basic", "stream"),
    ("stream_consumer_groups", "stream"),
    ("stream_replay", "stream"),
    ("stream_retention", "stream"),
    ("stream_partitioning", "stream"),
    ("queue_basic", "queue"),
    ("queue_visibility", "queue"),
    ("queue_dead_letter", "queue"),
    ("queue_priority", "queue"),
    ("queue_delayed", "queue"),
    ("list_basic", "list"),
    ("list_indexing", "list"),
    ("list_range", "list"),
    ("list_blocking", "list"),
    ("set_basic", "set"),
    ("set_operations", "set"),
    ("set_cardinality", "set"),
    ("set_random", "set"),
    ("sortedset_basic", "sortedset"),
    ("sortedset_range", "sortedset"),
    ("sortedset_rank", "sortedset"),
    ("sortedset_operations", "sortedset"),
    ("sortedset_lex", "sortedset"),
    ("timeseries_basic", "timeseries"),
    ("timeseries_aggregation", "timeseries"),
    ("timeseries_retention", "timeseries"),
    ("timeseries_interpolation", "timeseries"),
    ("graph_basic", "graph"),
    ("graph_traversal", "graph"),
    ("graph_query", "graph"),
    ("graph_analytics", "graph"),
    ("document_basic", "document"),
    ("document_query", "document"),
    ("document_indexing", "document"),
];

/// The data model of `interface`, if it is one of the 45.
pub fn model_of(interface: &str) -> Option<&'static str> {
    INTERFACES
        .iter()
        .find(|(name, _)| *name == interface)
        .map(|(_, model)| *model)
}

/// Whether `interface` is one of the 45.
pub fn is_interface(interface: &str) -> bool {
    model_of(interface).is_some()
}

/// The valid name closest to `word` among `candidates`, if one is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The interface closest to `word`, for "did you mean" hints.
pub fn nearest_interface(word: &str) -> Option<&'static str> {
    nearest(word, INTERFACES.iter().map(|(name, _)| *name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_45_unique_interfaces() {
        let mut names: Vec<_> = INTERFACES.iter().map(|(n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 45);
    }

    #[test]
    fn typos_get_the_intended_name() {
        assert_eq!(nearest_interface("keyvalue_basik"), Some("keyvalue_basic"));
        assert_eq!(nearest_interface("stream_replays"), Some("stream_replay"));
        assert_eq!(nearest_interface("kv_sacn"), None);
    }
}
