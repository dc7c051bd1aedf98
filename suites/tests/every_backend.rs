//! The test `#[interface_suite]` generates for each case in the suite crate (the Run an editor shows
//! on the case function) runs the case on every backend of the registry that implements the
//! interface, reports each, and fails naming the backends that failed.
//!
//! Run here through the function those tests call, on the faulty memstore plugins of
//! `tests/fixtures/faulty`: one crashes on Get, the other hangs on Exists.

use prism_suite::__private::{run_everywhere, EverywhereTest};
use prism_suite::EmbeddedRegistry;

use prism_suites as _;

static FAULTY: EmbeddedRegistry =
    prism_suite::embedded_registry!(registry = "tests/fixtures/faulty");

/// This file, as the generated tests name their own place.
const HERE: EverywhereTest = EverywhereTest {
    package: env!("CARGO_PKG_NAME"),
    module: module_path!(),
};

#[test]
fn a_case_every_backend_passes_passes() {
    run_everywhere(&FAULTY, HERE, "keyvalue_basic", "delete_non_existent")
        .expect("Delete works on both plugins");
}

#[test]
fn a_case_fails_naming_the_backend_that_failed() {
    let failure = run_everywhere(&FAULTY, HERE, "keyvalue_basic", "get")
        .expect_err("the plugin that crashes on Get fails the case")
        .0;
    assert!(
        failure.contains("case keyvalue_basic::get failed on 1 of 2 backends"),
        "{failure}"
    );
    assert!(
        failure.contains("case memstore_crash_on_get::keyvalue_basic::get failed"),
        "the failing backend's own report: {failure}"
    );
    assert!(
        !failure.contains("memstore_hang_on_exists::keyvalue_basic::get failed"),
        "the passing backend is not reported as failed: {failure}"
    );
    assert!(
        failure.contains(
            "rerun:     cargo nextest run -p prism-suites --test every_backend -E 'test(=get)'"
        ),
        "the rerun command runs this test again: {failure}"
    );
}

#[test]
fn an_interface_no_backend_implements_fails() {
    let failure = run_everywhere(&FAULTY, HERE, "queue_basic", "dequeue_is_fifo")
        .expect_err("nothing to run on")
        .0;
    assert!(
        failure.contains("no backend of the registry compiled in from")
            && failure.contains("implements queue_basic"),
        "{failure}"
    );
}
