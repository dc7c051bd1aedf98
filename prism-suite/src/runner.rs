//! The runner: one object that owns a run — its configuration, the registry, the backends'
//! plugins (and through them their instances), the channel factory, and the reporters that
//! subscribe to its [`Event`]s — and turns each case into a typed [`Outcome`].
//!
//! Everything that runs cases goes through it: the generated tests ([`run_generated`], one
//! runner per test process), `prism-matrix` ([`Runner::run`] over a [`Plan`]) and the self-checks
//! ([`Runner::attach`] a plugin they serve themselves, then [`Runner::run_cases`]).
//!
//! ```no_run
//! # async fn demo(registry: std::sync::Arc<prism_registry::Registry>) -> Result<(), prism_suite::runner::RunnerError> {
//! use prism_suite::runner::Runner;
//!
//! let runner = Runner::builder().registry(registry).from_env()?.build();
//! let plan = runner.plan(&["memstore"]);
//! let report = runner.run(&plan).await;
//! print!("{}", prism_suite::report::text::matrix(&report));
//! std::process::exit(report.exit_code());
//! # }
//! ```
//!
//! A backend is a [`BackendHandle`]: its registry entry and its plugin slot, owned by the runner
//! that made it. A plugin is provided once per handle, on first use; a failure to provide it is
//! remembered and fails each case of the backend with the same message.

mod generated;
mod track;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use prism_registry::{Backend, ClaimStatus, PluginSpec, Registry};
use tokio::runtime::Runtime;
use tokio::sync::OnceCell;
use tonic::transport::Channel;

pub(crate) use generated::runner_of;
pub use generated::{
    check_matrix, generated_runner, planned, run_everywhere, run_generated, EverywhereTest,
    TestFailure,
};
pub use track::{CaseChannel, RpcTracker};

use crate::catalogue::{self, CaseDef};
use crate::instance::Instance;
use crate::outcome::{CaseId, Failure, Outcome, PendingRpc, Rerun, RpcCode, SourceSite};
use crate::plugin::{Diagnosis, Plugin, ProcessPlugin};
use crate::report::RunReport;
use crate::{Case, CaseError, EmbeddedRegistry};

/// Per-case timeout when neither the suite nor the configuration sets one.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
/// Environment variable that overrides every case timeout, in milliseconds.
pub const TIMEOUT_ENV: &str = "PRISM_CASE_TIMEOUT_MS";
/// Environment variable that, set to `1`, skips every plugin's `build` step: the plugins are
/// prebuilt (a CI cell run from a nextest archive that carries them).
pub const SKIP_BUILD_ENV: &str = "PRISM_SKIP_BUILD";

/// The harness's own runtime: it outlives every test's runtime, so in-process plugins on it do too.
pub fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("prism-harness")
            .enable_all()
            .build()
            .expect("build the prism-suite harness runtime")
    })
}

/// Why a runner could not be configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunnerError {
    /// A configuration variable holds something unusable.
    #[error("{name}={value} is not {expected}")]
    BadVariable {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// The registry could not be loaded.
    #[error("the registry at {dir} does not load:\n{errors}")]
    Registry {
        /// The directory.
        dir: PathBuf,
        /// The loader's errors, one per line.
        errors: String,
    },
}

// ---------------------------------------------------------------------------------------------
// Events

/// What happens during a run, as reporters see it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// [`Runner::run`] starts a plan.
    RunStarted {
        /// The plan.
        plan: &'a Plan,
    },
    /// A backend instance was obtained for a backend (started here or found running).
    InstanceReady {
        /// The backend.
        backend: &'a str,
        /// The instance.
        instance: &'a Instance,
    },
    /// A backend's plugin answers (started here or found running for the run).
    PluginReady {
        /// The backend.
        backend: &'a str,
        /// What serves it.
        plugin: &'a str,
    },
    /// A backend's plugin could not be provided; each of its cases fails with this reason.
    PluginUnavailable {
        /// The backend.
        backend: &'a str,
        /// Why.
        reason: &'a str,
    },
    /// A case starts.
    CaseStarted {
        /// Which.
        id: &'a CaseId,
    },
    /// A case finished, passed or failed.
    CaseFinished {
        /// Its outcome.
        outcome: &'a Outcome,
    },
    /// [`Runner::run`] finished a plan.
    RunFinished {
        /// Everything it yielded.
        report: &'a RunReport,
    },
}

