//! The case catalogue: every case of every suite linked into the binary, registered by
//! `#[interface_suite]` through `inventory`, and the plugins served in-process.
//!
//! The compile-time matrix and this catalogue come from the same attribute; the generated
//! `matrix_matches_catalogue` test checks that they agree.

use std::future::Future;
use std::pin::Pin;

use crate::{Case, CaseResult};

/// The future a case returns.
pub type CaseFuture<'a> = Pin<Box<dyn Future<Output = CaseResult> + Send + 'a>>;

/// A case as the catalogue stores it: one function pointer, no generics.
pub type CaseFn = for<'a> fn(&'a mut Case) -> CaseFuture<'a>;

/// One case of one interface suite.
#[derive(Debug)]
pub struct CaseDef {
    /// Interface the case belongs to, e.g. `keyvalue_basic`.
    pub interface: &'static str,
    /// Case name, e.g. `overwrite_value`.
    pub name: &'static str,
    /// First line of the case's doc comment: the rule it pins.
    pub doc: &'static str,
    /// Source file of the suite.
    pub file: &'static str,
    /// Line of the case function.
    pub line: u32,
    /// Timeout set on the suite, in milliseconds (`None`: the default).
    pub timeout_ms: Option<u64>,
    /// The case itself.
    pub run: CaseFn,
}

inventory::collect!(CaseDef);

/// What a built-in plugin's serve function returns.
pub type ServeFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A plugin served inside the test process (`plugin: built-in` in the registry).
pub struct BuiltinPlugin {
    /// Backend name the registry uses for it.
    pub name: &'static str,
    /// Serves every interface the plugin implements, plus `grpc.health.v1`, on `listener`.
    pub serve: fn(tokio::net::TcpListener) -> ServeFuture,
}

inventory::collect!(BuiltinPlugin);

/// Every registered case, by interface, then in source order.
pub fn cases() -> Vec<&'static CaseDef> {
    let mut all: Vec<_> = inventory::iter::<CaseDef>.into_iter().collect();
    all.sort_by(|a, b| (a.interface, a.file, a.line).cmp(&(b.interface, b.file, b.line)));
    all
}

/// The cases of one interface, in source order.
pub fn cases_of(interface: &str) -> Vec<&'static CaseDef> {
    cases()
        .into_iter()
        .filter(|c| c.interface == interface)
        .collect()
}

/// One case by interface and name.
pub fn find(interface: &str, name: &str) -> Option<&'static CaseDef> {
    inventory::iter::<CaseDef>
        .into_iter()
        .find(|c| c.interface == interface && c.name == name)
}

/// The in-process plugin registered under `name`.
pub fn builtin(name: &str) -> Option<&'static BuiltinPlugin> {
    inventory::iter::<BuiltinPlugin>
        .into_iter()
        .find(|p| p.name == name)
}

/// Names of every in-process plugin, for error messages.
pub fn builtin_names() -> Vec<&'static str> {
    inventory::iter::<BuiltinPlugin>
        .into_iter()
        .map(|p| p.name)
        .collect()
}
