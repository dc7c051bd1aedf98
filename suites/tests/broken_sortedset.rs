//! The sortedset suites catch broken plugins: each deliberately broken variant of the memstore
//! plugin fails the cases that pin the rule it breaks, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

#[test]
fn sortedset_variants_are_caught_by_the_cases_pinning_their_rule() {
    support::assert_variants_caught(&[
        (
            "rank_from_one",
            "sortedset_rank",
            &[
                "rank_is_zero_based",
                "reverse_rank_is_zero_based",
                "single_member_rank_zero",
                "ties_rank_by_member_bytes",
                "rank_follows_score_update",
            ],
        ),
        (
            "score_ties_by_insertion",
            "sortedset_range",
            &[
                "score_ties_ordered_by_member_bytes",
                "by_score_ties_ordered_by_member_bytes",
            ],
        ),
        (
            "score_ties_by_insertion",
            "sortedset_rank",
            &["ties_rank_by_member_bytes"],
        ),
        (
            "lex_bounds_inclusive_always",
            "sortedset_lex",
            &[
                "exclusive_bounds",
                "bounds_compare_bytes",
                "min_above_max_is_empty",
            ],
        ),
        (
            "nan_score_accepted",
            "sortedset_basic",
            &["nan_score_rejected"],
        ),
        (
            "union_ignores_weights",
            "sortedset_operations",
            &["weights_multiply_scores", "aggregate_min_and_max"],
        ),
    ]);
}
