//! Registry mistakes are compile errors of `compliance_matrix!()` naming the file, the line and
//! the nearest valid name. One case per way an error reaches the compiler (one file, across files,
//! the directory); every error class itself is a unit test of the loader (prism-registry).
//! Expected messages are in `tests/ui/*.stderr` (refresh with `TRYBUILD=overwrite`).
//!
//! The cases live here, not in `suites`, so that trybuild builds them against this crate's
//! dependencies only (syn, quote, prism-registry): against the suites' tree (tonic,
//! testcontainers) one fresh run took over 13 minutes.

#[test]
fn registry_mistakes_are_compile_errors() {
    // trybuild compiles the cases in a package of its own; point the macro back at this one so
    // that `registry = "tests/ui/..."` resolves here.
    std::env::set_var("PRISM_SUITE_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"));
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
