prism_suite_macros::compliance_matrix!(registry = "tests/ui/registries/duplicate_backend");

fn main() {}
