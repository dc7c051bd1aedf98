//! The docker provider: a container started through testcontainers, every named port published
//! on 127.0.0.1 only.
//!
//! testcontainers 0.28 publishes with an empty host IP (every interface) and has no option for
//! one, but lets a `HostConfig` modifier run last: the provider picks a free loopback port per
//! named port itself, binds it as `127.0.0.1:<port>` and turns off "publish all ports" (which
//! would publish the image's `EXPOSE`d ports on every interface too). A `same` port is published
//! on the port the container listens on (brokers that advertise their own address). A port taken
//! between the pick and docker's bind is retried with new ports.
//!
//! Containers carry the labels `prism-suite=1` and `prism-suite.run=<run key>` and a name of the
//! run's; before one is created, the run's supervisor is told to `docker rm -f` that name when the
//! run ends, so a process killed while the container starts leaves nothing behind. testcontainers'
//! own removal on drop is bypassed (the handle is forgotten): the container outlives the test
//! process that started it, for the others of the run.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use prism_registry::{ContainerPort, InstanceSpec, WaitFor};
use testcontainers::bollard::models::{HostConfig, PortBinding};
use testcontainers::core::IntoContainerPort;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};
use tokio::io::AsyncBufReadExt;
use tokio::runtime::Runtime;

use super::provider::{Availability, Provider, Request, Running, StartContext, Started};
use super::ready::{Vars, HOST};

/// Label every container started by prism-suite carries (`docker ps --filter label=prism-suite=1`).
pub const CONTAINER_LABEL: &str = "prism-suite";
/// Label naming the run a container belongs to (`<owner pid>-<owner start time>`).
pub const RUN_LABEL: &str = "prism-suite.run";
/// Label naming the directory of the runs it belongs to (`$TMPDIR/prism-suite/runs`), so that a
/// check can count one user's or one `TMPDIR`'s containers on a shared daemon.
pub const RUNS_LABEL: &str = "prism-suite.runs";
/// How long `docker version` may take to answer before the daemon counts as absent.
const PING_TIMEOUT: Duration = Duration::from_secs(3);
/// Port sets tried when docker finds a picked port taken.
const PORT_ATTEMPTS: usize = 3;

/// Starts `instance.docker.image`.
pub struct Docker;

crate::register_provider!(10, Docker);

impl Provider for Docker {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn undeclared(&self) -> &'static str {
        "the registry names no docker image"
    }

    fn availability(&self, request: &Request<'_>) -> Availability {
        if request.spec.docker.is_none() {
            return Availability::Undeclared;
        }
        if daemon_answers() {
            Availability::Available
        } else {
            Availability::Missing {
                missing: "no docker daemon answers (`docker version`)".to_owned(),
                how: "install and start docker (bash scripts/setup-docker.sh)".to_owned(),
            }
        }
    }

    fn ready<'s>(&self, spec: &'s InstanceSpec) -> &'s [WaitFor] {
        spec.docker_ready()
    }

    fn setup<'s>(&self, spec: &'s InstanceSpec) -> &'s [Vec<String>] {
        spec.docker_setup()
    }

    fn start(&self, request: &Request<'_>, cx: &StartContext<'_>) -> Result<Started, String> {
        let mut last = String::new();
        for attempt in 1..=PORT_ATTEMPTS {
            match start_once(request, cx, attempt) {
                Ok(server) => return Ok(Started::Running(Box::new(server))),
                Err(Failure::PortTaken(why)) => last = why,
                Err(Failure::Other(why)) => return Err(why),
            }
        }
        Err(format!(
            "docker found a picked port taken {PORT_ATTEMPTS} times: {last}"
        ))
    }
}

/// Whether a docker daemon answers `docker version` within a few seconds. The CLI is needed
/// anyway: the run's supervisor removes containers with `docker rm`.
pub fn daemon_answers() -> bool {
    let child = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return false;
    };
    let deadline = Instant::now() + PING_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}

/// `name:tag` split at the tag's colon (a registry host's port is not a tag); `latest` if none.
pub(super) fn split_image(image: &str) -> (&str, &str) {
    match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (image, "latest"),
    }
}

/// One runtime for every docker call of the process: testcontainers keeps one docker client per
/// process, and a client made on a test's runtime would die with that test.
fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("prism-docker")
            .enable_all()
            .build()
            .expect("build the docker provider's runtime")
    })
}

enum Failure {
    PortTaken(String),
    Other(String),
}