/// A reporter: receives every [`Event`] of the runner it subscribed to, in order per case.
/// Called on the runner's tasks: keep it quick (buffer, or send to a channel).
pub trait EventSink: Send + Sync {
    /// One event.
    fn event(&self, event: &Event<'_>);
}

impl<F: Fn(&Event<'_>) + Send + Sync> EventSink for F {
    fn event(&self, event: &Event<'_>) {
        self(event)
    }
}

// ---------------------------------------------------------------------------------------------
// The channel factory

/// Where a case's channel should lead.
#[derive(Debug, Clone, Copy)]
pub struct ConnectTarget<'a> {
    /// The case.
    pub case: &'a CaseId,
    /// Where its plugin listens now.
    pub plugin: SocketAddr,
}

/// The future a [`Connector`] returns.
pub type ConnectFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Channel, tonic::transport::Error>> + Send + 'a>>;

/// Opens the channel a case talks to its plugin through: the seam where a fault proxy sits
/// between the case and the plugin (connect to the proxy, which forwards to `target.plugin`).
/// The default, [`DirectConnector`], connects straight to the plugin.
pub trait Connector: Send + Sync {
    /// A channel for one case.
    fn connect<'a>(&'a self, target: ConnectTarget<'a>) -> ConnectFuture<'a>;
}

/// Connects each case straight to its plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct DirectConnector;

impl Connector for DirectConnector {
    fn connect<'a>(&'a self, target: ConnectTarget<'a>) -> ConnectFuture<'a> {
        Box::pin(crate::plugin::connect(target.plugin))
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration and construction

/// The test target a rerun command names (`-p <package> --test <target>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RerunTarget {
    /// The cargo package.
    pub package: String,
    /// The integration test target.
    pub test: String,
}

impl RerunTarget {
    /// The compliance matrix: `-p prism-suites --test compliance`.
    pub fn compliance() -> Self {
        RerunTarget {
            package: "prism-suites".into(),
            test: "compliance".into(),
        }
    }

    /// The test binary running now, if this process is one (under nextest it says so; under
    /// `cargo test` it is named `<target>-<hash>` in a `deps` directory), else the compliance target.
    pub fn detect() -> Self {
        if let Ok(id) = std::env::var("NEXTEST_BINARY_ID") {
            if let Some((package, test)) = id.split_once("::") {
                return RerunTarget {
                    package: package.to_owned(),
                    test: test.to_owned(),
                };
            }
        }
        let from_exe = || {
            let exe = std::env::current_exe().ok()?;
            if !exe.parent()?.ends_with("deps") {
                return None;
            }
            let stem = exe.file_stem()?.to_str()?;
            let (test, hash) = stem.rsplit_once('-')?;
            hash.chars().all(|c| c.is_ascii_hexdigit()).then_some(())?;
            Some(RerunTarget {
                package: std::env::var("CARGO_PKG_NAME").ok()?,
                test: test.to_owned(),
            })
        };
        from_exe().unwrap_or_else(RerunTarget::compliance)
    }
}

/// Builds a [`Runner`] (nextest's `TestRunnerBuilder` is the model).
#[must_use]
pub struct RunnerBuilder {
    registry: Option<Arc<Registry>>,
    root: Option<PathBuf>,
    case_timeout: Option<Duration>,
    skip_builds: bool,
    vars: BTreeMap<String, String>,
    connector: Arc<dyn Connector>,
    sinks: Vec<Arc<dyn EventSink>>,
    rerun: Option<RerunTarget>,
}

impl Default for RunnerBuilder {
    fn default() -> Self {
        RunnerBuilder {
            registry: None,
            root: None,
            case_timeout: None,
            skip_builds: false,
            vars: BTreeMap::new(),
            connector: Arc::new(DirectConnector),
            sinks: Vec::new(),
            rerun: None,
        }
    }
}

impl RunnerBuilder {
    /// The backends the runner runs (none by default: [`Runner::attach`] adds plugins served
    /// elsewhere).
    pub fn registry(mut self, registry: Arc<Registry>) -> Self {
        self.registry = Some(registry);
        self
    }

