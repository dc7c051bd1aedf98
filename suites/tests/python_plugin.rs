//! A plugin written in Python (`plugins/python-kv`) is tested through one YAML file, with no Rust
//! code of its own: `tests/fixtures/python/python_kv.yaml` expands here into
//! `python_kv::<interface>::<case>` and `python_kv::declared_matches_served`, like any backend.
//!
//! Its crashing variant (`tests/fixtures/python_crash`) prints a line on stdout and aborts on Get:
//! the failure must name the crash and show that line, which a block-buffered pipe would lose.

prism_suite::compliance_matrix!(registry = "tests/fixtures/python");

#[tokio::test]
async fn a_crash_shows_the_plugins_last_output_line() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/python_crash");
    let runner = prism_suite::runner::generated_runner(&dir).expect("the fixture registry loads");
    let backend = runner
        .backend("python_kv_crash")
        .expect("the crashing backend");
    let case = prism_suite::catalogue::find("keyvalue_basic", "get_non_existent")
        .expect("the case is in the catalogue");
    let outcome = runner.run_case(backend, case).await;
    assert!(
        outcome.failure.is_some(),
        "Get crashes the plugin, so the case fails"
    );
    let message = prism_suite::report::text::failure(&outcome);
    assert!(
        message.contains("killed by signal 6 (SIGABRT)"),
        "the failure names the crash:\n{message}"
    );
    assert!(
        message.contains("prism-python-kv: crashing on Get of"),
        "the failure shows the plugin's last line, written to stdout just before the crash:\n{message}"
    );
}

#[tokio::test]
async fn a_claimed_interface_the_plugin_does_not_serve_fails_naming_the_file_and_line() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/python_overclaims");
    let runner = prism_suite::runner::generated_runner(&dir).expect("the fixture registry loads");
    let failure = prism_suite::served::check_backend(&runner, "python_kv_overclaims")
        .await
        .expect_err("keyvalue_ttl is claimed but not served");
    let message = format!("{failure:?}");
    assert!(
        message.contains(
            "suites/tests/fixtures/python_overclaims/python_kv_overclaims.yaml:12: keyvalue_ttl is claimed"
        ),
        "{message}"
    );
    for method in ["Expire", "GetTTL", "Persist"] {
        assert!(
            message.contains(&format!("{method}: UNIMPLEMENTED")),
            "{message}"
        );
    }
    assert!(!message.contains("keyvalue_basic is claimed"), "{message}");

    let handle = runner.backend("python_kv_overclaims").expect("the backend");
    let plugin = runner.plugin(handle).await.expect("the plugin starts");
    let backend = handle.spec().expect("the backend's registry entry");
    let report =
        prism_suite::served::observe(plugin.connect().await.expect("connect"), backend).await;
    assert_eq!(report.undeclared, ["keyvalue_scan"], "{report:?}");
    assert_eq!(report.claimed_served, 1, "{report:?}");
}
