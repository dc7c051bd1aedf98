//! Real backend instances for plugins: one per backend per test run, shared by every test thread
//! and, under nextest, by every test process, and removed when the run ends however it ends.
//!
//! Providers, in this order unless `PRISM_<BACKEND>_PROVIDER` (docker|native|external) says:
//! an external endpoint (`PRISM_<BACKEND>_URL`), docker through testcontainers when a daemon
//! answers, a native server binary from PATH on a free port in a temporary directory. The registry
//! file's `instance:` section says how each provider starts the backend.
//!
//! Sharing across processes: the first process of a run takes a file lock in
//! `$TMPDIR/prism-suite/instances/`, starts a detached watcher, starts the instance (a container,
//! or a server process in its own session, so that neither dies with the test process that
//! started it) and writes a state file; the others find the state file under the same lock. A
//! run's key names its *owner*, the process whose end ends the run: under nextest
//! (`NEXTEST_RUN_ID` set) the runner, i.e. the test process's parent; under `cargo test` the test
//! process itself. The watcher polls the owner and, once it is gone, removes the containers
//! labelled with the run's key, stops the server (SIGTERM, then SIGKILL) and deletes the temporary
//! directory and the state. That covers a normal end, failing and panicking cases, Ctrl-C and a
//! SIGKILLed test process alike: nothing relies on code running in a dying process.

mod docker;
mod external;
pub(crate) mod native;
mod watcher;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use prism_registry::{ContainerPort, InstanceSpec, WaitFor};

/// Label every container started by prism-suite carries (`docker ps --filter label=prism-suite=1`).
pub const CONTAINER_LABEL: &str = "prism-suite";
/// Label naming the run a container belongs to; the watcher removes containers by it.
pub const RUN_LABEL: &str = "prism-suite.run";
pub use crate::run::OWNER_ENV;

/// Which provider serves a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// A running instance given by `PRISM_<BACKEND>_URL`.
    External,
    /// A container started through testcontainers.
    Docker,
    /// A server binary from PATH.
    Native,
}

impl Provider {
    /// The name used in `PRISM_<BACKEND>_PROVIDER` and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Provider::External => "external",
            Provider::Docker => "docker",
            Provider::Native => "native",
        }
    }

    fn parse(s: &str) -> Option<Provider> {
        match s.trim().to_ascii_lowercase().as_str() {
            "external" => Some(Provider::External),
            "docker" => Some(Provider::Docker),
            "native" => Some(Provider::Native),
            _ => None,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A backend instance the plugin can connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Backend name.
    pub backend: String,
    /// Who provides it.
    pub provider: Provider,
    /// What the plugin gets as `PRISM_BACKEND_URL`.
    pub url: String,
    /// What runs, for messages (image and container, or server command).
    pub detail: String,
    /// Time from the start request until the instance was ready (0 for external ones).
    pub ready_ms: u64,
    /// Whether this process started it (the others of the run found it running).
    pub started_here: bool,
}

/// Why no instance could be provided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstanceError {
    /// No provider can serve the backend on this machine.
    #[error("no {backend} instance can be provided: {missing}. To provide one: {how}")]
    Unavailable {
        /// Backend name.
        backend: String,
        /// What is missing, per provider.
        missing: String,
        /// How to provide it.
        how: String,
    },
    /// `PRISM_<BACKEND>_PROVIDER` names a provider that cannot serve.
    #[error("{var}={value}, but {why}")]
    Configured {
        /// The variable.
        var: String,
        /// Its value.
        value: String,
        /// Why it cannot serve.
        why: String,
    },
    /// The chosen provider failed to start the instance.
    #[error("{backend} via {provider} did not start: {detail}")]
    Start {
        /// Backend name.
        backend: String,
        /// The provider that failed.
        provider: Provider,
        /// What happened, with the server's output where there is some.
        detail: String,
    },
    /// The run's shared state could not be read or written.
    #[error("instance state {path}: {detail}")]
    State {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        detail: String,
    },
}

