use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Every backend of a registry directory, sorted by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    /// The directory the files were read from.
    pub dir: PathBuf,
    /// The backends, sorted by name.
    pub backends: Vec<Backend>,
    /// The files the backends were read from, with their text, in file name order: what
    /// `compliance_matrix!()` embeds in the test binary.
    pub sources: Vec<Source>,
}

/// One registry file and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file, as found (or as named by whoever embedded it).
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

impl Registry {
    /// The backend called `name`.
    pub fn backend(&self, name: &str) -> Option<&Backend> {
        self.backends.iter().find(|b| b.name == name)
    }

    /// Every file the registry was read from.
    pub fn files(&self) -> impl Iterator<Item = &PathBuf> {
        self.sources.iter().map(|s| &s.path)
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
    /// 1-based line of the name (`backend:` or `name:`) in [`Backend::file`].
    pub line: usize,
    /// How its plugin is started.
    pub plugin: PluginSpec,
    /// Claimed interfaces in file order.
    pub claims: Vec<Claim>,
    /// How to get a real backend instance for the plugin (`instance:`); `None` when the plugin
    /// needs none (an in-memory backend).
    pub instance: Option<InstanceSpec>,
    /// Top-level fields prism-suite does not interpret (Prism's `capabilities`, `notes`, ...).
    pub metadata: Metadata,
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
    /// `plugin: built-in` (registered under the backend's name) or `plugin: { builtin: <name> }`:
    /// served inside the test process by the built-in plugin registered under `name`.
    BuiltIn {
        /// The name the plugin is registered under (`prism_suite::builtin_plugin!`).
        name: String,
    },
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
/// Variables in `url`, commands, `args`, `env`, `ready` and `setup`: `${HOST}` (always
/// `127.0.0.1`), `${PORT}` (host port of the first named port), `${PORT_<NAME>}` (upper-cased
/// name), `${DIR}` (the instance's fresh temporary directory), else the environment. The loader
/// keeps them unexpanded.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSpec {
    /// What the plugin gets as `PRISM_BACKEND_URL`, e.g. `redis://${HOST}:${PORT}`.
    pub url: String,
    /// The named ports, in file order; never empty (the first one is `${PORT}`). Without `ports:`
    /// one port `main`: `docker.port` when given, else [`ContainerPort::SameAsHost`].
    pub ports: Vec<PortSpec>,
    /// Conditions that must all hold, in order, before the instance is ready. Without `ready:` (or
    /// `ready_log:`): the first port accepts a connection.
    pub ready: Vec<WaitFor>,
    /// Commands run after the instance is ready, in order; each must exit 0.
    pub setup: Vec<Vec<String>>,
    /// How long an instance may take to become ready (setup included).
    pub startup_timeout_ms: u64,
    /// How the docker provider starts it; `None` when there is no image.
    pub docker: Option<DockerSpec>,
    /// How the native provider starts it; `None` when there is no server binary to run.
    pub native: Option<NativeSpec>,
}

impl InstanceSpec {
    /// The readiness conditions of the docker provider: its own `ready`, else the instance's.
    pub fn docker_ready(&self) -> &[WaitFor] {
        self.docker
            .as_ref()
            .and_then(|d| d.ready.as_deref())
            .unwrap_or(&self.ready)
    }

    /// The readiness conditions of the native provider: its own `ready`, else the instance's.
    pub fn native_ready(&self) -> &[WaitFor] {
        self.native
            .as_ref()
            .and_then(|n| n.ready.as_deref())
            .unwrap_or(&self.ready)
    }

    /// The setup commands of the docker provider: its own `setup`, else the instance's.
    pub fn docker_setup(&self) -> &[Vec<String>] {
        self.docker
            .as_ref()
            .and_then(|d| d.setup.as_deref())
            .unwrap_or(&self.setup)
    }

    /// The setup commands of the native provider: its own `setup`, else the instance's.
    pub fn native_setup(&self) -> &[Vec<String>] {
        self.native
            .as_ref()
            .and_then(|n| n.setup.as_deref())
            .unwrap_or(&self.setup)
    }

    /// The port called `name`.
    pub fn port(&self, name: &str) -> Option<&PortSpec> {
        self.ports.iter().find(|p| p.name == name)
    }
}

/// One named port of an instance (`ports: { main: 5432 }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// The name (`main`); `${PORT_<NAME>}` is its host port.
    pub name: String,
    /// Where the server listens inside a container.
    pub container: ContainerPort,
}

