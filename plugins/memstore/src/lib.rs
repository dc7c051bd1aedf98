//! MemStore: the in-memory reference backend of prism-suite.
//!
//! It serves the six keyvalue interfaces (basic, scan, ttl, transactional, batch, cas) plus
//! `grpc.health.v1`, either in-process (`plugin: built-in`, through [`serve`]) or as the standalone
//! `prism-memstore-plugin` binary. The suites are checked against it, so it favours plain, obviously
//! correct code over speed: one lock around all state, lazy expiry, optimistic transactions.

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

use prism_proto::keyvalue::key_value_basic_interface_server::{self, KeyValueBasicInterfaceServer};
use prism_proto::keyvalue::key_value_batch_interface_server::{self, KeyValueBatchInterfaceServer};
use prism_proto::keyvalue::key_value_cas_interface_server::{self, KeyValueCasInterfaceServer};
use prism_proto::keyvalue::key_value_scan_interface_server::{self, KeyValueScanInterfaceServer};
use prism_proto::keyvalue::key_value_transactional_interface_server::{
    self, KeyValueTransactionalInterfaceServer,
};
use prism_proto::keyvalue::key_value_ttl_interface_server::{self, KeyValueTtlInterfaceServer};
use tokio::net::TcpListener;
use tonic::transport::server::{Router, TcpIncoming};
use tonic::transport::Server;
use tonic_health::ServingStatus;

pub use faults::{Faults, UnknownFault, FAULTS_ENV};
pub use store::MemStore;

use keyvalue::KeyValueService;

/// Fully qualified names of the gRPC services this plugin serves (besides health).
pub const SERVICES: [&str; 6] = [
    key_value_basic_interface_server::SERVICE_NAME,
    key_value_scan_interface_server::SERVICE_NAME,
    key_value_ttl_interface_server::SERVICE_NAME,
    key_value_transactional_interface_server::SERVICE_NAME,
    key_value_batch_interface_server::SERVICE_NAME,
    key_value_cas_interface_server::SERVICE_NAME,
];

/// A router serving the six keyvalue services on `store`, and health reporting SERVING.
///
/// Async only because tonic-health's status updates are; it completes without waiting.
pub async fn router(store: MemStore) -> Router {
    let (reporter, health) = tonic_health::server::health_reporter();
    for service in std::iter::once("").chain(SERVICES) {
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
