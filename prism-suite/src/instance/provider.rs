//! The provider abstraction: what docker, native and external (and any provider added later)
//! implement, and how one is chosen for a backend.
//!
//! A provider registers itself with [`register_provider!`] in its own module; choosing walks the
//! registered providers by rank, so adding one edits no central `match`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use prism_registry::{InstanceSpec, WaitFor};

use super::InstanceError;
use crate::lifecycle::Run;

/// What a provider is asked to provide: one backend's `instance:` section, in an environment.
pub struct Request<'a> {
    /// The backend's name.
    pub backend: &'a str,
    /// Its `instance:` section.
    pub spec: &'a InstanceSpec,
    /// Reads an environment variable (empty counts as unset).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl Request<'_> {
    /// The name of the backend's variable `PRISM_<BACKEND>_<what>`.
    pub fn var_name(&self, what: &str) -> String {
        super::var_name(self.backend, what)
    }

    /// The value of the backend's variable `PRISM_<BACKEND>_<what>`.
    pub fn var(&self, what: &str) -> Option<String> {
        (self.env)(&self.var_name(what))
    }
}

/// Whether a provider can serve a request on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// It can.
    Available,
    /// The registry file declares nothing for it (no image, no native command).
    Undeclared,
    /// Declared, but this machine lacks `missing`; `how` says how to provide it.
    Missing {
        /// What is missing ("no docker daemon answers (`docker version`)").
        missing: String,
        /// How to provide it ("install and start docker (bash scripts/setup-docker.sh)").
        how: String,
    },
    /// Chosen only when asked for (an instance someone else runs); `missing` is what asking needs.
    OnRequest {
        /// What is not set ("PRISM_REDIS_URL is not set").
        missing: String,
        /// How to ask ("point at a running instance with PRISM_REDIS_URL=<url>").
        how: String,
    },
}

/// Where and how long a provider starts an instance.
pub struct StartContext<'a> {
    /// The run the instance belongs to (its supervisor starts processes, removes containers).
    pub run: &'a Run,
    /// The instance's slot name, unique in the run (for container names, clean-up names).
    pub slot: &'a str,
    /// The generation being started.
    pub generation: u64,
    /// A fresh directory for this generation: `${DIR}`.
    pub dir: PathBuf,
    /// When the instance must be ready (setup included).
    pub deadline: Instant,
}

impl StartContext<'_> {
    /// The time left until the deadline.
    pub fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// A server a provider started, as readiness conditions and setup steps see it.
pub trait Running: Send {
    /// The host port of each named port, all on 127.0.0.1.
    fn ports(&self) -> &BTreeMap<String, u16>;
    /// Everything the server wrote so far, stdout and stderr.
    fn output(&self) -> String;
    /// Why the server is gone, if it is ("exited with status 1").
    fn ended(&self) -> Option<String>;
    /// What runs, for messages: "image redis:7, container 0e25249bbb3d on 127.0.0.1:32773".
    fn detail(&self) -> String;
    /// The environment of the server, also given to its `ready` and `setup` commands.
    fn command_env(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }
    /// The server's process, when it is one the run's supervisor started (its liveness is
    /// checked before the instance is reused).
    fn process(&self) -> Option<crate::lifecycle::ProcessId> {
        None
    }
    /// Stops it now (it did not become ready); the run's end would too.
    fn stop(&mut self);
}

/// What a provider's start gives back.
pub enum Started {
    /// A server to wait for (readiness, then setup).
    Running(Box<dyn Running>),
    /// An instance that already runs elsewhere, as given.
    Given {
        /// The URL the plugin gets.
        url: String,
        /// What it is, for messages.
        detail: String,
    },
}

