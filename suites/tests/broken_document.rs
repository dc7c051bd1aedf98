//! The document suites catch broken plugins: each deliberately broken variant of the memstore
//! plugin fails the cases that pin the rule it breaks, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

#[test]
fn document_variants_are_caught_by_the_cases_pinning_their_rule() {
    support::assert_variants_caught(&[
        (
            "unique_index_accepts_duplicates",
            "document_indexing",
            &[
                "unique_index_rejects_duplicate_insert",
                "unique_index_rejects_duplicate_update",
                "unique_index_on_nested_field",
            ],
        ),
        (
            "filter_missing_field_matches",
            "document_query",
            &["missing_field_never_matches"],
        ),
        (
            "sort_ignored",
            "document_query",
            &[
                "sort_orders_values_then_ids",
                "sort_by_several_keys",
                "limit_takes_the_first",
                "find_one_answers_the_first",
            ],
        ),
    ]);
}
