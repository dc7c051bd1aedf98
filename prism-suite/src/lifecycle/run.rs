//! The run: who owns it, where its shared files are, and its supervisor.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::keeper::{self, KeeperInfo, Reply, Request};
use super::{LifecycleError, ProcessId, Slot, SpawnRequest};

/// Environment variable naming the run's owner explicitly, by pid (tools and self-tests stand in
/// for a runner this way).
pub const OWNER_ENV: &str = "PRISM_INSTANCE_OWNER";

/// The directory-name prefix of warm runs.
pub(super) const WARM_PREFIX: &str = "warm-";
/// The directory of a warm run where its users are listed, one empty file per [`ProcessId`].
pub(super) const USERS_DIR: &str = "users";

/// Where the runs of this user and `TMPDIR` keep their directories.
pub fn runs_root() -> PathBuf {
    std::env::temp_dir().join("prism-suite").join("runs")
}

/// One test run: everything its processes share, owned by the process whose end ends it.
///
/// Under `cargo test` one process runs every test, so the run is that process. Under nextest
/// (`NEXTEST_RUN_ID` set) every test is a process of its own started by the runner: the run is
/// the runner, the test process's parent. [`OWNER_ENV`] names the owner explicitly.
#[derive(Debug)]
pub struct Run {
    ending: Ending,
    dir: PathBuf,
    keeper: Mutex<Option<KeeperInfo>>,
}

/// What ends a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// The end of its owner process, however it ends.
    Owner(ProcessId),
    /// A warm run ([`Run::warm`]): `idle_ms` milliseconds during which none of the processes it
    /// was lent to ([`Run::lend_to`]) was alive.
    Idle {
        /// How long the run stays without a live user.
        idle_ms: u64,
    },
}

impl Run {
    /// The run of this process.
    pub fn current() -> &'static Run {
        static RUN: OnceLock<Run> = OnceLock::new();
        RUN.get_or_init(|| {
            let pid = explicit_owner().unwrap_or_else(|| {
                if std::env::var_os("NEXTEST_RUN_ID").is_some() {
                    std::os::unix::process::parent_id()
                } else {
                    std::process::id()
                }
            });
            // An owner already gone gets start time 0: its supervisor then ends the run at once.
            let owner = ProcessId::of(pid).unwrap_or(ProcessId { pid, start_time: 0 });
            Run::for_owner(owner, &runs_root())
        })
    }

    /// The run owned by `owner`, with its directory under `root` (tests use their own roots).
    pub fn for_owner(owner: ProcessId, root: &Path) -> Run {
        Run {
            ending: Ending::Owner(owner),
            dir: root.join(owner.to_string()),
            keeper: Mutex::new(None),
        }
    }

    /// The warm run called `name` under `root`: it outlives the runs it is lent to and ends after
    /// `idle` without a live user, so what it holds (a backend instance) is reused by the next
    /// `cargo test`. A warm run whose supervisor died without ending it (SIGKILL, a reboot) is
    /// ended here first: its clean-up commands run and its directory goes, so nothing it recorded
    /// is trusted.
    pub fn warm(name: &str, idle: Duration, root: &Path) -> Result<Run, LifecycleError> {
        let run = Run {
            ending: Ending::Idle {
                idle_ms: u64::try_from(idle.as_millis()).unwrap_or(u64::MAX),
            },
            dir: root.join(format!("{WARM_PREFIX}{name}")),
            keeper: Mutex::new(None),
        };
        keeper::end_if_abandoned(&run)?;
        Ok(run)
    }

    /// What ends the run.
    pub fn ending(&self) -> &Ending {
        &self.ending
    }

    /// The process whose end ends the run; `None` for a warm run.
    pub fn owner(&self) -> Option<ProcessId> {
        match self.ending {
            Ending::Owner(owner) => Some(owner),
            Ending::Idle { .. } => None,
        }
    }

    /// The run's key, `<owner pid>-<owner start time>` or `warm-<name>`: its directory's name
    /// (containers carry it as a label).
    pub fn key(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Lends a warm run to `user` (the owner of the run that uses it): the warm run does not end
    /// while `user` is alive, and its idle time counts from `user`'s end. No-op for other runs.
    pub fn lend_to(&self, user: ProcessId) -> Result<(), LifecycleError> {
        if self.owner().is_some() {
            return Ok(());
        }
        let dir = self.dir.join(USERS_DIR);
        std::fs::create_dir_all(&dir).map_err(LifecycleError::io(&dir))?;
        let path = dir.join(user.to_string());
        std::fs::write(&path, b"").map_err(LifecycleError::io(&path))
    }

    /// The run's directory: slots, logs, the supervisor's socket; removed when the run ends.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The slot called `name` (a file name: letters, digits, `-`, `_`, `.`).
    pub fn slot<T, E>(&self, name: &str) -> Slot<'_, T, E>
    where
        T: Serialize + DeserializeOwned + Clone,
        E: Serialize + DeserializeOwned + Clone,
    {
        Slot::new(self, name, true)
    }

    /// The run's supervisor, started if it is not running (the first time, or after it died).
    pub fn keeper(&self) -> Result<KeeperInfo, LifecycleError> {
        let mut cached = self.keeper.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = cached.as_ref().filter(|k| k.process.is_alive()) {
            return Ok(k.clone());
        }
        let slot: Slot<'_, KeeperInfo, String> = Slot::new(self, "supervisor", false);
        let got = slot.obtain(
            |k| k.process.is_alive(),
            |generation| keeper::start(self, generation),
        )?;
        let info = got.outcome.map_err(LifecycleError::Supervisor)?;
        *cached = Some(info.clone());
        Ok(info)
    }

    /// Starts a process under the run's supervisor, which records its output and exit and stops
    /// it when the run ends.
    pub fn spawn(&self, request: &SpawnRequest) -> Result<ProcessId, LifecycleError> {
        let keeper = self.keeper()?;
        match keeper::call(&keeper, &Request::Spawn(request.clone()))? {
            Reply::Spawned(id) => Ok(id),
            Reply::Error(detail) => Err(LifecycleError::Spawn {
                command: request.command.join(" "),
                detail,
            }),
        }
    }

    /// Asks the supervisor to run `command` when the run ends, after stopping the processes it
    /// started (e.g. `docker rm -f <container>`). Register it before starting what it cleans up,
    /// so that a process killed half-way leaves nothing behind. `name` tells registrations apart
    /// (the same name replaces an earlier one).
    pub fn on_end(&self, name: &str, command: Vec<String>) -> Result<(), LifecycleError> {
        self.keeper()?;
        let dir = self.dir.join("cleanup");
        std::fs::create_dir_all(&dir).map_err(LifecycleError::io(&dir))?;
        let path = dir.join(format!("{name}.json"));
        let bytes = serde_json::to_vec(&keeper::Cleanup { command }).map_err(|e| {
            LifecycleError::State {
                path: path.clone(),
                detail: e.to_string(),
            }
        })?;
        super::write_atomically(&path, &bytes).map_err(LifecycleError::io(&path))
    }
}

fn explicit_owner() -> Option<u32> {
    std::env::var(OWNER_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
}

/// What a run directory's name says about its owner.
pub(super) fn owner_of_dir(name: &str) -> Option<ProcessId> {
    let (pid, start) = name.split_once('-')?;
    Some(ProcessId {
        pid: pid.parse().ok()?,
        start_time: start.parse().ok()?,
    })
}

/// A process recorded in a run, for tools and tests: every process the run's supervisor started,
/// live or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    /// The process.
    pub process: ProcessId,
    /// Its command line.
    pub command: String,
}
