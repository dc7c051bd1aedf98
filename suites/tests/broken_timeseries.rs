//! The timeseries suites catch broken plugins: each deliberately broken variant of the memstore
//! plugin fails the cases that pin the rule it breaks, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

#[test]
fn timeseries_variants_are_caught_by_the_cases_pinning_their_rule() {
    support::assert_variants_caught(&[
        (
            "same_timestamp_appends",
            "timeseries_basic",
            &["same_timestamp_overwrites"],
        ),
        (
            "aggregation_bucket_edge_off_by_one",
            "timeseries_aggregation",
            &["point_on_bucket_edge_opens_next_bucket", "sum_per_bucket"],
        ),
        (
            "retention_boundary_removed",
            "timeseries_retention",
            &["point_at_cutoff_stays"],
        ),
        (
            "interpolation_extrapolates",
            "timeseries_interpolation",
            &["linear_no_extrapolation", "step_no_extrapolation"],
        ),
    ]);
}
