prism_suite_macros::compliance_matrix!(registry = "tests/ui/registries/yaml_syntax");

fn main() {}
