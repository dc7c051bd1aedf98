//! prism-plugin: what a Rust Prism plugin is written with.
//!
//! A plugin is a gRPC server of some Prism interfaces over a real backend. This crate holds what
//! every plugin does the same way, so that a plugin crate holds only its backend's logic:
//!
//! - the plugin protocol: [`Config`] from `PRISM_PLUGIN_ADDR` and `PRISM_BACKEND_URL`, and
//!   [`run`], which listens, serves and stops gracefully on SIGTERM or SIGINT;
//! - [`Services`]: the served interfaces, declared once by adding their generated servers; served
//!   with `grpc.health.v1` (SERVING for `""` and for each service), `TCP_NODELAY` and 16 MiB
//!   message limits, in a binary or in-process on an already-bound listener ([`Services::serve`]);
//! - [`service`]: service methods written on messages, `async fn get(&self, req: GetRequest) ->
//!   Reply<GetResponse>`, without tonic's `Request`/`Response` wrapping; [`Reply`],
//!   [`ItemStream`] and [`stream`] for their results;
//! - [`check`]: the argument checks of the interfaces, with the same INVALID_ARGUMENT messages
//!   everywhere;
//! - [`graph`]: what the graph interfaces compute the same way over any store (PageRank,
//!   connected components, request defaults).
//!
//! A plugin's `main`:
//!
//! ```no_run
//! # mod kv { include!("../examples/kv/store.rs"); }
//! use prism_plugin::{Config, Services};
//! use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterfaceServer;
//!
//! /// The served interfaces, declared once: by what is added.
//! fn services(store: kv::Kv) -> Services {
//!     Services::new().add(KeyValueBasicInterfaceServer::new(store))
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     prism_plugin::run("prism-example-plugin", |cfg: Config| async move {
//!         // A plugin over a real backend connects here: `Backend::connect(cfg.backend_url()?)`.
//!         let _ = cfg;
//!         Ok::<_, prism_plugin::BoxError>(services(kv::Kv::default()))
//!     })
//!     .await
//! }
//! ```
//!
//! A service, with [`service`] (the `kv::Kv` above):
//!
//! ```
//! use prism_plugin::{check, Reply};
//! use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterface;
//! use prism_proto::keyvalue::*;
//!
//! struct AlwaysEmpty;
//!
//! #[prism_plugin::service]
//! impl KeyValueBasicInterface for AlwaysEmpty {
//!     async fn set(&self, req: SetRequest) -> Reply<SetResponse> {
//!         check::key(&req.key)?;
//!         Err(tonic::Status::unavailable("read only"))
//!     }
//!     async fn get(&self, req: GetRequest) -> Reply<GetResponse> {
//!         check::key(&req.key)?;
//!         Err(tonic::Status::not_found(format!("key {:?} not found", req.key)))
//!     }
//!     async fn delete(&self, req: DeleteRequest) -> Reply<DeleteResponse> {
//!         check::key(&req.key)?;
//!         Ok(DeleteResponse { found: false })
//!     }
//!     async fn exists(&self, req: ExistsRequest) -> Reply<ExistsResponse> {
//!         check::key(&req.key)?;
//!         Ok(ExistsResponse { exists: false })
//!     }
//! }
//! ```
//!
//! `examples/kv/main.rs` is the plugin above, runnable; `docs/interfaces.md` in the repository says what each
//! interface's suite asserts.

#![warn(missing_docs)]

pub mod check;
mod config;
pub mod graph;
mod reply;
mod run;
mod services;
mod signal;

pub use config::{var, Config, ConfigError, BACKEND_URL_ENV, PLUGIN_ADDR_ENV};
pub use prism_plugin_macros::service;
pub use prism_proto::MAX_MESSAGE_BYTES;
pub use reply::{stream, ItemStream, Reply};
pub use run::{run, BoxError, EXIT_CONFIG, EXIT_FAILURE};
pub use services::{ServeError, Served, Services, Stop, DEFAULT_GRACE};
pub use signal::shutdown as shutdown_signal;

/// Not public API: what [`service`] expands to.
#[doc(hidden)]
pub mod __private {
    pub use tonic;
}
