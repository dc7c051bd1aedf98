//! Time-based rules without fixed sleeps: "eventually" polls until a deadline, "never" watches a
//! bounded window. Durations are short (milliseconds) so that suites stay fast.

use std::future::Future;
use std::time::Duration;

use tokio::time::{sleep, Instant};
use tonic::codec::Streaming;
use tonic::Status;

use crate::{CaseError, CaseResult, Site};

/// How often probes run.
const POLL: Duration = Duration::from_millis(5);

/// Succeeds as soon as `probe` answers `true`; fails if it has not within `within`.
///
/// ```text
/// eventually(Duration::from_millis(500), "key expires", || async {
///     Ok(!kv.exists(cx.req(ExistsRequest { key: "k".into(), ..Default::default() })).await?.into_inner().exists)
/// }).await?;
/// ```
#[track_caller]
pub fn eventually<'a, F, Fut>(
    within: Duration,
    what: &'a str,
    mut probe: F,
) -> impl Future<Output = CaseResult> + Send + 'a
where
    F: FnMut() -> Fut + Send + 'a,
    Fut: Future<Output = Result<bool, CaseError>> + Send,
{
    let at = Site::caller();
    async move {
        let deadline = Instant::now() + within;
        loop {
            if probe().await? {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(CaseError::check_at(
                    format!("`{what}` did not happen within {} ms", within.as_millis()),
                    at,
                ));
            }
            sleep(POLL).await;
        }
    }
}

/// Succeeds if `probe` answers `true` at every poll for the whole `window`; fails at the first `false`.
#[track_caller]
pub fn stays<'a, F, Fut>(
    window: Duration,
    what: &'a str,
    mut probe: F,
) -> impl Future<Output = CaseResult> + Send + 'a
where
    F: FnMut() -> Fut + Send + 'a,
    Fut: Future<Output = Result<bool, CaseError>> + Send,
{
    let at = Site::caller();
    async move {
        let start = Instant::now();
        loop {
            if !probe().await? {
                return Err(CaseError::check_at(
                    format!(
                        "`{what}` stopped holding after {} ms",
                        start.elapsed().as_millis()
                    ),
                    at,
                ));
            }
            if start.elapsed() >= window {
                return Ok(());
            }
            sleep(POLL).await;
        }
    }
}

/// How many times [`in_time`] tries again, each time with twice the window.
const IN_TIME_RETRIES: u32 = 3;

/// The try of [`in_time`] that succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InTime {
    /// Which try it was (0 is the first).
    pub attempt: u32,
    /// The window that try had.
    pub window: Duration,
    /// What was left of that window when it succeeded (zero if it ran over).
    pub left: Duration,
}

/// Runs `attempt(n, window)` until it succeeds, for steps that must all happen inside a window
/// (acknowledge a 200 ms lease before it lapses, persist a key before its TTL ends).
///
/// A try that fails only after its window has passed says nothing about the plugin: the machine
/// was slower than the window, which may really have ended. It is tried again with twice the
/// window, at most three times, so it must start afresh (a new key or queue: the old one's state
/// is what lapsed). A try that fails within its window fails the case with its own error.
///
/// ```
/// # use std::time::Duration;
/// # async fn demo() -> prism_suite::CaseResult {
/// let done = prism_suite::wait::in_time(Duration::from_millis(200), |n, window| async move {
///     // Set up with a lease of `window` on a fresh queue named after `n`, then act on it.
///     let _ = (n, window);
///     Ok(())
/// })
/// .await?;
/// assert_eq!(done.attempt, 0);
/// # Ok(())
/// # }
/// ```
pub async fn in_time<F, Fut>(first: Duration, mut attempt: F) -> Result<InTime, CaseError>
where
    F: FnMut(u32, Duration) -> Fut + Send,
    Fut: Future<Output = CaseResult> + Send,
{
    let mut window = first;
    let mut n = 0;
    loop {
        let start = Instant::now();
        let result = attempt(n, window).await;
        let elapsed = start.elapsed();
        match result {
            Ok(()) => {
                return Ok(InTime {
                    attempt: n,
                    window,
                    left: window.saturating_sub(elapsed),
                })
            }
            Err(_) if elapsed >= window && n < IN_TIME_RETRIES => {
                n += 1;
                window *= 2;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads a server stream to its end.
pub async fn collect<T>(mut stream: Streaming<T>) -> Result<Vec<T>, Status> {
    let mut out = Vec::new();
    while let Some(item) = stream.message().await? {
        out.push(item);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const WINDOW: Duration = Duration::from_millis(200);

    #[tokio::test(start_paused = true)]
    async fn a_try_that_fails_after_its_window_is_tried_again_with_twice_the_window() {
        let done = in_time(WINDOW, |n, window| async move {
            sleep(Duration::from_millis(300)).await;
            if n == 0 {
                return Err(CaseError::check("lapsed"));
            }
            assert_eq!(window, WINDOW * 2);
            Ok(())
        })
        .await
        .expect("the second try succeeds");
        assert_eq!(done.attempt, 1);
        assert_eq!(done.window, WINDOW * 2);
        assert_eq!(done.left, Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_try_that_fails_within_its_window_fails_at_once() {
        let tries = AtomicU32::new(0);
        let err = in_time(WINDOW, |_, _| {
            tries.fetch_add(1, Ordering::SeqCst);
            async { Err(CaseError::check("wrong answer")) }
        })
        .await
        .expect_err("a fast failure is the plugin's");
        assert!(err.to_string().contains("wrong answer"), "{err}");
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_machine_slower_than_every_window_fails_with_the_last_error() {
        let tries = AtomicU32::new(0);
        let err = in_time(WINDOW, |n, window| {
            tries.fetch_add(1, Ordering::SeqCst);
            async move {
                sleep(window).await;
                Err(CaseError::check(format!("lapsed on try {n}")))
            }
        })
        .await
        .expect_err("every try ran over");
        assert!(err.to_string().contains("lapsed on try 3"), "{err}");
        assert_eq!(tries.load(Ordering::SeqCst), 4);
    }
}
