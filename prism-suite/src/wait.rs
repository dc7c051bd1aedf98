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

/// Reads a server stream to its end.
pub async fn collect<T>(mut stream: Streaming<T>) -> Result<Vec<T>, Status> {
    let mut out = Vec::new();
    while let Some(item) = stream.message().await? {
        out.push(item);
    }
    Ok(out)
}
