//! What the self-check tests share: the memstore plugin served with deliberate faults, and a run
//! of one interface's cases against it through the runner.

use std::collections::BTreeSet;

use prism_memstore::Faults;
use prism_suite::catalogue;
use prism_suite::plugin::Plugin;
use prism_suite::runner::{runtime, BackendHandle, Runner};

/// Serves memstore with the comma-separated `faults` on the harness runtime, attached to `runner`.
pub fn serve(runner: &Runner, faults: &str) -> BackendHandle {
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
    runner.attach("variant", Plugin::at(what, addr))
}

/// Runs every case of `interface` against `backend`, concurrently; the names of the failed ones.
pub fn failed_cases(
    runner: &Runner,
    backend: &BackendHandle,
    interface: &str,
) -> BTreeSet<&'static str> {
    let cases = catalogue::cases_of(interface);
    assert!(!cases.is_empty(), "no cases registered for {interface}");
    let outcomes = runtime().block_on(runner.run_cases(backend, &cases));
    assert_eq!(outcomes.len(), cases.len(), "one outcome per case");
    cases
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| !o.passed())
        .map(|(case, _)| case.name)
        .collect()
}

/// Checks a table of (fault, interface, cases that must fail): the unbroken plugin passes every
/// case of each interface, and each broken variant fails every case pinning the rule it breaks.
pub fn assert_variants_caught(variants: &[(&str, &str, &[&str])]) {
    let runner = Runner::builder()
        .from_env()
        .expect("runner configuration")
        .build();
    let reference = serve(&runner, "");
    let mut problems = Vec::new();
    for (_, interface, _) in variants {
        let failed = failed_cases(&runner, &reference, interface);
        if !failed.is_empty() {
            problems.push(format!(
                "the reference plugin fails {interface} cases: {failed:?}"
            ));
        }
    }
    for (fault, interface, pinned) in variants {
        let failed = failed_cases(&runner, &serve(&runner, fault), interface);
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