/// The port a container listens on, published on a free loopback port of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerPort {
    /// A fixed port inside the container (`5432`).
    Fixed(u16),
    /// `same`: the container listens on the host port it is published on (brokers that advertise
    /// their own address); the command gets it as `${PORT_<NAME>}`.
    SameAsHost,
}

/// One readiness condition (testcontainers' `WaitFor`, as a list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitFor {
    /// `log: "..."`: a line on stdout or stderr contains the text.
    Log(String),
    /// `port: main`: the named port accepts a TCP connection.
    Port(String),
    /// `command: [...]`: the command exits 0 (retried until the timeout).
    Command(Vec<String>),
    /// `probe: { port, send, expect }`: after sending `send` on the named port, the reply starts
    /// with `expect`.
    Probe {
        /// The named port.
        port: String,
        /// Bytes sent once connected.
        send: Vec<u8>,
        /// Bytes the reply must start with.
        expect: Vec<u8>,
    },
}

/// The docker provider's container (`instance.docker`).
#[derive(Debug, Clone, PartialEq)]
pub struct DockerSpec {
    /// Image reference (`redis:7`); `PRISM_<BACKEND>_IMAGE` overrides it.
    pub image: String,
    /// The container's command, replacing the image's; empty keeps the image's.
    pub args: Vec<String>,
    /// Extra environment of the container.
    pub env: BTreeMap<String, String>,
    /// Replaces [`InstanceSpec::ready`] for this provider (`ready:` or `ready_log:` here).
    pub ready: Option<Vec<WaitFor>>,
    /// Replaces [`InstanceSpec::setup`] for this provider.
    pub setup: Option<Vec<Vec<String>>>,
}

/// The native provider's server process (`instance.native`).
#[derive(Debug, Clone, PartialEq)]
pub struct NativeSpec {
    /// Program (looked up on PATH) and arguments, with `${PORT}` and `${DIR}`.
    pub command: Vec<String>,
    /// Commands run, in order, before the server starts (`initdb`); each must exit 0.
    pub init: Vec<Vec<String>>,
    /// Extra environment of the server (and of `init`, `ready` and `setup` commands).
    pub env: BTreeMap<String, String>,
    /// Replaces [`InstanceSpec::ready`] for this provider (`ready:` or `ready_log:` here).
    pub ready: Option<Vec<WaitFor>>,
    /// Replaces [`InstanceSpec::setup`] for this provider.
    pub setup: Option<Vec<Vec<String>>>,
}

/// Default for [`InstanceSpec::startup_timeout_ms`].
pub const DEFAULT_INSTANCE_TIMEOUT_MS: u64 = 30_000;

/// One claimed interface.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// Interface name, one of the catalogue's.
    pub interface: String,
    /// Implemented (tested) or planned (listed as ignored).
    pub status: ClaimStatus,
    /// Why it is planned: `reason`, else `notes`, as text whatever its YAML type.
    pub reason: Option<String>,
    /// 1-based line of the interface name in the file.
    pub line: usize,
    /// 1-based column of the interface name.
    pub column: usize,
    /// Fields of the entry prism-suite does not interpret (`version`, `test_coverage`, ...).
    pub metadata: Metadata,
}

/// Whether a claim is tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStatus {
    /// Tested by the interface's suite.
    Implemented,
    /// Declared, not yet implemented: listed as an ignored test.
    Planned,
}

/// Fields of a registry file that prism-suite keeps but does not interpret, by name.
pub type Metadata = BTreeMap<String, MetaValue>;

/// A YAML value kept as metadata.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// `~`, `null` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    String(String),
    /// A sequence.
    List(Vec<MetaValue>),
    /// A mapping, in file order; keys as written.
    Map(Vec<(String, MetaValue)>),
}

impl MetaValue {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Strings as they are; anything else in YAML flow syntax (`[a, b]`, `{k: v}`).
impl fmt::Display for MetaValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetaValue::Null => f.write_str("~"),
            MetaValue::Bool(b) => write!(f, "{b}"),
            MetaValue::Int(i) => write!(f, "{i}"),
            MetaValue::Float(x) => write!(f, "{x}"),
            MetaValue::String(s) => f.write_str(s),
            MetaValue::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            MetaValue::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}
