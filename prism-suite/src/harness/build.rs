//! A plugin's `build` step, run once per test run.
//!
//! Under `cargo test` one process runs every test, so once per process is once per run. Under
//! nextest every test is a process of its own: the step then runs under a file lock and leaves a
//! stamp naming `NEXTEST_RUN_ID`, so the other processes of the same run skip it.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use crate::plugin::PluginError;

/// Runs `command` in `root` unless this run already did.
pub fn once(command: &[String], root: &Path) -> Result<(), PluginError> {
    static DONE: Mutex<BTreeSet<Vec<String>>> = Mutex::new(BTreeSet::new());
    let mut done = DONE.lock().unwrap_or_else(|p| p.into_inner());
    if done.contains(command) {
        return Ok(());
    }
    match std::env::var("NEXTEST_RUN_ID") {
        Ok(run) => run_locked(command, root, &run)?,
        Err(_) => run(command, root)?,
    }
    done.insert(command.to_vec());
    Ok(())
}

fn run_locked(command: &[String], root: &Path, run_id: &str) -> Result<(), PluginError> {
    let mut h = DefaultHasher::new();
    (command, root).hash(&mut h);
    let dir = std::env::temp_dir().join("prism-suite");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("build-{:016x}.stamp", h.finish()));
    // Written once per run and never changed within it: a current stamp needs no lock.
    if std::fs::read_to_string(&path).is_ok_and(|seen| seen.trim() == run_id) {
        return Ok(());
    }
    let mut stamp = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)?;
    stamp.lock()?;
    let mut seen = String::new();
    stamp.read_to_string(&mut seen)?;
    if seen.trim() != run_id {
        run(command, root)?;
        std::fs::write(&path, run_id)?;
    }
    File::unlock(&stamp)?;
    Ok(())
}

fn run(command: &[String], root: &Path) -> Result<(), PluginError> {
    let line = command.join(" ");
    let out = Command::new(&command[0])
        .args(&command[1..])
        .current_dir(root)
        .output()
        .map_err(|e| PluginError::Build {
            command: line.clone(),
            detail: format!("cannot execute: {e}"),
        })?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = text.lines().rev().take(20).collect();
    Err(PluginError::Build {
        command: line,
        detail: format!(
            "{} in {}; last output:\n    {}",
            out.status,
            root.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n    ")
        ),
    })
}
