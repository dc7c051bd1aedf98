//! A plugin's `build` step, run once per test run.
//!
//! The step is a slot of the run ([`crate::lifecycle`]) named by the command and the directory it
//! runs in: the first process of the run that needs it runs it under the slot's lock, the others
//! wait for it and read how it went. A failed build is remembered like a success, so under
//! nextest every case fails with the build's message at once instead of building again.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::lifecycle::{stable_hash, Run};
use crate::plugin::PluginError;

/// Why a build failed, as the run remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct BuildFailure {
    command: String,
    detail: String,
}

/// Runs `command` in `root` unless this run already did.
pub fn once(command: &[String], root: &Path) -> Result<(), PluginError> {
    static DONE: Mutex<BTreeSet<Vec<String>>> = Mutex::new(BTreeSet::new());
    let mut done = DONE.lock().unwrap_or_else(|p| p.into_inner());
    if done.contains(command) {
        return Ok(());
    }
    let identity = serde_json::to_vec(&(command, root))
        .map_err(|e| PluginError::Io(std::io::Error::other(e)))?;
    let name = format!("build-{:016x}", stable_hash(&identity));
    let slot = Run::current().slot::<(), BuildFailure>(&name);
    let got = slot
        .obtain(|()| true, |_| run(command, root))
        .map_err(|e| PluginError::Io(std::io::Error::other(e.to_string())))?;
    got.outcome.map_err(|f| PluginError::Build {
        command: f.command,
        detail: f.detail,
    })?;
    done.insert(command.to_vec());
    Ok(())
}

fn run(command: &[String], root: &Path) -> Result<(), BuildFailure> {
    let line = command.join(" ");
    let failure = |detail: String| BuildFailure {
        command: line.clone(),
        detail,
    };
    let (program, args) = command
        .split_first()
        .ok_or_else(|| failure("the build command is empty".to_owned()))?;
    let out = Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| failure(format!("cannot execute: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = text.lines().rev().take(20).collect();
    Err(failure(format!(
        "{} in {}; last output:\n    {}",
        out.status,
        root.display(),
        tail.into_iter().rev().collect::<Vec<_>>().join("\n    ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_build_is_remembered_for_the_run() {
        let dir = std::env::temp_dir().join(format!("prism-build-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let counter = dir.join("runs");
        let command: Vec<String> = vec![
            "sh".into(),
            "-c".into(),
            format!(
                "echo x >> {}; echo 'error: no such crate' >&2; exit 101",
                counter.display()
            ),
        ];
        let e = once(&command, &dir).expect_err("fails").to_string();
        assert!(e.contains("exit status: 101"), "{e}");
        assert!(e.contains("error: no such crate"), "{e}");
        let again = once(&command, &dir).expect_err("still fails").to_string();
        assert_eq!(again, e, "the same message");
        assert_eq!(
            std::fs::read_to_string(&counter)
                .expect("ran")
                .lines()
                .count(),
            1,
            "run once, not retried"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
