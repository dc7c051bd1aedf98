//! MemStore: the in-memory reference backend of prism-suite.
//!
//! It serves every Prism interface that has a proto (the keyvalue ones here, the other data models in
//! `models/`) plus `grpc.health.v1`, either in-process (`plugin: built-in`, through [`serve`]) or as
//! the standalone `prism-memstore-plugin` binary. The suites are checked against it, so it favours
//! plain, obviously correct code over speed: one lock per model around its state, lazy expiry,
//! optimistic transactions.

#![warn(missing_docs)]

// Every server must accept the suites' 1 MiB values with room to spare, in both directions.
macro_rules! sized {
    ($server:expr) => {
        $server
            .max_decoding_message_size(prism_proto::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(prism_proto::MAX_MESSAGE_BYTES)
    };
}

mod faults;
mod keyvalue;
mod models;
mod store;
mod txn;

use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterfaceServer;
use prism_proto::keyvalue::key_value_batch_interface_server::KeyValueBatchInterfaceServer;
use prism_proto::keyvalue::key_value_cas_interface_server::KeyValueCasInterfaceServer;
use prism_proto::keyvalue::key_value_scan_interface_server::KeyValueScanInterfaceServer;
use prism_proto::keyvalue::key_value_transactional_interface_server::KeyValueTransactionalInterfaceServer;
use prism_proto::keyvalue::key_value_ttl_interface_server::KeyValueTtlInterfaceServer;
use tokio::net::TcpListener;
use tonic::transport::server::{Router, TcpIncoming};
use tonic::transport::Server;
use tonic_health::ServingStatus;

pub use faults::{Faults, UnknownFault, FAULTS_ENV};
pub use store::MemStore;

use keyvalue::KeyValueService;

/// Fully qualified names of the gRPC services this plugin serves (besides health): every interface
/// that has a proto, since memstore is the reference implementation of all of them.
pub fn services() -> impl Iterator<Item = &'static str> {
    prism_proto::INTERFACES.iter().map(|i| i.service)
}

/// A router serving the six keyvalue services on `store`, and health reporting SERVING.
///
/// Async only because tonic-health's status updates are; it completes without waiting.
pub async fn router(store: MemStore) -> Router {
    let (reporter, health) = tonic_health::server::health_reporter();
    for service in std::iter::once("").chain(services()) {
        reporter
            .set_service_status(service, ServingStatus::Serving)
            .await;
    }

    let faults = store.faults().clone();
    let kv = KeyValueService::new(store);
    let router = Server::builder()
        .add_service(health)
        .add_service(sized!(KeyValueBasicInterfaceServer::new(kv.clone())))
        .add_service(sized!(KeyValueScanInterfaceServer::new(kv.clone())))
        .add_service(sized!(KeyValueTtlInterfaceServer::new(kv.clone())))
        .add_service(sized!(KeyValueTransactionalInterfaceServer::new(
            kv.clone()
        )))
        .add_service(sized!(KeyValueBatchInterfaceServer::new(kv.clone())))
        .add_service(sized!(KeyValueCasInterfaceServer::new(kv)));
    models::add_services(router, &faults)
}

/// Serves a fresh store with `faults` on an already-bound listener until the future is dropped.
pub async fn serve(listener: TcpListener, faults: Faults) -> Result<(), tonic::transport::Error> {
    // tonic leaves accepted sockets with Nagle on; the first calls on a fresh channel would then
    // stall about 40 ms on delayed ACKs.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    router(MemStore::with_faults(faults))
        .await
        .serve_with_incoming(incoming)
        .await
}
