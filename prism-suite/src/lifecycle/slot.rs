//! A slot: one thing of a run (an instance, a plugin process, a build), shared by every process of
//! the run through a file lock and a typed state file.
//!
//! The state file holds one [`Entry`]: a generation being started, a ready value, or a failure.
//! It is replaced whole (written aside, then renamed), so readers need no lock to see a ready
//! value or a failure; starting, and restarting after a crash or a hang, happen under the lock.
//! A failure is kept like a value: every process of the run gets the same error at once, and no
//! process tries again. Generation numbers only grow: a restart is the next generation, and a
//! starter that was killed half-way (its `Starting` entry names a process that is gone) is
//! followed by the next number, never by its own.

use std::fs::{File, OpenOptions};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{LifecycleError, ProcessId, Run};

/// What a slot's state file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Entry<T, E> {
    /// `by` is starting generation `generation` (under the lock). Seen under the lock, it means
    /// the starter died before it finished.
    Starting {
        /// The generation being started.
        generation: u64,
        /// Who starts it.
        by: ProcessId,
    },
    /// Generation `generation` was started by `by` and is described by `value`.
    Ready {
        /// The generation.
        generation: u64,
        /// Who started it.
        by: ProcessId,
        /// What every process of the run needs to use it (an address, a URL, a pid).
        value: T,
    },
    /// Starting generation `generation` failed; remembered for the rest of the run.
    Failed {
        /// The generation whose start failed.
        generation: u64,
        /// Who tried.
        by: ProcessId,
        /// Why.
        error: E,
    },
}

impl<T, E> Entry<T, E> {
    /// The entry's generation.
    pub fn generation(&self) -> u64 {
        match self {
            Entry::Starting { generation, .. }
            | Entry::Ready { generation, .. }
            | Entry::Failed { generation, .. } => *generation,
        }
    }

    /// The value or the remembered error; `None` while starting.
    pub fn outcome(self) -> Option<Result<T, E>> {
        match self {
            Entry::Starting { .. } => None,
            Entry::Ready { value, .. } => Some(Ok(value)),
            Entry::Failed { error, .. } => Some(Err(error)),
        }
    }
}

/// One shared thing of a run. `T` is what a ready generation records, `E` what a failed start
/// records; both travel as JSON. Cheap to clone (paths).
#[derive(Debug)]
pub struct Slot<'r, T, E> {
    run: &'r Run,
    name: String,
    state: PathBuf,
    lock: PathBuf,
    dir: PathBuf,
    /// Whether starting needs the run's supervisor first (all slots but the supervisor's own).
    guarded: bool,
    _types: PhantomData<fn() -> (T, E)>,
}

impl<T, E> Clone for Slot<'_, T, E> {
    fn clone(&self) -> Self {
        Slot {
            run: self.run,
            name: self.name.clone(),
            state: self.state.clone(),
            lock: self.lock.clone(),
            dir: self.dir.clone(),
            guarded: self.guarded,
            _types: PhantomData,
        }
    }
}

/// How a value was obtained from a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obtained<T, E> {
    /// The generation that is ready or failed.
    pub generation: u64,
    /// Its value, or the remembered error.
    pub outcome: Result<T, E>,
    /// Whether this call started (or failed to start) it, rather than finding it.
    pub started_here: bool,
}

