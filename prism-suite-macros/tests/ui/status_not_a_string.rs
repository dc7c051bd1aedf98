prism_suite_macros::compliance_matrix!(registry = "tests/ui/registries/status_not_a_string");

fn main() {}
