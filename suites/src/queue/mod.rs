//! Queue suites: one file per interface, each holding the inline suite module.
//!
//! Only `queue_basic` (plus `queue_priority` and `queue_delayed`) can write messages and only
//! `queue_basic` and `queue_visibility` can receive them, so the other suites enqueue, receive and
//! read back through those (every backend with a richer queue interface also implements
//! `queue_basic`). The helpers they share live here; each reports a failed RPC at the line of the
//! case that called it.

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use prism_suite::prelude::*;
use prism_suite::proto::queue::*;

use crate::keyvalue::at_caller;
use crate::timed::{attempt_name, millis};

mod basic;
mod dead_letter;
mod delayed;
mod isolated;
mod priority;
pub(crate) mod reference;
mod visibility;

pub use basic::queue_basic;
pub use dead_letter::queue_dead_letter;
pub use delayed::queue_delayed;
pub use priority::queue_priority;
pub use visibility::queue_visibility;

/// Lease for messages that must come back during the case.
pub(crate) const SHORT_LEASE_MS: i64 = 100;
/// First lease that the case must still hold when it acknowledges or extends it, and that would
/// end inside [`NEVER_WINDOW`]; [`with_held_lease`] doubles it when the machine outlives it.
const HELD_LEASE: Duration = Duration::from_millis(200);
/// Lease (or delay) for messages that must stay hidden for the whole case.
pub(crate) const LONG_MS: i64 = 60_000;
/// How long something that must happen may take (generous: a loaded CI machine).
pub(crate) const EVENTUALLY: Duration = Duration::from_millis(2000);
/// How long something that must never happen is watched; longer than [`HELD_LEASE`], so a
/// message that wrongly comes back when such a lease ends shows within it.
pub(crate) const NEVER_WINDOW: Duration = Duration::from_millis(300);
/// How long past a held lease's end a "never" watch goes on.
const PAST_LEASE: Duration = Duration::from_millis(100);

/// A message leased with DequeueWithTimeout, and its receipt handle.
pub(crate) struct Leased {
    pub(crate) message: QueueMessage,
    pub(crate) receipt: String,
}

/// The attempt of [`with_held_lease`] that acted while its lease was held.
pub(crate) struct Held {
    /// The queue that attempt used.
    pub(crate) queue: String,
    /// How long a "never" watch started now must last to go past that attempt's lease end.
    pub(crate) window: Duration,
    /// That attempt's lease, for messages.
    pub(crate) lease_ms: i64,
}

/// Runs `attempt(queue, lease_ms)` (enqueue into `queue`, lease for `lease_ms`, act on the
/// receipt) under [`in_time`]; the attempt that acted while its lease was held.
///
/// A retry uses a fresh queue, because the lapsed message is visible again in the old one (seen in
/// CI: a 200 ms lease outlived by the machine under three parallel matrices).
pub(crate) async fn with_held_lease<F, Fut>(base: &str, mut attempt: F) -> Result<Held, CaseError>
where
    F: FnMut(String, i64) -> Fut + Send,
    Fut: Future<Output = CaseResult> + Send,
{
    let queue = |n: u32| attempt_name(base, n);
    let done = in_time(HELD_LEASE, |n, lease| attempt(queue(n), millis(lease))).await?;
    Ok(Held {
        queue: queue(done.attempt),
        window: NEVER_WINDOW.max(done.left + PAST_LEASE),
        lease_ms: millis(done.window),
    })
}

/// The message of a `found = true` answer; a check failure when the plugin left it out.
fn found_message(
    op: &str,
    found: bool,
    message: Option<QueueMessage>,
) -> Result<Option<QueueMessage>, CaseError> {
    match (found, message) {
        (false, _) => Ok(None),
        (true, Some(message)) => Ok(Some(message)),
        (true, None) => Err(CaseError::check(format!(
            "{op} answered found = true without a message"
        ))),
    }
}

/// queue_basic `Enqueue payload` to `queue` in the case's namespace; the message id.
#[track_caller]
pub(crate) fn enqueue(
    cx: &Case,
    queue: &str,
    payload: &[u8],
) -> impl Future<Output = Result<String, CaseError>> + Send {
    enqueue_in(cx, cx.namespace(), queue, payload)
}

/// queue_basic `Enqueue payload` to `queue` in namespace `ns`; the message id.
#[track_caller]
pub(crate) fn enqueue_in(
    cx: &Case,
    ns: &str,
    queue: &str,
    payload: &[u8],
) -> impl Future<Output = Result<String, CaseError>> + Send {
    let mut q = cx.queue_basic();
    let req = cx.req_in(
        ns,
        EnqueueRequest {
            queue: queue.into(),
            payload: payload.to_vec(),
            ..Default::default()
        },
    );
    at_caller(async move { Ok(q.enqueue(req).await?.into_inner().message_id) })
}

/// queue_basic `Dequeue queue` in the case's namespace; None when found = false.
#[track_caller]
pub(crate) fn dequeue(
    cx: &Case,
    queue: &str,
) -> impl Future<Output = Result<Option<QueueMessage>, CaseError>> + Send {
    dequeue_in(cx, cx.namespace(), queue)
}

