//! list suites: one file per interface, each holding the inline suite module.
//!
//! Only `list_basic` can create a list, so the other suites push their setup through it (every
//! backend with a richer list interface also implements `list_basic`). The helpers they share live
//! here; each reports a failed RPC at the line of the case that called it.

use std::future::Future;

use prism_suite::prelude::*;
use prism_suite::proto::list::*;

use crate::keyvalue::at_caller;

mod basic;
mod blocking;
mod indexing;
mod isolated;
mod range;
pub(crate) mod reference;

pub use basic::list_basic;
pub use blocking::list_blocking;
pub use indexing::list_indexing;
pub use range::list_range;

/// Most values a well-behaved list in a case holds; `drain` stops there instead of looping forever
/// on a plugin whose pops never run dry.
const MAX_DRAIN: usize = 1_000;

/// `["a", "b"]` as the byte values a request carries.
pub(crate) fn bytes(values: &[&str]) -> Vec<Vec<u8>> {
    values.iter().map(|v| v.as_bytes().to_vec()).collect()
}

/// Byte values as text, so that a failed check shows `["a", "b"]` rather than numbers.
pub(crate) fn texts(values: &[Vec<u8>]) -> Vec<String> {
    values
        .iter()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

/// list_basic `PushRight key values...` in the case's namespace; the new length.
#[track_caller]
pub(crate) fn push_right(
    cx: &Case,
    key: &str,
    values: &[&str],
) -> impl Future<Output = Result<u64, CaseError>> + Send {
    push_right_in(cx, cx.namespace(), key, values)
}

/// list_basic `PushRight key values...` in namespace `ns`; the new length.
#[track_caller]
pub(crate) fn push_right_in(
    cx: &Case,
    ns: &str,
    key: &str,
    values: &[&str],
) -> impl Future<Output = Result<u64, CaseError>> + Send {
    let mut list = cx.list_basic();
    let req = cx.req_in(
        ns,
        PushRequest {
            key: key.into(),
            values: bytes(values),
            ..Default::default()
        },
    );
    at_caller(async move { Ok(list.push_right(req).await?.into_inner().length) })
}

/// list_basic `Length key` in namespace `ns`.
#[track_caller]
pub(crate) fn length_in(
    cx: &Case,
    ns: &str,
    key: &str,
) -> impl Future<Output = Result<u64, CaseError>> + Send {
    let mut list = cx.list_basic();
    let req = cx.req_in(
        ns,
        LengthRequest {
            key: key.into(),
            ..Default::default()
        },
    );
    at_caller(async move { Ok(list.length(req).await?.into_inner().length) })
}

/// The whole list, head first, read with list_basic PopLeft until it answers found = false: the
/// list is empty afterwards.
#[track_caller]
pub(crate) fn drain(
    cx: &Case,
    key: &str,
) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
    let mut list = cx.list_basic();
    let req = cx
        .req(PopRequest {
            key: key.into(),
            ..Default::default()
        })
        .into_inner();
    let key = key.to_owned();
    at_caller(async move {
        let mut values = Vec::new();
        loop {
            let popped = list.pop_left(req.clone()).await?.into_inner();
            if !popped.found {
                return Ok(texts(&values));
            }
            values.push(popped.value);
            if values.len() > MAX_DRAIN {
                return Err(CaseError::check(format!(
                    "PopLeft of {key:?} still found values after {MAX_DRAIN} pops"
                )));
            }
        }
    })
}
