//! The in-process server over real gRPC: wiring, health, codes, message size and faults.

use std::net::SocketAddr;
use std::time::Duration;

use prism_memstore::{serve, services, Faults, MemStore};
use prism_proto::keyvalue::key_value_basic_interface_client::KeyValueBasicInterfaceClient;
use prism_proto::keyvalue::key_value_scan_interface_client::KeyValueScanInterfaceClient;
use prism_proto::keyvalue::*;
use prism_proto::MAX_MESSAGE_BYTES;
use tokio::net::TcpListener;
use tonic::transport::Channel;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

async fn start(faults: Faults) -> Channel {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("local addr");
    tokio::spawn(serve(listener, faults));
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect")
}

fn basic(channel: &Channel) -> KeyValueBasicInterfaceClient<Channel> {
    KeyValueBasicInterfaceClient::new(channel.clone())
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
}

fn set(ns: &str, key: &str, value: &[u8]) -> SetRequest {
    SetRequest {
        namespace: ns.into(),
        key: key.into(),
        value: value.to_vec(),
    }
}

fn get(ns: &str, key: &str) -> GetRequest {
    GetRequest {
        namespace: ns.into(),
        key: key.into(),
    }
}

#[tokio::test]
async fn health_reports_serving_for_server_and_every_service() {
    let channel = start(Faults::default()).await;
    let mut health = HealthClient::new(channel);
    let served = services(MemStore::default());
    assert_eq!(served.served().len(), prism_proto::INTERFACES.len());
    for service in std::iter::once("").chain(served.served().iter().map(|s| s.service)) {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health check")
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "service {service:?}");
    }
}

#[tokio::test]
async fn basic_codes_and_large_values_over_grpc() {
    let channel = start(Faults::default()).await;
    let mut kv = basic(&channel);

    let missing = kv.get(get("ns", "nope")).await.expect_err("missing key");
    assert_eq!(missing.code(), Code::NotFound);
    let empty = kv.set(set("ns", "", b"v")).await.expect_err("empty key");
    assert_eq!(empty.code(), Code::InvalidArgument);

    // Larger than tonic's 4 MiB default, so this fails unless the limits are raised.
    let big: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    kv.set(set("ns", "big", &big)).await.expect("set big");
    let got = kv
        .get(get("ns", "big"))
        .await
        .expect("get big")
        .into_inner();
    assert!(got.value == big, "large value came back changed");
}

#[tokio::test]
async fn scan_streams_in_key_order() {
    let channel = start(Faults::default()).await;
    let mut kv = basic(&channel);
    for key in ["b", "a/2", "a/10", "a/1"] {
        kv.set(set("ns", key, key.as_bytes())).await.expect("set");
    }
    let mut scan = KeyValueScanInterfaceClient::new(channel);
    let mut stream = scan
        .scan_keys(ScanKeysRequest {
            namespace: "ns".into(),
            prefix: "a/".into(),
            limit: 0,
        })
        .await
        .expect("scan")
        .into_inner();
    let mut keys = Vec::new();
    while let Some(item) = stream.message().await.expect("item") {
        keys.push(item.key);
    }
    assert_eq!(keys, ["a/1", "a/10", "a/2"]);
}

#[tokio::test]
async fn delete_always_found_fault_lies() {
    let faults = Faults::parse("delete_always_found").expect("known fault");
    let mut kv = basic(&start(faults).await);
    let reply = kv
        .delete(DeleteRequest {
            namespace: "ns".into(),
            key: "never-set".into(),
        })
        .await
        .expect("delete");
    assert!(reply.into_inner().found);
}

#[tokio::test]
async fn hang_on_exists_fault_never_answers() {
    let faults = Faults::parse("hang_on_exists").expect("known fault");
    let mut kv = basic(&start(faults).await);
    let call = kv.exists(ExistsRequest {
        namespace: "ns".into(),
        key: "k".into(),
    });
    let outcome = tokio::time::timeout(Duration::from_millis(300), call).await;
    assert!(outcome.is_err(), "Exists answered: {outcome:?}");
}
