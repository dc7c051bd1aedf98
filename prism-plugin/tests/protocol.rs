//! The plugin protocol as a harness sees it: a process started with `PRISM_PLUGIN_ADDR`, health,
//! limits, exit statuses and a bounded stop.
//!
//! The plugin processes are this test binary itself, re-run with `PRISM_PLUGIN_TEST_CHILD` set, so
//! that [`prism_plugin::run`] is tested as a binary calls it, without a binary only for tests.

#[path = "../examples/kv/store.rs"]
mod store;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use prism_plugin::{Config, Services};
use prism_proto::keyvalue::key_value_basic_interface_client::KeyValueBasicInterfaceClient;
use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterfaceServer;
use prism_proto::keyvalue::key_value_ttl_interface_client::KeyValueTtlInterfaceClient;
use prism_proto::keyvalue::key_value_ttl_interface_server::{
    KeyValueTtlInterface, KeyValueTtlInterfaceServer,
};
use prism_proto::keyvalue::*;
use tonic::transport::Channel;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const CHILD: &str = "PRISM_PLUGIN_TEST_CHILD";

/// keyvalue_ttl whose every call hangs: an open call the plugin must not wait for forever.
#[derive(Clone)]
struct Hangs;

#[prism_plugin::service]
impl KeyValueTtlInterface for Hangs {
    async fn expire(&self, _: ExpireRequest) -> prism_plugin::Reply<ExpireResponse> {
        std::future::pending().await
    }
    async fn get_ttl(&self, _: GetTtlRequest) -> prism_plugin::Reply<GetTtlResponse> {
        std::future::pending().await
    }
    async fn persist(&self, _: PersistRequest) -> prism_plugin::Reply<PersistResponse> {
        std::future::pending().await
    }
}

fn services() -> Services {
    Services::new()
        .add(KeyValueBasicInterfaceServer::new(store::Kv::default()))
        .add(KeyValueTtlInterfaceServer::new(Hangs))
        .note("test notes are printed")
}

/// Not a test of its own: the plugin process the other tests start (a no-op when run directly).
#[test]
fn plugin_child() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let code = rt.block_on(prism_plugin::run("test-plugin", |cfg: Config| async move {
        if mode == "needs-backend" {
            cfg.backend_url()?;
        }
        if mode == "setup-fails" {
            return Err("cannot reach the backend".into());
        }
        Ok::<_, prism_plugin::BoxError>(services())
    }));
    drop(rt);
    // ExitCode has no accessor: pass the status on through the process's exit.
    let status = [0u8, prism_plugin::EXIT_FAILURE, prism_plugin::EXIT_CONFIG]
        .into_iter()
        .find(|n| std::process::ExitCode::from(*n) == code)
        .map_or(99, i32::from);
    std::process::exit(status);
}

fn child(mode: &str, addr: Option<&str>) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args(["--exact", "plugin_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, mode)
        .env_remove("PRISM_BACKEND_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    match addr {
        Some(addr) => cmd.env("PRISM_PLUGIN_ADDR", addr),
        None => cmd.env_remove("PRISM_PLUGIN_ADDR"),
    };
    cmd
}

fn free_addr() -> String {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    probe.local_addr().expect("addr").to_string()
}

fn failed_start(mut cmd: Command) -> (Option<i32>, String) {
    let out = cmd.output().expect("run the plugin");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn unset_address_exits_2_naming_the_variable() {
    let (code, stderr) = failed_start(child("serve", None));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("test-plugin: PRISM_PLUGIN_ADDR is not set"),
        "{stderr}"
    );
}

#[test]
fn unparsable_address_exits_2_with_an_example() {
    let (code, stderr) = failed_start(child("serve", Some("localhost")));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("PRISM_PLUGIN_ADDR=\"localhost\" is not valid")
            && stderr.contains("127.0.0.1:4567"),
        "{stderr}"
    );
}

#[test]
fn a_missing_backend_url_is_a_configuration_error() {
    let (code, stderr) = failed_start(child("needs-backend", Some(&free_addr())));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("PRISM_BACKEND_URL is not set"), "{stderr}");
}

#[test]
fn a_failed_setup_exits_1_with_its_error() {
    let (code, stderr) = failed_start(child("setup-fails", Some(&free_addr())));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("test-plugin: cannot reach the backend"),
        "{stderr}"
    );
}

struct Running {
    child: Child,
    addr: String,
    stderr: BufReader<std::process::ChildStderr>,
}

fn start() -> Running {
    // The free port can be taken between probing and the plugin's bind (another test's process,
    // forked but not yet exec'd, briefly holds every socket of this one): then try another.
    let mut attempts = Vec::new();
    for _ in 0..5 {
        match try_start() {
            Ok(running) => return running,
            Err(output) if output.contains("in use") => attempts.push(output),
            Err(output) => panic!("the plugin ended before listening:\n{output}"),
        }
    }
    panic!("every port tried was in use:\n{}", attempts.join("\n"));
}