    /// The registry compiled into this test binary (what `compliance_matrix!()` embeds), parsed
    /// once per process; its checkout root ([`EmbeddedRegistry::root`]) becomes the runner's.
    pub fn embedded(mut self, registry: &'static EmbeddedRegistry) -> Result<Self, RunnerError> {
        let parsed = registry.registry().map_err(|e| RunnerError::Registry {
            dir: registry.dir().to_path_buf(),
            errors: e.to_string(),
        })?;
        self.registry = Some(Arc::new(parsed.clone()));
        self.root = Some(registry.root());
        Ok(self)
    }

    /// The checkout a process plugin's `build` step runs in and its relative paths resolve
    /// against (`PRISM_ROOT`); default: [`project_root`] of the registry's directory.
    pub fn root(mut self, root: impl Into<PathBuf>) -> Self {
        self.root = Some(root.into());
        self
    }

    /// One timeout for every case, replacing the suites' own.
    pub fn case_timeout(mut self, timeout: Duration) -> Self {
        self.case_timeout = Some(timeout);
        self
    }

    /// Never runs the plugins' `build` steps: their binaries are already where the registry says.
    pub fn skip_builds(mut self, skip: bool) -> Self {
        self.skip_builds = skip;
        self
    }

    /// Reads the configuration the environment gives: `PRISM_CASE_TIMEOUT_MS`, `PRISM_SKIP_BUILD`.
    pub fn from_env(mut self) -> Result<Self, RunnerError> {
        if let Ok(value) = std::env::var(SKIP_BUILD_ENV) {
            self.skip_builds = match value.trim() {
                "" | "0" | "false" => false,
                "1" | "true" => true,
                _ => {
                    return Err(RunnerError::BadVariable {
                        name: SKIP_BUILD_ENV.into(),
                        value,
                        expected: "1 or 0",
                    })
                }
            };
        }
        if let Ok(value) = std::env::var(TIMEOUT_ENV) {
            let ms = value
                .trim()
                .parse::<u64>()
                .map_err(|_| RunnerError::BadVariable {
                    name: TIMEOUT_ENV.into(),
                    value: value.clone(),
                    expected: "a number of milliseconds",
                })?;
            self.case_timeout = Some(Duration::from_millis(ms));
        }
        Ok(self)
    }

    /// A variable that wins over the environment for `${NAME}` in plugin commands and for
    /// `PRISM_<BACKEND>_URL` (instances read the environment themselves).
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// How cases connect to plugins (default: [`DirectConnector`]).
    pub fn connector(mut self, connector: impl Connector + 'static) -> Self {
        self.connector = Arc::new(connector);
        self
    }

    /// A reporter for the runner's events.
    pub fn subscribe(mut self, sink: impl EventSink + 'static) -> Self {
        self.sinks.push(Arc::new(sink));
        self
    }

    /// The test target rerun commands name (default: [`RerunTarget::detect`]).
    pub fn rerun_target(mut self, target: RerunTarget) -> Self {
        self.rerun = Some(target);
        self
    }

