//! prism-suite: prove that Prism backend plugins do what their registry files claim.
//!
//! Suites are written once per interface with [`interface_suite`]; [`compliance_matrix!`] expands, at
//! compile time, one test per backend x interface x case declared in `registry/backends/*.yaml`.
//! Each generated test is one call into the [`runner`], which provides the backend's plugin once
//! per run, gives the case a [`Case`] (fresh namespace, typed clients on a channel that tracks the
//! RPCs in flight), runs it under a timeout and yields a typed [`Outcome`]; a failure is rendered
//! ([`report::text`]) with the rule, the failure's kind, the plugin's output during the case and a
//! command that reruns just that case.
//!
//! ```text
//! #[interface_suite("keyvalue_basic")]
//! pub mod keyvalue_basic {
//!     use prism_suite::prelude::*;
//!     use prism_suite::proto::keyvalue::*;
//!
//!     /// Set on an existing key replaces its value.
//!     pub async fn overwrite_value(cx: &mut Case) -> CaseResult {
//!         let mut kv = cx.keyvalue_basic();
//!         kv.set(cx.req(SetRequest { key: "k".into(), value: b"one".to_vec(), ..Default::default() })).await?;
//!         kv.set(cx.req(SetRequest { key: "k".into(), value: b"two".to_vec(), ..Default::default() })).await?;
//!         let got = kv.get(cx.req(GetRequest { key: "k".into(), ..Default::default() })).await?;
//!         check_eq!(got.into_inner().value, b"two");
//!         Ok(())
//!     }
//! }
//! ```

pub mod catalogue;
mod check;
mod context;
pub mod embedded;
pub mod error;
mod harness;
pub mod instance;
pub mod lifecycle;
pub mod outcome;
pub mod plugin;
pub mod report;
pub mod run;
pub mod runner;
pub mod served;
pub mod wait;

pub use catalogue::{BuiltinPlugin, CaseDef};
pub use context::Case;
pub use embedded::{EmbeddedFile, EmbeddedRegistry};
pub use error::{CaseError, CaseResult, Site};
pub use outcome::{CaseId, Failure, FailureKind, Outcome};
pub use prism_proto as proto;
pub use prism_suite_macros::{compliance_matrix, embedded_registry, interface_suite};

/// Everything a suite module needs: the case context, typed clients, checks and waits. Message types
/// come from the suite's own model (`use prism_suite::proto::keyvalue::*;`): models reuse names.
pub mod prelude {
    pub use crate::wait::{collect, eventually, in_time, stays};
    pub use crate::{check, check_code, check_eq, check_ne, Case, CaseError, CaseResult};
    pub use prism_proto::InterfaceClients as _;
    pub use std::time::Duration;
    pub use tonic::Code;
}

/// Not public API: what generated code calls.
#[doc(hidden)]
pub mod __private {
    pub use crate::runner::{
        check_matrix, planned, run_everywhere, run_generated, EverywhereTest,
        TestFailure as Failure,
    };
    pub use crate::served::check_generated as check_served;
    pub use inventory;
    pub use tokio;
}

/// Expands the tests of one backend x interface from a suite's case list (called through the
/// suite's callback macro by `compliance_matrix!()`). One call into the runner per test keeps
/// thousands of generated tests cheap to compile.
#[doc(hidden)]
#[macro_export]
macro_rules! __matrix_tests {
    ($registry:path, $backend:literal, $interface:literal; [$($case:ident),* $(,)?]) => {
        $(
            #[::prism_suite::__private::tokio::test(crate = "::prism_suite::__private::tokio")]
            async fn $case() -> ::core::result::Result<(), ::prism_suite::__private::Failure> {
                ::prism_suite::__private::run_generated(&$registry, $backend, $interface, stringify!($case)).await
            }
        )*
        /// The cases expanded here, checked against the catalogue by `matrix_matches_catalogue`.
        pub(crate) const CASES: &[&str] = &[$(stringify!($case)),*];
    };
}

/// Registers a plugin served in-process for `plugin: built-in` backends of that name.
///
/// `serve` is an `async fn(tokio::net::TcpListener) -> Result<(), E>` with `E: Display` that serves
/// every interface of the plugin plus `grpc.health.v1` on the listener.
///
/// ```text
/// prism_suite::builtin_plugin!("memstore", serve_memstore);
/// async fn serve_memstore(l: tokio::net::TcpListener) -> Result<(), tonic::transport::Error> {
///     prism_memstore::serve(l, Default::default()).await
/// }
/// ```
#[macro_export]
macro_rules! builtin_plugin {
    ($name:literal, $serve:path) => {
        $crate::__private::inventory::submit! {
            $crate::BuiltinPlugin {
                name: $name,
                serve: |listener| ::std::boxed::Box::pin(async move {
                    $serve(listener).await.map_err(|e| e.to_string())
                }),
            }
        }
    };
}
