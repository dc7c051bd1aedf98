//! Registry mistakes are compile errors naming the file, the line and the nearest valid name.
//! Expected messages are in `tests/ui/*.stderr` (refresh with `TRYBUILD=overwrite`).

#[test]
fn registry_mistakes_are_compile_errors() {
    // trybuild compiles the cases in a package of its own; point the macro back at this one so
    // that `registry = "tests/ui/..."` resolves here.
    std::env::set_var("PRISM_SUITE_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"));
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
