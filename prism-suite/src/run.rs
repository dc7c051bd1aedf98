//! What a test run is, for the things shared by all its processes (backend instances, plugin
//! processes): the process whose end ends the run, and a key naming it.
//!
//! Under `cargo test` one process runs every test, so the run is that process. Under nextest
//! (`NEXTEST_RUN_ID` set) every test is a process of its own, started by the runner: the run is the
//! runner, i.e. the test process's parent. `PRISM_INSTANCE_OWNER` names the owner explicitly
//! (tools and self-tests). Whatever a run shares is stopped by a detached watcher once the owner is
//! gone, so nothing relies on code running in a dying process.

/// Environment variable naming the owner process explicitly (tools and self-tests).
pub const OWNER_ENV: &str = "PRISM_INSTANCE_OWNER";

/// The process whose end ends the run, and a key naming it uniquely (`<pid>-<start time>`).
pub fn owner() -> (u32, String) {
    let pid = explicit_owner().unwrap_or_else(|| {
        if under_nextest() {
            std::os::unix::process::parent_id()
        } else {
            std::process::id()
        }
    });
    // The start time tells apart two owners that got the same pid at different times.
    let started = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after_comm = stat.rsplit_once(')')?.1.to_owned();
            after_comm.split_whitespace().nth(19).map(str::to_owned)
        })
        .unwrap_or_else(|| "0".to_owned());
    (pid, format!("{pid}-{started}"))
}

fn explicit_owner() -> Option<u32> {
    std::env::var(OWNER_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
}

fn under_nextest() -> bool {
    std::env::var_os("NEXTEST_RUN_ID").is_some()
}

/// Prints a line meant to be seen once per run, whether cases pass or fail. Straight to stderr:
/// libtest captures `eprintln!` of test threads. Under nextest a test process's output is shown
/// only when it fails, so the line goes to the runner's own stderr when that is a terminal or a
/// pipe (a CI log). Not when it is a file: the runner writes at its own offset and would overwrite
/// the line; the line then stays in this process's output, shown with a failure.
pub(crate) fn announce(line: &str) {
    use std::io::Write;
    use std::os::unix::fs::FileTypeExt;
    if under_nextest() && explicit_owner().is_none() {
        let runner_stderr = format!("/proc/{}/fd/2", std::os::unix::process::parent_id());
        let shared_stream = std::fs::metadata(&runner_stderr)
            .is_ok_and(|m| m.file_type().is_fifo() || m.file_type().is_char_device());
        if shared_stream {
            let opened = std::fs::OpenOptions::new()
                .append(true)
                .open(&runner_stderr);
            if let Ok(mut stderr) = opened {
                if writeln!(stderr, "{line}").is_ok() {
                    return;
                }
            }
        }
    }
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Environment variable naming a file to which every process of a run appends one line per
/// instance or plugin process it starts (`instance <backend> <provider> ...`, `plugin <backend>
/// ...`): how measurements count starts per run.
pub const EVENTS_ENV: &str = "PRISM_SUITE_EVENTS";

/// Appends `line` to the file named by [`EVENTS_ENV`], if set. Appends of one short line are atomic,
/// so processes of a run never interleave within a line.
pub fn record_event(line: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os(EVENTS_ENV) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "prism-suite: cannot append to {EVENTS_ENV}={}: {e}",
            std::path::Path::new(&path).display()
        );
    }
}

/// Writes a file that readers see whole or not at all (state files read without a lock).
pub(crate) fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// Makes `cmd` start in a session of its own: the terminal's Ctrl-C (SIGINT to the foreground
/// group) and nextest's signals to a test's process group do not reach it, so what belongs to the
/// run outlives the test process that started it and ends when the run's watcher says.
pub(crate) fn in_own_session(cmd: &mut std::process::Command) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe; the closure runs in the forked child before exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}
