prism_suite::compliance_matrix!(registry = "tests/ui/registries/duplicate_backend");

fn main() {}
