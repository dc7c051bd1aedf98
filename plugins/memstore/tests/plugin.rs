//! The `prism-memstore-plugin` binary and its plugin protocol.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use prism_proto::keyvalue::key_value_basic_interface_client::KeyValueBasicInterfaceClient;
use prism_proto::keyvalue::GetRequest;
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const PLUGIN: &str = env!("CARGO_BIN_EXE_prism-memstore-plugin");

fn free_addr() -> String {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    probe.local_addr().expect("addr").to_string()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn missing_or_bad_address_exits_2() {
    let missing = Command::new(PLUGIN)
        .env_remove("PRISM_PLUGIN_ADDR")
        .env_remove("PRISM_MEMSTORE_FAULTS")
        .output()
        .expect("run plugin");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("PRISM_PLUGIN_ADDR"));

    let bad = Command::new(PLUGIN)
        .env("PRISM_PLUGIN_ADDR", "localhost")
        .env_remove("PRISM_MEMSTORE_FAULTS")
        .output()
        .expect("run plugin");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn unknown_fault_exits_2_and_lists_valid_names() {
    let out = Command::new(PLUGIN)
        .env("PRISM_PLUGIN_ADDR", free_addr())
        .env("PRISM_MEMSTORE_FAULTS", "no_such_fault")
        .output()
        .expect("run plugin");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no_such_fault") && stderr.contains("crash_on_get"),
        "{stderr}"
    );
}

#[test]
fn serves_health_and_exits_0_on_sigterm() {
    let addr = free_addr();
    let mut child = Command::new(PLUGIN)
        .env("PRISM_PLUGIN_ADDR", &addr)
        .env("PRISM_BACKEND_URL", "memory://ignored")
        .env_remove("PRISM_MEMSTORE_FAULTS")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn plugin");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("read stderr");
    assert_eq!(
        line.trim_end(),
        format!("prism-memstore-plugin listening on {addr}")
    );

    let status = runtime().block_on(async {
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        let mut health = HealthClient::new(channel);
        health
            .check(HealthCheckRequest::default())
            .await
            .expect("health check")
            .into_inner()
            .status
    });
    assert_eq!(status, 1, "SERVING");

    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped yet.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let exit = wait_with_deadline(&mut child, Duration::from_secs(10));
    assert_eq!(exit.code(), Some(0), "{exit:?}");
}

#[test]
fn crash_on_get_fault_aborts_with_a_message() {
    let addr = free_addr();
    let mut child = Command::new(PLUGIN)
        .env("PRISM_PLUGIN_ADDR", &addr)
        .env("PRISM_MEMSTORE_FAULTS", "crash_on_get")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn plugin");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("read stderr");
    assert!(line.contains("listening on"), "{line}");

    let reply = runtime().block_on(async {
        let mut kv = KeyValueBasicInterfaceClient::connect(format!("http://{addr}"))
            .await
            .expect("connect");
        kv.get(GetRequest {
            namespace: "ns".into(),
            key: "k".into(),
        })
        .await
    });
    assert!(reply.is_err(), "Get answered: {reply:?}");

    let exit = wait_with_deadline(&mut child, Duration::from_secs(10));
    assert!(!exit.success(), "{exit:?}");
    let rest: Vec<String> = stderr.lines().map_while(Result::ok).collect();
    assert!(
        rest.iter()
            .any(|l| l == "memstore: injected fault crash_on_get"),
        "{rest:?}"
    );
}

fn wait_with_deadline(
    child: &mut std::process::Child,
    limit: Duration,
) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("plugin did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
