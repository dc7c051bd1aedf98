//! The run's clean-up watcher: a detached `sh` loop that waits for the owner process to end, then
//! removes what the run started. It is a separate process in its own session because the end it
//! waits for may be a SIGKILL or a Ctrl-C, after which no code of the test process runs.

use std::io;
use std::path::Path;
use std::process::{Command, Stdio};

use super::{Provider, RUN_LABEL};

/// Polls the owner every 200 ms; then removes the run's containers (by label), stops the native
/// server (SIGTERM, SIGKILL after 2 s), deletes its directory and the run's files.
const SCRIPT: &str = r#"
owner=$1; label=$2; provider=$3; dir=$4; shift 4
while kill -0 "$owner" 2>/dev/null; do sleep 0.2; done
if [ "$provider" = docker ]; then
    ids=$(docker ps -aq --filter "label=$label" 2>/dev/null)
    [ -n "$ids" ] && docker rm -f -v $ids >/dev/null 2>&1
fi
if [ -f "$dir/server.pid" ]; then
    pid=$(cat "$dir/server.pid")
    kill -TERM "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done
    kill -KILL "$pid" 2>/dev/null
fi
rm -rf "$dir" "$@"
"#;

/// What one watcher cleans up.
pub(super) struct Job<'a> {
    /// The process whose end ends the run.
    pub owner: u32,
    /// The run's key (containers carry it as `prism-suite.run=<key>`).
    pub key: &'a str,
    /// The provider that starts the instance.
    pub provider: Provider,
    /// The native instance's directory (removed whatever the provider).
    pub dir: &'a Path,
    /// The run's lock and state files.
    pub files: &'a [&'a Path],
}

/// Starts the watcher; it is never waited for (it ends after the owner).
pub(super) fn spawn(job: &Job<'_>) -> io::Result<()> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(SCRIPT)
        .arg("prism-suite-watcher")
        .arg(job.owner.to_string())
        .arg(format!("{RUN_LABEL}={}", job.key))
        .arg(job.provider.name())
        .arg(job.dir)
        .args(job.files)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    crate::run::in_own_session(&mut cmd);
    // Dropping a std Child neither kills nor waits; the watcher outlives this process by design.
    cmd.spawn().map(drop)
}
