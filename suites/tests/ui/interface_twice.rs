prism_suite::compliance_matrix!(registry = "tests/ui/registries/interface_twice");

fn main() {}
