use std::collections::BTreeMap;
use std::path::PathBuf;

/// Every backend of a registry directory, sorted by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    /// The directory the files were read from.
    pub dir: PathBuf,
    /// The backends, sorted by name.
    pub backends: Vec<Backend>,
}

impl Registry {
    /// The backend called `name`.
    pub fn backend(&self, name: &str) -> Option<&Backend> {
        self.backends.iter().find(|b| b.name == name)
    }

    /// Every file the registry was read from.
    pub fn files(&self) -> impl Iterator<Item = &PathBuf> {
        self.backends.iter().map(|b| &b.file)
    }
}

/// One backend and its claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Backend {
    /// Name used in test paths (`<backend>::<interface>::<case>`): snake_case.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The file that declares it.
    pub file: PathBuf,
    /// How its plugin is started.
    pub plugin: PluginSpec,
    /// Claimed interfaces in file order.
    pub claims: Vec<Claim>,
    /// How to get a real backend instance for the plugin (`instance:`); `None` when the plugin
    /// needs none (an in-memory backend).
    pub instance: Option<InstanceSpec>,
}

impl Backend {
    /// Claims with status `implemented`.
    pub fn implemented(&self) -> impl Iterator<Item = &Claim> {
        self.claims
            .iter()
            .filter(|c| c.status == ClaimStatus::Implemented)
    }
}

/// How the harness gets a plugin for a backend.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginSpec {
    /// `plugin: built-in`: served inside the test process by a plugin registered under the backend's name.
    BuiltIn,
    /// An executable following the plugin protocol (PRISM_PLUGIN_ADDR, grpc.health.v1).
    Process(ProcessSpec),
}

/// An out-of-process plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessSpec {
    /// Program and arguments. `${VAR}` expands from the environment and from the harness's own
    /// variables (`PRISM_ROOT`, `PRISM_BIN_DIR`); relative programs resolve against `PRISM_ROOT`.
    pub command: Vec<String>,
    /// Run once per test run before the first launch (for plugins built from source), from `PRISM_ROOT`.
    pub build: Option<Vec<String>>,
    /// Extra environment for the plugin.
    pub env: BTreeMap<String, String>,
    /// How long the plugin may take to report SERVING.
    pub startup_timeout_ms: u64,
}

/// Default for [`ProcessSpec::startup_timeout_ms`].
pub const DEFAULT_STARTUP_TIMEOUT_MS: u64 = 15_000;

/// How the providers start one backend instance (`instance:` in a registry file).
///
/// `${HOST}`, `${PORT}` and `${DIR}` in `url` and in `native.command` expand to where the instance
/// listens and its fresh temporary directory; other `${VAR}`s expand from the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSpec {
    /// What the plugin gets as `PRISM_BACKEND_URL`, e.g. `redis://${HOST}:${PORT}`.
    pub url: String,
    /// How the docker provider starts it; `None` when there is no image.
    pub docker: Option<DockerSpec>,
    /// How the native provider starts it; `None` when there is no server binary to run.
    pub native: Option<NativeSpec>,
    /// How long an instance may take to become ready.
    pub startup_timeout_ms: u64,
}

/// The docker provider's container (`instance.docker`).
#[derive(Debug, Clone, PartialEq)]
pub struct DockerSpec {
    /// Image reference (`redis:7`); `PRISM_<BACKEND>_IMAGE` overrides it.
    pub image: String,
    /// Port the server listens on inside the container; published on a free host port.
    pub port: u16,
    /// A line the server writes when ready; `None`: ready when the published port accepts.
    pub ready_log: Option<String>,
    /// The container's command, replacing the image's; empty keeps the image's.
    pub args: Vec<String>,
    /// Extra environment of the container.
    pub env: BTreeMap<String, String>,
}

/// The native provider's server process (`instance.native`).
#[derive(Debug, Clone, PartialEq)]
pub struct NativeSpec {
    /// Program (looked up on PATH) and arguments, with `${PORT}` and `${DIR}`.
    pub command: Vec<String>,
    /// A line the server writes when ready; `None`: ready when the port accepts.
    pub ready_log: Option<String>,
}

/// Default for [`InstanceSpec::startup_timeout_ms`].
pub const DEFAULT_INSTANCE_TIMEOUT_MS: u64 = 30_000;

/// One claimed interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Interface name, one of the 45.
    pub interface: String,
    /// Implemented (tested) or planned (listed as ignored).
    pub status: ClaimStatus,
    /// Why it is planned, if the file says.
    pub reason: Option<String>,
    /// Line in the file.
    pub line: usize,
}

/// Whether a claim is tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStatus {
    /// Tested by the interface's suite.
    Implemented,
    /// Declared, not yet implemented: listed as an ignored test.
    Planned,
}
