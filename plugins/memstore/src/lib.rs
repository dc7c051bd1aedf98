//! MemStore: the in-memory reference backend of prism-suite.
//!
//! It serves every Prism interface that has a proto (the keyvalue ones here, the other data models in
//! `models/`), written with `prism-plugin`: in-process (`plugin: built-in`, through [`serve`]) or as
//! the standalone `prism-memstore-plugin` binary. The suites are checked against it, so it favours
//! plain, obviously correct code over speed: one lock per model around its state, lazy expiry,
//! optimistic transactions.

#![warn(missing_docs)]

mod faults;
mod keyvalue;
mod models;
mod store;
mod txn;

use prism_plugin::{ServeError, Services};
use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterfaceServer;
use prism_proto::keyvalue::key_value_batch_interface_server::KeyValueBatchInterfaceServer;
use prism_proto::keyvalue::key_value_cas_interface_server::KeyValueCasInterfaceServer;
use prism_proto::keyvalue::key_value_scan_interface_server::KeyValueScanInterfaceServer;
use prism_proto::keyvalue::key_value_transactional_interface_server::KeyValueTransactionalInterfaceServer;
use prism_proto::keyvalue::key_value_ttl_interface_server::KeyValueTtlInterfaceServer;
use tokio::net::TcpListener;

pub use faults::{Faults, UnknownFault, FAULTS_ENV};
pub use store::MemStore;

use keyvalue::KeyValueService;

/// Every interface served on `store`: all that have a proto, since memstore is the reference
/// implementation of all of them.
pub fn services(store: MemStore) -> Services {
    let faults = store.faults().clone();
    let kv = KeyValueService::new(store);
    let services = Services::new()
        .add(KeyValueBasicInterfaceServer::new(kv.clone()))
        .add(KeyValueScanInterfaceServer::new(kv.clone()))
        .add(KeyValueTtlInterfaceServer::new(kv.clone()))
        .add(KeyValueTransactionalInterfaceServer::new(kv.clone()))
        .add(KeyValueBatchInterfaceServer::new(kv.clone()))
        .add(KeyValueCasInterfaceServer::new(kv));
    let services = models::add_services(services, &faults);
    match faults.enabled().as_slice() {
        [] => services,
        on => services.note(format!("injected faults on: {}", on.join(", "))),
    }
}

/// Serves a fresh store with `faults` on an already-bound listener until the future is dropped.
pub async fn serve(listener: TcpListener, faults: Faults) -> Result<(), ServeError> {
    services(MemStore::with_faults(faults))
        .serve(listener)
        .await
}
