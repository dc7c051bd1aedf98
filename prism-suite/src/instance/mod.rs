//! Real backend instances for plugins: one per backend configuration per test run, shared by
//! every test thread and, under nextest, by every test process, and removed when the run ends
//! however it ends.
//!
//! **Providers** implement [`Provider`] and register with a rank (`register_provider!`): external
//! (0: `PRISM_<BACKEND>_URL`), docker (10: testcontainers, when a daemon answers), native (20: a
//! server binary from PATH). `PRISM_<BACKEND>_PROVIDER` forces one; otherwise the first available
//! in rank order serves. A provider only starts the server and says how to read it
//! ([`Running`]); what every provider shares runs here and in `ready.rs`: the readiness
//! conditions (`instance.ready`, or the provider's own), in order, then the setup commands, then
//! the URL with the variables filled in.
//!
//! **Sharing** is a slot of the run ([`crate::lifecycle`]) named by the backend and a hash of its
//! configuration (the `instance:` section and the `PRISM_<BACKEND>_{URL,PROVIDER,IMAGE}` values in
//! effect): the first process that needs it chooses the provider and starts the instance under the
//! slot's lock; the others read the recorded URL. A failure (no provider, a server that exits, a
//! readiness condition that never holds) is recorded too: every process of the run gets the same
//! message at once, and none tries again. What a provider starts belongs to the run's supervisor
//! (a native server is its child; a container is removed by name), so it is stopped when the run's
//! owner ends, however it ends.
//!
//! **Warm instances** (`PRISM_WARM=1`, `warm.rs`) are kept between runs by a warm run of their own
//! and reused by the next run with the same configuration.

mod docker;
mod external;
mod native;
mod provider;
mod ready;
mod warm;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use prism_registry::{Backend, InstanceSpec};
use serde::{Deserialize, Serialize};

use crate::lifecycle::{stable_hash, LifecycleError, ProcessId, Run};

pub use docker::{CONTAINER_LABEL, RUNS_LABEL, RUN_LABEL};
pub use provider::{
    by_name, choose, find_program, on_path, providers, Availability, Provider, ProviderEntry,
    Request, Running, StartContext, Started,
};
pub use ready::{Vars, HOST};
pub use warm::{DEFAULT_IDLE, WARM_ENV, WARM_IDLE_ENV};

/// Environment variable naming the run's owner explicitly (see [`crate::lifecycle::Run`]).
pub use crate::lifecycle::OWNER_ENV;

/// A backend instance the plugin can connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The backend it was obtained for.
    pub backend: String,
    /// The provider that provides it (`docker`, `native`, `external`, ...).
    pub provider: &'static str,
    /// What the plugin gets as `PRISM_BACKEND_URL`.
    pub url: String,
    /// Host port of each named port (all on 127.0.0.1); empty for an external instance.
    pub ports: BTreeMap<String, u16>,
    /// What runs, for messages (image and container, or server command).
    pub detail: String,
    /// Time from the start request until the instance was ready and set up (0 for external ones).
    pub ready_ms: u64,
    /// Whether this process started it (the others of the run found it running).
    pub started_here: bool,
}

/// Why no instance could be provided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
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
        provider: String,
        /// What happened, with the server's output where there is some.
        detail: String,
    },
    /// The run's shared state could not be read or written.
    #[error("instance state {path}: {detail}")]
    State {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

impl From<LifecycleError> for InstanceError {
    fn from(e: LifecycleError) -> InstanceError {
        match e {
            LifecycleError::State { path, detail } => InstanceError::State { path, detail },
            other => InstanceError::State {
                path: Run::current().dir().to_path_buf(),
                detail: other.to_string(),
            },
        }
    }
}

/// What the run's slot records about a started instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Recorded {
    provider: String,
    url: String,
    ports: BTreeMap<String, u16>,
    detail: String,
    ready_ms: u64,
    /// The server process, for providers whose server is one (checked before reuse).
    process: Option<ProcessId>,
    /// Set when the instance is a warm one, kept between runs.
    #[serde(default)]
    warm: Option<warm::WarmUse>,
}

/// The variable `PRISM_<BACKEND>_<what>`.
pub fn var_name(backend: &str, what: &str) -> String {
    format!("PRISM_{}_{what}", backend.to_ascii_uppercase())
}

/// The real environment (empty counts as unset).
fn system_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The instance of `backend` for this run: started by the first caller of the run, shared after.
/// Blocking (it may wait for a container); a failure is remembered by the run and returned to
/// every caller of every process.
pub fn obtain(backend: &Backend, spec: &InstanceSpec) -> Result<Instance, InstanceError> {
    obtain_named(&backend.name, spec)
}

/// [`obtain`] by backend name.
pub fn obtain_named(backend: &str, spec: &InstanceSpec) -> Result<Instance, InstanceError> {
    type Cell = Arc<OnceLock<Result<Instance, InstanceError>>>;
    static CELLS: Mutex<BTreeMap<String, Cell>> = Mutex::new(BTreeMap::new());
    let name = slot_name(backend, spec, &system_env);
    let cell = CELLS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(name.clone())
        .or_default()
        .clone();
    cell.get_or_init(|| shared(&name, backend, spec)).clone()
}

/// The slot of an instance: the backend's name (for people) and a hash of everything that decides
/// what is started.
fn slot_name(backend: &str, spec: &InstanceSpec, env: &dyn Fn(&str) -> Option<String>) -> String {
    let overrides: Vec<Option<String>> = ["URL", "PROVIDER", "IMAGE"]
        .iter()
        .map(|what| env(&var_name(backend, what)))
        .collect();
    let identity = format!("{backend}\n{spec:?}\n{overrides:?}");
    format!(
        "instance-{backend}-{:016x}",
        stable_hash(identity.as_bytes())
    )
}

