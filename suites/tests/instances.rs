//! Backend instances: chosen, started once per run, shared by threads and processes, and removed
//! when the run's owner ends; a backend that no provider can serve fails with one clear message.
//!
//! `tests/fixtures/instances` provisions a real Redis for the memstore plugin (which ignores it),
//! so the lifecycle is tested without a Redis plugin. The generated tests below run its
//! keyvalue_basic cases through the provisioned path; the others check the lifecycle directly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use prism_suite::instance::{self, OWNER_ENV};
use prism_suite::lifecycle::{self, ProcessId, Run};
use prism_suite::report::text;
use prism_suite::runner::{generated_runner, runtime};

use prism_suites as _;

prism_suite::compliance_matrix!(registry = "tests/fixtures/instances");

/// Set in the child processes of `one_instance_and_one_plugin_per_run_across_processes_removed_when_the_owner_ends`.
const CHILD_ENV: &str = "PRISM_INSTANCES_CHILD";
const BACKEND: &str = "fixture_redis";

fn fixtures(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

/// Runs a case by name as a generated test does; `Some(message)` when it failed.
async fn run_named(
    dir: &std::path::Path,
    backend: &str,
    interface: &str,
    case: &str,
) -> Option<String> {
    let runner = match generated_runner(dir) {
        Ok(r) => r,
        Err(e) => return Some(e.to_string()),
    };
    let Some(handle) = runner.backend(backend) else {
        return Some(format!("no backend {backend} in {}", dir.display()));
    };
    let Some(def) = prism_suite::catalogue::find(interface, case) else {
        return Some(format!("no case {interface}::{case}"));
    };
    let outcome = runner.run_case(handle, def).await;
    outcome.failure.as_ref().map(|_| text::failure(&outcome))
}

fn obtain() -> Result<instance::Instance, String> {
    let runner = generated_runner(&fixtures("instances")).map_err(|e| e.to_string())?;
    let backend = runner
        .registry()
        .backend(BACKEND)
        .ok_or("no fixture_redis")?;
    let spec = backend
        .instance
        .as_ref()
        .ok_or("fixture_redis has no instance")?;
    instance::obtain(backend, spec).map_err(|e| e.to_string())
}

/// Whether the Redis behind `url` answers PING.
fn pings(url: &str) -> bool {
    let Some(addr) = url.strip_prefix("redis://") else {
        return false;
    };
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// Body of the child processes: obtain the instance and say what was found.
#[test]
#[ignore = "a child process of one_instance_and_one_plugin_per_run_across_processes_removed_when_the_owner_ends"]
fn child_obtains_instance() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    match obtain() {
        Ok(i) => println!(
            "CHILD provider={} started_here={} port={} url={}",
            i.provider, i.started_here, i.ports["main"], i.url
        ),
        Err(e) => println!("CHILD error={e}"),
    }
    // A case through the plugin, which the run's processes share like the instance.
    let failure = runtime().block_on(run_named(
        &fixtures("instances"),
        BACKEND,
        "keyvalue_basic",
        "set_get_delete",
    ));
    match failure {
        None => println!("CHILD case passed"),
        Some(msg) => println!("CHILD error=case failed: {}", msg.replace('\n', " | ")),
    }
}

/// The run's directory for the owner `owner` (removed when the run ends).
fn run_dir(owner: ProcessId) -> PathBuf {
    lifecycle::runs_root().join(owner.to_string())
}

/// Whether process `pid` runs (a zombie waiting to be reaped does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

/// The containers of the run `key` (their ids).
fn containers_of(key: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-aq", "--filter"])
        .arg(format!("label={}={key}", instance::RUN_LABEL))
        .output();
    out.map(|o| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// Fails on any address the run listens on that is not loopback: the sockets of the processes
/// its supervisor started (and their children), and whatever listens on its containers' ports.
fn assert_loopback_only(run: &Run, container_ports: &[u16], containers: &[String]) {
    let listening = run.listening();
    assert!(
        !listening.is_empty(),
        "the run's processes listen somewhere: {:?}",
        run.started()
    );
    let open: Vec<_> = listening
        .iter()
        .filter(|l| !l.addr.ip().is_loopback())
        .collect();
    assert!(open.is_empty(), "listening beyond loopback: {open:?}");
    for port in container_ports {
        let on_port = lifecycle::listeners_on(*port);
        assert!(
            on_port.iter().all(|a| a.ip().is_loopback()),
            "container port {port} published beyond loopback: {on_port:?}"
        );
    }
    for id in containers {
        let out = Command::new("docker")
            .args(["port", id])
            .output()
            .expect("docker port");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.trim().is_empty(), "container {id} publishes a port");
        for line in text.lines() {
            assert!(
                line.contains("-> 127.0.0.1:"),
                "container {id} publishes beyond loopback: {line}"
            );
        }
    }
}

#[test]
fn one_instance_and_one_plugin_per_run_across_processes_removed_when_the_owner_ends() {
    // The run's owner: a process this test ends, standing in for a nextest runner.
    let mut owner = Command::new("sleep")
        .arg("120")
        .spawn()
        .expect("spawn the stand-in owner");
    let owner_pid = owner.id();
    let owner_id = ProcessId::of(owner_pid).expect("the owner runs");
    let run = Run::for_owner(owner_id, &lifecycle::runs_root());
    let events = std::env::temp_dir().join(format!("prism-instances-events-{owner_pid}"));
    let exe = std::env::current_exe().expect("test binary path");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--ignored",
                    "--exact",
                    "child_obtains_instance",
                    "--nocapture",
                ])
                .env(CHILD_ENV, "1")
                .env(OWNER_ENV, owner_pid.to_string())
                .env(prism_suite::run::EVENTS_ENV, &events)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn a child test process")
        })
        .collect();
    let mut lines = Vec::new();
    let mut stderr = String::new();
    for child in children {
        let out = child.wait_with_output().expect("child output");
        stderr += &String::from_utf8_lossy(&out.stderr);
        lines.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.starts_with("CHILD "))
                .map(str::to_owned),
        );
    }
    assert_eq!(lines.len(), 8, "{lines:?}\n{stderr}");
    assert!(
        !lines.iter().any(|l| l.contains("error=")),
        "{lines:?}\n{stderr}"
    );
    let started = lines
        .iter()
        .filter(|l| l.contains("started_here=true"))
        .count();
    assert_eq!(started, 1, "exactly one process starts it: {lines:?}");
    assert_eq!(
        stderr.matches("prism-suite: fixture_redis via ").count(),
        1,
        "announced once per run:\n{stderr}"
    );
    assert_eq!(
        lines.iter().filter(|l| *l == "CHILD case passed").count(),
        4,
        "{lines:?}"
    );
    let events_text = std::fs::read_to_string(&events).unwrap_or_default();
    std::fs::remove_file(&events).ok();
    let started_plugins: Vec<&str> = events_text
        .lines()
        .filter(|l| l.starts_with(&format!("plugin {BACKEND} ")))
        .collect();
    assert_eq!(
        started_plugins.len(),
        1,
        "one plugin process for the run's four processes:\n{events_text}"
    );
    assert_eq!(
        events_text
            .lines()
            .filter(|l| l.starts_with(&format!("instance {BACKEND} ")))
            .count(),
        1,
        "{events_text}"
    );
    let plugin_pid: u32 = started_plugins[0]
        .split_whitespace()
        .find_map(|w| w.strip_prefix("pid="))
        .and_then(|p| p.parse().ok())
        .expect("the plugin event names its pid");
    assert!(alive(plugin_pid), "the plugin runs while the owner does");
    let url = lines
        .iter()
        .find_map(|l| l.split("url=").nth(1))
        .unwrap_or_default()
        .to_owned();
    assert!(
        lines
            .iter()
            .filter(|l| l.contains("url="))
            .all(|l| l.ends_with(&format!("url={url}"))),
        "{lines:?}"
    );
    assert!(pings(&url), "the shared instance answers PING at {url}");
    let docker = lines.iter().any(|l| l.contains("provider=docker"));
    assert!(
        run_dir(owner_id).is_dir(),
        "state is kept in the run's directory"
    );
    let containers = if docker {
        containers_of(&run.key())
    } else {
        Vec::new()
    };
    if docker {
        assert_eq!(containers.len(), 1, "one labelled container");
    }
    let port: u16 = lines
        .iter()
        .find_map(|l| {
            l.split("port=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .expect("the children name the instance's port");
    let container_ports = if docker { vec![port] } else { Vec::new() };
    assert_loopback_only(&run, &container_ports, &containers);
    if !docker {
        assert!(
            run.listening().iter().any(|l| l.addr.port() == port),
            "the native server is one of the run's processes"
        );
    }

    owner.kill().expect("end the owner");
    owner.wait().expect("reap the owner");
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline
        && (pings(&url)
            || alive(plugin_pid)
            || run_dir(owner_id).exists()
            || (docker && !containers_of(&run.key()).is_empty()))
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !pings(&url),
        "the instance at {url} is stopped after the owner ended"
    );
    assert!(
        !alive(plugin_pid),
        "the plugin (pid {plugin_pid}) is stopped after the owner ended"
    );
    assert!(
        !run_dir(owner_id).exists(),
        "the run's directory is removed: {}",
        run_dir(owner_id).display()
    );
    if docker {
        assert_eq!(
            containers_of(&run.key()),
            Vec::<String>::new(),
            "the container is removed"
        );
    }
}

#[test]
fn threads_of_a_process_share_one_instance() {
    let handles: Vec<_> = (0..6).map(|_| std::thread::spawn(obtain)).collect();
    let got: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("thread").expect("instance"))
        .collect();
    assert!(got.iter().all(|i| i.url == got[0].url), "{got:?}");
    assert!(got.iter().all(|i| i.started_here == got[0].started_here));
    assert!(
        ["docker", "native"].contains(&got[0].provider),
        "{}",
        got[0].provider
    );
    assert!(pings(&got[0].url), "{got:?}");
}

