//! The graph suites catch broken plugins: each deliberately broken variant of the memstore plugin
//! fails the cases that pin the rule it breaks, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

#[test]
fn graph_variants_are_caught_by_the_cases_pinning_their_rule() {
    support::assert_variants_caught(&[
        (
            "delete_node_keeps_edges",
            "graph_basic",
            &["delete_node_removes_its_edges"],
        ),
        (
            "traversal_revisits_nodes",
            "graph_traversal",
            &[
                "cycles_terminate_each_node_once",
                "diamond_node_visited_once",
            ],
        ),
        (
            "gremlin_ignores_edge_labels",
            "graph_query",
            &[
                "out_follows_outgoing_edges",
                "in_and_both_follow_incoming_edges",
            ],
        ),
        (
            "shortest_path_off_by_one",
            "graph_analytics",
            &[
                "shortest_path_along_a_chain",
                "shortest_path_takes_fewest_hops",
                "shortest_path_to_itself_is_zero_hops",
            ],
        ),
    ]);
}
