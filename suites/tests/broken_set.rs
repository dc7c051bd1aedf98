//! The set suites catch broken plugins: each deliberately broken set variant of the memstore plugin
//! fails the cases that pin the rule it breaks, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

#[test]
fn set_variants_are_caught_by_the_cases_pinning_their_rule() {
    support::assert_variants_caught(&[
        (
            "set_readd_reports_added",
            "set_basic",
            &["add_existing_member_is_not_duplicated"],
        ),
        (
            "set_union_drops_last_member",
            "set_operations",
            &["union_of_sets"],
        ),
        (
            "set_is_member_prefix_match",
            "set_cardinality",
            &["is_member_is_exact"],
        ),
        (
            "set_random_members_repeat",
            "set_random",
            &[
                "random_members_are_distinct",
                "count_is_bounded_by_cardinality",
            ],
        ),
    ]);
}
