//! The children of the run's supervisor: started on request, their output read line by line,
//! their exit recorded, stopped when the run ends.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::keeper::wait_until;
use super::output::{Exit, ExitRecord, OutputLog, OutputSource};
use super::{ProcessId, Started};

/// How long the output of an ended child may keep coming before its exit is recorded (a
/// grandchild may hold its stdout open).
const DRAIN: Duration = Duration::from_millis(500);
/// How long stopped children may take to be reaped after SIGKILL.
const REAP: Duration = Duration::from_secs(2);

/// How a child's stdout is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Capture {
    /// Through a pseudo-terminal: the child's stdio sees a terminal and flushes every line
    /// (Python, C stdio), so the last line before a crash is not lost in a buffer.
    Pty,
    /// Through a pipe (servers that behave differently on a terminal).
    Pipe,
}

/// What to start under the run's supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpawnRequest {
    /// Program and arguments.
    pub command: Vec<String>,
    /// The child's whole environment.
    pub env: BTreeMap<String, String>,
    /// Its working directory (the supervisor's when `None`).
    pub cwd: Option<PathBuf>,
    /// How its stdout is read (stderr is always a pipe).
    pub stdout: Capture,
    /// The log its lines are appended to.
    pub log: PathBuf,
    /// The generation its lines are tagged with.
    pub generation: u64,
    /// Where its exit is recorded ([`ExitRecord`]).
    pub exit: PathBuf,
    /// How long it has between SIGTERM and SIGKILL when the run ends.
    pub stop_grace_ms: u64,
}

impl SpawnRequest {
    /// `command` with this process's environment plus `env`, in this process's directory, stdout
    /// through a pseudo-terminal, lines tagged `generation` in `log`, exit in `exit`, 1.5 s to
    /// stop.
    pub fn new(
        command: Vec<String>,
        env: impl IntoIterator<Item = (String, String)>,
        log: &Path,
        generation: u64,
        exit: &Path,
    ) -> SpawnRequest {
        let mut all: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        all.extend(env);
        SpawnRequest {
            command,
            env: all,
            cwd: std::env::current_dir().ok(),
            stdout: Capture::Pty,
            log: log.to_path_buf(),
            generation,
            exit: exit.to_path_buf(),
            stop_grace_ms: 1500,
        }
    }
}

/// The live children of the supervisor, by pid.
#[derive(Debug, Clone, Default)]
pub(super) struct Children(Arc<Mutex<BTreeMap<u32, Tracked>>>);

#[derive(Debug, Clone, Copy)]
struct Tracked {
    id: ProcessId,
    grace: Duration,
}

impl Children {
    fn insert(&self, id: ProcessId, grace: Duration) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.pid, Tracked { id, grace });
    }

    fn remove(&self, pid: u32) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&pid);
    }

    fn snapshot(&self) -> Vec<Tracked> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .copied()
            .collect()
    }

    fn is_empty(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
    }

    /// SIGTERM to every child's process group; SIGKILL to those still there after their grace.
    pub(super) fn stop_all(&self) {
        let children = self.snapshot();
        if children.is_empty() {
            return;
        }
        for c in &children {
            c.id.signal_group(libc::SIGTERM);
        }
        let grace = children.iter().map(|c| c.grace).max().unwrap_or_default();
        wait_until(grace, || self.is_empty());
        for c in self.snapshot() {
            c.id.signal_group(libc::SIGKILL);
        }
        wait_until(REAP, || self.is_empty());
    }
}