/// queue_basic `Dequeue queue` in namespace `ns`; None when found = false.
#[track_caller]
pub(crate) fn dequeue_in(
    cx: &Case,
    ns: &str,
    queue: &str,
) -> impl Future<Output = Result<Option<QueueMessage>, CaseError>> + Send {
    let mut q = cx.queue_basic();
    let req = cx.req_in(
        ns,
        DequeueRequest {
            queue: queue.into(),
            ..Default::default()
        },
    );
    at_caller(async move {
        let got = q.dequeue(req).await?.into_inner();
        found_message("Dequeue", got.found, got.message)
    })
}

/// queue_basic `Peek queue` in the case's namespace; None when found = false.
#[track_caller]
pub(crate) fn peek(
    cx: &Case,
    queue: &str,
) -> impl Future<Output = Result<Option<QueueMessage>, CaseError>> + Send {
    let mut q = cx.queue_basic();
    let req = cx.req(PeekRequest {
        queue: queue.into(),
        ..Default::default()
    });
    at_caller(async move {
        let got = q.peek(req).await?.into_inner();
        found_message("Peek", got.found, got.message)
    })
}

/// queue_basic Dequeue of `queue` until it answers found = false: the payloads, as text, in the
/// order received. At most 1000, so that a plugin that never empties fails instead of hanging.
#[track_caller]
pub(crate) fn drain(
    cx: &Case,
    queue: &str,
) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
    const MAX: usize = 1000;
    let mut q = cx.queue_basic();
    let req = cx
        .req(DequeueRequest {
            queue: queue.into(),
            ..Default::default()
        })
        .into_inner();
    at_caller(async move {
        let mut out = Vec::new();
        while out.len() < MAX {
            let got = q.dequeue(req.clone()).await?.into_inner();
            match found_message("Dequeue", got.found, got.message)? {
                Some(m) => out.push(String::from_utf8_lossy(&m.payload).into_owned()),
                None => return Ok(out),
            }
        }
        Err(CaseError::check(format!(
            "Dequeue still found messages after {MAX}: {:?}...",
            &out[..5]
        )))
    })
}

/// queue_visibility `DequeueWithTimeout queue` for `timeout_ms`; None when found = false.
#[track_caller]
pub(crate) fn lease(
    cx: &Case,
    queue: &str,
    timeout_ms: i64,
) -> impl Future<Output = Result<Option<Leased>, CaseError>> + Send {
    let mut q = cx.queue_visibility();
    let req = cx.req(DequeueWithTimeoutRequest {
        queue: queue.into(),
        visibility_timeout_ms: timeout_ms,
        ..Default::default()
    });
    at_caller(async move {
        let got = q.dequeue_with_timeout(req).await?.into_inner();
        let message = found_message("DequeueWithTimeout", got.found, got.message)?;
        Ok(message.map(|message| Leased {
            message,
            receipt: got.receipt_handle,
        }))
    })
}

/// queue_visibility `Release receipt` on `queue`.
#[track_caller]
pub(crate) fn release(
    cx: &Case,
    queue: &str,
    receipt: &str,
) -> impl Future<Output = CaseResult> + Send {
    let mut q = cx.queue_visibility();
    let req = cx.req(ReleaseRequest {
        queue: queue.into(),
        receipt_handle: receipt.into(),
        ..Default::default()
    });
    at_caller(async move {
        q.release(req).await?;
        Ok(())
    })
}

/// queue_visibility `Acknowledge receipt` on `queue`.
#[track_caller]
pub(crate) fn acknowledge(
    cx: &Case,
    queue: &str,
    receipt: &str,
) -> impl Future<Output = CaseResult> + Send {
    let mut q = cx.queue_visibility();
    let req = cx.req(AcknowledgeRequest {
        queue: queue.into(),
        receipt_handle: receipt.into(),
        ..Default::default()
    });
    at_caller(async move {
        q.acknowledge(req).await?;
        Ok(())
    })
}

/// Polls `probe` until it answers `Some` (within [`EVENTUALLY`]); that value.
pub(crate) async fn eventually_some<T, F, Fut>(what: &str, mut probe: F) -> Result<T, CaseError>
where
    T: Send,
    F: FnMut() -> Fut + Send,
    Fut: Future<Output = Result<Option<T>, CaseError>> + Send,
{
    let slot = Mutex::new(None);
    eventually(EVENTUALLY, what, || {
        let next = probe();
        let slot = &slot;
        async move {
            let got = next.await?;
            let found = got.is_some();
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = got;
            Ok(found)
        }
    })
    .await?;
    let got = slot.into_inner().unwrap_or_else(PoisonError::into_inner);
    got.ok_or_else(|| CaseError::check(format!("`{what}`: nothing after the wait")))
}

/// The payloads of `messages` as text, for exact order checks.
pub(crate) fn payloads(messages: &[QueueMessage]) -> Vec<String> {
    messages
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect()
}
