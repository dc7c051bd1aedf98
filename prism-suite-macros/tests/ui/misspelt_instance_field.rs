prism_suite_macros::compliance_matrix!(registry = "tests/ui/registries/misspelt_instance_field");

fn main() {}
