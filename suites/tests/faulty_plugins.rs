//! A plugin process that crashes or hangs fails the running case within its timeout, with the
//! plugin's output in the message, and the cases after it still run against a restarted plugin.
//!
//! A plugin whose one RPC never answers still passes its health check, so it keeps serving the
//! other cases; one that stops answering health checks too is killed and restarted (see
//! `ProcessPlugin::diagnose`).
//!
//! The plugins are the memstore binary with an injected fault, declared in `tests/fixtures/faulty`
//! exactly as a user would declare a plugin in any language.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use prism_suite::catalogue;
use prism_suite::harness::{plugin, run_case_within, runtime, Outcome};

use prism_suites as _;

const TIMEOUT: Duration = Duration::from_millis(1500);

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faulty")
}

/// Runs the keyvalue_basic cases one after another (so each failure belongs to one case).
fn run_suite(backend: &str) -> Vec<(Outcome, Duration)> {
    runtime().block_on(async {
        let plugin = plugin(&fixtures(), backend)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut outcomes = Vec::new();
        for case in catalogue::cases_of("keyvalue_basic") {
            let start = Instant::now();
            let outcome = run_case_within(backend, &plugin, case, TIMEOUT).await;
            outcomes.push((outcome, start.elapsed()));
        }
        outcomes
    })
}

fn outcome<'a>(outcomes: &'a [(Outcome, Duration)], case: &str) -> &'a (Outcome, Duration) {
    outcomes
        .iter()
        .find(|(o, _)| o.case == case)
        .unwrap_or_else(|| panic!("no outcome for {case}"))
}

/// Whether a passing case ran after the first failure: the run went on past the fault.
fn passes_after_first_failure(outcomes: &[(Outcome, Duration)]) -> bool {
    outcomes
        .iter()
        .skip_while(|(o, _)| o.passed())
        .any(|(o, _)| o.passed())
}

#[test]
fn crashing_plugin_fails_the_running_case_with_its_output_and_the_run_goes_on() {
    let outcomes = run_suite("memstore_crash_on_get");
    let (get, _) = outcome(&outcomes, "get_non_existent");
    let msg = get
        .failure
        .as_deref()
        .expect("get_non_existent must fail when Get crashes the plugin");
    assert!(
        msg.contains("killed by signal 6 (SIGABRT)"),
        "crash not named:\n{msg}"
    );
    assert!(
        msg.contains("memstore: injected fault crash_on_get"),
        "plugin stderr missing:\n{msg}"
    );
    assert!(
        msg.contains("memstore_crash_on_get::keyvalue_basic::get_non_existent"),
        "{msg}"
    );

    let (delete, _) = outcome(&outcomes, "delete_non_existent");
    assert!(
        delete.passed(),
        "a case without Get must pass after a restart: {delete}"
    );
    assert!(
        passes_after_first_failure(&outcomes),
        "no case passed after the crash"
    );
}

#[test]
fn hanging_plugin_fails_the_running_case_at_its_timeout_and_the_run_goes_on() {
    let outcomes = run_suite("memstore_hang_on_exists");
    let (exists, took) = outcome(&outcomes, "exists_non_existent");
    let msg = exists
        .failure
        .as_deref()
        .expect("exists_non_existent must fail when Exists hangs");
    assert!(
        msg.contains("timed out after 1500 ms"),
        "timeout not named:\n{msg}"
    );
    assert!(
        msg.contains("memstore: injected fault hang_on_exists"),
        "plugin stderr missing:\n{msg}"
    );
    // Bounded by the timeout plus the hang diagnosis (1 s), with slack for a loaded machine.
    assert!(
        *took < TIMEOUT + Duration::from_secs(5),
        "the hung case took {took:?}"
    );

    let (get, _) = outcome(&outcomes, "get_non_existent");
    assert!(
        get.passed(),
        "a case without Exists must pass after the restart: {get}"
    );
    assert!(
        passes_after_first_failure(&outcomes),
        "no case passed after the hang"
    );
}

#[test]
fn a_plugin_that_cannot_start_is_one_clear_error() {
    let dir = std::env::temp_dir().join(format!("prism-missing-plugin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("ghost.yaml"),
        "backend: ghost\nplugin:\n  command: [/nonexistent/ghost-plugin]\nimplements: [keyvalue_basic]\n",
    )
    .expect("write registry");
    let err = runtime()
        .block_on(plugin(&dir, "ghost"))
        .err()
        .expect("a missing plugin binary cannot start");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        err.contains("/nonexistent/ghost-plugin") && err.contains("cannot execute"),
        "{err}"
    );
}
