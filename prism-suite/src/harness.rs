//! The harness: from `(registry, backend, interface, case)` to a verdict with a useful message.
//!
//! Per process it loads each registry once, provides each backend's plugin once (shared by every
//! test thread; a plugin process is shared by every process of the run, see
//! [`crate::plugin::ProcessPlugin`]), and for each case opens a fresh channel, builds a [`Case`]
//! with a fresh namespace and runs it under its timeout.

mod build;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use prism_registry::{InstanceSpec, PluginSpec, Registry};
use tokio::runtime::Runtime;
use tokio::sync::OnceCell;

use crate::catalogue::{self, CaseDef};
use crate::plugin::{Plugin, ProcessPlugin};
use crate::{Case, CaseError};

/// Per-case timeout when neither the suite nor the environment sets one.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
/// Environment variable that overrides every case timeout, in milliseconds.
pub const TIMEOUT_ENV: &str = "PRISM_CASE_TIMEOUT_MS";
/// Plugin output lines shown in a failure message.
const TAIL_LINES: usize = 20;

/// The harness's own runtime: it outlives every test's runtime, so servers on it do too.
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

/// Loads a registry once per process.
pub fn registry(dir: &Path) -> Result<Arc<Registry>, String> {
    static CACHE: Mutex<BTreeMap<PathBuf, Arc<Registry>>> = Mutex::new(BTreeMap::new());
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = cache.get(dir) {
        return Ok(r.clone());
    }
    let reg = prism_registry::load_dir(dir).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let reg = Arc::new(reg);
    cache.insert(dir.to_path_buf(), reg.clone());
    Ok(reg)
}

type PluginCell = Arc<OnceCell<Result<Arc<Plugin>, String>>>;

/// The plugin of `backend` in the registry at `dir`, started on first use and shared afterwards.
/// A plugin that cannot start fails every case with the same message, without retrying each time.
pub async fn plugin(dir: &Path, backend: &str) -> Result<Arc<Plugin>, String> {
    static CELLS: Mutex<BTreeMap<(PathBuf, String), PluginCell>> = Mutex::new(BTreeMap::new());
    let cell = CELLS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry((dir.to_path_buf(), backend.to_owned()))
        .or_default()
        .clone();
    cell.get_or_init(|| start_plugin(dir.to_path_buf(), backend.to_owned()))
        .await
        .clone()
}

async fn start_plugin(dir: PathBuf, backend: String) -> Result<Arc<Plugin>, String> {
    let reg = registry(&dir)?;
    let spec = reg.backend(&backend).ok_or_else(|| {
        format!(
            "backend `{backend}` is not in the registry at {}",
            dir.display()
        )
    })?;
    let plugin = match &spec.plugin {
        PluginSpec::BuiltIn { name } => Plugin::builtin(name).map_err(|e| e.to_string())?,
        PluginSpec::Process(process) => {
            let root = project_root(&dir);
            let mut vars = BTreeMap::from([("PRISM_ROOT", root.display().to_string())]);
            if let Some(bin) = crate::plugin::process::bin_dir() {
                vars.insert("PRISM_BIN_DIR", bin.display().to_string());
            }
            if let Some(build) = &process.build {
                let (build, root) = (build.clone(), root.clone());
                tokio::task::spawn_blocking(move || build::once(&build, &root))
                    .await
                    .map_err(|e| format!("build step panicked: {e}"))?
                    .map_err(|e| e.to_string())?;
            }
            let url = match &spec.instance {
                Some(instance) => Some(provision(&backend, instance).await?),
                None => std::env::var(crate::instance::var_name(&backend, "URL")).ok(),
            };
            let p = ProcessPlugin::new(&backend, process, &root, &vars, url)
                .map_err(|e| e.to_string())?;
            Plugin::process(Arc::new(p))
        }
    };
    // Start it now, so that a plugin that cannot start is reported once, as such.
    plugin.addr().await.map_err(|e| e.to_string())?;
    Ok(Arc::new(plugin))
}

/// The URL of the backend's instance for this run (see [`crate::instance`]). Provisioning blocks
/// (it may wait for a container), so it runs on a thread of its own, not on a test's runtime.
async fn provision(backend: &str, spec: &InstanceSpec) -> Result<String, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (backend, spec) = (backend.to_owned(), spec.clone());
    std::thread::Builder::new()
        .name("prism-instance".into())
        .spawn(move || {
            let _ = tx.send(crate::instance::obtain_named(&backend, &spec));
        })
        .map_err(|e| format!("cannot start the provisioning thread: {e}"))?;
    match rx.await {
        Ok(Ok(instance)) => Ok(instance.url),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("provisioning the backend instance panicked".to_owned()),
    }
}

/// The directory a registry's relative paths are resolved against: the nearest ancestor holding
/// `Cargo.lock` or `.git`, else the registry directory itself.
pub fn project_root(registry_dir: &Path) -> PathBuf {
    registry_dir
        .ancestors()
        .find(|d| d.join("Cargo.lock").exists() || d.join(".git").exists())
        .unwrap_or(registry_dir)
        .to_path_buf()
}

/// The timeout of a case: the environment's, else the suite's, else the default.
pub fn timeout_of(case: &CaseDef) -> Duration {
    let env = std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    Duration::from_millis(env.or(case.timeout_ms).unwrap_or(DEFAULT_TIMEOUT_MS))
}

/// The verdict on one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Backend name.
    pub backend: String,
    /// Interface name.
    pub interface: &'static str,
    /// Case name.
    pub case: &'static str,
    /// Wall time of the case body (without plugin start-up).
    pub elapsed: Duration,
    /// `None` when the case passed; else the full failure message.
    pub failure: Option<String>,
}

