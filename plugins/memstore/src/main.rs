//! `prism-memstore-plugin`: the in-memory reference backend as a standalone Prism plugin.
//!
//! The plugin protocol is `prism_plugin::run`'s; `PRISM_BACKEND_URL` is ignored (nothing to connect
//! to) and deliberate faults come from `PRISM_MEMSTORE_FAULTS` (an unknown name exits 2).

use prism_memstore::{Faults, MemStore, FAULTS_ENV};
use prism_plugin::ConfigError;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    prism_plugin::run("prism-memstore-plugin", |_cfg| async {
        let faults = Faults::from_env().map_err(|e| {
            let value = std::env::var(FAULTS_ENV).unwrap_or_default();
            ConfigError::invalid(FAULTS_ENV, &value, e)
        })?;
        Ok::<_, ConfigError>(prism_memstore::services(MemStore::with_faults(faults)))
    })
    .await
}
