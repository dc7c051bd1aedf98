//! What every process of a run reports: the line announcing what was started (once per run), and
//! the event file measurements count starts with. Who owns a run and what it shares is
//! [`crate::lifecycle`].

pub use crate::lifecycle::OWNER_ENV;

fn under_nextest() -> bool {
    std::env::var_os("NEXTEST_RUN_ID").is_some()
}

fn explicit_owner() -> bool {
    std::env::var_os(OWNER_ENV).is_some()
}

/// Prints a line meant to be seen once per run, whether cases pass or fail. Straight to stderr:
/// libtest captures `eprintln!` of test threads. Under nextest a test process's output is shown
/// only when it fails, so the line goes to the runner's own stderr when that is a terminal or a
/// pipe (a CI log). Not when it is a file: the runner writes at its own offset and would overwrite
/// the line; the line then stays in this process's output, shown with a failure.
pub(crate) fn announce(line: &str) {
    use std::io::Write;
    use std::os::unix::fs::FileTypeExt;
    if under_nextest() && !explicit_owner() {
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

/// Makes `cmd` start in a session of its own: the terminal's Ctrl-C (SIGINT to the foreground
/// group) and nextest's signals to a test's process group do not reach it, so the run's
/// supervisor outlives the test process that started it and ends when the run's owner does.
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
