//! The differential cases (`matches_reference`, `src/differential.rs`) catch a plugin that answers
//! differently from memstore, and shrink what they found: memstore with `delete_always_found` fails
//! `keyvalue_basic::matches_reference` with a one-operation sequence, a Delete, and its seed; one
//! that loses every third Set is caught too; the unbroken memstore matches itself. The model of
//! every other interface with a differential case catches a fault of its own data model.

// Each test binary uses part of the shared helpers.
#[allow(dead_code)]
mod support;

use prism_suite::report::text;
use prism_suite::runner::{runtime, Runner};
use prism_suite::{catalogue, Outcome};

use prism_suites as _;

/// `keyvalue_basic::matches_reference` against memstore with `faults`.
fn run(faults: &str) -> Outcome {
    run_of("keyvalue_basic", faults)
}

/// `<interface>::matches_reference` against memstore with `faults`.
fn run_of(interface: &str, faults: &str) -> Outcome {
    let runner = Runner::builder()
        .from_env()
        .expect("runner configuration")
        .build();
    let variant = support::serve(&runner, faults);
    let case = catalogue::find(interface, "matches_reference").expect("the case exists");
    runtime().block_on(runner.run_case(&variant, case))
}

#[test]
fn the_unbroken_reference_matches_itself() {
    let outcome = run("");
    assert!(outcome.passed(), "{}", text::failure(&outcome));
}

#[test]
fn a_wrong_delete_is_shrunk_to_one_operation() {
    let outcome = run("delete_always_found");
    assert!(!outcome.passed(), "delete_always_found was not caught");
    let message = text::failure(&outcome);
    eprintln!("{message}");
    assert!(
        message.contains("to 1 operations"),
        "shrunk to a single operation: {message}"
    );
    assert!(
        message.contains("0: Delete(\"a\")   <- differs"),
        "the operation is a Delete of the simplest key: {message}"
    );
    assert!(
        message.contains("plugin: Found(true)") && message.contains("memstore: Found(false)"),
        "both answers are shown: {message}"
    );
    assert!(
        message.contains("PRISM_DIFF_SEED=0x"),
        "the seed that replays it is shown: {message}"
    );
}

#[test]
fn a_lost_set_is_caught() {
    let outcome = run("lose_every_3rd_set");
    assert!(!outcome.passed(), "lose_every_3rd_set was not caught");
    let message = text::failure(&outcome);
    eprintln!("{message}");
    assert!(
        message.contains("answer step") && message.contains("memstore: "),
        "the differing step and both answers are shown: {message}"
    );
}

/// `<interface>::matches_reference` fails against memstore with `fault`, with a shrunk sequence
/// and both answers. The sequences are random, so a run may miss a fault that needs a few
/// operations in a row (about 1 run in 100 for the document one): the fault must be caught within
/// [`ATTEMPTS`] runs, each with a fresh seed.
fn assert_caught(interface: &str, fault: &str) {
    const ATTEMPTS: usize = 3;
    let Some(outcome) = (0..ATTEMPTS)
        .map(|_| run_of(interface, fault))
        .find(|outcome| !outcome.passed())
    else {
        panic!("{fault} was not caught by {interface}::matches_reference in {ATTEMPTS} runs");
    };
    let message = text::failure(&outcome);
    eprintln!("{message}");
    assert!(
        message.contains("shrunk from") && message.contains("memstore: "),
        "the shrunk sequence and both answers are shown: {message}"
    );
}

#[test]
fn queue_fault_is_caught_by_matches_reference() {
    assert_caught("queue_basic", "lifo_instead_of_fifo");
    assert_caught("queue_basic", "peek_removes");
}

#[test]
fn document_fault_is_caught_by_matches_reference() {
    assert_caught("document_basic", "document_namespace_prefix_leak");
}

#[test]
fn timeseries_fault_is_caught_by_matches_reference() {
    assert_caught("timeseries_basic", "same_timestamp_appends");
}

#[test]
fn list_set_and_sortedset_faults_are_caught_by_matches_reference() {
    assert_caught("list_basic", "list_pop_left_takes_right");
    assert_caught("set_basic", "set_readd_reports_added");
    assert_caught("sortedset_basic", "nan_score_accepted");
}

#[test]
fn graph_stream_and_pubsub_faults_are_caught_by_matches_reference() {
    assert_caught("graph_basic", "delete_node_keeps_edges");
    assert_caught("stream_basic", "read_skips_start");
    assert_caught("stream_basic", "offsets_not_monotonic");
    assert_caught("pubsub_basic", "drop_every_10th_message");
}

/// Every interface with a differential case.
const DIFFERENTIAL: &[&str] = &[
    "keyvalue_basic",
    "pubsub_basic",
    "list_basic",
    "set_basic",
    "sortedset_basic",
    "queue_basic",
    "stream_basic",
    "timeseries_basic",
    "graph_basic",
    "document_basic",
];

#[test]
fn the_unbroken_reference_matches_itself_for_every_model() {
    for interface in DIFFERENTIAL {
        let outcome = run_of(interface, "");
        assert!(outcome.passed(), "{interface}: {}", text::failure(&outcome));
    }
}

#[test]
fn every_interface_with_a_differential_case_is_listed() {
    let mut with_case: Vec<&str> = catalogue::cases()
        .into_iter()
        .filter(|c| c.name == "matches_reference")
        .map(|c| c.interface)
        .collect();
    with_case.sort_unstable();
    let mut listed = DIFFERENTIAL.to_vec();
    listed.sort_unstable();
    assert_eq!(with_case, listed);
}
