//! A plugin running as its own process, shared by every test process of a run.
//!
//! Under `cargo test` one process runs every case; under nextest every case is a process of its
//! own, and a plugin started per process would cost more than most cases take. So a plugin is a
//! slot of the run ([`crate::lifecycle`]): the first process that needs it starts it under the
//! run's supervisor and records its generation (number, pid and start time, address); the others
//! read that. The plugin's identity is its command, environment and backend URL, so differently
//! configured plugins (an injected fault, another instance) never share a process.
//!
//! The supervisor reads the plugin's stdout through a pseudo-terminal and its stderr through a
//! pipe, and stores every line with the time it was read, per generation, beside the harness's
//! own notes: a failure can quote just what was written during its case
//! ([`ProcessPlugin::output_between`]). It records the plugin's exit status, so any process of the
//! run tells a crash (`was killed by signal 6 (SIGABRT)`) from a hang; either way the next case
//! gets the next generation. A start that fails (no such program, an exit before SERVING, no
//! health service, no answer in time) is remembered for the run: every process gets that error
//! at once.
//!
//! Readiness is `grpc.health.v1.Health/Check` with the service name `""` (the whole server)
//! answering SERVING. A plugin that answers UNIMPLEMENTED serves no health service: that is
//! reported at once, as such.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use prism_registry::ProcessSpec;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use super::port::{free_port, listener_is_ours};
use super::PluginError;
use crate::lifecycle::{
    stable_hash, Entry, ExitRecord, LifecycleError, OutputLog, ProcessId, Run, Slot, SlotGuard,
    SpawnRequest,
};

pub use crate::lifecycle::{Exit, OutputLine, OutputSource};

/// The health service name the harness checks: `""`, the server as a whole.
pub const HEALTH_SERVICE: &str = "";
/// How long a plugin has to answer a health check after a failed case before it counts as hung.
const HUNG_AFTER: Duration = Duration::from_secs(1);
/// Ports tried before giving up on starting a plugin.
const PORT_ATTEMPTS: usize = 3;
/// How long a failed case waits for a dying plugin to finish exiting before probing its health.
const EXIT_GRACE: Duration = Duration::from_millis(300);
/// How long the supervisor may take to record the exit of a plugin that is gone.
const RECORD_GRACE: Duration = Duration::from_secs(2);
/// How long the plugin has between SIGTERM and SIGKILL when the run ends.
const STOP_GRACE_MS: u64 = 1500;
/// Output lines quoted when a start fails.
const START_TAIL: usize = 20;

/// One start of the plugin; a restart is the next generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Generation {
    number: u64,
    process: ProcessId,
    addr: SocketAddr,
}

/// Why a start failed, as the run remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StartFailure {
    command: String,
    detail: String,
}

impl From<StartFailure> for PluginError {
    fn from(f: StartFailure) -> PluginError {
        PluginError::Start {
            command: f.command,
            detail: f.detail,
        }
    }
}

impl From<LifecycleError> for PluginError {
    fn from(e: LifecycleError) -> PluginError {
        PluginError::Io(std::io::Error::other(e.to_string()))
    }
}

/// What happened to the plugin during a failed case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnosis {
    /// The plugin process ended.
    Crashed {
        /// How.
        exit: Exit,
        /// Which generation it was.
        generation: u64,
    },
    /// It stopped answering health checks; it was killed.
    Hung {
        /// How long it had to answer.
        waited: Duration,
        /// The pid that was killed.
        pid: u32,
    },
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnosis::Crashed { exit, .. } => write!(
                f,
                "plugin process {exit} during the case; it is restarted for the next case"
            ),
            Diagnosis::Hung { waited, pid } => write!(
                f,
                "plugin did not answer its health check within {} ms after the failure: it hangs; killed (pid {pid}) and restarted for the next case",
                waited.as_millis()
            ),
        }
    }
}

