//! The keyvalue suites catch broken plugins: each deliberately broken variant of the memstore
//! plugin fails the cases that pin the rule it breaks, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

#[test]
fn keyvalue_variants_are_caught_by_the_cases_pinning_their_rule() {
    support::assert_variants_caught(&[
        (
            "delete_always_found",
            "keyvalue_basic",
            &["delete_non_existent"],
        ),
        (
            "scan_ignores_limit",
            "keyvalue_scan",
            &["scan_limit", "scan_keys_respects_limit"],
        ),
        (
            "accept_empty_key",
            "keyvalue_basic",
            &["empty_key_rejected"],
        ),
        (
            "ttl_never_expires",
            "keyvalue_ttl",
            &["expired_key_vanishes", "expired_key_ttl_is_minus_two"],
        ),
        (
            "cas_always_swaps",
            "keyvalue_cas",
            &[
                "no_swap_when_expected_differs",
                "concurrent_swaps_one_winner",
            ],
        ),
    ]);
}
