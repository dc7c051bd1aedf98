prism_suite::compliance_matrix!(registry = "tests/ui/registries/no_plugin");

fn main() {}
