//! The list suites catch broken plugins: each deliberately broken list variant of the memstore
//! plugin fails the cases that pin the rule it breaks, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

#[test]
fn list_variants_are_caught_by_the_cases_pinning_their_rule() {
    support::assert_variants_caught(&[
        (
            "list_pop_left_takes_right",
            "list_basic",
            &["pop_left_takes_head", "push_right_appends_in_order"],
        ),
        (
            "list_index_out_of_range_ok",
            "list_indexing",
            &["get_out_of_range"],
        ),
        (
            "list_range_end_exclusive",
            "list_range",
            &[
                "get_range_bounds_are_inclusive",
                "get_range_whole_list",
                "negative_bounds_count_from_end",
                "out_of_range_bounds_clamp",
            ],
        ),
        (
            "list_blocking_pop_returns_at_once",
            "list_blocking",
            &[
                "woken_by_push_from_another_client",
                "pop_right_woken_takes_tail",
                "times_out_with_empty_result",
                "two_poppers_each_get_one_value",
            ],
        ),
    ]);
}
