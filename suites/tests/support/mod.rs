//! What the self-check tests share: the memstore plugin served with deliberate faults, and a run
//! of one interface's cases against a plugin.

use std::collections::BTreeSet;
use std::sync::Arc;

use prism_memstore::Faults;
use prism_suite::catalogue;
use prism_suite::harness::{run_case, runtime};
use prism_suite::plugin::Plugin;

/// Serves memstore with the comma-separated `faults` on the harness runtime.
pub fn serve(faults: &str) -> Arc<Plugin> {
    let faults = Faults::parse(faults).expect("known fault names");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let addr = listener.local_addr().expect("local addr");
    let what = format!("memstore with faults {:?}", faults.enabled());
    runtime().spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        prism_memstore::serve(listener, faults)
            .await
            .expect("memstore serves");
    });
    Arc::new(Plugin::at(what, addr))
}

/// Runs every case of `interface` against `plugin`, concurrently; the names of the failed ones.
pub fn failed_cases(plugin: &Arc<Plugin>, interface: &str) -> BTreeSet<&'static str> {
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

/// Checks a table of (fault, interface, cases that must fail): the unbroken plugin passes every
/// case of each interface, and each broken variant fails every case pinning the rule it breaks.
pub fn assert_variants_caught(variants: &[(&str, &str, &[&str])]) {
    let reference = serve("");
    let mut problems = Vec::new();
    for (_, interface, _) in variants {
        let failed = failed_cases(&reference, interface);
        if !failed.is_empty() {
            problems.push(format!(
                "the reference plugin fails {interface} cases: {failed:?}"
            ));
        }
    }
    for (fault, interface, pinned) in variants {
        let failed = failed_cases(&serve(fault), interface);
        for case in *pinned {
            if !failed.contains(case) {
                problems.push(format!(
                    "{fault}: {interface}::{case} passed (failed: {failed:?})"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken variants not caught:\n{}",
        problems.join("\n")
    );
}