    /// The runner. Cheap: nothing starts until a case needs it.
    pub fn build(self) -> Runner {
        let registry = self.registry.unwrap_or_else(|| {
            Arc::new(Registry {
                dir: PathBuf::new(),
                backends: Vec::new(),
                sources: Vec::new(),
            })
        });
        let backends = (0..registry.backends.len())
            .map(|index| BackendHandle {
                state: Arc::new(BackendState {
                    name: registry.backends[index].name.clone(),
                    registry: Some((registry.clone(), index)),
                    plugin: OnceCell::new(),
                }),
            })
            .collect();
        Runner {
            inner: Arc::new(Inner {
                root: self.root.unwrap_or_else(|| project_root(&registry.dir)),
                registry,
                case_timeout: self.case_timeout,
                skip_builds: self.skip_builds,
                vars: self.vars,
                connector: self.connector,
                sinks: self.sinks,
                rerun: self.rerun.unwrap_or_else(RerunTarget::detect),
                backends,
            }),
        }
    }
}

/// The directory a registry's relative paths are resolved against: the nearest ancestor holding
/// `Cargo.lock` or `.git`, else the registry directory itself.
pub fn project_root(registry_dir: &Path) -> PathBuf {
    prism_registry::project_root(registry_dir)
}

// ---------------------------------------------------------------------------------------------
// The runner and its backends

/// Owns a run; cheap to clone (clones share everything).
#[derive(Clone)]
pub struct Runner {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    root: PathBuf,
    case_timeout: Option<Duration>,
    skip_builds: bool,
    vars: BTreeMap<String, String>,
    connector: Arc<dyn Connector>,
    sinks: Vec<Arc<dyn EventSink>>,
    rerun: RerunTarget,
    backends: Vec<BackendHandle>,
}

/// A backend of a runner: its registry entry and its plugin, provided once on first use.
#[derive(Clone)]
pub struct BackendHandle {
    state: Arc<BackendState>,
}

struct BackendState {
    name: String,
    /// The registry and the backend's index in it; `None` for an attached plugin.
    registry: Option<(Arc<Registry>, usize)>,
    plugin: OnceCell<Result<Arc<Plugin>, String>>,
}

impl BackendHandle {
    /// The backend's name.
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// Its registry entry (`None` for a plugin given to [`Runner::attach`]).
    pub fn spec(&self) -> Option<&Backend> {
        self.state
            .registry
            .as_ref()
            .map(|(registry, index)| &registry.backends[*index])
    }
}

impl std::fmt::Debug for BackendHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendHandle")
            .field("name", &self.state.name)
            .finish_non_exhaustive()
    }
}

impl Runner {
    /// A builder with nothing configured.
    pub fn builder() -> RunnerBuilder {
        RunnerBuilder::default()
    }

    /// The registry the runner runs.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The project root instance commands and plugin builds run in (`PRISM_ROOT`).
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Every backend of the registry, sorted by name.
    pub fn backends(&self) -> &[BackendHandle] {
        &self.inner.backends
    }

    /// The backend called `name`.
    pub fn backend(&self, name: &str) -> Option<&BackendHandle> {
        self.inner.backends.iter().find(|b| b.name() == name)
    }

    /// A backend outside the registry whose plugin is already provided (the self-checks serve
    /// deliberately broken plugins themselves).
    pub fn attach(&self, name: impl Into<String>, plugin: Plugin) -> BackendHandle {
        BackendHandle {
            state: Arc::new(BackendState {
                name: name.into(),
                registry: None,
                plugin: OnceCell::new_with(Some(Ok(Arc::new(plugin)))),
            }),
        }
    }

    fn emit(&self, event: &Event<'_>) {
        for sink in &self.inner.sinks {
            sink.event(event);
        }
    }

