//! Renderings of hand-made outcomes: every kind, and the counts that decide the exit code.

use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::outcome::*;

fn outcome(backend: &str, interface: &str, case: &str, failure: Option<Failure>) -> Outcome {
    let id = CaseId::new(backend, interface, case);
    Outcome {
        rerun: Rerun::new("prism-suites", "compliance", &id),
        id,
        rule: "Get of a key that was never set fails with NOT_FOUND.".into(),
        site: SourceSite {
            file: "suites/src/keyvalue/basic.rs".into(),
            line: 90,
        },
        namespace: Some(format!("{case}-5d0c2a8e61f4-3")),
        plugin: "process `prism-memstore-plugin`".into(),
        started_at: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        duration: Duration::from_millis(12),
        failure,
        plugin_output: vec![OutputLine {
            at: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            stream: OutputStream::Stderr,
            text: "memstore: injected fault".into(),
        }],
        output_scope: OutputScope::Case,
        harness_notes: vec!["plugin was killed by signal 6 (SIGABRT); restarting it".into()],
    }
}

fn every_kind() -> Vec<Failure> {
    let at = SourceSite {
        file: "suites/src/keyvalue/basic.rs".into(),
        line: 98,
    };
    let get = PendingRpc {
        method: "/prism.interfaces.keyvalue.KeyValueBasicInterface/Get".into(),
        waited: Duration::from_millis(3),
        state: RpcState::Broken {
            error: "connection reset".into(),
        },
    };
    vec![
        Failure::Check {
            message: "values differ".into(),
            at: at.clone(),
        },
        Failure::Rpc {
            code: RpcCode(tonic::Code::Unimplemented),
            message: "".into(),
            at,
            hint: Some("UNIMPLEMENTED: the plugin does not serve this interface".into()),
        },
        Failure::Timeout {
            after: Duration::from_millis(1500),
            pending: vec![PendingRpc {
                method: "/prism.interfaces.keyvalue.KeyValueBasicInterface/Exists".into(),
                waited: Duration::from_millis(1499),
                state: RpcState::AwaitingResponse,
            }],
            plugin: Some("it hangs; killed".into()),
        },
        Failure::PluginCrash {
            exit: "was killed by signal 6 (SIGABRT)".into(),
            in_flight: vec![get],
            seen: Some("RPC failed with UNAVAILABLE".into()),
        },
        Failure::PluginUnavailable {
            reason: "no redis instance can be provided".into(),
        },
        Failure::Panic {
            message: "boom".into(),
        },
        Failure::Lost {
            reason: "task cancelled".into(),
        },
    ]
}

fn report_with(failures: Vec<Failure>) -> RunReport {
    let mut r = RunReport::default();
    let mut outcomes = vec![outcome("memstore", "keyvalue_basic", "passes", None)];
    for (i, f) in failures.into_iter().enumerate() {
        outcomes.push(outcome(
            "memstore",
            "keyvalue_basic",
            &format!("c{i}"),
            Some(f),
        ));
    }
    r.push("memstore", "keyvalue_basic", CellResult::Ran { outcomes });
    r.push(
        "memstore",
        "keyvalue_cas",
        CellResult::Planned {
            reason: Some("needs WATCH".into()),
        },
    );
    r
}

#[test]
fn every_failure_kind_fails_the_cell_the_totals_and_the_exit_code() {
    for failure in every_kind() {
        let kind = failure.kind();
        let r = report_with(vec![failure]);
        let t = r.totals();
        assert_eq!((t.passed, t.failed), (1, 1), "{kind}");
        assert_eq!(t.by_kind.get(&kind), Some(&1), "{kind}");
        assert!(!r.passed(), "{kind}");
        assert_eq!(r.exit_code(), 1, "{kind}");
        let text = text::matrix(&r);
        assert!(text.contains("1 passed, 1 failed"), "{kind}: {text}");
        assert!(!text.contains("pass 2/2"), "{kind}: {text}");
        let md = markdown::matrix(&r);
        assert!(md.contains("1 of 2 cases passed."), "{kind}: {md}");
        assert!(md.contains(&format!("({kind})")), "{kind}: {md}");
        let doc: serde_json::Value =
            serde_json::from_str(&json::to_string(&r).expect("json")).expect("valid json");
        assert_eq!(doc["passed"], false, "{kind}");
        assert_eq!(doc["totals"]["failed"], 1, "{kind}");
        let xml = junit::to_string(&r, "prism").expect("junit");
        assert!(
            xml.contains(&format!("type=\"{}\"", kind.name())),
            "{kind}: {xml}"
        );
    }
}

