//! The run's supervisor: the current test binary re-executed in a role of its own.
//!
//! The first process of a run that starts anything starts the supervisor (under the run's
//! `supervisor` slot), in a session of its own so that neither the terminal's Ctrl-C nor nextest's
//! signals to a test's process group reach it. The role is selected by [`SUPERVISOR_ENV`] in a
//! constructor that runs before libtest's `main` (the `ctor` crate): the binary never parses
//! test arguments, never lists or runs a test. The supervisor
//!
//! - listens on a Unix socket in the run's directory (mode 0700, so only this user can ask it to
//!   start anything) and starts what test processes ask for ([`SpawnRequest`]), as its own
//!   children: each in a process group of its own, killed if the supervisor dies
//!   (`PR_SET_PDEATHSIG`), stdout read through a pseudo-terminal or a pipe and stderr through a
//!   pipe, every line stored with the time it was read; it records each child's exit status;
//! - polls the owner (pid and start time) every 100 ms, and once it is gone (or the supervisor
//!   gets SIGTERM, SIGINT or SIGHUP; or, for a warm run, once none of the runs it is lent to has
//!   been alive for its idle time) stops its children (SIGTERM to each group, SIGKILL after the
//!   child's grace), runs the clean-up commands registered with [`Run::on_end`] (removing
//!   containers, for instance), and removes the run's directory.
//!
//! Nothing depends on code running in a dying test process: a normal end, a failing or panicking
//! case, Ctrl-C of `cargo test` or nextest and a SIGKILLed test process all end the same way.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::child::{self, Children};
use super::run::{owner_of_dir, USERS_DIR};
use super::{Ending, Entry, LifecycleError, ProcessId, Run, SpawnRequest};

/// Environment variable selecting the supervisor role; its value is the [`Config`] as JSON.
pub const SUPERVISOR_ENV: &str = "PRISM_SUITE_SUPERVISOR";

/// How often the supervisor looks at the owner.
const POLL: Duration = Duration::from_millis(100);
/// How long a starting supervisor may take to say it listens.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request may wait for the supervisor's answer.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest Unix socket path Linux takes (`sun_path`, without its terminating NUL).
const MAX_SOCKET_PATH: usize = 107;

/// What the supervisor needs to know, passed in [`SUPERVISOR_ENV`].
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Config {
    ending: Ending,
    dir: PathBuf,
    socket: PathBuf,
}

/// A running supervisor, as the run's `supervisor` slot records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeeperInfo {
    /// The supervisor process.
    pub process: ProcessId,
    /// Where it listens.
    pub socket: PathBuf,
}

/// A request to the supervisor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) enum Request {
    /// Start a process.
    Spawn(SpawnRequest),
}

/// The supervisor's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) enum Reply {
    /// The process runs.
    Spawned(ProcessId),
    /// It could not be started.
    Error(String),
}

/// A clean-up registered for the end of the run: a command the supervisor runs (after stopping
/// its children) and waits for, at most [`CLEANUP_TIMEOUT`]. A command, not code: the supervisor
/// runs before `main`, where registries built by other constructors (`inventory`) may be empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Cleanup {
    pub command: Vec<String>,
}

/// How long one clean-up command may take.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);

// SAFETY: runs before main. It reads one environment variable and returns unless it is set; the
// supervisor role uses std's threads, files, sockets and processes, which need no set-up by
// `main` on Linux (the one thing `main` would do, ignoring SIGPIPE, the supervisor does itself),
// and nothing other constructors build (it may run before them).
#[ctor::ctor(unsafe)]
fn select_role() {
    if let Some(config) = std::env::var_os(SUPERVISOR_ENV) {
        let code = match serde_json::from_str::<Config>(&config.to_string_lossy()) {
            Ok(config) => supervise(config),
            Err(e) => {
                eprintln!("prism-suite supervisor: bad {SUPERVISOR_ENV}: {e}");
                2
            }
        };
        std::process::exit(code);
    }
}

/// Set by SIGTERM, SIGINT and SIGHUP: end the run now.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// A request with the channel its answer goes back on.
struct Job {
    request: Request,
    reply: mpsc::Sender<Reply>,
}