/// How a health check went.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Health {
    Serving,
    /// Answered with another status (NOT_SERVING, UNKNOWN, ...).
    NotServing(String),
    /// Answered UNIMPLEMENTED: no health service.
    Unimplemented,
    /// No answer (not listening yet, connection refused, timeout).
    Unreachable(String),
}

async fn health(addr: SocketAddr, within: Duration) -> Health {
    let probe = async {
        let channel = match super::connect(addr).await {
            Ok(c) => c,
            Err(e) => return Health::Unreachable(format!("cannot connect: {e}")),
        };
        let reply = HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: HEALTH_SERVICE.to_owned(),
            })
            .await;
        match reply {
            Ok(r) => {
                let status = r.into_inner().status;
                if status == ServingStatus::Serving as i32 {
                    Health::Serving
                } else {
                    Health::NotServing(
                        ServingStatus::try_from(status)
                            .map(|s| s.as_str_name().to_owned())
                            .unwrap_or_else(|_| status.to_string()),
                    )
                }
            }
            Err(s) if s.code() == tonic::Code::Unimplemented => Health::Unimplemented,
            Err(s) => Health::Unreachable(format!("{}: {}", s.code(), s.message())),
        }
    };
    tokio::time::timeout(within, probe)
        .await
        .unwrap_or_else(|_| {
            Health::Unreachable(format!("no answer within {} ms", within.as_millis()))
        })
}

/// A plugin process: started on first use in the run, restarted when it crashed or hangs.
pub struct ProcessPlugin {
    backend: String,
    command: Vec<String>,
    env: BTreeMap<String, String>,
    backend_url: Option<String>,
    startup: Duration,
    slot: Slot<'static, Generation, StartFailure>,
    dir: PathBuf,
    log: OutputLog,
    /// The generation this process last used.
    current: tokio::sync::Mutex<Option<Generation>>,
}

/// How an attempt to start the plugin on a port ended.
enum Started {
    /// Our plugin serves on the address.
    Ours(Generation),
    /// Another process answered on the port our plugin was meant to bind.
    PortTaken(SocketAddr),
}

