//! Stream suites: one file per interface, each holding the inline suite module.
//!
//! Only `stream_basic` (and `stream_partitioning`, for its own logs) can write records, so the
//! consumer-group, replay and retention suites append and read back through `stream_basic`. The
//! helpers they share live here; each reports a failed RPC or check at the line of the case that
//! called it.

use std::future::Future;

use prism_suite::prelude::*;
use prism_suite::proto::stream::*;
use prism_suite::Site;
use tokio_stream::{Stream, StreamExt};

use crate::keyvalue::at_caller;

mod basic;
mod consumer_groups;
mod isolated;
mod partitioning;
pub(crate) mod reference;
mod replay;
mod retention;

pub use basic::stream_basic;
pub use consumer_groups::stream_consumer_groups;
pub use partitioning::stream_partitioning;
pub use replay::stream_replay;
pub use retention::stream_retention;

/// A record as cases compare it: offset and payload as text, so that failures read well.
pub(crate) type Rec = (i64, String);

/// The payload the helpers write for record number `i` of a case.
pub(crate) fn payload(i: i64) -> String {
    format!("rec-{i}")
}

/// `(offset, payload(offset))` for every offset in `offsets`: what a stream written by
/// [`append_n`] holds.
pub(crate) fn recs(offsets: impl IntoIterator<Item = i64>) -> Vec<Rec> {
    offsets.into_iter().map(|o| (o, payload(o))).collect()
}

/// Records as [`Rec`]s.
pub(crate) fn view(records: Vec<StreamRecord>) -> Vec<Rec> {
    records
        .into_iter()
        .map(|r| (r.offset, String::from_utf8_lossy(&r.payload).into_owned()))
        .collect()
}

/// stream_basic Append of `payload` to `stream`; the answer (offset, timestamp).
#[track_caller]
pub(crate) fn append(
    cx: &Case,
    stream: &str,
    payload: &str,
) -> impl Future<Output = Result<AppendResponse, CaseError>> + Send {
    let mut basic = cx.stream_basic();
    let req = cx.req(AppendRequest {
        stream: stream.into(),
        payload: payload.as_bytes().to_vec(),
        ..Default::default()
    });
    at_caller(async move { Ok(basic.append(req).await?.into_inner()) })
}

/// stream_basic Append of `n` records `payload(first)..` to `stream`, where `first` is the next
/// offset the caller expects; the offsets answered.
#[track_caller]
pub(crate) fn append_n(
    cx: &Case,
    stream: &str,
    first: i64,
    n: i64,
) -> impl Future<Output = Result<Vec<i64>, CaseError>> + Send {
    let basic = cx.stream_basic();
    let reqs: Vec<_> = (first..first + n)
        .map(|i| {
            cx.req(AppendRequest {
                stream: stream.into(),
                payload: payload(i).into_bytes(),
                ..Default::default()
            })
        })
        .collect();
    at_caller(async move {
        let mut offsets = Vec::new();
        for req in reqs {
            offsets.push(basic.clone().append(req).await?.into_inner().offset);
        }
        Ok(offsets)
    })
}

/// stream_basic Read of `stream` from `from` (at most `max`, 0 = all), read to its end.
#[track_caller]
pub(crate) fn read(
    cx: &Case,
    stream: &str,
    from: i64,
    max: u32,
) -> impl Future<Output = Result<Vec<Rec>, CaseError>> + Send {
    let mut basic = cx.stream_basic();
    let req = cx.req(ReadRequest {
        stream: stream.into(),
        from_offset: from,
        max,
        ..Default::default()
    });
    at_caller(async move { Ok(view(collect(basic.read(req).await?.into_inner()).await?)) })
}

/// stream_basic GetLatestOffset of `stream`.
#[track_caller]
pub(crate) fn latest(
    cx: &Case,
    stream: &str,
) -> impl Future<Output = Result<i64, CaseError>> + Send {
    let mut basic = cx.stream_basic();
    let req = cx.req(GetLatestOffsetRequest {
        stream: stream.into(),
        ..Default::default()
    });
    at_caller(async move {
        Ok(basic
            .get_latest_offset(req)
            .await?
            .into_inner()
            .latest_offset)
    })
}

/// Reads exactly `n` messages from an open server stream, failing if they do not all arrive
/// within `within` or the stream ends first.
#[track_caller]
pub(crate) fn receive<'a, S, E>(
    stream: &'a mut S,
    n: usize,
    within: Duration,
    what: &'a str,
) -> impl Future<Output = Result<Vec<StreamRecord>, CaseError>> + Send + 'a
where
    S: Stream<Item = Result<StreamRecord, E>> + Unpin + Send,
    CaseError: From<E>,
{
    let at = Site::caller();
    async move {
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + within;
        while got.len() < n {
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(Some(item)) => got.push(item?),
                Ok(None) => {
                    return Err(CaseError::check_at(
                        format!(
                            "{what}: the stream ended after {} of {n} records: {:?}",
                            got.len(),
                            view(got)
                        ),
                        at,
                    ))
                }
                Err(_) => {
                    return Err(CaseError::check_at(
                        format!(
                            "{what}: only {} of {n} records arrived within {} ms: {:?}",
                            got.len(),
                            within.as_millis(),
                            view(got)
                        ),
                        at,
                    ))
                }
            }
        }
        Ok(got)
    }
}

/// Checks that nothing arrives on an open server stream for `window` (a bounded "never").
#[track_caller]
pub(crate) fn silent<'a, S, E>(
    stream: &'a mut S,
    window: Duration,
    what: &'a str,
) -> impl Future<Output = CaseResult> + Send + 'a
where
    S: Stream<Item = Result<StreamRecord, E>> + Unpin + Send,
    CaseError: From<E>,
{
    let at = Site::caller();
    async move {
        match tokio::time::timeout(window, stream.next()).await {
            Err(_) => Ok(()),
            Ok(Some(Ok(record))) => Err(CaseError::check_at(
                format!(
                    "{what}: record {:?} arrived within the {} ms window",
                    view(vec![record]),
                    window.as_millis()
                ),
                at,
            )),
            Ok(Some(Err(e))) => Err(CaseError::from(e)),
            Ok(None) => Err(CaseError::check_at(
                format!(
                    "{what}: the stream ended instead of staying open and quiet for {} ms",
                    window.as_millis()
                ),
                at,
            )),
        }
    }
}