#[test]
fn no_provider_fails_every_case_with_one_clear_message_quickly() {
    let dir = fixtures("instances_missing");
    let started = Instant::now();
    let first = runtime().block_on(run_named(&dir, "fixture_missing", "keyvalue_basic", "set"));
    let again = runtime().block_on(run_named(&dir, "fixture_missing", "keyvalue_basic", "get"));
    let took = started.elapsed();
    let first = first.expect("the case fails");
    assert!(
        first.contains("no fixture_missing instance can be provided: the registry names no docker image, `prism-no-such-server` is not on PATH. To provide one: install `prism-no-such-server` (bash scripts/setup-backends.sh); or point at a running instance with PRISM_FIXTURE_MISSING_URL=<url>"),
        "{first}"
    );
    let again = again.expect("the next case fails too");
    assert_eq!(
        again.lines().nth(1),
        first.lines().nth(1),
        "every case shows the same message"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn configured_native_without_the_server_is_a_clear_error() {
    std::env::set_var("PRISM_FIXTURE_FORCED_PROVIDER", "native");
    let dir = fixtures("instances_missing");
    let started = Instant::now();
    let msg = runtime()
        .block_on(run_named(&dir, "fixture_forced", "keyvalue_basic", "set"))
        .expect("the case fails");
    assert!(
        msg.contains(
            "PRISM_FIXTURE_FORCED_PROVIDER=native, but `prism-no-such-server` is not on PATH"
        ),
        "{msg}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// What `scripts/leak-check.sh` runs: provisions fixture_redis (or, with `PRISM_LEAK_BACKEND=kafka`
/// or `postgres`, that backend of the repository's registry) through a case, then ends as
/// `PRISM_LEAK_MODE` says: `pass`, `fail` (the test returns an error), `panic`, or `hang` (for
/// Ctrl-C and SIGKILL from outside).
#[test]
#[ignore = "run by scripts/leak-check.sh"]
fn leak_probe() -> Result<(), String> {
    // PRISM_LEAK_BACKEND=kafka|postgres: that backend of the repository (a server and its plugin).
    let (registry, backend, interface, case) = match std::env::var("PRISM_LEAK_BACKEND").as_deref()
    {
        Ok("kafka") => (
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../registry/backends"),
            "kafka",
            "stream_basic",
            "offsets_start_at_zero_and_increase_by_one",
        ),
        Ok("postgres") => (
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../registry/backends"),
            "postgres",
            "keyvalue_basic",
            "set_get_delete",
        ),
        _ => (
            fixtures("instances"),
            BACKEND,
            "keyvalue_basic",
            "set_get_delete",
        ),
    };
    let outcome = runtime().block_on(run_named(&registry, backend, interface, case));
    if let Some(msg) = outcome {
        return Err(msg);
    }
    match std::env::var("PRISM_LEAK_MODE").as_deref() {
        Ok("fail") => Err("leak probe: failing on purpose".to_owned()),
        Ok("panic") => panic!("leak probe: panicking on purpose"),
        Ok("hang") => {
            eprintln!("leak probe: provisioned; hanging until killed");
            std::thread::sleep(Duration::from_secs(300));
            Ok(())
        }
        _ => Ok(()),
    }
}
