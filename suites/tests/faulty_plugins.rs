//! A plugin process that crashes or hangs fails the running case within its timeout, with the
//! failure's kind, the RPC it was waiting on and the plugin's output in the message, and the cases
//! after it still run against a restarted plugin.
//!
//! A plugin whose one RPC never answers still passes its health check, so it keeps serving the
//! other cases; one that stops answering health checks too is killed and restarted (see
//! `ProcessPlugin::diagnose`).
//!
//! The plugins are the memstore binary with an injected fault, declared in `tests/fixtures/faulty`
//! exactly as a user would declare a plugin in any language.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prism_suite::catalogue;
use prism_suite::outcome::{Failure, FailureKind, RpcState};
use prism_suite::report::text;
use prism_suite::runner::{runtime, Runner};
use prism_suite::Outcome;

use prism_suites as _;

const TIMEOUT: Duration = Duration::from_millis(1500);

fn runner(dir: PathBuf) -> Runner {
    let registry = prism_registry::load_dir(&dir).expect("fixture registry loads");
    Runner::builder()
        .registry(Arc::new(registry))
        .case_timeout(TIMEOUT)
        .build()
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faulty")
}

/// Runs the keyvalue_basic cases one after another (so each failure belongs to one case).
fn run_suite(backend: &str) -> Vec<(Outcome, Duration)> {
    let runner = runner(fixtures());
    let handle = runner.backend(backend).expect("fixture backend").clone();
    runtime().block_on(async {
        runner
            .plugin(&handle)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut outcomes = Vec::new();
        for case in catalogue::cases_of("keyvalue_basic") {
            let start = Instant::now();
            let outcome = runner.run_case(&handle, case).await;
            outcomes.push((outcome, start.elapsed()));
        }
        outcomes
    })
}

fn outcome<'a>(outcomes: &'a [(Outcome, Duration)], case: &str) -> &'a (Outcome, Duration) {
    outcomes
        .iter()
        .find(|(o, _)| o.id.case == case)
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
    let msg = text::failure(get);
    eprintln!("{msg}");
    let Some(Failure::PluginCrash {
        exit, in_flight, ..
    }) = &get.failure
    else {
        panic!("get_non_existent must fail as a plugin crash when Get crashes the plugin:\n{msg}");
    };
    assert_eq!(exit, "was killed by signal 6 (SIGABRT)", "{msg}");
    assert!(
        in_flight.iter().any(|rpc| rpc.method
            == "/prism.interfaces.keyvalue.KeyValueBasicInterface/Get"
            && matches!(rpc.state, RpcState::Broken { .. })),
        "the request in flight is not named: {in_flight:?}\n{msg}"
    );
    assert!(
        msg.contains(
            "killed by signal 6 (SIGABRT) during the case, while KeyValueBasicInterface/Get"
        ),
        "crash not named:\n{msg}"
    );
    // Only what the plugin wrote during this case: earlier cases crashed it too (Set then Get),
    // and each generation announced itself when it started, before the case.
    let output: Vec<&str> = get.plugin_output.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        output,
        ["memstore: injected fault crash_on_get"],
        "the plugin's output during the case, and nothing else:\n{msg}"
    );
    assert!(
        get.harness_notes
            .iter()
            .any(|n| n.contains("killed by signal 6 (SIGABRT)")),
        "the harness's note is kept apart from the plugin's lines:\n{msg}"
    );
    assert!(
        msg.contains("case memstore_crash_on_get::keyvalue_basic::get_non_existent failed"),
        "{msg}"
    );
    assert!(
        msg.contains("-E 'test(=memstore_crash_on_get::keyvalue_basic::get_non_existent)'"),
        "no rerun command:\n{msg}"
    );

    let (delete, _) = outcome(&outcomes, "delete_non_existent");
    assert!(
        delete.passed(),
        "a case without Get must pass after a restart: {}",
        text::failure(delete)
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
    let msg = text::failure(exists);
    eprintln!("{msg}");
    assert_eq!(exists.kind(), Some(FailureKind::Timeout), "{msg}");
    let Some(Failure::Timeout { pending, .. }) = &exists.failure else {
        unreachable!("checked above");
    };
    let [exists_rpc] = pending.as_slice() else {
        panic!("one RPC was in flight, the Exists: {pending:?}\n{msg}");
    };
    assert_eq!(
        exists_rpc.method,
        "/prism.interfaces.keyvalue.KeyValueBasicInterface/Exists"
    );
    assert_eq!(exists_rpc.state, RpcState::AwaitingResponse);
    assert!(
        exists_rpc.waited >= TIMEOUT - Duration::from_millis(100)
            && exists_rpc.waited <= TIMEOUT + Duration::from_millis(500),
        "it waited {:?}",
        exists_rpc.waited
    );
    assert!(
        msg.contains("timed out after 1500 ms, waiting on KeyValueBasicInterface/Exists ("),
        "timeout not named:\n{msg}"
    );
    let output: Vec<&str> = exists
        .plugin_output
        .iter()
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(
        output,
        ["memstore: injected fault hang_on_exists"],
        "the plugin's output during the case, and nothing else:\n{msg}"
    );
    // Bounded by the timeout plus the hang diagnosis (1 s), with slack for a loaded machine.
    assert!(
        *took < TIMEOUT + Duration::from_secs(5),
        "the hung case took {took:?}"
    );

    let (get, _) = outcome(&outcomes, "get_non_existent");
    assert!(
        get.passed(),
        "a case without Exists must pass after the restart: {}",
        text::failure(get)
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
    let runner = runner(dir.clone());
    std::fs::remove_dir_all(&dir).ok();
    let ghost = runner.backend("ghost").expect("ghost backend").clone();
    let case = catalogue::find("keyvalue_basic", "set_get_delete").expect("case");
    let (first, again) = runtime().block_on(async {
        (
            runner.run_case(&ghost, case).await,
            runner.run_case(&ghost, case).await,
        )
    });
    let Some(Failure::PluginUnavailable { reason }) = &first.failure else {
        panic!("a missing plugin binary is an unavailable plugin: {first:?}");
    };
    assert!(
        reason.contains("/nonexistent/ghost-plugin") && reason.contains("cannot execute"),
        "{reason}"
    );
    assert_eq!(first.failure, again.failure, "one attempt, one message");
    assert!(text::failure(&first)
        .starts_with("case ghost::keyvalue_basic::set_get_delete failed\n  plugin:    "));
}
