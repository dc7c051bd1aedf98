prism_suite_macros::compliance_matrix!(registry = "tests/ui/registries/reserved_name");

fn main() {}