/// Starts `request`'s command (on the supervisor's main thread), with threads reading its output
/// and one waiting for its exit.
pub(super) fn spawn(
    request: &SpawnRequest,
    children: &Children,
    started_log: &Path,
) -> Result<ProcessId, String> {
    let line = request.command.join(" ");
    let (program, args) = request.command.split_first().ok_or("an empty command")?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(&request.env)
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(cwd) = &request.cwd {
        cmd.current_dir(cwd);
    }
    let pty_master = match request.stdout {
        Capture::Pty => {
            let (master, slave) = open_pty().map_err(|e| format!("no pseudo-terminal: {e}"))?;
            cmd.stdout(Stdio::from(slave));
            Some(master)
        }
        Capture::Pipe => {
            cmd.stdout(Stdio::piped());
            None
        }
    };
    let supervisor = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            // A group of its own: stopping it reaches a wrapper script's children too.
            if libc::setpgid(0, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Killed if the supervisor dies, whatever kills it.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The supervisor died between fork and prctl: nobody would stop this child.
            if libc::getppid() != supervisor {
                libc::_exit(1);
            }
            Ok(())
        })
    };
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot execute `{line}`: {e}"))?;
    // Our copy of the terminal's child side goes with `cmd`: the child's exit then ends reads.
    drop(cmd);
    let pid = child.id();
    let id = ProcessId::of(pid).unwrap_or(ProcessId { pid, start_time: 0 });
    children.insert(id, Duration::from_millis(request.stop_grace_ms));
    append_started(started_log, id, &line);

    let log = OutputLog::at(&request.log);
    let generation = request.generation;
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let mut readers = 0;
    let stdout: Option<Box<dyn Read + Send>> = match pty_master {
        Some(master) => Some(Box::new(File::from(master))),
        None => child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    };
    for (source, stream) in [
        (OutputSource::Stdout, stdout),
        (
            OutputSource::Stderr,
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
    ] {
        let Some(stream) = stream else { continue };
        let (log, done) = (log.clone(), done_tx.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("prism-supervisor-{source}-{pid}"))
            .spawn(move || {
                read_lines(stream, &log, generation, source);
                let _ = done.send(());
            });
        if spawned.is_ok() {
            readers += 1;
        }
    }
    drop(done_tx);
    let exit_path = request.exit.clone();
    let tracked = children.clone();
    std::thread::Builder::new()
        .name(format!("prism-supervisor-wait-{pid}"))
        .spawn(move || {
            let exit = child.wait().map(Exit::from_status).unwrap_or(Exit::Unknown);
            // The output is complete before the exit is recorded: whoever reads the record
            // finds the child's last lines in the log.
            let deadline = std::time::Instant::now() + DRAIN;
            for _ in 0..readers {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if done_rx.recv_timeout(left).is_err() {
                    break;
                }
            }
            if let Err(e) = ExitRecord::write(&exit_path, exit) {
                eprintln!(
                    "prism-suite supervisor: cannot record the exit of {pid} in {}: {e}",
                    exit_path.display()
                );
            }
            tracked.remove(pid);
        })
        .map_err(|e| format!("cannot watch `{line}`: {e}"))?;
    Ok(id)
}

/// Appends every line of `stream` to `log`, stamped when read. A terminal whose other side is
/// closed reports EIO: that is its end of file.
fn read_lines(
    stream: Box<dyn Read + Send>,
    log: &OutputLog,
    generation: u64,
    source: OutputSource,
) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let at = SystemTime::now();
                while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    buf.pop();
                }
                let text = String::from_utf8_lossy(&buf);
                if let Err(e) = log.append_at(at, generation, source, &text) {
                    eprintln!(
                        "prism-suite supervisor: cannot write {}: {e}",
                        log.path().display()
                    );
                }
            }
        }
    }
}

fn append_started(path: &Path, process: ProcessId, command: &str) {
    let record = Started {
        process,
        command: command.to_owned(),
    };
    if let Ok(mut bytes) = serde_json::to_vec(&record) {
        bytes.push(b'\n');
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(&bytes));
    }
}

/// A pseudo-terminal in raw mode (no `\r` added, no echo): the supervisor's side and the child's.
fn open_pty() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors; name, termios and window size may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just opened and are owned by nobody else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    use std::os::fd::AsRawFd;
    // SAFETY: fcntl and termios calls on the descriptors just opened.
    unsafe {
        for fd in [master.as_raw_fd(), slave.as_raw_fd()] {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
        }
        let mut attrs: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(slave.as_raw_fd(), &mut attrs) == 0 {
            libc::cfmakeraw(&mut attrs);
            libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &attrs);
        }
    }
    Ok((master, slave))
}
