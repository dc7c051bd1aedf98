//! The linearizability cases catch plugins that lose, reorder or double-apply writes under
//! concurrency: each broken memstore variant fails the `concurrent_history_is_linearizable` case of
//! its interface, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

const CASE: &[&str] = &["concurrent_history_is_linearizable"];

#[test]
fn lost_and_reordered_writes_are_caught_by_the_linearizability_cases() {
    support::assert_variants_caught(&[
        ("lose_every_3rd_set", "keyvalue_basic", CASE),
        ("cas_always_swaps", "keyvalue_cas", CASE),
        ("lose_every_3rd_enqueue", "queue_basic", CASE),
        ("lifo_instead_of_fifo", "queue_basic", CASE),
    ]);
}