/// A free loopback port now.
fn free_port() -> Result<u16, String> {
    TcpListener::bind((HOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn start_once(
    request: &Request<'_>,
    cx: &StartContext<'_>,
    attempt: usize,
) -> Result<Server, Failure> {
    let other = Failure::Other;
    let spec = request.spec;
    let docker = spec
        .docker
        .as_ref()
        .ok_or_else(|| other("no `instance.docker` in the registry".to_owned()))?;
    // The override replaces the image only: ports, readiness and setup still come from the registry.
    let image = request.var("IMAGE").unwrap_or_else(|| docker.image.clone());
    // Host port by name, and the container port each is published from.
    let mut ports = BTreeMap::new();
    let mut published = Vec::new();
    for port in &spec.ports {
        let host = free_port().map_err(other)?;
        let inside = match port.container {
            ContainerPort::Fixed(p) => p,
            ContainerPort::SameAsHost => host,
        };
        ports.insert(port.name.clone(), host);
        published.push((inside, host));
    }
    let vars = Vars::new(spec, &ports, &cx.dir);
    let (name, tag) = split_image(&image);
    let mut generic = GenericImage::new(name, tag);
    for (inside, _) in &published {
        generic = generic.with_exposed_port(inside.tcp());
    }
    let container_name = format!(
        "prism-suite-{}-{}-g{}-{attempt}",
        cx.run.key(),
        cx.slot,
        cx.generation
    );
    cx.run
        .on_end(
            &format!("{}-g{}-{attempt}", cx.slot, cx.generation),
            ["docker", "rm", "-f", "-v", &container_name]
                .map(str::to_owned)
                .to_vec(),
        )
        .map_err(|e| other(e.to_string()))?;
    let labels = BTreeMap::from([
        (CONTAINER_LABEL, "1".to_owned()),
        (RUN_LABEL, cx.run.key()),
        (
            RUNS_LABEL,
            cx.run
                .dir()
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        ),
        ("prism-suite.backend", request.backend.to_owned()),
    ]);
    let bindings = published.clone();
    let mut container = generic
        .with_labels(labels)
        .with_container_name(&container_name)
        .with_startup_timeout(cx.left())
        .with_host_config_modifier(move |host: &mut HostConfig| {
            host.publish_all_ports = Some(false);
            host.port_bindings = Some(
                bindings
                    .iter()
                    .map(|(inside, outside)| {
                        (
                            format!("{inside}/tcp"),
                            Some(vec![PortBinding {
                                host_ip: Some(HOST.to_owned()),
                                host_port: Some(outside.to_string()),
                            }]),
                        )
                    })
                    .collect(),
            );
        });
    if !docker.args.is_empty() {
        container = container.with_cmd(vars.expand_all(&docker.args).map_err(other)?);
    }
    for (k, v) in &docker.env {
        container = container.with_env_var(k, vars.expand(v).map_err(other)?);
    }
    let output = Arc::new(Mutex::new(String::new()));
    let streams_open = Arc::new(AtomicUsize::new(2));
    let (out, open) = (output.clone(), streams_open.clone());
    let started = runtime().block_on(async move {
        let container = container.start().await.map_err(|e| {
            let text = e.to_string();
            if text.contains("port is already allocated") || text.contains("address already in use") {
                return Failure::PortTaken(text);
            }
            Failure::Other(format!(
                "image {image}: {text}\n    (an image that cannot be pulled here can be built locally: scripts/images/build-redis.sh builds one and tags it with the registry's name; or name one with {}=<image>; or use {}=native)",
                super::var_name(request.backend, "IMAGE"),
                super::var_name(request.backend, "PROVIDER")
            ))
        })?;
        for mut stream in [container.stdout(true), container.stderr(true)] {
            let (out, open) = (out.clone(), open.clone());
            tokio::spawn(async move {
                let mut line = Vec::new();
                loop {
                    line.clear();
                    match stream.read_until(b'\n', &mut line).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => out
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push_str(&String::from_utf8_lossy(&line)),
                    }
                }
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
        Ok::<_, Failure>(container)
    })?;
    let id: String = started.id().chars().take(12).collect();
    Ok(Server {
        container: Some(started),
        image: request.var("IMAGE").unwrap_or_else(|| docker.image.clone()),
        id,
        ports,
        output,
        streams_open,
    })
}

/// A container of the run.
struct Server {
    container: Option<ContainerAsync<GenericImage>>,
    image: String,
    id: String,
    ports: BTreeMap<String, u16>,
    output: Arc<Mutex<String>>,
    streams_open: Arc<AtomicUsize>,
}

impl Running for Server {
    fn ports(&self) -> &BTreeMap<String, u16> {
        &self.ports
    }

    fn output(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn ended(&self) -> Option<String> {
        if self.streams_open.load(Ordering::SeqCst) > 0 {
            return None;
        }
        // Both log streams ended: the container stopped.
        let code = self
            .container
            .as_ref()
            .and_then(|c| runtime().block_on(c.exit_code()).ok().flatten());
        Some(match code {
            Some(code) => format!("(container {}) exited with status {code}", self.id),
            None => format!("(container {}) stopped", self.id),
        })
    }

    fn detail(&self) -> String {
        let on: Vec<String> = self.ports.values().map(|p| format!("{HOST}:{p}")).collect();
        format!(
            "image {}, container {} on {}",
            self.image,
            self.id,
            on.join(", ")
        )
    }

    fn stop(&mut self) {
        if let Some(c) = self.container.take() {
            let _ = runtime().block_on(c.rm());
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Dropping the handle would remove the container, but other test processes of the run
        // use it: removal belongs to the run's supervisor, which outlives this process.
        if let Some(c) = self.container.take() {
            std::mem::forget(c);
        }
    }
}
