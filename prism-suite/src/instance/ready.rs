//! What every provider shares once a server is started: the variables of the registry file,
//! the readiness conditions (in order, each polled until it holds) and the setup commands.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use prism_registry::{InstanceSpec, WaitFor};

use super::provider::Running;

/// The only host anything of a run listens on.
pub const HOST: &str = "127.0.0.1";
/// Lines of server output quoted in messages.
const TAIL_LINES: usize = 15;
/// Longest a single attempt of a `command` condition may take.
const COMMAND_ATTEMPT: Duration = Duration::from_secs(10);

/// The variables of `url`, commands, `args`, `env`, `ready` and `setup`: `${HOST}`, `${PORT}`
/// (first named port), `${PORT_<NAME>}`, `${DIR}`, else the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vars {
    values: BTreeMap<String, String>,
}

impl Vars {
    /// The variables for ports `ports` (host ports by name, in the spec's order) and `dir`.
    pub fn new(spec: &InstanceSpec, ports: &BTreeMap<String, u16>, dir: &Path) -> Vars {
        let mut values = BTreeMap::from([
            ("HOST".to_owned(), HOST.to_owned()),
            ("DIR".to_owned(), dir.display().to_string()),
        ]);
        if let Some(port) = spec.ports.first().and_then(|p| ports.get(&p.name)) {
            values.insert("PORT".to_owned(), port.to_string());
        }
        for (name, port) in ports {
            values.insert(
                format!("PORT_{}", name.to_ascii_uppercase()),
                port.to_string(),
            );
        }
        Vars { values }
    }

    /// Expands the variables in `word`.
    pub fn expand(&self, word: &str) -> Result<String, String> {
        let vars: BTreeMap<&str, String> = self
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        crate::plugin::process::expand(word, &vars)
    }

    /// Expands every word of `command`.
    pub fn expand_all(&self, command: &[String]) -> Result<Vec<String>, String> {
        command.iter().map(|w| self.expand(w)).collect()
    }
}

/// The last lines of `text`, indented for a message.
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return "(nothing)".to_owned();
    }
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n    ")
}

/// Waits until every condition holds, in order, or the server ends, or `deadline` passes.
pub fn wait(
    conditions: &[WaitFor],
    vars: &Vars,
    running: &dyn Running,
    deadline: Instant,
    timeout: Duration,
) -> Result<(), String> {
    for condition in conditions {
        loop {
            let last = match holds(condition, vars, running, deadline) {
                Ok(()) => break,
                Err(why) => why,
            };
            if let Some(why) = running.ended() {
                return Err(format!(
                    "it {why} before it was ready (waiting for {}); its output:\n    {}",
                    describe(condition),
                    tail(&running.output())
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} did not hold within {} ms ({last}; raise `instance.startup_timeout_ms`); its output:\n    {}",
                    describe(condition),
                    timeout.as_millis(),
                    tail(&running.output())
                ));
            }
            std::thread::sleep(Duration::from_millis(match condition {
                WaitFor::Log(_) => 5,
                _ => 20,
            }));
        }
    }
    Ok(())
}

/// How a condition reads in messages.
pub fn describe(condition: &WaitFor) -> String {
    match condition {
        WaitFor::Log(text) => format!("a line with `{text}`"),
        WaitFor::Port(name) => format!("port `{name}` to accept connections"),
        WaitFor::Command(command) => format!("`{}` to exit 0", command.join(" ")),
        WaitFor::Probe { port, expect, .. } => format!(
            "a reply starting with `{}` on port `{port}`",
            String::from_utf8_lossy(expect).escape_debug()
        ),
    }
}

/// Whether `condition` holds now; else why not.
fn holds(
    condition: &WaitFor,
    vars: &Vars,
    running: &dyn Running,
    deadline: Instant,
) -> Result<(), String> {
    let addr_of = |name: &str| -> Result<SocketAddr, String> {
        let port = running
            .ports()
            .get(name)
            .ok_or_else(|| format!("no port named `{name}`"))?;
        Ok(SocketAddr::from(([127, 0, 0, 1], *port)))
    };
    match condition {
        WaitFor::Log(text) => {
            if running.output().contains(text.as_str()) {
                Ok(())
            } else {
                Err("not written yet".to_owned())
            }
        }
        WaitFor::Port(name) => {
            let addr = addr_of(name)?;
            TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                .map(drop)
                .map_err(|e| format!("{addr}: {e}"))
        }
        WaitFor::Command(command) => {
            let command = vars.expand_all(command)?;
            let left = deadline.saturating_duration_since(Instant::now());
            run(&command, &running.command_env(), left.min(COMMAND_ATTEMPT)).map(drop)
        }
        WaitFor::Probe { port, send, expect } => {
            let addr = addr_of(port)?;
            let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                .map_err(|e| format!("{addr}: {e}"))?;
            let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
            stream
                .write_all(send)
                .map_err(|e| format!("cannot send: {e}"))?;
            let mut got = Vec::new();
            let mut buf = [0u8; 256];
            while got.len() < expect.len() {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            if got.starts_with(expect) {
                Ok(())
            } else {
                Err(format!(
                    "got `{}`",
                    String::from_utf8_lossy(&got).escape_debug()
                ))
            }
        }
    }
}

/// Runs every setup command in order; each must exit 0 before the deadline.
pub fn setup(
    commands: &[Vec<String>],
    vars: &Vars,
    running: &dyn Running,
    deadline: Instant,
) -> Result<(), String> {
    for command in commands {
        let command = vars.expand_all(command)?;
        let left = deadline.saturating_duration_since(Instant::now());
        run(&command, &running.command_env(), left)
            .map_err(|why| format!("setup `{}` {why}", command.join(" ")))?;
    }
    Ok(())
}

/// Runs `command` with `env` added, at most `timeout`; its output when it exits 0, else why not
/// (status and output).
pub fn run(
    command: &[String],
    env: &BTreeMap<String, String>,
    timeout: Duration,
) -> Result<String, String> {
    run_in(command, env, None, timeout)
}

/// [`run`] in directory `dir`.
pub fn run_in(
    command: &[String],
    env: &BTreeMap<String, String>,
    dir: Option<&Path>,
    timeout: Duration,
) -> Result<String, String> {
    let (program, args) = command.split_first().ok_or("is an empty command")?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot execute: {e}"))?;
    // Read both pipes on threads so that a chatty command cannot block on a full pipe.
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut stream| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stream.read_to_string(&mut text);
            text
        })
    })
    .collect();
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let output: String = readers
        .into_iter()
        .filter_map(|r| r.join().ok())
        .collect::<Vec<_>>()
        .join("");
    match status {
        Some(s) if s.success() => Ok(output),
        Some(s) => Err(format!("{s}; its output:\n    {}", tail(&output))),
        None => Err(format!(
            "did not finish within {} ms; its output:\n    {}",
            timeout.as_millis(),
            tail(&output)
        )),
    }
}