    /// The timeout of a case: the configuration's, else the suite's, else the default.
    pub fn timeout_of(&self, case: &CaseDef) -> Duration {
        self.inner
            .case_timeout
            .unwrap_or_else(|| Duration::from_millis(case.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS)))
    }

    /// The backend's plugin, provided on first use (build step, instance, process or in-process
    /// server) and shared afterwards. A failure is remembered: every later call returns it.
    pub async fn plugin(&self, backend: &BackendHandle) -> Result<Arc<Plugin>, String> {
        backend
            .state
            .plugin
            .get_or_init(|| async {
                let provided = match backend.spec() {
                    Some(spec) => self.provide(spec).await,
                    None => Err(format!("no plugin attached to `{}`", backend.name())),
                };
                match &provided {
                    Ok(plugin) => self.emit(&Event::PluginReady {
                        backend: backend.name(),
                        plugin: &plugin.describe(),
                    }),
                    Err(reason) => self.emit(&Event::PluginUnavailable {
                        backend: backend.name(),
                        reason,
                    }),
                }
                provided
            })
            .await
            .clone()
    }

    async fn provide(&self, spec: &Backend) -> Result<Arc<Plugin>, String> {
        let plugin = match &spec.plugin {
            PluginSpec::BuiltIn { name } => Plugin::builtin(name).map_err(|e| e.to_string())?,
            PluginSpec::Process(process) => {
                let root = &self.inner.root;
                let mut vars: BTreeMap<&str, String> =
                    BTreeMap::from([("PRISM_ROOT", root.display().to_string())]);
                if let Some(bin) = crate::plugin::process::bin_dir() {
                    vars.insert("PRISM_BIN_DIR", bin.display().to_string());
                }
                for (name, value) in &self.inner.vars {
                    vars.insert(name, value.clone());
                }
                // The instance before the build: a run where no instance can be provided fails at
                // once (measured: the no-op `cargo build` of the first process took 0.6-0.9 s,
                // and under nextest every case waited on it).
                let url = match &spec.instance {
                    Some(instance) => Some(self.instance(spec, instance).await?),
                    None => {
                        let var = crate::instance::var_name(&spec.name, "URL");
                        self.inner
                            .vars
                            .get(&var)
                            .cloned()
                            .or_else(|| std::env::var(var).ok())
                    }
                };
                if let Some(build) = process.build.as_ref().filter(|_| !self.inner.skip_builds) {
                    let (build, root) = (build.clone(), root.clone());
                    tokio::task::spawn_blocking(move || crate::harness::build_once(&build, &root))
                        .await
                        .map_err(|e| format!("build step panicked: {e}"))?
                        .map_err(|e| e.to_string())?;
                }
                let p = ProcessPlugin::new(&spec.name, process, root, &vars, url)
                    .map_err(|e| e.to_string())?;
                Plugin::process(Arc::new(p))
            }
        };
        // Start it now, so that a plugin that cannot start is reported once, as such.
        plugin.addr().await.map_err(|e| e.to_string())?;
        Ok(Arc::new(plugin))
    }

    /// The URL of the backend's instance for this run. Obtaining one blocks (it may wait for a
    /// container), so it runs on a thread of its own, not on a test's runtime.
    async fn instance(
        &self,
        backend: &Backend,
        spec: &prism_registry::InstanceSpec,
    ) -> Result<String, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (owned, spec) = (backend.clone(), spec.clone());
        std::thread::Builder::new()
            .name("prism-instance".into())
            .spawn(move || {
                let _ = tx.send(crate::instance::obtain(&owned, &spec));
            })
            .map_err(|e| format!("cannot start the provisioning thread: {e}"))?;
        match rx.await {
            Ok(Ok(instance)) => {
                self.emit(&Event::InstanceReady {
                    backend: &backend.name,
                    instance: &instance,
                });
                Ok(instance.url)
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("provisioning the backend instance panicked".to_owned()),
        }
    }

    /// Runs one case against a backend under its timeout: always an outcome, never a panic.
    pub async fn run_case(&self, backend: &BackendHandle, case: &'static CaseDef) -> Outcome {
        let id = CaseId::new(backend.name(), case.interface, case.name);
        self.emit(&Event::CaseStarted { id: &id });
        let started_at = SystemTime::now();
        let mut clock = Instant::now();
        let mut outcome = Outcome {
            rerun: Rerun::new(&self.inner.rerun.package, &self.inner.rerun.test, &id),
            id,
            rule: case.doc.to_owned(),
            site: SourceSite {
                file: case.file.to_owned(),
                line: case.line,
            },
            namespace: None,
            plugin: String::new(),
            started_at,
            duration: Duration::ZERO,
            failure: None,
            plugin_output: Vec::new(),
            output_scope: Default::default(),
            harness_notes: Vec::new(),
        };
        let plugin = match self.plugin(backend).await {
            Err(reason) => Err(Failure::PluginUnavailable { reason }),
            Ok(plugin) => {
                outcome.plugin = plugin.describe();
                // A plugin restarted after an earlier case's crash starts here, before the case:
                // its start-up is neither the case's time nor the case's output.
                match plugin.addr().await {
                    Ok(addr) => Ok((plugin, addr)),
                    Err(e) => Err(Failure::PluginUnavailable {
                        reason: format!("the plugin cannot be restarted: {e}"),
                    }),
                }
            }
        };
        match plugin {
            Err(failure) => outcome.failure = Some(failure),
            Ok((plugin, addr)) => {
                outcome.started_at = SystemTime::now();
                clock = Instant::now();
                outcome.failure = self
                    .run_body(
                        &plugin,
                        addr,
                        backend,
                        case,
                        &mut outcome.namespace,
                        &outcome.id,
                    )
                    .await;
                if outcome.failure.is_some() {
                    let out = plugin.output_between(outcome.started_at, SystemTime::now());
                    outcome.plugin_output = out.lines;
                    outcome.output_scope = out.scope;
                    outcome.harness_notes.extend(out.notes);
                }
            }
        }
        outcome.duration = clock.elapsed();
        self.emit(&Event::CaseFinished { outcome: &outcome });
        outcome
    }

    /// The case itself, then, if it failed, what became of the plugin.
    async fn run_body(
        &self,
        plugin: &Plugin,
        addr: SocketAddr,
        backend: &BackendHandle,
        case: &'static CaseDef,
        namespace: &mut Option<String>,
        id: &CaseId,
    ) -> Option<Failure> {
        let target = ConnectTarget {
            case: id,
            plugin: addr,
        };
        let tracker = RpcTracker::default();
        let failure = match self.inner.connector.connect(target).await {
            Err(e) => Some(Failure::PluginUnavailable {
                reason: format!("cannot connect to the plugin at {addr}: {e}"),
            }),
            Ok(channel) => {
                let channel = CaseChannel::new(channel, tracker.clone());
                let mut cx = Case::new(backend.name(), case.interface, case.name, channel);
                *namespace = Some(cx.namespace().to_owned());
                // A task of its own: a panic in the case is caught as an outcome, and a timeout
                // reads the RPCs in flight before the case is dropped.
                let timeout = self.timeout_of(case);
                let mut task = tokio::spawn(async move { (case.run)(&mut cx).await });
                tokio::select! {
                    joined = &mut task => match joined {
                        Ok(Ok(())) => None,
                        Ok(Err(e)) => Some(case_error(e)),
                        Err(e) if e.is_panic() => Some(Failure::Panic { message: panic_message(e.into_panic()) }),
                        Err(e) => Some(Failure::Lost { reason: e.to_string() }),
                    },
                    () = tokio::time::sleep(timeout) => {
                        let pending = tracker.pending();
                        task.abort();
                        Some(Failure::Timeout { after: timeout, pending, plugin: None })
                    }
                }
            }
        };
        let failure = failure?;
        Some(match plugin.diagnose().await {
            None => failure,
            Some(Diagnosis::Crashed { exit, .. }) => {
                let mut in_flight = tracker.pending();
                if let Failure::Timeout { pending, .. } = &failure {
                    merge_pending(&mut in_flight, pending);
                }
                Failure::PluginCrash {
                    exit: exit.to_string(),
                    in_flight,
                    seen: Some(failure.headline()),
                }
            }
            Some(hung @ Diagnosis::Hung { .. }) => match failure {
                Failure::Timeout { after, pending, .. } => Failure::Timeout {
                    after,
                    pending,
                    plugin: Some(hung.to_string()),
                },
                other => other,
            },
        })
    }

    /// Runs `cases` against a backend concurrently; one outcome per case, in the given order.
    pub async fn run_cases(
        &self,
        backend: &BackendHandle,
        cases: &[&'static CaseDef],
    ) -> Vec<Outcome> {
        let mut set = tokio::task::JoinSet::new();
        let mut index_of = BTreeMap::new();
        for (i, case) in cases.iter().copied().enumerate() {
            let (runner, backend) = (self.clone(), backend.clone());
            let handle = set.spawn(async move { runner.run_case(&backend, case).await });
            index_of.insert(handle.id(), i);
        }
        let mut outcomes: Vec<Option<Outcome>> = vec![None; cases.len()];
        while let Some(joined) = set.join_next_with_id().await {
            match joined {
                Ok((task, outcome)) => outcomes[index_of[&task]] = Some(outcome),
                Err(e) => {
                    let i = index_of[&e.id()];
                    let failure = if e.is_panic() {
                        Failure::Panic {
                            message: panic_message(e.into_panic()),
                        }
                    } else {
                        Failure::Lost {
                            reason: e.to_string(),
                        }
                    };
                    let outcome = self.unreported(backend, cases[i], failure);
                    self.emit(&Event::CaseFinished { outcome: &outcome });
                    outcomes[i] = Some(outcome);
                }
            }
        }
        outcomes
            .into_iter()
            .zip(cases)
            .map(|(o, case)| {
                o.unwrap_or_else(|| {
                    self.unreported(
                        backend,
                        case,
                        Failure::Lost {
                            reason: "its task ended without a result".into(),
                        },
                    )
                })
            })
            .collect()
    }

    /// The outcome of a case whose own run never returned one.
    fn unreported(&self, backend: &BackendHandle, case: &CaseDef, failure: Failure) -> Outcome {
        let id = CaseId::new(backend.name(), case.interface, case.name);
        Outcome {
            rerun: Rerun::new(&self.inner.rerun.package, &self.inner.rerun.test, &id),
            id,
            rule: case.doc.to_owned(),
            site: SourceSite {
                file: case.file.to_owned(),
                line: case.line,
            },
            namespace: None,
            plugin: String::new(),
            started_at: SystemTime::now(),
            duration: Duration::ZERO,
            failure: Some(failure),
            plugin_output: Vec::new(),
            output_scope: Default::default(),
            harness_notes: Vec::new(),
        }
    }

    /// Every claim of the named backends (all when `backends` is empty), as a plan.
    pub fn plan(&self, backends: &[&str]) -> Plan {
        let mut items = Vec::new();
        for backend in self.backends() {
            if !backends.is_empty() && !backends.contains(&backend.name()) {
                continue;
            }
            let Some(spec) = backend.spec() else { continue };
            for claim in &spec.claims {
                let work = match claim.status {
                    ClaimStatus::Planned => Work::Planned {
                        reason: claim.reason.clone(),
                    },
                    ClaimStatus::Implemented => {
                        let cases = catalogue::cases_of(&claim.interface);
                        if cases.is_empty() {
                            Work::NoSuite
                        } else {
                            Work::Cases(cases)
                        }
                    }
                };
                items.push(PlanItem {
                    backend: backend.clone(),
                    interface: claim.interface.clone(),
                    work,
                });
            }
        }
        Plan { items }
    }

    /// Runs a plan: the cases of each backend x interface concurrently, one cell after another.
    pub async fn run(&self, plan: &Plan) -> RunReport {
        self.emit(&Event::RunStarted { plan });
        let started = Instant::now();
        let mut report = RunReport::default();
        for item in &plan.items {
            let result = match &item.work {
                Work::Cases(cases) => crate::report::CellResult::Ran {
                    outcomes: self.run_cases(&item.backend, cases).await,
                },
                Work::Planned { reason } => crate::report::CellResult::Planned {
                    reason: reason.clone(),
                },
                Work::NoSuite => crate::report::CellResult::NoSuite,
            };
            report.push(item.backend.name(), &item.interface, result);
        }
        report.duration = started.elapsed();
        self.emit(&Event::RunFinished { report: &report });
        report
    }
}