/// The instance of `backend` for this run: started by the first caller of the run, shared after.
/// Blocking (it may wait for a container); a failure is cached and returned to every caller.
pub fn obtain(backend: &str, spec: &InstanceSpec) -> Result<Instance, InstanceError> {
    type Cell = Arc<OnceLock<Result<Instance, InstanceError>>>;
    static CELLS: Mutex<BTreeMap<String, Cell>> = Mutex::new(BTreeMap::new());
    let cell = CELLS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(backend.to_owned())
        .or_default()
        .clone();
    cell.get_or_init(|| shared(backend, spec)).clone()
}

/// The variable `PRISM_<BACKEND>_<what>`.
pub fn var_name(backend: &str, what: &str) -> String {
    format!("PRISM_{}_{what}", backend.to_ascii_uppercase())
}

/// What the provider choice looks at, injectable for tests.
pub(crate) struct Probe<'a> {
    /// Reads an environment variable (empty counts as unset).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Whether a docker daemon answers (called only when the choice depends on it).
    pub docker_answers: &'a dyn Fn() -> bool,
    /// Whether a program is on PATH.
    pub on_path: &'a dyn Fn(&str) -> bool,
}

/// The provider chosen for a backend, with what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Choice {
    External(String),
    Docker { image: String },
    Native,
}

/// Chooses the provider: `PRISM_<B>_URL`, else `PRISM_<B>_PROVIDER`, else docker when a daemon
/// answers, else native when the server is on PATH, else an error saying what is missing.
pub(crate) fn choose(
    backend: &str,
    spec: &InstanceSpec,
    probe: &Probe<'_>,
) -> Result<Choice, InstanceError> {
    let url_var = var_name(backend, "URL");
    let provider_var = var_name(backend, "PROVIDER");
    let image_var = var_name(backend, "IMAGE");
    if let Some(url) = (probe.env)(&url_var) {
        return Ok(Choice::External(url));
    }
    // The override replaces the image only: the port and readiness still come from the registry.
    let image = spec
        .docker
        .as_ref()
        .map(|d| (probe.env)(&image_var).unwrap_or_else(|| d.image.clone()));
    let program = spec.native.as_ref().map(|n| n.command[0].clone());
    let setup_docker = "install and start docker (bash scripts/setup-docker.sh)";
    let setup_native = |p: &str| format!("install `{p}` (bash scripts/setup-backends.sh)");

    if let Some(value) = (probe.env)(&provider_var) {
        let configured = |why: String| InstanceError::Configured {
            var: provider_var.clone(),
            value: value.clone(),
            why,
        };
        return match Provider::parse(&value) {
            Some(Provider::External) => Err(configured(format!(
                "{url_var} is not set: set it to the running instance's URL"
            ))),
            Some(Provider::Docker) => match image {
                None => Err(configured(format!(
                    "the registry gives no `instance.docker` (image and port) for {backend}"
                ))),
                Some(_) if !(probe.docker_answers)() => Err(configured(format!(
                    "no docker daemon answers (`docker version`): {setup_docker}, or use PRISM_{}_PROVIDER=native",
                    backend.to_ascii_uppercase()
                ))),
                Some(image) => Ok(Choice::Docker { image }),
            },
            Some(Provider::Native) => match program {
                None => Err(configured(format!(
                    "the registry gives no `instance.native` command for {backend}"
                ))),
                Some(p) if !(probe.on_path)(&p) => Err(configured(format!(
                    "`{p}` is not on PATH: {}",
                    setup_native(&p)
                ))),
                Some(_) => Ok(Choice::Native),
            },
            None => Err(configured(
                "that is not a provider: use docker, native or external".to_owned(),
            )),
        };
    }

    let mut missing = Vec::new();
    let mut how = Vec::new();
    match image {
        Some(image) if (probe.docker_answers)() => return Ok(Choice::Docker { image }),
        Some(_) => {
            missing.push("no docker daemon answers (`docker version`)".to_owned());
            how.push(setup_docker.to_owned());
        }
        None => missing.push("the registry names no docker image".to_owned()),
    }
    match program {
        Some(p) if (probe.on_path)(&p) => return Ok(Choice::Native),
        Some(p) => {
            missing.push(format!("`{p}` is not on PATH"));
            how.push(setup_native(&p));
        }
        None => missing.push("the registry gives no native command".to_owned()),
    }
    how.push(format!("point at a running instance with {url_var}=<url>"));
    Err(InstanceError::Unavailable {
        backend: backend.to_owned(),
        missing: missing.join(", "),
        how: how.join("; or "),
    })
}

