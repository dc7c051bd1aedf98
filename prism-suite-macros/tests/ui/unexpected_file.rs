prism_suite_macros::compliance_matrix!(registry = "tests/ui/registries/unexpected_file");

fn main() {}
