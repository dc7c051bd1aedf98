//! Warm instances (opt-in, `PRISM_WARM=1`): a backend instance kept between runs, so that running
//! one case from the editor does not wait for a container each time (testcontainers calls these
//! reusable containers).
//!
//! A warm instance belongs to a *warm run* of its own ([`Run::warm`], named by the instance's slot,
//! so another configuration gets another instance) whose supervisor started it. Each run that
//! uses it is recorded as a user of the warm run ([`Run::lend_to`]: its owner, the `cargo test`
//! process or the nextest runner); the warm run ends, stopping and removing what it started like
//! any run, once no user has been alive for `PRISM_WARM_IDLE_SECS` (600 by default). The run that
//! uses it keeps its own slot for it, so within a run it is obtained once and a failure is
//! remembered as usual; the warm run remembers only instances that started, so the next run
//! tries again.
//!
//! Data left by earlier runs stays: every case works in a namespace of its own (random per run),
//! which is what makes reuse safe.

use std::time::Duration;

use crate::lifecycle::{runs_root, Entry, Run};

use super::{InstanceError, Recorded};

/// Environment variable that, set to `1`, keeps instances warm between runs.
pub const WARM_ENV: &str = "PRISM_WARM";
/// Environment variable: how long a warm instance stays without a run using it, in seconds.
pub const WARM_IDLE_ENV: &str = "PRISM_WARM_IDLE_SECS";
/// The idle time when [`WARM_IDLE_ENV`] is unset.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(600);

/// Whether instances are kept warm, and for how long without a user.
pub fn idle(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Duration>, InstanceError> {
    let bad = |var: &str, value: &str, why: &str| InstanceError::Configured {
        var: var.to_owned(),
        value: value.to_owned(),
        why: why.to_owned(),
    };
    match env(WARM_ENV).as_deref().map(str::trim) {
        None | Some("0") => return Ok(None),
        Some("1") => {}
        Some(other) => return Err(bad(WARM_ENV, other, "it takes 1 (on) or 0 (off)")),
    }
    match env(WARM_IDLE_ENV) {
        None => Ok(Some(DEFAULT_IDLE)),
        Some(value) => match value.trim().parse::<u64>() {
            Ok(secs) if secs > 0 => Ok(Some(Duration::from_secs(secs))),
            _ => Err(bad(
                WARM_IDLE_ENV,
                &value,
                "it takes a whole number of seconds above 0",
            )),
        },
    }
}

/// What a run records about the warm instance it uses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct WarmUse {
    /// The warm run's supervisor, whose end (SIGTERM) ends the instance now.
    pub supervisor: u32,
    /// How long it stays without a user (as its supervisor was started).
    pub idle_secs: u64,
    /// Whether an earlier run started it (set when read back).
    pub reused: bool,
}

/// The warm instance of slot `name` for the run `current`: the one a warm run holds if it still
/// runs (`keep`), else one `start` starts in the warm run (under the warm slot's lock).
pub(super) fn obtain(
    current: &Run,
    name: &str,
    idle: Duration,
    keep: impl Fn(&Recorded) -> bool,
    start: impl FnOnce(&Run, u64) -> Result<Recorded, InstanceError>,
) -> Result<Recorded, InstanceError> {
    let warm = Run::warm(name, idle, &runs_root())?;
    let lend = |warm: &Run| current.owner().map_or(Ok(()), |user| warm.lend_to(user));
    lend(&warm)?;
    let slot = warm.slot::<Recorded, InstanceError>(name);
    let mut guard = slot.lock()?;
    let recorded = match guard.entry() {
        Some(Entry::Ready { mut value, .. }) if keep(&value) => {
            if let Some(w) = value.warm.as_mut() {
                w.reused = true;
            }
            value
        }
        // A failed start is not kept: it belongs to the run that saw it.
        _ => {
            let generation = guard.begin()?;
            // Recorded with the instance: the idle time its supervisor was started with, which a
            // later run's PRISM_WARM_IDLE_SECS does not change.
            let outcome = start(&warm, generation).and_then(|mut r| {
                r.warm = Some(WarmUse {
                    supervisor: warm.keeper()?.process.pid,
                    idle_secs: idle.as_secs(),
                    reused: false,
                });
                Ok(r)
            });
            guard.finish(generation, &outcome)?;
            outcome?
        }
    };
    drop(guard);
    // Again: a warm run that ended while this one looked at it has lost the first record.
    lend(&warm)?;
    Ok(recorded)
}
