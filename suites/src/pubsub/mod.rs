//! PubSub suites: one file per interface, each holding the inline suite module.
//!
//! Only pubsub_basic has a plain Publish and Subscribe, so the wildcards and ordering suites publish
//! or subscribe through it (every backend with a richer pubsub interface also implements
//! `pubsub_basic`). The helpers they share live here; each reports a failure at the line of the case
//! that called it.

use std::future::Future;

use prism_suite::prelude::*;
use prism_suite::proto::pubsub::*;
use prism_suite::Site;
use tokio_stream::{Stream, StreamExt};

use crate::keyvalue::at_caller;

mod basic;
mod filtering;
mod isolated;
mod ordering;
mod persistent;
pub(crate) mod reference;
mod wildcards;

pub use basic::pubsub_basic;
pub use filtering::pubsub_filtering;
pub use ordering::pubsub_ordering;
pub use persistent::pubsub_persistent;
pub use wildcards::pubsub_wildcards;

/// A subscription stream, as every subscribe RPC of the model answers it (tonic's `Streaming`,
/// named through a trait because this crate does not depend on tonic).
pub(crate) trait Sub: Unpin + Send {
    /// The next message; `None` once the stream ended.
    fn next_message(
        &mut self,
    ) -> impl Future<Output = Option<Result<PubSubMessage, CaseError>>> + Send + '_;
}

impl<S, E> Sub for S
where
    S: Stream<Item = Result<PubSubMessage, E>> + Unpin + Send,
    E: Into<CaseError> + 'static,
{
    async fn next_message(&mut self) -> Option<Result<PubSubMessage, CaseError>> {
        self.next().await.map(|r| r.map_err(Into::into))
    }
}

/// A failed RPC read from a stream, reported at `at`.
fn rpc_error(error: CaseError, at: Site) -> CaseError {
    match error {
        CaseError::Rpc { code, message, .. } => CaseError::Rpc { code, message, at },
        other => other,
    }
}

/// How long a subscriber waits for messages that must arrive (generous: a loaded CI machine).
pub(crate) const ARRIVE_WITHIN: Duration = Duration::from_millis(2000);
/// How long a subscriber watches for messages that must never arrive.
pub(crate) const QUIET_WINDOW: Duration = Duration::from_millis(200);

/// pubsub_basic `Publish payload to topic` in namespace `ns`; the message id.
#[track_caller]
pub(crate) fn publish_in(
    cx: &Case,
    ns: &str,
    topic: &str,
    payload: &str,
) -> impl Future<Output = Result<String, CaseError>> + Send {
    let mut client = cx.pubsub_basic();
    let req = cx.req_in(
        ns,
        PublishRequest {
            topic: topic.into(),
            payload: payload.as_bytes().to_vec(),
            ..Default::default()
        },
    );
    at_caller(async move { Ok(client.publish(req).await?.into_inner().message_id) })
}

/// pubsub_basic `Publish payload to topic` in the case's namespace; the message id.
#[track_caller]
pub(crate) fn publish(
    cx: &Case,
    topic: &str,
    payload: &str,
) -> impl Future<Output = Result<String, CaseError>> + Send {
    publish_in(cx, cx.namespace(), topic, payload)
}

/// Publishes each payload to topic in turn, waiting for each; the message ids.
#[track_caller]
pub(crate) fn publish_all(
    cx: &Case,
    topic: &str,
    payloads: &[String],
) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
    let publishes: Vec<_> = payloads.iter().map(|p| publish(cx, topic, p)).collect();
    at_caller(async move {
        let mut ids = Vec::new();
        for publish in publishes {
            ids.push(publish.await?);
        }
        Ok(ids)
    })
}

/// pubsub_basic `Subscribe topic` (anonymous) in namespace `ns`; live once this returns.
#[track_caller]
pub(crate) fn subscribe_in(
    cx: &Case,
    ns: &str,
    topic: &str,
) -> impl Future<Output = Result<impl Sub, CaseError>> + Send {
    let mut client = cx.pubsub_basic();
    let req = cx.req_in(
        ns,
        SubscribeRequest {
            topic: topic.into(),
            ..Default::default()
        },
    );
    at_caller(async move { Ok(client.subscribe(req).await?.into_inner()) })
}