impl ProcessPlugin {
    /// A plugin for `backend` as `spec` describes it, with `${VAR}`s expanded from `vars` and the
    /// environment and a relative program resolved against `root`.
    pub fn new(
        backend: &str,
        spec: &ProcessSpec,
        root: &Path,
        vars: &BTreeMap<&str, String>,
        backend_url: Option<String>,
    ) -> Result<Self, PluginError> {
        let start_error = |command: &[String], detail: String| PluginError::Start {
            command: command.join(" "),
            detail,
        };
        let mut command = spec
            .command
            .iter()
            .map(|w| expand(w, vars).map_err(|d| start_error(&spec.command, d)))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(program) = command.first_mut() else {
            return Err(start_error(&[], "the plugin command is empty".to_owned()));
        };
        if program.contains('/') && Path::new(program.as_str()).is_relative() {
            *program = root.join(&*program).display().to_string();
        }
        let env: BTreeMap<String, String> = spec
            .env
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    expand(v, vars).map_err(|d| start_error(&command, d))?,
                ))
            })
            .collect::<Result<_, PluginError>>()?;
        let identity = serde_json::to_vec(&(&command, &env, &backend_url))
            .map_err(|e| PluginError::Io(std::io::Error::other(e)))?;
        let name = format!("plugin-{backend}-{:016x}", stable_hash(&identity));
        let slot = Run::current().slot(&name);
        let dir = slot.dir()?.to_path_buf();
        Ok(ProcessPlugin {
            backend: backend.to_owned(),
            command,
            env,
            backend_url,
            startup: Duration::from_millis(spec.startup_timeout_ms),
            log: OutputLog::at(dir.join("output.jsonl")),
            dir,
            slot,
            current: tokio::sync::Mutex::default(),
        })
    }

    /// One line saying what runs.
    pub fn describe(&self) -> String {
        match &self.backend_url {
            Some(url) => format!(
                "process `{}`, PRISM_BACKEND_URL={url}",
                self.command.join(" ")
            ),
            None => format!("process `{}`", self.command.join(" ")),
        }
    }

    /// What the plugin wrote (and the harness noted about it) from `from` to `to`, every
    /// generation, oldest first.
    pub fn output_between(&self, from: SystemTime, to: SystemTime) -> Vec<OutputLine> {
        self.log.between(from, to)
    }

    /// The last `n` lines of the run's log of this plugin, every generation; the harness's notes
    /// are marked `[prism-suite]`.
    pub fn log_tail(&self, n: usize) -> Vec<String> {
        let lines = self.log.read();
        lines[lines.len().saturating_sub(n)..]
            .iter()
            .map(|l| match l.line.source {
                OutputSource::Harness => format!("[prism-suite] {}", l.line.text),
                _ => l.line.text.clone(),
            })
            .collect()
    }

    fn note(&self, generation: u64, text: &str) {
        if let Err(e) = self.log.append(generation, OutputSource::Harness, text) {
            eprintln!(
                "prism-suite: cannot write {}: {e}",
                self.log.path().display()
            );
        }
    }

    fn exit_path(&self, generation: u64) -> PathBuf {
        self.dir.join(format!("{generation}.exit.json"))
    }

    fn recorded_exit(&self, generation: u64) -> Option<Exit> {
        ExitRecord::read(&self.exit_path(generation)).map(|r| r.exit)
    }

    /// How generation `g` ended, or `None` while it runs.
    async fn ended(&self, g: &Generation) -> Option<Exit> {
        if let Some(exit) = self.recorded_exit(g.number) {
            return Some(exit);
        }
        if g.process.is_alive() {
            return None;
        }
        // Gone but not yet recorded: its supervisor is about to write the status.
        let deadline = Instant::now() + RECORD_GRACE;
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
            if let Some(exit) = self.recorded_exit(g.number) {
                return Some(exit);
            }
        }
        Some(Exit::Unknown)
    }

    /// The address of a running plugin: the run's current generation, or a new one if there is
    /// none or it ended. A failed start is remembered for the run and returned at once.
    pub async fn ensure_running(&self) -> Result<SocketAddr, PluginError> {
        let mut current = self.current.lock().await;
        if let Some(g) = *current {
            if self.ended(&g).await.is_none() {
                return Ok(g.addr);
            }
        }
        // Entries are replaced whole: a running generation or a failure is seen without the lock.
        match self.slot.peek() {
            Some(Entry::Ready { value: g, .. }) if self.ended(&g).await.is_none() => {
                *current = Some(g);
                return Ok(g.addr);
            }
            Some(Entry::Failed { error, .. }) => return Err(error.into()),
            _ => {}
        }
        let slot = self.slot.clone();
        let guard = tokio::task::spawn_blocking(move || slot.lock())
            .await
            .map_err(|e| PluginError::Io(std::io::Error::other(e)))??;
        let g = self.find_or_start(guard).await?;
        *current = Some(g);
        Ok(g.addr)
    }

    /// Under the lock: the generation another process started, the failure it remembered, or a
    /// new generation.
    async fn find_or_start(
        &self,
        mut guard: SlotGuard<'static, Generation, StartFailure>,
    ) -> Result<Generation, PluginError> {
        match guard.entry() {
            Some(Entry::Ready { value: g, .. }) => match self.ended(&g).await {
                None => return Ok(g),
                Some(exit) => self.note(
                    g.number,
                    &format!("plugin generation {} {exit}; restarting it", g.number),
                ),
            },
            Some(Entry::Failed { error, .. }) => return Err(error.into()),
            Some(Entry::Starting { generation, .. }) => self.note(
                generation,
                &format!(
                    "the process starting generation {generation} ended before it finished; starting the next"
                ),
            ),
            None => {}
        }
        // A port another process picked at the same moment: try again on a new one.
        for _ in 0..PORT_ATTEMPTS {
            let number = guard.begin()?;
            match self.start(number).await {
                Ok(Started::Ours(g)) => {
                    guard.finish(number, &Ok(g))?;
                    crate::run::record_event(&format!(
                        "plugin {} generation={} pid={} by={}",
                        self.backend,
                        g.number,
                        g.process.pid,
                        std::process::id()
                    ));
                    self.note(
                        number,
                        &format!(
                            "generation {number} serves on {} (pid {})",
                            g.addr, g.process.pid
                        ),
                    );
                    return Ok(g);
                }
                Ok(Started::PortTaken(addr)) => self.note(
                    number,
                    &format!(
                        "port {} was taken by another process; retrying",
                        addr.port()
                    ),
                ),
                Err(failure) => {
                    guard.finish(number, &Err(failure.clone()))?;
                    return Err(failure.into());
                }
            }
        }
        let failure = self.failure(
            0,
            format!("another process answered on the plugin's port each of {PORT_ATTEMPTS} times"),
        );
        let number = guard.begin()?;
        guard.finish(number, &Err(failure.clone()))?;
        Err(failure.into())
    }

    async fn start(&self, number: u64) -> Result<Started, StartFailure> {
        if crate::instance::find_program(&self.command[0]).is_none() {
            return Err(self.failure(
                number,
                format!(
                    "cannot execute `{}`: no such executable file",
                    self.command[0]
                ),
            ));
        }
        let addr = free_port().map_err(|e| self.failure(number, format!("no free port: {e}")))?;
        let mut env = self.env.clone();
        env.insert("PRISM_PLUGIN_ADDR".to_owned(), addr.to_string());
        if let Some(url) = &self.backend_url {
            env.insert("PRISM_BACKEND_URL".to_owned(), url.clone());
        }
        let mut request = SpawnRequest::new(
            self.command.clone(),
            env,
            self.log.path(),
            number,
            &self.exit_path(number),
        );
        request.stop_grace_ms = STOP_GRACE_MS;
        let spawned = tokio::task::spawn_blocking(move || Run::current().spawn(&request))
            .await
            .map_err(|e| self.failure(number, format!("cannot ask the supervisor: {e}")))?;
        let process = spawned.map_err(|e| self.failure(number, e.to_string()))?;
        let deadline = Instant::now() + self.startup;
        loop {
            if let Some(exit) = self.recorded_exit(number) {
                return Err(self.failure(number, format!("it {exit} before reporting SERVING")));
            }
            let last = health(addr, Duration::from_millis(250)).await;
            match &last {
                Health::Serving => {
                    if listener_is_ours(addr.port(), process.pid) == Some(false) {
                        process.signal_group(libc::SIGKILL);
                        return Ok(Started::PortTaken(addr));
                    }
                    return Ok(Started::Ours(Generation {
                        number,
                        process,
                        addr,
                    }));
                }
                Health::Unimplemented => {
                    process.signal_group(libc::SIGKILL);
                    return Err(self.failure(
                        number,
                        format!(
                            "it answers UNIMPLEMENTED to grpc.health.v1.Health/Check on {addr}: it serves no health service. A plugin serves grpc.health.v1 and reports SERVING for the service name \"{HEALTH_SERVICE}\" (the whole server) once it is ready"
                        ),
                    ));
                }
                Health::NotServing(_) | Health::Unreachable(_) => {}
            }
            if Instant::now() >= deadline {
                process.signal_group(libc::SIGKILL);
                let answer = match &last {
                    Health::NotServing(status) => format!("it answered {status}"),
                    Health::Unreachable(why) => format!("last attempt: {why}"),
                    _ => String::new(),
                };
                return Err(self.failure(
                    number,
                    format!(
                        "no SERVING answer from grpc.health.v1.Health/Check (service \"{HEALTH_SERVICE}\") on {addr} within {} ms ({answer}); raise `startup_timeout_ms` in the registry if it is slow",
                        self.startup.as_millis()
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A start failure of generation `generation`, with what that generation wrote.
    fn failure(&self, generation: u64, what: String) -> StartFailure {
        let tail: Vec<String> = self
            .log
            .tail_of(generation, START_TAIL)
            .into_iter()
            .filter(|l| l.source != OutputSource::Harness)
            .map(|l| l.text)
            .collect();
        let detail = if tail.is_empty() {
            format!(
                "{what} (backend {}; the plugin wrote nothing)",
                self.backend
            )
        } else {
            format!(
                "{what} (backend {}); its last output:\n    {}",
                self.backend,
                tail.join("\n    ")
            )
        };
        StartFailure {
            command: self.command.join(" "),
            detail,
        }
    }

    /// After a failed case: whether the plugin crashed or hangs; either way the next case gets a
    /// new generation. `None` when it is healthy (the case failed on its own).
    pub async fn diagnose(&self) -> Option<Diagnosis> {
        let g = (*self.current.lock().await)?;
        // A crashing plugin may still be on its way out (the case saw the connection drop first):
        // give it a moment, so that a crash is reported as a crash and not as a hang.
        let deadline = Instant::now() + EXIT_GRACE;
        loop {
            if let Some(exit) = self.ended(&g).await {
                let d = Diagnosis::Crashed {
                    exit,
                    generation: g.number,
                };
                self.note(g.number, &d.to_string());
                return Some(d);
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if health(g.addr, HUNG_AFTER).await == Health::Serving {
            return None;
        }
        g.process.signal_group(libc::SIGKILL);
        // Wait for the supervisor to record it, so the next case starts a new generation.
        let _ = self.ended(&g).await;
        let d = Diagnosis::Hung {
            waited: HUNG_AFTER,
            pid: g.process.pid,
        };
        self.note(g.number, &d.to_string());
        Some(d)
    }
}

/// Expands `${NAME}` from `vars`, then from the environment.
pub(crate) fn expand(word: &str, vars: &BTreeMap<&str, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = word;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in `{word}`"))?;
        let name = &after[..end];
        let value = vars
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
            .ok_or_else(|| format!("`{word}` uses ${{{name}}}, which is not set"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Directory of the binaries cargo built alongside the running test (`target/<profile>`).
pub fn bin_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    Some(if dir.ends_with("deps") {
        dir.parent()?.to_path_buf()
    } else {
        dir.to_path_buf()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_harness_and_environment_variables() {
        let vars = BTreeMap::from([("PRISM_ROOT", "/r".to_owned())]);
        assert_eq!(expand("${PRISM_ROOT}/bin", &vars).as_deref(), Ok("/r/bin"));
        assert_eq!(expand("plain", &vars).as_deref(), Ok("plain"));
        assert!(expand("${PRISM_SURELY_UNSET_VAR}", &vars)
            .unwrap_err()
            .contains("not set"));
        assert!(expand("${OPEN", &vars).unwrap_err().contains("unclosed"));
    }

    #[test]
    fn diagnoses_read_as_before() {
        let crash = Diagnosis::Crashed {
            exit: Exit::Signal(libc::SIGABRT),
            generation: 2,
        };
        assert_eq!(
            crash.to_string(),
            "plugin process was killed by signal 6 (SIGABRT) during the case; it is restarted for the next case"
        );
        let hang = Diagnosis::Hung {
            waited: Duration::from_secs(1),
            pid: 42,
        };
        assert!(hang.to_string().contains("within 1000 ms"), "{hang}");
        assert!(hang.to_string().contains("killed (pid 42)"), "{hang}");
    }

    /// A plugin that is this test binary re-run for one ignored test, in `role`.
    fn self_plugin(role: &str) -> ProcessSpec {
        let exe = std::env::current_exe().expect("test binary");
        ProcessSpec {
            command: vec![
                exe.display().to_string(),
                "--ignored".into(),
                "--exact".into(),
                "plugin::process::tests::fake_plugin".into(),
                "--nocapture".into(),
            ],
            build: None,
            env: BTreeMap::from([("PRISM_TEST_PLUGIN_ROLE".to_owned(), role.to_owned())]),
            startup_timeout_ms: 15_000,
        }
    }

    /// Body of the plugin processes of the tests below, as `PRISM_TEST_PLUGIN_ROLE` says:
    /// `no-health` serves gRPC without a health service, `exit` writes a line and exits 3.
    #[test]
    #[ignore = "a plugin process of the tests of this module"]
    fn fake_plugin() {
        let Ok(role) = std::env::var("PRISM_TEST_PLUGIN_ROLE") else {
            return;
        };
        let addr: SocketAddr = std::env::var("PRISM_PLUGIN_ADDR")
            .expect("PRISM_PLUGIN_ADDR")
            .parse()
            .expect("an address");
        match role.as_str() {
            "no-health" => {
                let rt = tokio::runtime::Runtime::new().expect("runtime");
                rt.block_on(async {
                    println!("serving without grpc.health.v1 on {addr}");
                    tonic::transport::Server::builder()
                        .add_routes(tonic::service::RoutesBuilder::default().routes())
                        .serve(addr)
                        .await
                        .expect("serve");
                });
            }
            _ => {
                println!("cannot open the backend: refusing to start");
                std::process::exit(3);
            }
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn a_plugin_without_a_health_service_is_reported_at_once() {
        let plugin = ProcessPlugin::new(
            "no_health",
            &self_plugin("no-health"),
            Path::new("/"),
            &BTreeMap::new(),
            None,
        )
        .expect("plugin");
        let started = std::time::Instant::now();
        let e = runtime()
            .block_on(plugin.ensure_running())
            .expect_err("no health service")
            .to_string();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not after the startup timeout: {:?}",
            started.elapsed()
        );
        assert!(
            e.contains("it answers UNIMPLEMENTED to grpc.health.v1.Health/Check"),
            "{e}"
        );
        assert!(e.contains("service name \"\""), "{e}");
        assert!(!e.contains("raise `startup_timeout_ms`"), "{e}");
    }

    #[test]
    fn a_plugin_that_exits_before_serving_fails_once_for_the_run_with_its_output() {
        let spec = self_plugin("exit");
        let new = || {
            ProcessPlugin::new("exits", &spec, Path::new("/"), &BTreeMap::new(), None)
                .expect("plugin")
        };
        let first = new();
        let e = runtime()
            .block_on(first.ensure_running())
            .expect_err("exits")
            .to_string();
        assert!(
            e.contains("it exited with status 3 before reporting SERVING"),
            "{e}"
        );
        assert!(
            e.contains("cannot open the backend: refusing to start"),
            "{e}"
        );
        // Another handle, as another process of the run has: the same error, nothing started.
        let second = new();
        let started = std::time::Instant::now();
        let again = runtime()
            .block_on(second.ensure_running())
            .expect_err("remembered")
            .to_string();
        assert_eq!(again, e);
        assert!(started.elapsed() < Duration::from_millis(500));
        assert!(matches!(
            second.slot.peek(),
            Some(Entry::Failed { generation: 1, .. })
        ));
    }

    #[test]
    fn generations_round_trip_through_the_state_file() {
        let g = Generation {
            number: 3,
            process: ProcessId {
                pid: 4242,
                start_time: 77,
            },
            addr: "127.0.0.1:40117".parse().expect("address"),
        };
        let text = serde_json::to_string(&g).expect("serialize");
        assert_eq!(serde_json::from_str::<Generation>(&text).ok(), Some(g));
        assert!(serde_json::from_str::<Generation>("{\"number\": 3}").is_err());
    }
}
