//! A plugin running as its own process, shared by every test process of a run.
//!
//! Under `cargo test` one process runs every case; under nextest every case is a process of its
//! own, and a plugin started per process would cost more than most cases take. So a plugin is
//! started once per run (see [`crate::run`]): the first process that needs it takes the plugin's
//! file lock, starts it under a supervisor (see `supervisor.rs`) and writes a state file; the
//! others read the state file. The plugin's identity is its command, environment and backend URL,
//! so differently configured plugins (an injected fault, another instance) never share a process.
//! Any process of the run can tell that the plugin crashed (its supervisor records the exit
//! status), kill it when it hangs, restart it as the next generation, and quote its output (the
//! supervisor appends it to the run's log).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use prism_registry::ProcessSpec;
use tokio::time::Instant;

use super::port::{free_port, listener_is_ours};
use super::supervisor::{self, Files};
use super::{is_serving, PluginError};

/// How long a plugin has to answer a health check after a failed case before it counts as hung.
const HUNG_AFTER: Duration = Duration::from_secs(1);
/// Ports tried before giving up on starting a plugin.
const PORT_ATTEMPTS: u64 = 3;
/// How long a failed case waits for a dying plugin to finish exiting before probing its health.
const EXIT_GRACE: Duration = Duration::from_millis(300);
/// How long a supervisor may take to record the exit of a plugin that is gone.
const RECORD_GRACE: Duration = Duration::from_secs(2);

/// A plugin process: started on first use in the run, restarted when it crashed or hangs.
pub struct ProcessPlugin {
    backend: String,
    command: Vec<String>,
    env: BTreeMap<String, String>,
    backend_url: Option<String>,
    startup: Duration,
    owner: u32,
    files: Files,
    /// The generation this process last used.
    current: tokio::sync::Mutex<Option<Generation>>,
}

/// One start of the plugin; a restart is the next generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Generation {
    number: u64,
    pid: u32,
    addr: SocketAddr,
}

impl Generation {
    fn to_text(self) -> String {
        format!(
            "generation={}\npid={}\naddr={}\n",
            self.number, self.pid, self.addr
        )
    }