/// pubsub_basic `Subscribe topic` (anonymous) in the case's namespace; live once this returns.
#[track_caller]
pub(crate) fn subscribe(
    cx: &Case,
    topic: &str,
) -> impl Future<Output = Result<impl Sub, CaseError>> + Send {
    subscribe_in(cx, cx.namespace(), topic)
}

/// Reads exactly `n` messages, failing if they have not all arrived within [`ARRIVE_WITHIN`] or the
/// stream ends first.
#[track_caller]
pub(crate) fn recv<'a>(
    sub: &'a mut impl Sub,
    n: usize,
) -> impl Future<Output = Result<Vec<PubSubMessage>, CaseError>> + Send + 'a {
    let at = Site::caller();
    async move {
        let mut got = Vec::with_capacity(n);
        let deadline = tokio::time::Instant::now() + ARRIVE_WITHIN;
        while got.len() < n {
            match tokio::time::timeout_at(deadline, sub.next_message()).await {
                Ok(Some(Ok(message))) => got.push(message),
                Ok(None) => {
                    return Err(CaseError::check_at(
                        format!(
                            "the subscription stream ended after {} of {n} messages: {:?}",
                            got.len(),
                            payloads(&got)
                        ),
                        at,
                    ))
                }
                Ok(Some(Err(error))) => return Err(rpc_error(error, at)),
                Err(_) => {
                    return Err(CaseError::check_at(
                        format!(
                            "only {} of {n} messages arrived within {} ms: {:?}",
                            got.len(),
                            ARRIVE_WITHIN.as_millis(),
                            payloads(&got)
                        ),
                        at,
                    ))
                }
            }
        }
        Ok(got)
    }
}

/// Reads `n` messages like [`recv`]; their payloads as text.
#[track_caller]
pub(crate) fn recv_payloads<'a>(
    sub: &'a mut impl Sub,
    n: usize,
) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send + 'a {
    let got = recv(sub, n);
    async move { Ok(payloads(&got.await?)) }
}

/// Fails if a message arrives within [`QUIET_WINDOW`] (a stream that ends or fails is quiet too:
/// the case's other checks say whether it may end).
#[track_caller]
pub(crate) fn stays_quiet<'a>(
    sub: &'a mut impl Sub,
    what: &'a str,
) -> impl Future<Output = CaseResult> + Send + 'a {
    let at = Site::caller();
    async move {
        match tokio::time::timeout(QUIET_WINDOW, sub.next_message()).await {
            Ok(Some(Ok(message))) => Err(CaseError::check_at(
                format!(
                    "{what}: got an unexpected message (topic {:?}, payload {:?}) within {} ms",
                    message.topic,
                    String::from_utf8_lossy(&message.payload),
                    QUIET_WINDOW.as_millis()
                ),
                at,
            )),
            _ => Ok(()),
        }
    }
}

/// Reads the stream to its end, failing if it has not ended within [`ARRIVE_WITHIN`].
#[track_caller]
pub(crate) fn recv_to_end(
    mut sub: impl Sub,
) -> impl Future<Output = Result<Vec<PubSubMessage>, CaseError>> + Send {
    let at = Site::caller();
    async move {
        let all = async move {
            let mut all = Vec::new();
            while let Some(message) = sub.next_message().await {
                all.push(message?);
            }
            Ok::<_, CaseError>(all)
        };
        match tokio::time::timeout(ARRIVE_WITHIN, all).await {
            Ok(Ok(all)) => Ok(all),
            Ok(Err(error)) => Err(rpc_error(error, at)),
            Err(_) => Err(CaseError::check_at(
                format!(
                    "the subscription stream did not end within {} ms",
                    ARRIVE_WITHIN.as_millis()
                ),
                at,
            )),
        }
    }
}

/// The payloads of `messages` as text, in order.
pub(crate) fn payloads(messages: &[PubSubMessage]) -> Vec<String> {
    messages
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect()
}

/// The ids of `messages`, in order.
pub(crate) fn ids(messages: &[PubSubMessage]) -> Vec<String> {
    messages.iter().map(|m| m.message_id.clone()).collect()
}

/// `prefix-0`, `prefix-1`, ... `prefix-(n-1)`.
pub(crate) fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// `items` as owned strings, for comparing with [`payloads`].
pub(crate) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}
