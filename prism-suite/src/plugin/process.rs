//! A plugin running as its own process.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prism_registry::ProcessSpec;
use tokio::time::Instant;

use super::port::{free_port, listener_is_ours};
use super::{is_serving, launcher, PluginError};

/// Lines of plugin output kept for failure messages.
const LOG_LINES: usize = 400;
/// How long a plugin has to answer a health check after a failed case before it counts as hung.
const HUNG_AFTER: Duration = Duration::from_secs(1);
/// Ports tried before giving up on starting a plugin.
const PORT_ATTEMPTS: usize = 3;
/// How long a failed case waits for a dying plugin to finish exiting before probing its health.
const EXIT_GRACE: Duration = Duration::from_millis(300);

type Log = Arc<Mutex<VecDeque<String>>>;

/// A plugin process: started on first use, restarted when it crashed or hangs.
pub struct ProcessPlugin {
    backend: String,
    command: Vec<String>,
    env: BTreeMap<String, String>,
    backend_url: Option<String>,
    startup: Duration,
    log: Log,
    state: tokio::sync::Mutex<State>,
}

/// How an attempt to start the plugin on a port ended.
enum Started {
    /// Our child serves on the address.
    Ours(Child, SocketAddr),
    /// Another process answered on the port our child was meant to bind.
    PortTaken(SocketAddr),
}

#[derive(Default)]
struct State {
    child: Option<Child>,
    addr: Option<SocketAddr>,
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
        let env = spec
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
        Ok(ProcessPlugin {
            backend: backend.to_owned(),
            command,
            env,
            backend_url,
            startup: Duration::from_millis(spec.startup_timeout_ms),
            log: Arc::default(),
            state: tokio::sync::Mutex::default(),
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

    /// The last `n` lines the plugin wrote to stdout or stderr.
    pub fn log_tail(&self, n: usize) -> Vec<String> {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.iter()
            .skip(log.len().saturating_sub(n))
            .cloned()
            .collect()
    }

    fn note(&self, line: String) {
        push(&self.log, format!("[prism-suite] {line}"));
    }

    /// The address of a running, healthy plugin: starts it, or restarts it if it exited.
    pub async fn ensure_running(&self) -> Result<SocketAddr, PluginError> {
        let mut guard = self.state.lock().await;
        let state = &mut *guard;
        if let (Some(child), Some(addr)) = (state.child.as_mut(), state.addr) {
            match child.try_wait() {
                Ok(None) => return Ok(addr),
                Ok(Some(status)) => {
                    self.note(format!("plugin {}; restarting it", exit_text(status)));
                    launcher::forget(child.id());
                }
                Err(e) => self.note(format!("cannot poll plugin: {e}; restarting it")),
            }
            state.child = None;
        }
        let (child, addr) = self.start().await?;
        state.child = Some(child);
        state.addr = Some(addr);
        Ok(addr)
    }

    async fn start(&self) -> Result<(Child, SocketAddr), PluginError> {
        // A port another test process picked at the same moment: try again on a new one.
        for _ in 0..PORT_ATTEMPTS - 1 {
            match self.start_on(free_port()?).await? {
                Started::Ours(child, addr) => return Ok((child, addr)),
                Started::PortTaken(addr) => self.note(format!(
                    "port {} was taken by another process; retrying",
                    addr.port()
                )),
            }
        }
        match self.start_on(free_port()?).await? {
            Started::Ours(child, addr) => Ok((child, addr)),
            Started::PortTaken(addr) => Err(self.start_error(format!(
                "another process answered on {addr} each of {PORT_ATTEMPTS} times"
            ))),
        }
    }

    async fn start_on(&self, addr: SocketAddr) -> Result<Started, PluginError> {
        let mut cmd = Command::new(&self.command[0]);
        cmd.args(&self.command[1..])
            .envs(&self.env)
            .env("PRISM_PLUGIN_ADDR", addr.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(url) = &self.backend_url {
            cmd.env("PRISM_BACKEND_URL", url);
        }
        let mut child =
            launcher::spawn(cmd).map_err(|e| self.start_error(format!("cannot execute: {e}")))?;
        if let Some(out) = child.stdout.take() {
            drain(out, self.log.clone());
        }
        if let Some(err) = child.stderr.take() {
            drain(err, self.log.clone());
        }
        let deadline = Instant::now() + self.startup;
        loop {
            if is_serving(addr, Duration::from_millis(250)).await {
                if listener_is_ours(addr.port(), child.id()) == Some(false) {
                    launcher::kill(child.id());
                    let _ = child.wait();
                    launcher::forget(child.id());
                    return Ok(Started::PortTaken(addr));
                }
                return Ok(Started::Ours(child, addr));
            }
            if let Ok(Some(status)) = child.try_wait() {
                launcher::forget(child.id());
                // Let the reader threads catch the last lines.
                tokio::time::sleep(Duration::from_millis(20)).await;
                return Err(
                    self.start_error(format!("it {} before reporting SERVING", exit_text(status)))
                );
            }
            if Instant::now() >= deadline {
                launcher::kill(child.id());
                let _ = child.wait();
                launcher::forget(child.id());
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

    /// After a failed case: says whether the plugin crashed or hangs, and clears the way for a restart.
    pub async fn diagnose(&self) -> Option<String> {
        let mut guard = self.state.lock().await;
        let state = &mut *guard;
        let addr = state.addr?;
        let child = state.child.as_mut()?;
        // A crashing plugin may still be on its way out (the case saw the connection drop first):
        // give it a moment, so that a crash is reported as a crash and not as a hang.
        let mut exited = child.try_wait().ok().flatten();
        let deadline = Instant::now() + EXIT_GRACE;
        while exited.is_none() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
            exited = child.try_wait().ok().flatten();
        }
        if let Some(status) = exited {
            launcher::forget(child.id());
            state.child = None;
            let text = format!(
                "plugin process {} during the case; it is restarted for the next case",
                exit_text(status)
            );
            self.note(text.clone());
            return Some(text);
        }
        if is_serving(addr, HUNG_AFTER).await {
            return None;
        }
        let pid = child.id();
        launcher::kill(pid);
        let _ = child.wait();
        launcher::forget(pid);
        state.child = None;
        let text = format!(
            "plugin did not answer its health check within {} ms after the failure: it hangs; killed (pid {pid}) and restarted for the next case",
            HUNG_AFTER.as_millis()
        );
        self.note(text.clone());
        Some(text)
    }
}

fn drain(stream: impl Read + Send + 'static, log: Log) {
    let spawned = std::thread::Builder::new()
        .name("prism-plugin-log".into())
        .spawn(move || {
            for line in BufReader::new(stream).lines() {
                match line {
                    Ok(line) => push(&log, line),
                    Err(_) => break,
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("prism-suite: cannot read plugin output: {e}");
    }
}

fn push(log: &Log, line: String) {
    let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
    if log.len() == LOG_LINES {
        log.pop_front();
    }
    log.push_back(line);
}

/// "exited with status 3" / "was killed by signal 6 (SIGABRT)".
fn exit_text(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}{}", signal_name(sig)),
        _ => format!("ended ({status})"),
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
}
