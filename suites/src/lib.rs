//! The interface suites of Prism, one module per interface, grouped by data model.
//!
//! Each suite is an inline module marked `#[interface_suite("<interface>")]`; the compliance test
//! target (`tests/compliance.rs`) expands them against every backend of the registry. This crate
//! also links the in-memory reference plugin, served in-process for `plugin: built-in`.

mod differential;
pub mod document;
pub mod graph;
mod isolation;
pub mod keyvalue;
mod linearizable;
pub mod list;
pub mod pubsub;
pub mod queue;
pub mod set;
pub mod sortedset;
pub mod stream;
mod timed;
pub mod timeseries;

prism_suite::builtin_plugin!("memstore", serve_memstore);

/// The reference plugin as the `memstore` backend serves it: no faults injected.
async fn serve_memstore(listener: tokio::net::TcpListener) -> Result<(), String> {
    prism_memstore::serve(listener, prism_memstore::Faults::default())
        .await
        .map_err(|e| e.to_string())
}