    fn parse(text: &str) -> Option<Generation> {
        let fields: BTreeMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
        Some(Generation {
            number: fields.get("generation")?.parse().ok()?,
            pid: fields.get("pid")?.parse().ok()?,
            addr: fields.get("addr")?.parse().ok()?,
        })
    }
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
        let expand_all = |words: &[String]| -> Result<Vec<String>, PluginError> {
            words
                .iter()
                .map(|w| {
                    expand(w, vars).map_err(|detail| PluginError::Start {
                        command: words.join(" "),
                        detail,
                    })
                })
                .collect()
        };
        let mut command = expand_all(&spec.command)?;
        if command[0].contains('/') && Path::new(&command[0]).is_relative() {
            command[0] = root.join(&command[0]).display().to_string();
        }
        let env: BTreeMap<String, String> = spec
            .env
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    expand(v, vars).map_err(|detail| PluginError::Start {
                        command: command.join(" "),
                        detail,
                    })?,
                ))
            })
            .collect::<Result<_, PluginError>>()?;
        let (owner, owner_key) = crate::run::owner();
        let mut identity = DefaultHasher::new();
        (&command, &env, &backend_url).hash(&mut identity);
        let key = format!("{backend}-{:016x}-{owner_key}", identity.finish());
        Ok(ProcessPlugin {
            backend: backend.to_owned(),
            command,
            env,
            backend_url,
            startup: Duration::from_millis(spec.startup_timeout_ms),
            owner,
            files: Files::new(&key)?,
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

    /// The last `n` lines the plugin wrote to stdout or stderr (in this run, every generation).
    pub fn log_tail(&self, n: usize) -> Vec<String> {
        self.files.log_tail(n)
    }

    fn note(&self, line: &str) {
        self.files.append_log(&format!("[prism-suite] {line}"));
    }

    /// How generation `g` ended, or `None` while it runs.
    async fn ended(&self, g: &Generation) -> Option<Ended> {
        if let Some(ended) = self.recorded_exit(g.number) {
            return Some(ended);
        }
        if supervisor::alive(g.pid) {
            return None;
        }
        // Gone but not yet recorded: its supervisor is about to write the status.
        let deadline = Instant::now() + RECORD_GRACE;
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
            if let Some(ended) = self.recorded_exit(g.number) {
                return Some(ended);
            }
        }
        Some(Ended::Unknown)
    }

    fn recorded_exit(&self, generation: u64) -> Option<Ended> {
        let text = std::fs::read_to_string(self.files.exit(generation)).ok()?;
        // The supervisor writes the status and a newline: a file without one is being written.
        let code = text.strip_suffix('\n')?.trim().parse::<i32>().ok()?;
        Some(Ended::from_shell(code))
    }

    /// The address of a running plugin: the run's current generation, or a new one if there is
    /// none or it ended.
    pub async fn ensure_running(&self) -> Result<SocketAddr, PluginError> {
        let mut current = self.current.lock().await;
        if let Some(g) = *current {
            if self.ended(&g).await.is_none() {
                return Ok(g.addr);
            }
        }
        // The state file is replaced whole, so a running generation can be adopted without the lock.
        if let Some(g) = self.last_started() {
            if self.ended(&g).await.is_none() {
                *current = Some(g);
                return Ok(g.addr);
            }
        }
        let lock = self.lock().await?;
        let result = self.find_or_start().await;
        // Unlocking fails only if the file is gone; the lock dies with the descriptor anyway.
        let _ = File::unlock(&lock);
        let g = result?;
        *current = Some(g);
        Ok(g.addr)
    }

    /// Takes the plugin's run-wide lock (other test processes may hold it while they start it).
    async fn lock(&self) -> Result<File, PluginError> {
        let path = self.files.lock();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        tokio::task::spawn_blocking(move || file.lock().map(|()| file))
            .await
            .map_err(|e| PluginError::Io(std::io::Error::other(e)))?
            .map_err(|e| self.start_error(format!("cannot lock {}: {e}", path.display())))
    }

    /// The generation the state file names: the last one started in the run.
    fn last_started(&self) -> Option<Generation> {
        let text = std::fs::read_to_string(self.files.state()).ok()?;
        Generation::parse(&text)
    }

    /// Under the lock: the generation another process started, or a new one.
    async fn find_or_start(&self) -> Result<Generation, PluginError> {
        let mut number = 1;
        if let Some(g) = self.last_started() {
            match self.ended(&g).await {
                None => return Ok(g),
                Some(ended) => self.note(&format!("plugin {}; restarting it", ended.text())),
            }
            number = g.number + 1;
        }
        // A port another process picked at the same moment: try again on a new one.
        for _ in 0..PORT_ATTEMPTS {
            // A process killed while starting a generation leaves its files (and its supervisor,
            // which stops the plugin with the run): never reuse that number.
            while self.files.pid(number).exists() || self.files.exit(number).exists() {
                number += 1;
            }
            match self.start(number).await? {
                Started::Ours(g) => {
                    crate::run::write_atomically(&self.files.state(), &g.to_text())?;
                    crate::run::record_event(&format!(
                        "plugin {} generation={} pid={} by={}",
                        self.backend,
                        g.number,
                        g.pid,
                        std::process::id()
                    ));
                    return Ok(g);
                }
                Started::PortTaken(addr) => self.note(&format!(
                    "port {} was taken by another process; retrying",
                    addr.port()
                )),
            }
        }
        Err(self.start_error(format!(
            "another process answered on the plugin's port each of {PORT_ATTEMPTS} times"
        )))
    }

    async fn start(&self, number: u64) -> Result<Started, PluginError> {
        if crate::instance::native::find(&self.command[0]).is_none() {
            if self.last_started().is_none() {
                // No supervisor of this run will remove the lock file: nothing was started.
                let _ = std::fs::remove_file(self.files.lock());
            }
            return Err(self.start_error(format!(
                "cannot execute `{}`: no such executable file",
                self.command[0]
            )));
        }
        let addr = free_port()?;
        let addr_text = addr.to_string();
        let mut env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        env.push(("PRISM_PLUGIN_ADDR", &addr_text));
        if let Some(url) = &self.backend_url {
            env.push(("PRISM_BACKEND_URL", url));
        }
        supervisor::spawn(self.owner, &self.files, number, &self.command, &env)
            .map_err(|e| self.start_error(format!("cannot execute: {e}")))?;
        let deadline = Instant::now() + self.startup;
        let mut pid = None;
        loop {
            if pid.is_none() {
                pid = std::fs::read_to_string(self.files.pid(number))
                    .ok()
                    .and_then(|t| t.trim().parse::<u32>().ok());
            }
            if let Some(ended) = self.recorded_exit(number) {
                return Err(
                    self.start_error(format!("it {} before reporting SERVING", ended.text()))
                );
            }
            if let Some(pid) = pid {
                if is_serving(addr, Duration::from_millis(250)).await {
                    let g = Generation { number, pid, addr };
                    if listener_is_ours(addr.port(), pid) == Some(false) {
                        supervisor::kill(pid);
                        return Ok(Started::PortTaken(addr));
                    }
                    return Ok(Started::Ours(g));
                }
            }
            if Instant::now() >= deadline {
                if let Some(pid) = pid {
                    supervisor::kill(pid);
                }
                return Err(self.start_error(format!(
                    "no SERVING answer from grpc.health.v1 on {addr} within {} ms (raise `startup_timeout_ms` in the registry if it is slow)",
                    self.startup.as_millis()
                )));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn start_error(&self, what: String) -> PluginError {
        let tail = self.log_tail(20);
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
        PluginError::Start {
            command: self.command.join(" "),
            detail,
        }
    }

    /// After a failed case: says whether the plugin crashed or hangs; either way the next case
    /// gets a new generation.
    pub async fn diagnose(&self) -> Option<String> {
        let g = (*self.current.lock().await)?;
        // A crashing plugin may still be on its way out (the case saw the connection drop first):
        // give it a moment, so that a crash is reported as a crash and not as a hang.
        let deadline = Instant::now() + EXIT_GRACE;
        loop {
            if let Some(ended) = self.ended(&g).await {
                let text = format!(
                    "plugin process {} during the case; it is restarted for the next case",
                    ended.text()
                );
                self.note(&text);
                return Some(text);
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if is_serving(g.addr, HUNG_AFTER).await {
            return None;
        }
        supervisor::kill(g.pid);
        // Wait for the supervisor to record it, so the next case starts a new generation.
        let _ = self.ended(&g).await;
        let text = format!(
            "plugin did not answer its health check within {} ms after the failure: it hangs; killed (pid {}) and restarted for the next case",
            HUNG_AFTER.as_millis(),
            g.pid
        );
        self.note(&text);
        Some(text)
    }
}

/// How a plugin ended, as its supervising shell saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// It exited with this status.
    Code(i32),
    /// A signal killed it (the shell reports 128 + the signal number).
    Signal(i32),
    /// It is gone and nothing recorded how.
    Unknown,
}

impl Ended {
    fn from_shell(code: i32) -> Ended {
        if (129..=128 + 64).contains(&code) {
            Ended::Signal(code - 128)
        } else {
            Ended::Code(code)
        }
    }

    /// "exited with status 3" / "was killed by signal 6 (SIGABRT)".
    fn text(self) -> String {
        match self {
            Ended::Code(code) => format!("exited with status {code}"),
            Ended::Signal(sig) => format!("was killed by signal {sig}{}", signal_name(sig)),
            Ended::Unknown => "ended (its exit status was not recorded)".to_owned(),
        }
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGABRT => " (SIGABRT)",
        libc::SIGKILL => " (SIGKILL)",
        libc::SIGSEGV => " (SIGSEGV)",
        libc::SIGTERM => " (SIGTERM)",
        libc::SIGBUS => " (SIGBUS)",
        _ => "",
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
    fn shell_statuses_name_signals_and_codes() {
        assert_eq!(
            Ended::from_shell(134).text(),
            "was killed by signal 6 (SIGABRT)"
        );
        assert_eq!(
            Ended::from_shell(137).text(),
            "was killed by signal 9 (SIGKILL)"
        );
        assert_eq!(Ended::from_shell(3).text(), "exited with status 3");
        assert_eq!(Ended::from_shell(0).text(), "exited with status 0");
        assert_eq!(Ended::from_shell(128), Ended::Code(128));
    }

    #[test]
    fn state_file_round_trips_and_rejects_partial_text() {
        let g = Generation {
            number: 3,
            pid: 4242,
            addr: "127.0.0.1:40117".parse().expect("address"),
        };
        assert_eq!(Generation::parse(&g.to_text()), Some(g));
        assert_eq!(Generation::parse("generation=3\npid=4242\n"), None);
        assert_eq!(Generation::parse(""), None);
    }
}
