//! Procedural macros of prism-suite.
//!
//! - [`interface_suite`] turns an inline module of `pub async fn case(cx: &mut Case) -> CaseResult`
//!   functions into a suite: it registers each case in the runtime catalogue (`inventory`) and
//!   exports a callback `macro_rules!` that lists the cases, so that [`compliance_matrix!`] can
//!   expand them at compile time although they live in another crate. In the suite crate's own
//!   tests it also adds, per case, `<suite>::every_backend::<case>`: the case on every backend of
//!   the registry that implements the interface, the Run an editor shows on the case function.
//! - [`compliance_matrix!`] reads `registry/backends/*.yaml` and expands one test per
//!   backend x interface x case.
//! - [`embedded_registry!`] is the same registry as a value, for binaries that describe or plan
//!   the matrix (`prism-matrix list`, `plan`) without running it.

use proc_macro::TokenStream;

mod matrix;
mod suite;

/// Declares the suite of one interface.
///
/// ```text
/// #[interface_suite("keyvalue_basic")]
/// pub mod keyvalue_basic {
///     use prism_suite::prelude::*;
///
///     /// Get of a missing key is NOT_FOUND.
///     pub async fn get_non_existent(cx: &mut Case) -> CaseResult { /* ... */ Ok(()) }
/// }
/// ```
///
/// Every `pub async fn` with one argument is a case; private functions are helpers. An optional
/// `timeout_ms = N` sets the per-case timeout of the suite (the environment's
/// `PRISM_CASE_TIMEOUT_MS` still wins).
///
/// Under `cfg(test)` the module also gets `mod every_backend`, one `#[test]` per case spanned at
/// the case's name (so an editor draws its Run there): it runs the case on every backend of the
/// registry found as `compliance_matrix!()` finds it, one after another, prints a line per backend
/// and fails naming those that failed (`cargo test --lib -- keyvalue_basic::every_backend::get`).
#[proc_macro_attribute]
pub fn interface_suite(attr: TokenStream, item: TokenStream) -> TokenStream {
    suite::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Expands the compliance matrix from the registry.
///
/// ```text
/// prism_suite::compliance_matrix!();                                   // registry/backends found upward
/// prism_suite::compliance_matrix!(registry = "tests/fixtures/backends"); // relative to the package
/// prism_suite::compliance_matrix!(suites = my_suites);                 // suites in another crate
/// ```
///
/// Produces `mod <backend> { mod <interface> { #[tokio::test] async fn <case>() } }` for every
/// implemented claim, one ignored `planned` test per planned claim, one
/// `<backend>::declared_matches_served` per backend (see `prism_suite::served`), and
/// `matrix_matches_catalogue`.
/// Registry mistakes are compile errors naming file, line and the nearest valid name.
#[proc_macro]
pub fn compliance_matrix(input: TokenStream) -> TokenStream {
    matrix::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The registry `compliance_matrix!()` would read, compiled in as an `EmbeddedRegistry`.
///
/// ```text
/// static REGISTRY: prism_suite::EmbeddedRegistry = prism_suite::embedded_registry!();
/// static FIXTURE: prism_suite::EmbeddedRegistry =
///     prism_suite::embedded_registry!(registry = "tests/fixtures/backends");
/// ```
///
/// It finds the directory as `compliance_matrix!()` does (`registry = "dir"`, then
/// `PRISM_REGISTRY_DIR`, then the nearest `registry/backends`), and a registry mistake is the same
/// compile error.
#[proc_macro]
pub fn embedded_registry(input: TokenStream) -> TokenStream {
    matrix::expand_embedded(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
