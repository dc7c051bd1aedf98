//! Prism's own registry files compile into tests: `tests/fixtures/prism/` holds Prism's
//! postgres.yaml with only a plugin line added and its memstore.yaml with the plugin line changed
//! and the backend renamed (it clashes with this repository's memstore); both are served by the
//! built-in memstore plugin. Their planned interfaces are ignored tests with Prism's notes as the
//! reason (`cargo test -p prism-suites --test prism_files -- --list --ignored`).

mod prism_data_layer {
    prism_suite::compliance_matrix!(registry = "tests/fixtures/prism");
}
