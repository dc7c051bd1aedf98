//! The differential cases (`matches_reference`, `src/differential.rs`) catch a plugin that answers
//! differently from memstore, and shrink what they found: memstore with `delete_always_found` fails
//! `keyvalue_basic::matches_reference` with a one-operation sequence, a Delete, and its seed; one
//! that loses every third Set is caught too; the unbroken memstore matches itself.

// Each test binary uses part of the shared helpers.
#[allow(dead_code)]
mod support;

use prism_suite::report::text;
use prism_suite::runner::{runtime, Runner};
use prism_suite::{catalogue, Outcome};

use prism_suites as _;

/// `keyvalue_basic::matches_reference` against memstore with `faults`.
fn run(faults: &str) -> Outcome {
    let runner = Runner::builder()
        .from_env()
        .expect("runner configuration")
        .build();
    let variant = support::serve(&runner, faults);
    let case = catalogue::find("keyvalue_basic", "matches_reference").expect("the case exists");
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