impl<'r, T, E> Slot<'r, T, E>
where
    T: Serialize + DeserializeOwned + Clone,
    E: Serialize + DeserializeOwned + Clone,
{
    pub(super) fn new(run: &'r Run, name: &str, guarded: bool) -> Slot<'r, T, E> {
        let base = run.dir().join("slots");
        Slot {
            run,
            name: name.to_owned(),
            state: base.join(format!("{name}.json")),
            lock: base.join(format!("{name}.lock")),
            dir: base.join(name),
            guarded,
            _types: PhantomData,
        }
    }

    /// The slot's name within the run.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The run it belongs to.
    pub fn run(&self) -> &'r Run {
        self.run
    }

    /// A directory for the slot's files (logs, exit records, data), created on first call and
    /// removed with the run.
    pub fn dir(&self) -> Result<&Path, LifecycleError> {
        std::fs::create_dir_all(&self.dir).map_err(LifecycleError::io(&self.dir))?;
        Ok(&self.dir)
    }

    /// The current entry, read without the lock (entries are replaced whole).
    pub fn peek(&self) -> Option<Entry<T, E>> {
        let bytes = std::fs::read(&self.state).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Takes the slot's lock, waiting while another process holds it (it may be starting a
    /// generation). Blocking: call it off async runtimes (`spawn_blocking`; the guard owns what
    /// it needs, so it can come back from there).
    pub fn lock(&self) -> Result<SlotGuard<'r, T, E>, LifecycleError> {
        let parent = self.lock.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(LifecycleError::io(parent))?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock)
            .map_err(LifecycleError::io(&self.lock))?;
        file.lock().map_err(LifecycleError::io(&self.lock))?;
        Ok(SlotGuard {
            slot: self.clone(),
            file,
        })
    }

    /// The slot's ready value or remembered failure if there is one and `keep` accepts the value
    /// (a value `keep` rejects, e.g. a process that died, counts as ended); else starts the next
    /// generation with `start(generation)` under the lock and records what it returns.
    pub fn obtain(
        &self,
        keep: impl Fn(&T) -> bool,
        start: impl FnOnce(u64) -> Result<T, E>,
    ) -> Result<Obtained<T, E>, LifecycleError> {
        let settled = |entry: Entry<T, E>| match entry {
            Entry::Ready {
                generation, value, ..
            } if keep(&value) => Some(Obtained {
                generation,
                outcome: Ok(value),
                started_here: false,
            }),
            Entry::Failed {
                generation, error, ..
            } => Some(Obtained {
                generation,
                outcome: Err(error),
                started_here: false,
            }),
            _ => None,
        };
        if let Some(found) = self.peek().and_then(settled) {
            return Ok(found);
        }
        let mut guard = self.lock()?;
        if let Some(found) = guard.entry().and_then(settled) {
            return Ok(found);
        }
        let generation = guard.begin()?;
        let outcome = start(generation);
        guard.finish(generation, &outcome)?;
        Ok(Obtained {
            generation,
            outcome,
            started_here: true,
        })
    }
}

/// The slot's lock, held: read the entry, start the next generation, record its outcome.
/// Dropping it releases the lock.
#[derive(Debug)]
pub struct SlotGuard<'r, T, E> {
    slot: Slot<'r, T, E>,
    file: File,
}

impl<T, E> SlotGuard<'_, T, E>
where
    T: Serialize + DeserializeOwned + Clone,
    E: Serialize + DeserializeOwned + Clone,
{
    /// The current entry.
    pub fn entry(&self) -> Option<Entry<T, E>> {
        self.slot.peek()
    }

    /// The number the next generation gets: one more than any recorded, also one that was
    /// being started by a process that died.
    pub fn next_generation(&self) -> u64 {
        let recorded = std::fs::read(&self.slot.state).ok().and_then(|bytes| {
            // Any entry names its generation, even one of another version of the types.
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()?
                .get("generation")?
                .as_u64()
        });
        recorded.map_or(1, |g| g + 1)
    }

    /// Records that this process starts the next generation and returns its number. The run's
    /// supervisor is started first, so whatever is started from here on is cleaned up with the
    /// run even if this process is killed half-way.
    pub fn begin(&mut self) -> Result<u64, LifecycleError> {
        if self.slot.guarded {
            self.slot.run.keeper()?;
        }
        let generation = self.next_generation();
        self.write(&Entry::<T, E>::Starting {
            generation,
            by: ProcessId::current(),
        })?;
        Ok(generation)
    }

    /// Records how starting `generation` ended.
    pub fn finish(
        &mut self,
        generation: u64,
        outcome: &Result<T, E>,
    ) -> Result<(), LifecycleError> {
        let by = ProcessId::current();
        let entry = match outcome {
            Ok(value) => Entry::Ready {
                generation,
                by,
                value: value.clone(),
            },
            Err(error) => Entry::Failed {
                generation,
                by,
                error: error.clone(),
            },
        };
        self.write(&entry)
    }

    fn write(&self, entry: &Entry<T, E>) -> Result<(), LifecycleError> {
        let bytes = serde_json::to_vec(entry).map_err(|e| LifecycleError::State {
            path: self.slot.state.clone(),
            detail: e.to_string(),
        })?;
        super::write_atomically(&self.slot.state, &bytes)
            .map_err(LifecycleError::io(&self.slot.state))
    }
}

impl<T, E> Drop for SlotGuard<'_, T, E> {
    fn drop(&mut self) {
        // Fails only if the file is gone; the lock ends with the descriptor anyway.
        let _ = File::unlock(&self.file);
    }
}
