//! The suites catch a broken plugin over a real Redis, not only a broken memstore: the Redis plugin
//! with `PRISM_REDIS_FAULTS=scan_leaks_longer_namespace` (a namespace's scans also see every
//! namespace whose name extends it) fails `keyvalue_scan::prefix_namespaces_are_isolated`, and the
//! failure names the namespace that leaked and what it leaked, which is the whole reproduction;
//! the unbroken plugin passes every `keyvalue_scan` case. With `set_drops_empty_value` (a Set of an
//! empty value is acknowledged, not stored) it fails `keyvalue_basic::matches_reference`, the
//! differential case, with the sequence shrunk to a Set of an empty value and the read that shows it.
//!
//! The broken plugin is declared in `tests/fixtures/redis_broken`, as a user would declare a plugin;
//! its instance is provided as for the compliance matrix (docker or redis-server).

use std::path::Path;
use std::sync::Arc;

use prism_suite::report::text;
use prism_suite::runner::{runtime, Runner};
use prism_suite::{catalogue, Outcome};

use prism_suites as _;

/// The outcomes of the `interface` cases of `backend` of the registry in `dir` (relative to this
/// package).
fn outcomes(dir: &str, backend: &str, interface: &str) -> Vec<Outcome> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let registry = prism_registry::load_dir(&dir)
        .unwrap_or_else(|e| panic!("{} does not load: {e:?}", dir.display()));
    let runner = Runner::builder()
        .registry(Arc::new(registry))
        .from_env()
        .expect("runner configuration")
        .build();
    let handle = runner.backend(backend).expect("backend in the registry");
    let cases = catalogue::cases_of(interface);
    runtime().block_on(runner.run_cases(handle, &cases))
}

#[test]
fn a_scan_that_leaks_longer_namespaces_is_caught_with_the_leak_named() {
    let unbroken: Vec<String> = outcomes("../registry/backends", "redis", "keyvalue_scan")
        .iter()
        .filter(|o| !o.passed())
        .map(text::failure)
        .collect();
    assert!(
        unbroken.is_empty(),
        "the unbroken Redis plugin fails keyvalue_scan cases:\n{}",
        unbroken.join("\n")
    );

    let broken = outcomes(
        "tests/fixtures/redis_broken",
        "redis_scan_leak",
        "keyvalue_scan",
    );
    let failed: Vec<&str> = broken
        .iter()
        .filter(|o| !o.passed())
        .map(|o| o.id.case.as_str())
        .collect();
    eprintln!("keyvalue_scan cases failed by the broken Redis plugin: {failed:?}");
    let isolation = broken
        .iter()
        .find(|o| o.id.case == "prefix_namespaces_are_isolated")
        .expect("the isolation case ran");
    assert!(
        !isolation.passed(),
        "the leaking Redis plugin passed prefix_namespaces_are_isolated; failed: {failed:?}"
    );
    let message = text::failure(isolation);
    eprintln!("{message}");
    assert!(
        message.contains("the case's namespace `ns` does not show its own data alone"),
        "the failure names the namespace that saw others' keys: {message}"
    );
    // Values are tagged with their namespace's place in the family: `-1` was written in `nsb`.
    let got = message
        .lines()
        .find(|l| l.trim_start().starts_with("got:"))
        .unwrap_or_else(|| panic!("the failure shows what the scan answered: {message}"));
    assert!(
        got.contains("k-1\""),
        "what the scan of `ns` answered shows a value of `nsb`: {got}"
    );
}

#[test]
fn a_set_that_drops_empty_values_is_caught_by_the_differential_case_and_shrunk() {
    let broken = outcomes(
        "tests/fixtures/redis_broken",
        "redis_set_drops_empty",
        "keyvalue_basic",
    );
    let differential = broken
        .iter()
        .find(|o| o.id.case == "matches_reference")
        .expect("the differential case ran");
    assert!(
        !differential.passed(),
        "the Redis plugin that drops empty values passed matches_reference"
    );
    let message = text::failure(differential);
    eprintln!("{message}");
    // Shrunk: at most a Set of an empty value, maybe another Set, and the read that shows it.
    let shrunk_to = message
        .split(" operations in ")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("the message says how far it shrank: {message}"));
    assert!(
        shrunk_to <= 3,
        "shrunk to {shrunk_to} operations: {message}"
    );
    assert!(
        message.contains(", [])"),
        "the shrunk sequence holds the Set of an empty value: {message}"
    );
    assert!(
        message.contains("PRISM_DIFF_SEED=0x"),
        "the seed is shown: {message}"
    );
}
