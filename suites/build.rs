//! `compliance_matrix!()` reads the registry at compile time. Watching the directory makes a new,
//! removed or edited registry file rebuild the tests with no Rust file touched.

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    if let Some(dir) = prism_registry::locate(std::path::Path::new(&manifest)) {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    println!("cargo:rerun-if-env-changed=PRISM_REGISTRY_DIR");
    if let Some(dir) = std::env::var_os("PRISM_REGISTRY_DIR") {
        println!(
            "cargo:rerun-if-changed={}",
            std::path::Path::new(&manifest).join(dir).display()
        );
    }
    println!("cargo:rerun-if-changed=build.rs");
}
