//! Plugins under test: served in-process (`plugin: built-in`) or launched as processes that follow
//! the plugin protocol (`PRISM_PLUGIN_ADDR`, `PRISM_BACKEND_URL`, `grpc.health.v1`).
//!
//! Long-lived things never belong to a test's runtime, which `#[tokio::test]` drops when the test
//! ends: in-process servers run on the harness's own runtime, and plugin processes belong to the
//! run (one per run, shared by its test processes, stopped by a supervisor when the run ends; see
//! `process.rs`).

mod port;
pub mod process;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

pub use process::{Diagnosis, Exit, ProcessPlugin};

use crate::catalogue;
use crate::lifecycle::OutputSource;
use crate::outcome::{OutputLine, OutputScope, OutputStream};
use crate::runner::runtime;

/// Why a plugin could not be provided.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// `plugin: built-in`, but nothing registered under that name is linked in.
    #[error("no built-in plugin named `{name}` is linked into this test binary (built-in plugins: {known}); register one with inventory::submit!(prism_suite::BuiltinPlugin {{ .. }}) or give the backend a `plugin: {{ command: [...] }}`")]
    NoBuiltin {
        /// The backend name.
        name: String,
        /// The names that are registered.
        known: String,
    },
    /// The plugin's build step failed.
    #[error("build step `{command}` failed: {detail}")]
    Build {
        /// The command line.
        command: String,
        /// Exit status and output tail.
        detail: String,
    },
    /// The plugin could not be started or never reported SERVING.
    #[error("plugin `{command}` did not start: {detail}")]
    Start {
        /// The command line.
        command: String,
        /// What happened, with the plugin's output tail.
        detail: String,
    },
    /// Local I/O failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A running plugin the harness can connect to.
pub struct Plugin {
    kind: Kind,
}

enum Kind {
    Address { what: String, addr: SocketAddr },
    Process(Arc<ProcessPlugin>),
}

impl Plugin {
    /// Serves the built-in plugin registered as `name` on the harness runtime.
    pub fn builtin(name: &str) -> Result<Plugin, PluginError> {
        let plugin = catalogue::builtin(name).ok_or_else(|| PluginError::NoBuiltin {
            name: name.to_owned(),
            known: catalogue::builtin_names().join(", "),
        })?;
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let serve = plugin.serve;
        let task_name = name.to_owned();
        runtime().spawn(async move {
            match tokio::net::TcpListener::from_std(std_listener) {
                Ok(listener) => {
                    if let Err(e) = serve(listener).await {
                        eprintln!("prism-suite: built-in plugin `{task_name}` stopped: {e}");
                    }
                }
                Err(e) => eprintln!("prism-suite: built-in plugin `{task_name}`: {e}"),
            }
        });
        Ok(Plugin::at(
            format!("built-in `{name}`, served in-process"),
            addr,
        ))
    }

    /// A plugin someone else runs, reachable at `addr` (`what` says what it is, for messages).
    pub fn at(what: impl Into<String>, addr: SocketAddr) -> Plugin {
        Plugin {
            kind: Kind::Address {
                what: what.into(),
                addr,
            },
        }
    }

    /// Wraps a launched process.
    pub fn process(process: Arc<ProcessPlugin>) -> Plugin {
        Plugin {
            kind: Kind::Process(process),
        }
    }

    /// Where the plugin listens now (a restarted process listens on a new port).
    pub async fn addr(&self) -> Result<SocketAddr, PluginError> {
        match &self.kind {
            Kind::Address { addr, .. } => Ok(*addr),
            Kind::Process(p) => p.ensure_running().await,
        }
    }

    /// A new channel to the plugin, owned by the caller's runtime.
    pub async fn connect(&self) -> Result<Channel, PluginError> {
        let addr = self.addr().await?;
        connect(addr).await.map_err(|e| PluginError::Start {
            command: self.describe(),
            detail: format!("cannot connect to {addr}: {e}"),
        })
    }

    /// One line saying what the plugin is.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Address { what, addr } => format!("{what} on {addr}"),
            Kind::Process(p) => p.describe(),
        }
    }

    /// What the plugin wrote between `from` and `to` (every generation), apart from the
    /// harness's notes about it. In-process plugins write to the test's own output.
    pub fn output_between(&self, from: SystemTime, to: SystemTime) -> PluginOutput {
        let Kind::Process(p) = &self.kind else {
            return PluginOutput::default();
        };
        let mut out = PluginOutput {
            scope: OutputScope::Case,
            ..PluginOutput::default()
        };
        for line in p.output_between(from, to) {
            let stream = match line.source {
                OutputSource::Harness => {
                    out.notes.push(line.text);
                    continue;
                }
                OutputSource::Stdout => OutputStream::Stdout,
                OutputSource::Stderr => OutputStream::Stderr,
            };
            out.lines.push(OutputLine {
                at: line.at,
                stream,
                text: line.text,
            });
        }
        out
    }

    /// After a failed case: what happened to the plugin, restarting it if it crashed or hangs.
    pub async fn diagnose(&self) -> Option<Diagnosis> {
        match &self.kind {
            Kind::Address { .. } => None,
            Kind::Process(p) => p.diagnose().await,
        }
    }
}

/// What a plugin wrote during a case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginOutput {
    /// Its stdout and stderr lines, oldest first.
    pub lines: Vec<OutputLine>,
    /// The harness's notes about it (crashed, restarted, killed).
    pub notes: Vec<String>,
    /// Whether the output was captured (a process) or is the test's own (in-process).
    pub scope: OutputScope,
}

/// Opens a channel to a plugin address, with Nagle off (loopback round trips would stall ~40 ms).
pub async fn connect(addr: SocketAddr) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(format!("http://{addr}"))?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(2))
        .connect()
        .await
}

/// Whether the plugin at `addr` answers `grpc.health.v1.Health/Check` with SERVING within `within`.
pub async fn is_serving(addr: SocketAddr, within: Duration) -> bool {
    let probe = async {
        let channel = connect(addr).await.ok()?;
        let reply = HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .ok()?;
        Some(reply.into_inner().status == ServingStatus::Serving as i32)
    };
    matches!(tokio::time::timeout(within, probe).await, Ok(Some(true)))
}
