//! The supervisor of a run's plugin process, and the files the run's test processes share.
//!
//! The supervisor is a detached `sh` in a session of its own (so neither the terminal's Ctrl-C nor
//! nextest's signals to a test's process group reach it). It starts the plugin, records its pid,
//! appends its output to the run's log, records its exit status when it ends (a crash included),
//! and stops it once the run's owner is gone: SIGTERM, then SIGKILL after 1.5 s. Then it removes
//! the run's files. Every generation (a plugin restarted after a crash or a hang is the next one)
//! has a supervisor of its own.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `$1` owner pid, `$2` the run's file prefix, `$3` generation; the rest is the plugin's command.
/// The outer shell returns at once; the supervising subshell is reparented and outlives the caller.
const SCRIPT: &str = r#"
owner=$1; files=$2; gen=$3; shift 3
exitfile="$files.$gen.exit"
(
    "$@" </dev/null >>"$files.log" 2>&1 &
    child=$!
    echo "$child" >"$files.$gen.pid.tmp" && mv "$files.$gen.pid.tmp" "$files.$gen.pid"
    (
        while kill -0 "$owner" 2>/dev/null; do sleep 0.2; done
        if [ ! -e "$exitfile" ]; then
            kill -TERM "$child" 2>/dev/null
            i=0
            while [ ! -e "$exitfile" ] && [ $i -lt 15 ]; do sleep 0.1; i=$((i+1)); done
            [ -e "$exitfile" ] || kill -KILL "$child" 2>/dev/null
            i=0
            while [ ! -e "$exitfile" ] && [ $i -lt 10 ]; do sleep 0.1; i=$((i+1)); done
        fi
        rm -f "$files".*
    ) &
    wait "$child"
    echo "$?" >"$exitfile"
) &
"#;

/// Where runs keep their plugins' locks, state files, logs and exit statuses.
pub fn state_root() -> PathBuf {
    std::env::temp_dir().join("prism-suite").join("plugins")
}

/// The paths of one plugin's shared files in a run: `<dir>/<key>.{lock,state,log,<gen>.pid,<gen>.exit}`.
#[derive(Debug, Clone)]
pub(super) struct Files {
    prefix: PathBuf,
}

impl Files {
    /// The files of the plugin named `key`, in [`state_root`] (created if missing).
    pub fn new(key: &str) -> io::Result<Files> {
        let dir = state_root();
        std::fs::create_dir_all(&dir)?;
        Ok(Files {
            prefix: dir.join(key),
        })
    }

    fn with(&self, suffix: &str) -> PathBuf {
        let mut name = self.prefix.clone().into_os_string();
        name.push(suffix);
        PathBuf::from(name)
    }

    /// The lock serialising starts and restarts.
    pub fn lock(&self) -> PathBuf {
        self.with(".lock")
    }

    /// The running generation: number, pid and address.
    pub fn state(&self) -> PathBuf {
        self.with(".state")
    }

    /// The plugin's output, every generation, and the harness's notes.
    pub fn log(&self) -> PathBuf {
        self.with(".log")
    }

    /// The pid of generation `generation`, written by its supervisor.
    pub fn pid(&self, generation: u64) -> PathBuf {
        self.with(&format!(".{generation}.pid"))
    }

    /// The exit status of generation `generation`, written by its supervisor when the plugin ends.
    pub fn exit(&self, generation: u64) -> PathBuf {
        self.with(&format!(".{generation}.exit"))
    }

    /// Appends one line to the log.
    pub fn append_log(&self, line: &str) {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
        if let Err(e) = written {
            eprintln!("prism-suite: cannot write {}: {e}", self.log().display());
        }
    }

    /// The log's last `n` lines, oldest first.
    pub fn log_tail(&self, n: usize) -> Vec<String> {
        /// Enough for any tail a message quotes, however much the plugin logs.
        const WINDOW: u64 = 64 * 1024;
        let Ok(mut file) = File::open(self.log()) else {
            return Vec::new();
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let from = len.saturating_sub(WINDOW);
        let mut bytes = Vec::new();
        if file.seek(SeekFrom::Start(from)).is_err() || file.read_to_end(&mut bytes).is_err() {
            return Vec::new();
        }
        let text = String::from_utf8_lossy(&bytes);
        // A window that starts mid-file starts mid-line: drop that partial line.
        let lines: Vec<&str> = text.lines().skip(usize::from(from > 0)).collect();
        lines[lines.len().saturating_sub(n)..]
            .iter()
            .map(|l| (*l).to_owned())
            .collect()
    }
}

/// Starts generation `generation` of the plugin under a supervisor that stops it when `owner` ends.
pub(super) fn spawn(
    owner: u32,
    files: &Files,
    generation: u64,
    command: &[String],
    env: &[(&str, &str)],
) -> io::Result<()> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(SCRIPT)
        .arg("prism-suite-plugin")
        .arg(owner.to_string())
        .arg(&files.prefix)
        .arg(generation.to_string())
        .args(command)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    crate::run::in_own_session(&mut cmd);
    let status = cmd.spawn()?.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "the supervisor shell failed ({status})"
        )))
    }
}

/// Whether process `pid` exists (a zombie not yet reaped by its supervisor counts).
pub(super) fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
}

/// Sends SIGKILL to `pid`.
pub(super) fn kill(pid: u32) {
    // SAFETY: kill(2) on a plugin pid recorded by its supervisor; at worst the process is gone.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_tail_is_the_last_lines_even_of_a_big_log() {
        let files = Files::new(&format!("tail-test-{}", std::process::id())).expect("files");
        let _ = std::fs::remove_file(files.log());
        assert!(files.log_tail(3).is_empty());
        for i in 0..20_000 {
            files.append_log(&format!("line {i}"));
        }
        assert_eq!(
            files.log_tail(3),
            ["line 19997", "line 19998", "line 19999"]
        );
        std::fs::remove_file(files.log()).expect("remove log");
    }
}