fn shared(name: &str, backend: &str, spec: &InstanceSpec) -> Result<Instance, InstanceError> {
    let run = Run::current();
    let slot = run.slot::<Recorded, InstanceError>(name);
    let keep = |r: &Recorded| r.process.is_none_or(|p| p.is_alive());
    let got = slot.obtain(keep, |generation| match warm::idle(&system_env)? {
        Some(idle) => warm::obtain(run, name, idle, keep, |warm_run, generation| {
            start_in(warm_run, name, generation, backend, spec)
        }),
        None => start_in(run, name, generation, backend, spec),
    })?;
    let recorded = got.outcome?;
    let warm = recorded.warm.clone();
    let provider = by_name(&recorded.provider).map_or("unknown", |p| p.name());
    let instance = Instance {
        backend: backend.to_owned(),
        provider,
        url: recorded.url,
        ports: recorded.ports,
        detail: recorded.detail,
        ready_ms: recorded.ready_ms,
        started_here: got.started_here,
    };
    if got.started_here {
        let reused = warm.as_ref().is_some_and(|w| w.reused);
        if !reused {
            crate::run::record_event(&format!(
                "instance {backend} {provider} ready_ms={} pid={}",
                instance.ready_ms,
                std::process::id()
            ));
        }
        let line = match &warm {
            Some(w) => warm_announcement(&instance, w),
            None => announcement(&instance),
        };
        crate::run::announce(&line);
    }
    Ok(instance)
}

/// Starts generation `generation` of the instance slot `name` of `run`.
fn start_in(
    run: &Run,
    name: &str,
    generation: u64,
    backend: &str,
    spec: &InstanceSpec,
) -> Result<Recorded, InstanceError> {
    let slot = run.slot::<Recorded, InstanceError>(name);
    let dir = slot.dir()?.join(format!("g{generation}"));
    std::fs::create_dir_all(&dir).map_err(|e| InstanceError::State {
        path: dir.clone(),
        detail: e.to_string(),
    })?;
    let request = Request {
        backend,
        spec,
        env: &system_env,
    };
    let cx = StartContext {
        run,
        slot: name,
        generation,
        dir,
        deadline: Instant::now() + Duration::from_millis(spec.startup_timeout_ms),
    };
    start(&request, &cx)
}

/// Chooses a provider and starts the instance: ready, set up, URL filled in.
fn start(request: &Request<'_>, cx: &StartContext<'_>) -> Result<Recorded, InstanceError> {
    let provider = choose(request, &providers())?;
    let started = Instant::now();
    let failed = |detail: String| InstanceError::Start {
        backend: request.backend.to_owned(),
        provider: provider.name().to_owned(),
        detail,
    };
    match provider.start(request, cx).map_err(failed)? {
        Started::Given { url, detail } => Ok(Recorded {
            provider: provider.name().to_owned(),
            url,
            ports: BTreeMap::new(),
            detail,
            ready_ms: 0,
            process: None,
            warm: None,
        }),
        Started::Running(mut server) => {
            let spec = request.spec;
            let vars = Vars::new(spec, server.ports(), &cx.dir);
            let timeout = Duration::from_millis(spec.startup_timeout_ms);
            let prepared = ready::wait(provider.ready(spec), &vars, &*server, cx.deadline, timeout)
                .and_then(|()| ready::setup(provider.setup(spec), &vars, &*server, cx.deadline))
                .and_then(|()| vars.expand(&spec.url));
            match prepared {
                Ok(url) => Ok(Recorded {
                    provider: provider.name().to_owned(),
                    url,
                    ports: server.ports().clone(),
                    detail: server.detail(),
                    ready_ms: started.elapsed().as_millis() as u64,
                    process: server.process(),
                    warm: None,
                }),
                Err(detail) => {
                    server.stop();
                    Err(failed(format!("{}: {detail}", server.detail())))
                }
            }
        }
    }
}

/// The line printed once per run when the instance is a warm one.
fn warm_announcement(i: &Instance, w: &warm::WarmUse) -> String {
    let how = if w.reused {
        "reused from an earlier run".to_owned()
    } else {
        format!("started, ready in {} ms", i.ready_ms)
    };
    format!(
        "prism-suite: {} via {}, warm ({}; {how}); kept until {} s without a run using it, ended now by `kill {}`; PRISM_WARM=0 for one of this run only",
        i.backend, i.provider, i.detail, w.idle_secs, w.supervisor
    )
}

/// The line printed once per run by the process that starts an instance.
pub fn announcement(i: &Instance) -> String {
    let upper = i.backend.to_ascii_uppercase();
    // Nothing was started (no ports of ours): someone else runs it.
    if i.ports.is_empty() {
        return format!(
            "prism-suite: {} via {} ({}); unset PRISM_{upper}_URL to let prism-suite start one (PRISM_{upper}_PROVIDER=docker|native)",
            i.backend, i.provider, i.detail
        );
    }
    let others: Vec<&str> = providers()
        .iter()
        .map(|p| p.name())
        .filter(|n| *n != i.provider && *n != "external")
        .collect();
    format!(
        "prism-suite: {} via {} ({}, ready in {} ms); choose another with PRISM_{upper}_PROVIDER={} or PRISM_{upper}_URL=<url>",
        i.backend,
        i.provider,
        i.detail,
        i.ready_ms,
        others.join("|")
    )
}
