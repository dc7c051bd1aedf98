prism_suite_macros::compliance_matrix!(registry = "tests/ui/registries/misspelt_field");

fn main() {}
