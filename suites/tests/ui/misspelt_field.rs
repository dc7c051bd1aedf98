prism_suite::compliance_matrix!(registry = "tests/ui/registries/misspelt_field");

fn main() {}
