//! `compliance_matrix!()` reads registry directories at compile time. rustc tracks the files it
//! embeds (`include_str!`), so an edited file rebuilds the tests; a new or removed file changes
//! only its directory, which this script watches (cargo scans a watched directory recursively):
//! the repository's `registry/backends`, `PRISM_REGISTRY_DIR` when set, and the registries of this
//! package's own tests under `tests/fixtures`.

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let manifest = std::path::Path::new(&manifest);
    if let Some(dir) = prism_registry::locate(manifest) {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("tests/fixtures").display()
    );
    println!("cargo:rerun-if-env-changed=PRISM_REGISTRY_DIR");
    if let Some(dir) = std::env::var_os("PRISM_REGISTRY_DIR") {
        println!("cargo:rerun-if-changed={}", manifest.join(dir).display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    // Under nextest every case is a process of its own. As a position-independent executable the
    // compliance binary (about 1,800 tests) has 110,000 dynamic relocations, written into its
    // pages at every start; linked at a fixed address it has 171, and a start that runs no test
    // takes 1.3 ms of CPU and 243 page faults instead of 3.1 ms and 647 (README, "Measured").
    // A test binary gains nothing from address randomisation.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-tests=-no-pie");
    }
}