/// What a run will do: one item per backend x interface.
#[derive(Debug, Default)]
pub struct Plan {
    /// The items, in order.
    pub items: Vec<PlanItem>,
}

/// One backend x interface of a [`Plan`].
#[derive(Debug)]
pub struct PlanItem {
    /// The backend.
    pub backend: BackendHandle,
    /// The interface.
    pub interface: String,
    /// What runs.
    pub work: Work,
}

/// What a [`PlanItem`] runs.
#[derive(Debug)]
pub enum Work {
    /// These cases.
    Cases(Vec<&'static CaseDef>),
    /// Nothing: the interface is declared planned.
    Planned {
        /// Why, if the registry says.
        reason: Option<String>,
    },
    /// Nothing: the interface is claimed but no suite for it is linked in (a failure).
    NoSuite,
}

fn case_error(e: CaseError) -> Failure {
    match e {
        CaseError::Check { message, at } => Failure::Check {
            message,
            at: at.into(),
        },
        CaseError::Rpc { code, message, at } => Failure::Rpc {
            hint: hint(code),
            code: RpcCode(code),
            message,
            at: at.into(),
        },
    }
}

fn hint(code: tonic::Code) -> Option<String> {
    match code {
        tonic::Code::Unimplemented => Some(
            "UNIMPLEMENTED: the plugin does not serve this interface (or this method of it), but the registry claims it".into(),
        ),
        tonic::Code::Unavailable => {
            Some("UNAVAILABLE: the plugin closed the connection or is not listening".into())
        }
        _ => None,
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => (*s).to_owned(),
            Err(_) => "(a panic payload that is not a string)".to_owned(),
        },
    }
}

/// Adds to `into` the RPCs of `more` it does not list yet.
fn merge_pending(into: &mut Vec<PendingRpc>, more: &[PendingRpc]) {
    for p in more {
        if !into.iter().any(|q| q.method == p.method) {
            into.push(p.clone());
        }
    }
}