/// The supervisor's main: serve requests until the owner is gone, then end the run.
fn supervise(config: Config) -> i32 {
    // SAFETY: installing handlers that only store to an atomic; ignoring SIGPIPE so that a test
    // process that went away while we answer costs an error, not the supervisor.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::signal(signal, on_stop_signal as *const () as libc::sighandler_t);
        }
    }
    let _ = std::fs::remove_file(&config.socket);
    let listener = match UnixListener::bind(&config.socket) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "prism-suite supervisor: cannot listen on {}: {e}",
                config.socket.display()
            );
            return 1;
        }
    };
    // The starter waits for this line on our stdout; then stdout goes nowhere, so that no test
    // process's pipe is held open by us.
    {
        let mut out = std::io::stdout().lock();
        if writeln!(out, "ready").and_then(|()| out.flush()).is_err() {
            return 1;
        }
    }
    redirect_stdout_to_null();

    let (jobs, incoming) = mpsc::channel::<Job>();
    let spawned = std::thread::Builder::new()
        .name("prism-supervisor-accept".into())
        .spawn(move || accept(listener, jobs));
    if let Err(e) = spawned {
        eprintln!("prism-suite supervisor: cannot start the accept thread: {e}");
        return 1;
    }
    let children = Children::default();
    let started_log = config.dir.join("started.jsonl");
    let mut last_busy = Instant::now();
    // Children are started on this thread, which lives as long as the process: PR_SET_PDEATHSIG
    // fires when the thread that forked a child ends, not the process.
    loop {
        match incoming.recv_timeout(POLL) {
            Ok(job) => {
                let reply = match job.request {
                    Request::Spawn(request) => {
                        match child::spawn(&request, &children, &started_log) {
                            Ok(id) => Reply::Spawned(id),
                            Err(e) => Reply::Error(e),
                        }
                    }
                };
                let _ = job.reply.send(reply);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                eprintln!("prism-suite supervisor: the accept thread ended");
                break;
            }
        }
        if STOP.load(Ordering::SeqCst) || has_ended(&config, &mut last_busy) {
            break;
        }
    }
    children.stop_all();
    clean_up(&config.dir);
    0
}

/// Whether the run's end has come: its owner is gone, or a warm run has had no live user for its
/// idle time (`last_busy` is when one was last seen alive).
fn has_ended(config: &Config, last_busy: &mut Instant) -> bool {
    match &config.ending {
        Ending::Owner(owner) => !owner.is_alive(),
        Ending::Idle { idle_ms } => {
            if any_user_alive(&config.dir) {
                *last_busy = Instant::now();
            }
            last_busy.elapsed() >= Duration::from_millis(*idle_ms)
        }
    }
}

/// Whether a process a warm run is lent to still runs; forgets the ones that ended.
fn any_user_alive(dir: &Path) -> bool {
    let mut alive = false;
    for entry in std::fs::read_dir(dir.join(USERS_DIR))
        .into_iter()
        .flatten()
        .flatten()
    {
        match entry.file_name().to_str().and_then(owner_of_dir) {
            Some(user) if user.is_alive() => alive = true,
            _ => {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    alive
}

fn redirect_stdout_to_null() {
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        use std::os::fd::AsRawFd;
        // SAFETY: dup2 onto fd 1, which std's stdout writes to; both descriptors are valid.
        unsafe { libc::dup2(null.as_raw_fd(), libc::STDOUT_FILENO) };
    }
}

/// Accepts connections; each is one request answered on its own thread.
fn accept(listener: UnixListener, jobs: mpsc::Sender<Job>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let jobs = jobs.clone();
        let _ = std::thread::Builder::new()
            .name("prism-supervisor-conn".into())
            .spawn(move || serve(stream, &jobs));
    }
}

fn serve(stream: UnixStream, jobs: &mpsc::Sender<Job>) {
    let _ = stream.set_read_timeout(Some(CALL_TIMEOUT));
    let mut line = String::new();
    if BufReader::new(&stream).read_line(&mut line).is_err() {
        return;
    }
    let reply = match serde_json::from_str::<Request>(&line) {
        Ok(request) => {
            let (tx, rx) = mpsc::channel();
            if jobs.send(Job { request, reply: tx }).is_err() {
                Reply::Error("the supervisor is ending the run".to_owned())
            } else {
                rx.recv()
                    .unwrap_or_else(|_| Reply::Error("the supervisor is ending the run".to_owned()))
            }
        }
        Err(e) => Reply::Error(format!("bad request: {e}")),
    };
    if let Ok(mut bytes) = serde_json::to_vec(&reply) {
        bytes.push(b'\n');
        let _ = (&stream).write_all(&bytes);
    }
}

/// Runs the run's clean-up commands, in name order, and removes its directory.
fn clean_up(dir: &Path) {
    let cleanups = dir.join("cleanup");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&cleanups)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    for path in entries {
        let cleanup = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Cleanup>(&b).ok());
        match cleanup {
            Some(cleanup) => run_cleanup(&cleanup.command),
            None => eprintln!(
                "prism-suite supervisor: unreadable clean-up {}",
                path.display()
            ),
        }
    }
    if let Err(e) = std::fs::remove_dir_all(dir) {
        if e.kind() != std::io::ErrorKind::NotFound {
            eprintln!(
                "prism-suite supervisor: cannot remove {}: {e}",
                dir.display()
            );
        }
    }
}

fn run_cleanup(command: &[String]) {
    let Some((program, args)) = command.split_first() else {
        return;
    };
    let line = command.join(" ");
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            eprintln!("prism-suite supervisor: clean-up `{line}`: cannot execute: {e}");
            return;
        }
    };
    let mut status = None;
    wait_until(CLEANUP_TIMEOUT, || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    });
    match status {
        Some(s) if s.success() => {}
        Some(s) => eprintln!("prism-suite supervisor: clean-up `{line}` {s}"),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!(
                "prism-suite supervisor: clean-up `{line}` took over {} s; killed",
                CLEANUP_TIMEOUT.as_secs()
            );
        }
    }
}