impl Outcome {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            None => write!(
                f,
                "PASS {}::{}::{}",
                self.backend, self.interface, self.case
            ),
            Some(msg) => write!(f, "{msg}"),
        }
    }
}

/// Runs one case against a plugin under its timeout and explains any failure.
pub async fn run_case(backend: &str, plugin: &Plugin, case: &'static CaseDef) -> Outcome {
    run_case_within(backend, plugin, case, timeout_of(case)).await
}

/// Runs one case against a plugin under `timeout` and explains any failure.
pub async fn run_case_within(
    backend: &str,
    plugin: &Plugin,
    case: &'static CaseDef,
    timeout: Duration,
) -> Outcome {
    let started = Instant::now();
    let mut namespace = String::new();
    let result = match plugin.connect().await {
        Err(e) => Err(format!("cannot reach the plugin: {e}")),
        Ok(channel) => {
            let mut cx = Case::new(backend, case.interface, case.name, channel);
            namespace = cx.namespace().to_owned();
            match tokio::time::timeout(timeout, (case.run)(&mut cx)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(explain(&e)),
                Err(_) => Err(format!(
                    "timed out after {} ms (set {TIMEOUT_ENV} or the suite's timeout_ms to change it)",
                    timeout.as_millis()
                )),
            }
        }
    };
    let elapsed = started.elapsed();
    let failure = match result {
        Ok(()) => None,
        Err(error) => Some(failure_message(backend, plugin, case, &namespace, &error).await),
    };
    Outcome {
        backend: backend.to_owned(),
        interface: case.interface,
        case: case.name,
        elapsed,
        failure,
    }
}

fn explain(e: &CaseError) -> String {
    match e {
        CaseError::Rpc {
            code: tonic::Code::Unimplemented,
            ..
        } => {
            format!("{e}\n             (UNIMPLEMENTED: the plugin does not serve this interface, but the registry claims it)")
        }
        CaseError::Rpc {
            code: tonic::Code::Unavailable,
            ..
        } => {
            format!("{e}\n             (UNAVAILABLE: the plugin closed the connection or is not listening)")
        }
        _ => e.to_string(),
    }
}

async fn failure_message(
    backend: &str,
    plugin: &Plugin,
    case: &CaseDef,
    namespace: &str,
    error: &str,
) -> String {
    let mut msg = format!("case {backend}::{}::{} failed\n", case.interface, case.name);
    if !case.doc.is_empty() {
        msg += &format!("  rule:      {}\n", case.doc);
    }
    msg += &format!("  error:     {error}\n");
    if let Some(what) = plugin.diagnose().await {
        msg += &format!("  plugin:    {what}\n");
    }
    msg += &format!("  backend:   {backend} ({})\n", plugin.describe());
    if !namespace.is_empty() {
        msg += &format!("  namespace: {namespace}\n");
    }
    msg += &format!("  case at:   {}:{}\n", case.file, case.line);
    let tail = plugin.log_tail(TAIL_LINES);
    if !tail.is_empty() {
        msg += &format!("  plugin output (last {} lines):\n", tail.len());
        for line in tail {
            msg += &format!("    | {line}\n");
        }
    }
    msg
}

/// What every generated test calls: runs the case; its failure message as the test's error.
pub async fn run_generated(
    registry_dir: &str,
    backend: &str,
    interface: &'static str,
    case: &'static str,
) -> Result<(), Failure> {
    match run_named(Path::new(registry_dir), backend, interface, case).await {
        None => Ok(()),
        Some(msg) => Err(Failure(msg)),
    }
}

/// A failed generated test. Returned rather than panicked, so libtest prints the message alone
/// (`Error: case ... failed ...`): a panic would add a backtrace under `RUST_BACKTRACE=1`, which
/// costs a second or more of symbolisation per failing test process under nextest.
pub struct Failure(String);

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs a case by name; `Some(message)` when it failed.
pub async fn run_named(dir: &Path, backend: &str, interface: &str, case: &str) -> Option<String> {
    let Some(def) = catalogue::find(interface, case) else {
        return Some(format!(
            "case {backend}::{interface}::{case}: no such case in the catalogue (is the suite crate linked in?)"
        ));
    };
    let plugin = match plugin(dir, backend).await {
        Ok(p) => p,
        Err(e) => {
            return Some(format!(
                "case {backend}::{interface}::{case} failed\n  plugin:    {e}\n"
            ))
        }
    };
    run_case(backend, &plugin, def).await.failure
}

/// Body of the ignored test of a planned interface: running it says so and fails.
pub fn planned(backend: &str, interface: &str) {
    panic!("{backend} declares {interface} as planned: there is nothing to test until it is implemented")
}

/// Checks the compile-time matrix against the catalogue: for every expanded backend x interface,
/// the generated cases are exactly the registered ones.
pub fn check_matrix(expanded: &[(&str, &str, &[&str])]) {
    let mut problems = Vec::new();
    for (backend, interface, generated) in expanded {
        let mut registered: Vec<&str> = catalogue::cases_of(interface)
            .iter()
            .map(|c| c.name)
            .collect();
        let mut generated = generated.to_vec();
        registered.sort_unstable();
        generated.sort_unstable();
        if registered != generated {
            problems.push(format!(
                "{backend}::{interface}: generated {generated:?}, catalogue has {registered:?}"
            ));
        }
    }
    let counts: HashMap<&str, usize> = expanded.iter().map(|(_, i, c)| (*i, c.len())).collect();
    assert!(
        problems.is_empty(),
        "compile-time matrix and catalogue disagree:\n{}",
        problems.join("\n")
    );
    assert!(
        counts.values().all(|n| *n > 0),
        "an expanded interface has no cases: {counts:?}"
    );
}
