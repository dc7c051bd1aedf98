prism_suite::compliance_matrix!(registry = "tests/ui/registries/unknown_interface");

fn main() {}