#[test]
fn a_passing_report_exits_zero_and_planned_cells_do_not_fail_it() {
    let r = report_with(Vec::new());
    assert!(r.passed());
    assert_eq!(r.exit_code(), 0);
    assert!(text::matrix(&r).contains("  keyvalue_cas               planned"));
    assert!(junit::to_string(&r, "prism")
        .expect("junit")
        .contains("planned: needs WATCH"));
}

#[test]
fn an_empty_cell_or_a_missing_suite_is_a_failure() {
    let mut r = RunReport::default();
    r.push("pg", "keyvalue_basic", CellResult::Ran { outcomes: vec![] });
    assert!(!r.passed(), "a cell with no outcome must not pass");
    let mut r = RunReport::default();
    r.push("pg", "keyvalue_basic", CellResult::NoSuite);
    assert!(!r.passed());
    assert!(text::failures(&r).contains("no suite for `keyvalue_basic`"));
}

#[test]
fn json_round_trips() {
    let r = report_with(every_kind());
    let json = json::to_string(&r).expect("json");
    let back = json::from_str(&json).expect("read back");
    assert_eq!(back.cells, r.cells);
}

#[test]
fn text_failure_names_the_kind_specific_facts() {
    let kinds = every_kind();
    let render =
        |f: &Failure| text::failure(&outcome("redis", "keyvalue_basic", "get", Some(f.clone())));
    let check = render(&kinds[0]);
    assert!(
        check.starts_with("case redis::keyvalue_basic::get failed\n  rule:      Get of a key"),
        "{check}"
    );
    assert!(
        check.contains(
            "  error:     check failed at suites/src/keyvalue/basic.rs:98: values differ"
        ),
        "{check}"
    );
    assert!(check.contains("  rerun:     cargo nextest run -p prism-suites --test compliance -E 'test(=redis::keyvalue_basic::get)'\n             cargo test -p prism-suites --test compliance -- --exact redis::keyvalue_basic::get\n"), "{check}");
    assert!(
        check.contains(
            "  plugin output during the case (1 line):\n    | memstore: injected fault\n"
        ),
        "{check}"
    );
    assert!(
        check.contains("  harness notes:\n    - plugin was killed"),
        "{check}"
    );
    let rpc = render(&kinds[1]);
    assert!(rpc.contains("failed with UNIMPLEMENTED"), "{rpc}");
    assert!(
        rpc.contains("(UNIMPLEMENTED: the plugin does not serve this interface)"),
        "{rpc}"
    );
    let timeout = render(&kinds[2]);
    assert!(timeout.contains("timed out after 1500 ms, waiting on KeyValueBasicInterface/Exists (1499 ms, no response yet)"), "{timeout}");
    assert!(
        timeout.contains("  plugin:    it hangs; killed"),
        "{timeout}"
    );
    let crash = render(&kinds[3]);
    assert!(crash.contains("plugin process was killed by signal 6 (SIGABRT) during the case, while KeyValueBasicInterface/Get (3 ms, connection broken: connection reset) was in flight"), "{crash}");
    let unavailable = render(&kinds[4]);
    assert_eq!(
        unavailable.lines().nth(1),
        Some("  plugin:    no redis instance can be provided"),
        "{unavailable}"
    );
    assert!(render(&kinds[5]).contains("the case panicked: boom"));
    assert!(render(&kinds[6]).contains("never reported an outcome: task cancelled"));
}
