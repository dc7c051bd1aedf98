prism_suite_macros::compliance_matrix!(registry = "tests/ui/registries/no_plugin");

fn main() {}
