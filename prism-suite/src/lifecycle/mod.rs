//! One lifecycle for everything a run starts: backend instances, plugin processes, builds, and
//! whatever comes next (fault proxies).
//!
//! - A [`Run`] is owned by one process, its *owner*, named by pid and start time
//!   ([`ProcessId`]): under `cargo test` the test process, under nextest the runner (the test
//!   process's parent), or the process `PRISM_INSTANCE_OWNER` names. Its files live in
//!   `$TMPDIR/prism-suite/runs/<owner pid>-<owner start time>/`.
//! - A *warm* run ([`Run::warm`], [`Ending::Idle`]) has no owner: it is lent to the runs that use
//!   it ([`Run::lend_to`]) and ends once none of them has been alive for its idle time. It holds
//!   what is kept between runs (`PRISM_WARM=1`: backend instances).
//! - A [`Slot`] is one shared thing of the run, e.g. the Redis instance or the memstore plugin
//!   process: a file lock and a typed JSON state file ([`Entry`]: starting, ready with a value,
//!   or failed with an error). Every process of the run reads the same entry, so one process
//!   starts the thing and the others use it; a failed start is remembered, so every process gets
//!   the same error at once and none tries again. A thing that died or hangs is replaced by the
//!   next *generation* under the lock, by whichever process noticed first.
//! - The run's *supervisor* is the current test binary re-executed in a role of its own (see
//!   `keeper.rs`), started before anything else is. It starts the run's processes as its
//!   children ([`Run::spawn`]), stores their output line by line with the time each line was
//!   read ([`OutputLog`]), records how each ended ([`ExitRecord`]), and when the owner is gone,
//!   however it went, stops them, runs the registered clean-up commands ([`Run::on_end`]:
//!   removing containers)
//!   and removes the run's directory.
//!
//! ```no_run
//! use prism_suite::lifecycle::{Run, SpawnRequest};
//!
//! #[derive(Clone, serde::Serialize, serde::Deserialize)]
//! struct Server { pid: u32 }
//!
//! let run = Run::current();
//! let slot = run.slot::<Server, String>("my-server");
//! let dir = slot.dir().unwrap().to_path_buf();
//! let got = slot.obtain(
//!     |_| true,                       // keep the value (a real check looks at the process)
//!     |generation| {                  // runs in one process of the run, under the slot's lock
//!         let request = SpawnRequest::new(
//!             vec!["sleep".into(), "60".into()], [],
//!             &dir.join("output.jsonl"), generation, &dir.join(format!("{generation}.exit")));
//!         run.spawn(&request).map(|p| Server { pid: p.pid }).map_err(|e| e.to_string())
//!     },
//! ).unwrap();
//! println!("server pid {} (started here: {})", got.outcome.unwrap().pid, got.started_here);
//! ```

mod child;
mod keeper;
mod output;
mod process_id;
mod run;
mod slot;
mod sockets;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use child::{Capture, SpawnRequest};
pub use keeper::{KeeperInfo, SUPERVISOR_ENV};
pub use output::{signal_name, Exit, ExitRecord, LoggedLine, OutputLine, OutputLog, OutputSource};
pub use process_id::ProcessId;
pub use run::{runs_root, Ending, Run, Started, OWNER_ENV};
pub use slot::{Entry, Obtained, Slot, SlotGuard};
pub use sockets::{listeners_on, listening_of, Listener};

/// Why the run's shared state could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// A state file, lock or directory of the run could not be read or written.
    #[error("run state {path}: {detail}")]
    State {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The run's supervisor could not be started or reached.
    #[error("{0}")]
    Supervisor(String),
    /// The supervisor could not start a process.
    #[error("cannot start `{command}`: {detail}")]
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        detail: String,
    },
}

impl LifecycleError {
    fn io(path: &Path) -> impl Fn(std::io::Error) -> LifecycleError + '_ {
        move |e| LifecycleError::State {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    }
}

impl Run {
    /// Every process the run's supervisor started in this run, in order (tools and tests).
    pub fn started(&self) -> Vec<Started> {
        keeper::read_started(self.dir())
    }
}

/// A hash of `bytes` that every build and every Rust version computes alike (FNV-1a, 64 bits):
/// processes of a run built into different test binaries must agree on the names of slots.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Writes a file that readers see whole or not at all (state files are read without a lock).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(
        ".tmp{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