/// One way to provide backend instances.
pub trait Provider: Sync + 'static {
    /// The name in `PRISM_<BACKEND>_PROVIDER` and in messages.
    fn name(&self) -> &'static str;
    /// How the missing-providers message words [`Availability::Undeclared`]
    /// ("the registry names no docker image").
    fn undeclared(&self) -> &'static str;
    /// Whether it can serve `request` here (may probe: `docker version`).
    fn availability(&self, request: &Request<'_>) -> Availability;
    /// The readiness conditions it waits for.
    fn ready<'s>(&self, spec: &'s InstanceSpec) -> &'s [WaitFor] {
        &spec.ready
    }
    /// The setup commands it runs once ready.
    fn setup<'s>(&self, spec: &'s InstanceSpec) -> &'s [Vec<String>] {
        &spec.setup
    }
    /// Starts the instance.
    fn start(&self, request: &Request<'_>, cx: &StartContext<'_>) -> Result<Started, String>;
}

/// A provider and its place in the default order.
pub struct ProviderEntry {
    /// Lower ranks are tried first when no provider is configured.
    pub rank: u32,
    /// The provider.
    pub provider: &'static dyn Provider,
}

inventory::collect!(ProviderEntry);

/// Registers a provider: `register_provider!(10, Docker);` (a unit struct implementing
/// [`Provider`]).
#[macro_export]
macro_rules! register_provider {
    ($rank:expr, $provider:expr) => {
        $crate::__private::inventory::submit! {
            $crate::instance::ProviderEntry { rank: $rank, provider: &$provider }
        }
    };
}

/// The registered providers, in rank order.
pub fn providers() -> Vec<&'static dyn Provider> {
    let mut entries: Vec<&ProviderEntry> = inventory::iter::<ProviderEntry>().collect();
    entries.sort_by_key(|e| (e.rank, e.provider.name()));
    entries.into_iter().map(|e| e.provider).collect()
}

/// The provider called `name`.
pub fn by_name(name: &str) -> Option<&'static dyn Provider> {
    providers().into_iter().find(|p| p.name() == name)
}

/// Chooses the provider: the one `PRISM_<BACKEND>_PROVIDER` names, else the first available in
/// rank order, else an error saying what is missing and how to provide it.
pub fn choose(
    request: &Request<'_>,
    providers: &[&'static dyn Provider],
) -> Result<&'static dyn Provider, InstanceError> {
    let provider_var = request.var_name("PROVIDER");
    if let Some(value) = request.var("PROVIDER") {
        let configured = |why: String| InstanceError::Configured {
            var: provider_var.clone(),
            value: value.clone(),
            why,
        };
        let wanted = value.trim().to_ascii_lowercase();
        let Some(provider) = providers.iter().find(|p| p.name() == wanted) else {
            let names: Vec<&str> = providers.iter().map(|p| p.name()).collect();
            return Err(configured(format!(
                "that is not a provider: use {}",
                or_list(&names)
            )));
        };
        return match provider.availability(request) {
            Availability::Available => Ok(*provider),
            Availability::Undeclared => Err(configured(format!(
                "{} for {}",
                provider.undeclared(),
                request.backend
            ))),
            Availability::Missing { missing, how } | Availability::OnRequest { missing, how } => {
                Err(configured(format!("{missing}: {how}")))
            }
        };
    }
    let mut missing = Vec::new();
    let mut how = Vec::new();
    let mut on_request = Vec::new();
    for provider in providers {
        match provider.availability(request) {
            Availability::Available => return Ok(*provider),
            Availability::Undeclared => missing.push(provider.undeclared().to_owned()),
            Availability::Missing { missing: m, how: h } => {
                missing.push(m);
                how.push(h);
            }
            Availability::OnRequest { how: h, .. } => on_request.push(h),
        }
    }
    how.extend(on_request);
    Err(InstanceError::Unavailable {
        backend: request.backend.to_owned(),
        missing: missing.join(", "),
        how: how.join("; or "),
    })
}

/// "a, b or c".
fn or_list(names: &[&str]) -> String {
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Whether `program` can be executed: a path that exists, or a name found on PATH.
pub fn on_path(program: &str) -> bool {
    find_program(program).is_some()
}

/// The program's path: as given when it names a path, else the first match on PATH.
pub fn find_program(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
}
