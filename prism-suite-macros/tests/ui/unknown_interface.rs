prism_suite_macros::compliance_matrix!(registry = "tests/ui/registries/unknown_interface");

fn main() {}