/// The running plugin, or everything it wrote to stderr before it ended.
fn try_start() -> Result<Running, String> {
    let addr = free_addr();
    let mut child = child("serve", Some(&addr))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the plugin");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    let mut before = String::new();
    // libtest prints its own lines first; the plugin's announce where it listens.
    while !line.contains("listening on") {
        before += &line;
        line.clear();
        if stderr.read_line(&mut line).expect("read stderr") == 0 {
            child.wait().ok();
            return Err(before);
        }
    }
    assert_eq!(line.trim_end(), format!("test-plugin listening on {addr}"));
    line.clear();
    stderr.read_line(&mut line).expect("read stderr");
    assert_eq!(line.trim_end(), "test-plugin: test notes are printed");
    Ok(Running {
        child,
        addr,
        stderr,
    })
}

fn sigterm(child: &Child) {
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped yet.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
}

fn wait_within(child: &mut Child, limit: Duration) -> (ExitStatus, Duration) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return (status, started.elapsed());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the plugin did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

async fn channel(addr: &str) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect")
}

async fn health(channel: &Channel, service: &str) -> Result<i32, Code> {
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .map(|r| r.into_inner().status)
        .map_err(|s| s.code())
}

#[tokio::test]
async fn health_reports_every_added_service_and_sigterm_exits_0() {
    let mut plugin = start();
    let channel = channel(&plugin.addr).await;
    let serving = Ok(ServingStatus::Serving as i32);
    assert_eq!(health(&channel, "").await, serving);
    for service in [
        "prism.interfaces.keyvalue.KeyValueBasicInterface",
        "prism.interfaces.keyvalue.KeyValueTtlInterface",
    ] {
        assert_eq!(health(&channel, service).await, serving, "{service}");
    }
    assert_eq!(
        health(&channel, "prism.interfaces.keyvalue.KeyValueScanInterface").await,
        Err(Code::NotFound),
        "a service that was not added is unknown to health"
    );
    sigterm(&plugin.child);
    let (status, _) = wait_within(&mut plugin.child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[tokio::test]
async fn a_hung_call_does_not_keep_a_stopping_plugin_alive() {
    let mut plugin = start();
    let channel = channel(&plugin.addr).await;
    let mut ttl = KeyValueTtlInterfaceClient::new(channel.clone());
    let hung = tokio::spawn(async move {
        ttl.persist(PersistRequest {
            namespace: "ns".into(),
            key: "k".into(),
        })
        .await
    });
    // The call is open once the plugin answers another one on the same connection after it.
    let mut kv = KeyValueBasicInterfaceClient::new(channel);
    kv.exists(ExistsRequest {
        namespace: "ns".into(),
        key: "k".into(),
    })
    .await
    .expect("exists");
    sigterm(&plugin.child);
    let (status, waited) = wait_within(&mut plugin.child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(
        waited >= prism_plugin::DEFAULT_GRACE,
        "stopped after {waited:?}, before the grace period"
    );
    let rest: Vec<String> = plugin.stderr.lines().map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("grace period")), "{rest:?}");
    assert!(hung.await.expect("join").is_err(), "the hung call ended");
}

#[tokio::test]
async fn in_process_serving_takes_16_mib_messages() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(services().serve(listener));
    let mut kv = KeyValueBasicInterfaceClient::new(channel(&addr).await)
        .max_decoding_message_size(prism_plugin::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(prism_plugin::MAX_MESSAGE_BYTES);
    // Above tonic's default limit of 4 MiB in both directions.
    let value = vec![7u8; 10 * 1024 * 1024];
    kv.set(SetRequest {
        namespace: "ns".into(),
        key: "big".into(),
        value: value.clone(),
    })
    .await
    .expect("set 10 MiB");
    let got = kv
        .get(GetRequest {
            namespace: "ns".into(),
            key: "big".into(),
        })
        .await
        .expect("get 10 MiB");
    assert_eq!(got.into_inner().value.len(), value.len());
    let empty = kv
        .get(GetRequest {
            namespace: "ns".into(),
            key: String::new(),
        })
        .await
        .expect_err("empty key");
    assert_eq!(empty.code(), Code::InvalidArgument);
}

#[test]
fn services_record_what_is_added_sorted_by_interface() {
    let names: Vec<&str> = services().interfaces().collect();
    assert_eq!(names, ["keyvalue_basic", "keyvalue_ttl"]);
}

#[test]
#[should_panic(expected = "keyvalue_basic is added twice")]
fn adding_an_interface_twice_is_a_bug() {
    let _ = services().add(KeyValueBasicInterfaceServer::new(store::Kv::default()));
}