/// The real environment, daemon and PATH.
fn system_probe<'a>() -> Probe<'a> {
    Probe {
        env: &|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()),
        docker_answers: &docker::daemon_answers,
        on_path: &native::on_path,
    }
}

/// Where runs keep their locks, state files and native instances' directories.
pub fn state_root() -> PathBuf {
    std::env::temp_dir().join("prism-suite").join("instances")
}

/// What a run's state file records, for the processes that did not start the instance.
fn state_text(i: &Instance) -> String {
    format!(
        "provider={}\nurl={}\nready_ms={}\ndetail={}\n",
        i.provider,
        i.url,
        i.ready_ms,
        i.detail.replace('\n', " ")
    )
}

fn parse_state(backend: &str, text: &str) -> Option<Instance> {
    let fields: BTreeMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
    Some(Instance {
        backend: backend.to_owned(),
        provider: Provider::parse(fields.get("provider")?)?,
        url: (*fields.get("url")?).to_owned(),
        detail: fields.get("detail").copied().unwrap_or_default().to_owned(),
        ready_ms: fields
            .get("ready_ms")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        started_here: false,
    })
}

fn state_error(path: &Path) -> impl Fn(io::Error) -> InstanceError + '_ {
    move |e| InstanceError::State {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

/// Finds the run's instance or starts it, under the run's file lock.
fn shared(backend: &str, spec: &InstanceSpec) -> Result<Instance, InstanceError> {
    let root = state_root();
    std::fs::create_dir_all(&root).map_err(state_error(&root))?;
    let (owner_pid, owner_key) = crate::run::owner();
    let key = format!("{backend}-{owner_key}");
    let lock_path = root.join(format!("{key}.lock"));
    let state_path = root.join(format!("{key}.state"));
    // The state file is replaced whole, so a started instance is found without the lock.
    if let Some(found) = std::fs::read_to_string(&state_path)
        .ok()
        .and_then(|text| parse_state(backend, &text))
    {
        return Ok(found);
    }
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(state_error(&lock_path))?;
    lock.lock().map_err(state_error(&lock_path))?;
    let result = find_or_start(
        backend,
        spec,
        &root,
        &key,
        owner_pid,
        &state_path,
        &lock_path,
    );
    // Unlocking fails only if the file is gone; the lock dies with the descriptor anyway.
    let _ = File::unlock(&lock);
    result
}

/// The one container port this provider publishes (the v2 lifecycle publishes every named port).
fn v1_container_port(spec: &InstanceSpec) -> Result<u16, String> {
    match spec.ports.first().map(|p| p.container) {
        Some(ContainerPort::Fixed(port)) => Ok(port),
        _ => Err(
            "this runtime publishes one fixed container port; `same` is not supported yet"
                .to_owned(),
        ),
    }
}

/// The one log line this provider waits for; without one it waits for the port.
fn v1_ready_log(ready: &[WaitFor]) -> Option<&str> {
    ready.iter().find_map(|w| match w {
        WaitFor::Log(line) => Some(line.as_str()),
        _ => None,
    })
}

fn find_or_start(
    backend: &str,
    spec: &InstanceSpec,
    root: &Path,
    key: &str,
    owner_pid: u32,
    state_path: &Path,
    lock_path: &Path,
) -> Result<Instance, InstanceError> {
    if let Ok(text) = std::fs::read_to_string(state_path) {
        if let Some(found) = parse_state(backend, &text) {
            return Ok(found);
        }
    }
    let choice = match choose(backend, spec, &system_probe()) {
        Ok(choice) => choice,
        Err(e) => {
            // Nothing was started, so no watcher will remove the lock file: do it now. A process
            // waiting on it makes the same choice and fails the same way.
            let _ = std::fs::remove_file(lock_path);
            return Err(e);
        }
    };
    let provider = match &choice {
        Choice::External(_) => Provider::External,
        Choice::Docker { .. } => Provider::Docker,
        Choice::Native => Provider::Native,
    };
    let dir = root.join(key);
    // The watcher comes first: whatever happens from here on (a SIGKILL while the container
    // starts included), it removes what this run started once the owner is gone.
    watcher::spawn(&watcher::Job {
        owner: owner_pid,
        key,
        provider,
        dir: &dir,
        files: &[state_path, lock_path],
    })
    .map_err(|e| InstanceError::Start {
        backend: backend.to_owned(),
        provider,
        detail: format!("cannot start the clean-up watcher: {e}"),
    })?;
    let timeout = Duration::from_millis(spec.startup_timeout_ms);
    let started = Instant::now();
    let start_error = |detail: String| InstanceError::Start {
        backend: backend.to_owned(),
        provider,
        detail,
    };
    let (url, detail) =
        match choice {
            Choice::External(url) => external::describe(backend, url),
            Choice::Docker { image } => {
                let docker = spec.docker.clone().ok_or_else(|| {
                    start_error("no `instance.docker` in the registry".to_owned())
                })?;
                let port = v1_container_port(spec).map_err(start_error)?;
                let ready_log = v1_ready_log(spec.docker_ready());
                docker::start(
                    backend,
                    key,
                    &docker,
                    (port, ready_log),
                    &image,
                    &spec.url,
                    timeout,
                )
                .map_err(start_error)?
            }
            Choice::Native => {
                let native = spec.native.as_ref().ok_or_else(|| {
                    start_error("no `instance.native` in the registry".to_owned())
                })?;
                let ready_log = v1_ready_log(spec.native_ready());
                native::start(native, ready_log, &spec.url, &dir, timeout).map_err(start_error)?
            }
        };
    let ready_ms = match provider {
        Provider::External => 0,
        _ => started.elapsed().as_millis() as u64,
    };
    let instance = Instance {
        backend: backend.to_owned(),
        provider,
        url,
        detail,
        ready_ms,
        started_here: true,
    };
    crate::run::write_atomically(state_path, &state_text(&instance))
        .map_err(state_error(state_path))?;
    crate::run::record_event(&format!(
        "instance {backend} {provider} ready_ms={ready_ms} pid={}",
        std::process::id()
    ));
    crate::run::announce(&announcement(&instance));
    Ok(instance)
}

/// The line printed once per run by the process that starts an instance.
pub fn announcement(i: &Instance) -> String {
    let upper = i.backend.to_ascii_uppercase();
    match i.provider {
        Provider::External => format!(
            "prism-suite: {} via external ({}); unset PRISM_{upper}_URL to let prism-suite start one (PRISM_{upper}_PROVIDER=docker|native)",
            i.backend, i.detail
        ),
        _ => format!(
            "prism-suite: {} via {} ({}, ready in {} ms); choose another with PRISM_{upper}_PROVIDER=native|docker or PRISM_{upper}_URL=<url>",
            i.backend, i.provider, i.detail, i.ready_ms
        ),
    }
}

/// Expands `${HOST}`, `${PORT}` and `${DIR}` (and environment variables) in a registry word.
pub(crate) fn expand(word: &str, host: &str, port: u16, dir: &Path) -> Result<String, String> {
    let vars = BTreeMap::from([
        ("HOST", host.to_owned()),
        ("PORT", port.to_string()),
        ("DIR", dir.display().to_string()),
    ]);
    crate::plugin::process::expand(word, &vars)
}
