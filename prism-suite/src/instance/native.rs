//! The native provider: a server binary from PATH on a free port, in a fresh temporary directory,
//! in a session of its own so that it outlives the test process that started it (under nextest
//! the other test processes use it) and ignores the terminal's Ctrl-C: the watcher stops it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prism_registry::NativeSpec;

use super::expand;

/// Lines of server output quoted when it fails to start.
const TAIL_LINES: usize = 15;

/// Whether `program` can be executed: a path that exists, or a name found on PATH.
pub(super) fn on_path(program: &str) -> bool {
    find(program).is_some()
}

/// The program's path: as given when it names a path, else the first match on PATH.
pub(crate) fn find(program: &str) -> Option<PathBuf> {
    let executable = |p: &Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
}

/// Starts the server in `dir` (its data in `dir/data`, its output in `dir/server.log`, its pid in
/// `dir/server.pid` for the watcher) and waits until it is ready.
pub(super) fn start(
    spec: &NativeSpec,
    ready_log: Option<&str>,
    url: &str,
    dir: &Path,
    timeout: Duration,
) -> Result<(String, String), String> {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    // Free when we look; the server binds it a few milliseconds later.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let host = "127.0.0.1";
    let command = spec
        .command
        .iter()
        .map(|w| expand(w, host, port, &data))
        .collect::<Result<Vec<_>, _>>()?;
    let line = command.join(" ");
    let log_path = dir.join("server.log");
    let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..])
        .current_dir(&data)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    crate::run::in_own_session(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot execute `{line}`: {e}"))?;
    let pid = child.id();
    let pid_file = dir.join("server.pid");
    if let Err(e) = std::fs::write(&pid_file, pid.to_string()) {
        let _ = child.kill();
        return Err(format!("{}: {e}", pid_file.display()));
    }
    // Reap the server if it exits while this process lives, and tell the wait loop.
    let exited: Arc<Mutex<Option<ExitStatus>>> = Arc::default();
    let seen = exited.clone();
    std::thread::Builder::new()
        .name("prism-instance-wait".into())
        .spawn(move || {
            if let Ok(status) = child.wait() {
                *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(status);
            }
        })
        .map_err(|e| format!("cannot watch the server: {e}"))?;

    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + timeout;
    let mut seen_len = 0u64;
    let mut text = String::new();
    loop {
        let ready = match ready_log {
            Some(marker) => {
                read_new(&log_path, &mut seen_len, &mut text);
                text.contains(marker)
            }
            None => TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok(),
        };
        if ready {
            break;
        }
        if let Some(status) = *exited.lock().unwrap_or_else(|p| p.into_inner()) {
            read_new(&log_path, &mut seen_len, &mut text);
            return Err(format!(
                "`{line}` {status} before it was ready; its output:\n    {}",
                tail(&text)
            ));
        }
        if Instant::now() >= deadline {
            // SAFETY: SIGKILL to the server we started (reaped by the wait thread).
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            read_new(&log_path, &mut seen_len, &mut text);
            let waited = match ready_log {
                Some(m) => format!("no line with `{m}`"),
                None => format!("{addr} did not accept connections"),
            };
            return Err(format!(
                "`{line}`: {waited} within {} ms (raise `instance.startup_timeout_ms`); its output:\n    {}",
                timeout.as_millis(),
                tail(&text)
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let url = expand(url, host, port, &data)?;
    Ok((url, format!("`{}` pid {pid} on {addr}", command[0])))
}

/// Appends what the log gained since the last look.
fn read_new(path: &Path, seen: &mut u64, text: &mut String) {
    let Ok(mut f) = File::open(path) else {
        return;
    };
    if f.seek(SeekFrom::Start(*seen)).is_err() {
        return;
    }
    let mut buf = Vec::new();
    if let Ok(n) = f.read_to_end(&mut buf) {
        *seen += n as u64;
        text.push_str(&String::from_utf8_lossy(&buf));
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return "(nothing)".to_owned();
    }
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n    ")
}
