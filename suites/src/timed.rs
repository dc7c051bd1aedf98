//! What the tries of `prism_suite::wait::in_time` share across suites.

use std::time::Duration;

/// The queue (or key) that try `n` uses: `base` first, then a fresh one per retry, since what
/// lapsed in the old one is still there.
pub(crate) fn attempt_name(base: &str, n: u32) -> String {
    match n {
        0 => base.to_owned(),
        n => format!("{base}-retry{n}"),
    }
}

/// A try's window in the milliseconds of a request (lease, TTL, delay).
pub(crate) fn millis(window: Duration) -> i64 {
    i64::try_from(window.as_millis()).unwrap_or(i64::MAX)
}
