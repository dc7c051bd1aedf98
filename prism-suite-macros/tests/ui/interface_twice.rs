prism_suite_macros::compliance_matrix!(registry = "tests/ui/registries/interface_twice");

fn main() {}
