//! The docker provider: a container started through testcontainers, labelled so that the run's
//! watcher (and `scripts/leak-check.sh`) can find it.

use std::collections::BTreeMap;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use prism_registry::DockerSpec;
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{GenericImage, ImageExt};

use super::{expand, CONTAINER_LABEL, RUN_LABEL};
use crate::harness::runtime;

/// How long `docker version` may take to answer before the daemon counts as absent.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether a docker daemon answers `docker version` within a few seconds. The CLI is needed
/// anyway: the watcher removes containers with `docker rm`.
pub(super) fn daemon_answers() -> bool {
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

/// Starts the container and waits until it is ready; returns the plugin's URL and a description.
/// Runs on the harness runtime, which lives as long as the process, because testcontainers keeps
/// one docker client per process and a client made on a test's runtime would die with it.
pub(super) fn start(
    backend: &str,
    key: &str,
    spec: &DockerSpec,
    (port, ready_log): (u16, Option<&str>),
    image: &str,
    url: &str,
    timeout: Duration,
) -> Result<(String, String), String> {
    let (name, tag) = split_image(image);
    let mut generic = GenericImage::new(name, tag).with_exposed_port(port.tcp());
    if let Some(line) = ready_log {
        generic = generic.with_wait_for(WaitFor::message_on_either_std(line));
    }
    let labels = BTreeMap::from([
        (CONTAINER_LABEL, "1".to_owned()),
        (RUN_LABEL, key.to_owned()),
        ("prism-suite.backend", backend.to_owned()),
    ]);
    let mut request = generic.with_labels(labels).with_startup_timeout(timeout);
    if !spec.args.is_empty() {
        request = request.with_cmd(spec.args.clone());
    }
    for (k, v) in &spec.env {
        request = request.with_env_var(k, v);
    }
    let started = runtime().block_on(async move {
        let container = request
            .start()
            .await
            .map_err(|e| {
                format!(
                    "image {image}: {e}\n    (an image that cannot be pulled here can be built locally, e.g. scripts/images/build-redis.sh, and named with {}=<image>; or use {}=native)",
                    super::var_name(backend, "IMAGE"),
                    super::var_name(backend, "PROVIDER")
                )
            })?;
        let host_port = container
            .get_host_port_ipv4(port)
            .await
            .map_err(|e| format!("port {port} of the container is not published: {e}"))?;
        let host = container
            .get_host()
            .await
            .map_err(|e| format!("docker host: {e}"))?
            .to_string();
        let id = container.id().to_owned();
        // Dropping the handle would remove the container, but other test processes of the run
        // still use it: removal belongs to the run's watcher, which outlives this process.
        std::mem::forget(container);
        Ok::<_, String>((host, host_port, id))
    })?;
    let (host, host_port, id) = started;
    // "localhost" may resolve to ::1 first; the published port is certain on IPv4.
    let host = if host == "localhost" {
        "127.0.0.1".to_owned()
    } else {
        host
    };
    if ready_log.is_none() {
        wait_for_port(&host, host_port, timeout)?;
    }
    let short: String = id.chars().take(12).collect();
    let url = expand(url, &host, host_port, Path::new("/data"))?;
    Ok((
        url,
        format!("image {image}, container {short} on {host}:{host_port}"),
    ))
}

/// Waits until `host:port` accepts a connection. Docker's port proxy may accept before the server
/// listens, so images should prefer `ready_log`.
fn wait_for_port(host: &str, port: u16, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        let addrs = (host, port).to_socket_addrs().map_err(|e| e.to_string())?;
        for addr in addrs {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{host}:{port} did not accept connections within {} ms",
                timeout.as_millis()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
