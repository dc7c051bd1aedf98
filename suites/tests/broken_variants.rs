//! The suites catch broken plugins: each deliberately broken variant of the memstore plugin fails
//! the cases that pin the rule it breaks, while the unbroken plugin passes every case.

use std::collections::BTreeSet;
use std::sync::Arc;

use prism_memstore::Faults;
use prism_suite::catalogue;
use prism_suite::harness::{run_case, runtime};
use prism_suite::plugin::Plugin;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

/// Serves memstore with `faults` on the harness runtime.
fn serve(faults: Faults) -> Arc<Plugin> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let addr = listener.local_addr().expect("local addr");
    runtime().spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        prism_memstore::serve(listener, faults)
            .await
            .expect("memstore serves");
    });
    Arc::new(Plugin::at(
        format!("memstore with faults {:?}", faults.enabled()),
        addr,
    ))
}

/// Runs every case of `interface` against `plugin`; returns the names of the failed ones.
fn failed_cases(plugin: &Arc<Plugin>, interface: &str) -> BTreeSet<&'static str> {
    let cases = catalogue::cases_of(interface);
    assert!(!cases.is_empty(), "no cases registered for {interface}");
    runtime().block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for case in cases {
            let plugin = plugin.clone();
            set.spawn(async move { run_case("variant", &plugin, case).await });
        }
        let mut failed = BTreeSet::new();
        while let Some(outcome) = set.join_next().await {
            let outcome = outcome.expect("case task");
            if !outcome.passed() {
                failed.insert(outcome.case);
            }
        }
        failed
    })
}

fn faults(name: &str) -> Faults {
    Faults::parse(name).expect("a known fault name")
}

/// Each variant and, per interface, the cases that pin the rule it breaks (all must fail).
const VARIANTS: &[(&str, &str, &[&str])] = &[
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
];

#[test]
fn unbroken_memstore_passes_every_case_of_the_variant_interfaces() {
    let plugin = serve(Faults::default());
    for (_, interface, _) in VARIANTS {
        let failed = failed_cases(&plugin, interface);
        assert!(
            failed.is_empty(),
            "the reference plugin fails {interface} cases: {failed:?}"
        );
    }
}

#[test]
fn every_broken_variant_is_caught_by_the_cases_pinning_its_rule() {
    let mut missed = Vec::new();
    for (fault, interface, pinned) in VARIANTS {
        let failed = failed_cases(&serve(faults(fault)), interface);
        for case in *pinned {
            if !failed.contains(case) {
                missed.push(format!(
                    "{fault}: {interface}::{case} passed (failed: {failed:?})"
                ));
            }
        }
    }
    assert!(
        missed.is_empty(),
        "broken variants not caught:\n{}",
        missed.join("\n")
    );
}
