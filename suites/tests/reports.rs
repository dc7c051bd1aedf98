//! The reports of a real run with failures: the JSON validates against the committed schema
//! (`schema/report.schema.json`), and the JUnit read back by `report::merge` gives the same
//! matrix, with a claimed interface that never reported as missing (never as passed) and every
//! failure carrying the commands that rerun it.

// Shared with the other self-checks; this file uses `serve` only.
#[allow(dead_code)]
mod support;

use prism_suite::catalogue;
use prism_suite::outcome::FailureKind;
use prism_suite::report::{
    html, json, junit, merge, summary, text, CellResult, RunReport, Verdict,
};
use prism_suite::runner::{runtime, Plan, PlanItem, RerunTarget, Runner, Work};

use prism_suites as _;

const SCHEMA: &str = include_str!("../../schema/report.schema.json");

/// keyvalue_basic against memstore with a fault that makes some of its cases fail, a planned
/// cell beside it.
fn run_with_failures() -> RunReport {
    let runner = Runner::builder().build();
    let memstore = support::serve(&runner, "delete_always_found");
    let plan = Plan {
        items: vec![
            PlanItem {
                backend: memstore.clone(),
                interface: "keyvalue_basic".into(),
                work: Work::Cases(catalogue::cases_of("keyvalue_basic")),
            },
            PlanItem {
                backend: memstore,
                interface: "keyvalue_cas".into(),
                work: Work::Planned {
                    reason: Some("needs WATCH".into()),
                },
            },
        ],
    };
    runtime().block_on(runner.run(&plan))
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn errors(validator: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn json_of_a_run_with_failures_validates_against_the_schema() {
    let report = run_with_failures();
    assert!(report.failures().count() > 0, "the fault must fail cases");
    let doc: serde_json::Value =
        serde_json::from_str(&json::to_string(&report).expect("json")).expect("valid json");
    let validator = validator();
    let errs = errors(&validator, &doc);
    assert!(errs.is_empty(), "schema errors: {errs:#?}");

    // The schema is not vacuous: a kind it does not know, or a rerun command that does not
    // select one test, is rejected.
    let mut bad = doc.clone();
    let failed = bad["cells"][0]["result"]["outcomes"]
        .as_array_mut()
        .expect("outcomes")
        .iter_mut()
        .find(|o| !o["failure"].is_null())
        .expect("a failed outcome");
    failed["failure"]["kind"] = "exploded".into();
    failed["rerun"]["nextest"] = "cargo nextest run".into();
    assert!(!errors(&validator, &bad).is_empty());
}

#[test]
fn junit_merged_back_marks_failures_with_rerun_commands_and_missing_cells() {
    let report = run_with_failures();
    let failed: Vec<String> = report.failures().map(|o| o.id.case.clone()).collect();
    let xml = junit::to_string(&report, "prism").expect("junit");

    // The same backend, with an implemented interface whose results never arrived.
    let registry = prism_registry::load_sources(
        "registry/backends".as_ref(),
        vec![prism_registry::Source {
            path: "registry/backends/variant.yaml".into(),
            text: "backend: variant\nplugin: built-in\nimplements:\n  - keyvalue_basic\n  - keyvalue_ttl\n  - { interface: keyvalue_cas, status: planned }\n".into(),
        }],
    )
    .expect("registry loads");
    let mut results = merge::Results::default();
    results
        .add_junit("junit.xml", &xml)
        .expect("our JUnit reads back");
    let merged = merge::merge(&registry, &[], &results, &RerunTarget::compliance());

    let matrix = merged.matrix();
    let row = &matrix["variant"];
    let basic = row["keyvalue_basic"];
    let Verdict::Failed { passed, total } = basic.verdict() else {
        panic!("keyvalue_basic must fail: {:?}", basic.verdict());
    };
    assert_eq!(total, catalogue::cases_of("keyvalue_basic").len());
    assert_eq!(total - passed, failed.len());
    assert_eq!(row["keyvalue_ttl"].verdict(), Verdict::Missing);
    assert!(matches!(
        row["keyvalue_ttl"].result,
        CellResult::Missing { cases } if cases == catalogue::cases_of("keyvalue_ttl").len()
    ));
    assert_eq!(row["keyvalue_cas"].verdict(), Verdict::Planned);
    assert_eq!(merged.exit_code(), 1);

    for o in merged.failures() {
        assert_eq!(o.kind(), Some(FailureKind::Reported));
        assert!(failed.contains(&o.id.case), "{} did not fail", o.id);
        assert_eq!(
            o.rerun.nextest,
            format!(
                "cargo nextest run -p prism-suites --test compliance -E 'test(=variant::keyvalue_basic::{})'",
                o.id.case
            )
        );
        // The message is the `error:` line of the test's own failure text.
        let original = report
            .failures()
            .find(|f| f.id.case == o.id.case)
            .expect("same case");
        // The text rendering keeps every line of a message, not a trailing newline.
        let headline = original.failure.as_ref().expect("failed").headline();
        assert_eq!(
            o.failure.as_ref().expect("failed").headline(),
            headline.trim_end()
        );
    }

    let text = summary::render(&merged);
    assert!(
        text.contains("Backend: variant (0/2 interfaces PASS, 1 planned)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("✗ {:<26} MISSING", "keyvalue_ttl")),
        "{text}"
    );
    assert!(
        text.ends_with("Total: 0/2 interfaces PASS across 1 backends\n"),
        "{text}"
    );

    let page = html::page(&merged, "t");
    let first = merged.failures().next().expect("a failure");
    assert!(page.contains("data-cell=\"variant::keyvalue_basic\" data-verdict=\"fail\""));
    assert!(page.contains("data-verdict=\"missing\""));
    assert!(page.contains(&first.rerun.cargo_test), "{page}");

    let doc: serde_json::Value =
        serde_json::from_str(&json::to_string(&merged).expect("json")).expect("valid json");
    let errs = errors(&validator(), &doc);
    assert!(
        errs.is_empty(),
        "schema errors of the merged report: {errs:#?}"
    );
}

/// libtest's JSON events (`cargo test -- -Z unstable-options --format json`), in the shape libtest
/// writes them: a failed test carries what it printed (`Error: ` and the outcome's text) in
/// `stdout`.
#[test]
fn libtest_json_merged_back_gives_the_same_verdicts_and_messages() {
    let report = run_with_failures();
    let mut lines =
        vec![serde_json::json!({ "type": "suite", "event": "started", "test_count": 1 })];
    for o in report.cells.iter().flat_map(|c| c.outcomes()) {
        let name = o.id.to_string();
        lines.push(serde_json::json!({ "type": "test", "event": "started", "name": name }));
        lines.push(match &o.failure {
            None => serde_json::json!({ "type": "test", "name": name, "event": "ok" }),
            Some(_) => serde_json::json!({
                "type": "test", "name": name, "event": "failed",
                "stdout": format!("Error: {}", text::failure(o)),
            }),
        });
    }
    let json_lines: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let registry = prism_registry::load_sources(
        "registry/backends".as_ref(),
        vec![prism_registry::Source {
            path: "registry/backends/variant.yaml".into(),
            text: "backend: variant\nplugin: built-in\nimplements:\n  - keyvalue_basic\n  - keyvalue_ttl\n".into(),
        }],
    )
    .expect("registry loads");
    let mut results = merge::Results::default();
    results
        .add_libtest_json("libtest.json", &json_lines)
        .expect("libtest JSON reads");
    assert!(
        results.add_libtest_json("bad.json", "{ not json").is_err(),
        "a line that is not JSON is an error, not skipped"
    );
    let merged = merge::merge(&registry, &[], &results, &RerunTarget::compliance());
    let row = &merged.matrix()["variant"];
    assert!(matches!(
        row["keyvalue_basic"].verdict(),
        Verdict::Failed { .. }
    ));
    assert_eq!(row["keyvalue_ttl"].verdict(), Verdict::Missing);
    let headlines = |r: &RunReport| {
        let mut h: Vec<(String, String)> = r
            .failures()
            .map(|o| {
                let headline = o.failure.as_ref().expect("failed").headline();
                (o.id.to_string(), headline.trim_end().to_owned())
            })
            .collect();
        h.sort();
        h
    };
    let (original, merged_back) = (headlines(&report), headlines(&merged));
    assert!(!original.is_empty(), "the fault must fail cases");
    assert_eq!(merged_back, original);
}