/// Starts the run's supervisor (generation `generation` of the `supervisor` slot) and waits until
/// it listens. Runs under the slot's lock.
pub(super) fn start(run: &Run, generation: u64) -> Result<KeeperInfo, String> {
    remove_abandoned_runs(run);
    let dir = run.dir();
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    restrict_to_user(dir);
    let socket = dir.join("supervisor.sock");
    if socket.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(format!(
            "the socket path {} is longer than the {MAX_SOCKET_PATH} bytes a Unix socket may have: set TMPDIR to a shorter directory",
            socket.display()
        ));
    }
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the running test binary: {e}"))?;
    let config = Config {
        ending: run.ending().clone(),
        dir: dir.to_path_buf(),
        socket: socket.clone(),
    };
    let config = serde_json::to_string(&config).map_err(|e| e.to_string())?;
    let log_path = dir.join(format!("supervisor.{generation}.log"));
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let mut cmd = Command::new(&exe);
    cmd.env(SUPERVISOR_ENV, config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log);
    crate::run::in_own_session(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot execute {}: {e}", exe.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let said = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
    if said.trim() != "ready" {
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        return Err(format!(
            "the run's supervisor ({} in its supervisor role) did not start within {} s: {}",
            exe.display(),
            START_TIMEOUT.as_secs(),
            if log.trim().is_empty() {
                "it wrote nothing (is prism-suite linked into the binary?)".to_owned()
            } else {
                log.trim().to_owned()
            }
        ));
    }
    let process = ProcessId::of(child.id()).ok_or("the supervisor ended at once")?;
    // Dropping a std Child neither kills nor waits: the supervisor outlives this process.
    drop(child);
    Ok(KeeperInfo { process, socket })
}

fn restrict_to_user(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

/// Removes the directories of runs whose owner and supervisor are both gone (a supervisor killed
/// by SIGKILL cannot remove its own). Their processes died with the supervisor.
fn remove_abandoned_runs(current: &Run) {
    let Some(root) = current.dir().parent() else {
        return;
    };
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let path = entry.path();
        if path == current.dir() {
            continue;
        }
        let Some(owner) = entry
            .file_name()
            .to_str()
            .and_then(super::run::owner_of_dir)
        else {
            continue;
        };
        if owner.is_alive() {
            continue;
        }
        if supervisor_state(&path).is_none_or(|e| !is_live(&e)) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// What the `supervisor` slot of the run in `dir` records, if it can be read.
fn supervisor_state(dir: &Path) -> Option<Entry<KeeperInfo, String>> {
    let bytes = std::fs::read(dir.join("slots").join("supervisor.json")).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Whether a supervisor entry names a live supervisor, or one being started by a live process.
fn is_live(entry: &Entry<KeeperInfo, String>) -> bool {
    match entry {
        Entry::Ready { value, .. } => value.process.is_alive(),
        Entry::Starting { by, .. } => by.is_alive(),
        Entry::Failed { .. } => false,
    }
}

/// Ends a warm run whose supervisor is gone without having ended it (killed by SIGKILL, or the
/// machine rebooted): its clean-up commands run (removing its containers) and its directory goes,
/// so that no later run reuses what it recorded. Under a lock beside the run's directory, so one
/// process does it while the others wait.
pub(super) fn end_if_abandoned(run: &Run) -> Result<(), LifecycleError> {
    let dir = run.dir();
    let Some(root) = dir.parent() else {
        return Ok(());
    };
    std::fs::create_dir_all(root).map_err(LifecycleError::io(root))?;
    let lock = root.join(format!("{}.lock", run.key()));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(LifecycleError::io(&lock))?;
    file.lock().map_err(LifecycleError::io(&lock))?;
    if supervisor_state(dir).is_some_and(|e| !is_live(&e)) {
        clean_up(dir);
    }
    Ok(())
}

/// Sends one request to the supervisor and returns its answer.
pub(super) fn call(keeper: &KeeperInfo, request: &Request) -> Result<Reply, LifecycleError> {
    let failed = |detail: String| LifecycleError::Supervisor(detail);
    let stream = UnixStream::connect(&keeper.socket).map_err(|e| {
        failed(format!(
            "cannot reach the run's supervisor (pid {}) at {}: {e}",
            keeper.process.pid,
            keeper.socket.display()
        ))
    })?;
    stream
        .set_read_timeout(Some(CALL_TIMEOUT))
        .map_err(|e| failed(e.to_string()))?;
    let mut bytes = serde_json::to_vec(request).map_err(|e| failed(e.to_string()))?;
    bytes.push(b'\n');
    (&stream)
        .write_all(&bytes)
        .map_err(|e| failed(format!("cannot send to the run's supervisor: {e}")))?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(|e| failed(format!("no answer from the run's supervisor: {e}")))?;
    serde_json::from_str(&line).map_err(|e| {
        failed(format!(
            "unreadable answer from the run's supervisor ({e}): {line:?}"
        ))
    })
}

/// How long to wait for something that should happen soon, polling.
pub(super) fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The supervisor's record of what it started, for [`Run::started`].
pub(super) fn read_started(dir: &Path) -> Vec<super::Started> {
    std::fs::read_to_string(dir.join("started.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
