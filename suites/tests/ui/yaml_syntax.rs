prism_suite::compliance_matrix!(registry = "tests/ui/registries/yaml_syntax");

fn main() {}
