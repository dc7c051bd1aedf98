//! KeyValue suites: one file per interface, each holding the inline suite module.
//!
//! Only `keyvalue_basic` can write plain keys, so the other suites seed and read back through it
//! (every backend that implements a richer keyvalue interface also implements `keyvalue_basic`). The
//! few helpers they share live here; each reports a failed RPC at the line of the case that called it.

use std::future::Future;

use prism_suite::prelude::*;
use prism_suite::proto::keyvalue::*;
use prism_suite::Site;

mod basic;
mod batch;
mod cas;
mod isolated;
pub(crate) mod reference;
mod scan;
mod transactional;
mod ttl;

pub use basic::keyvalue_basic;
pub use batch::keyvalue_batch;
pub use cas::keyvalue_cas;
pub use scan::keyvalue_scan;
pub use transactional::keyvalue_transactional;
pub use ttl::keyvalue_ttl;

/// The future of a helper, with a failed RPC in it reported at the line of the case that called the
/// helper rather than inside the helper. Helpers are `#[track_caller]` functions (not `async fn`,
/// which cannot track their caller) that build their client and request, then return
/// `at_caller(async move { ... })`.
#[track_caller]
pub(crate) fn at_caller<T>(
    helper: impl Future<Output = Result<T, CaseError>> + Send,
) -> impl Future<Output = Result<T, CaseError>> + Send {
    let at = Site::caller();
    async move {
        helper.await.map_err(|e| match e {
            CaseError::Rpc { code, message, .. } => CaseError::Rpc { code, message, at },
            other => other,
        })
    }
}

/// keyvalue_basic `Set key = value` in the case's namespace.
#[track_caller]
pub(crate) fn put(cx: &Case, key: &str, value: &[u8]) -> impl Future<Output = CaseResult> + Send {
    put_in(cx, cx.namespace(), key, value)
}

/// keyvalue_basic `Set key = value` in namespace `ns`.
#[track_caller]
pub(crate) fn put_in(
    cx: &Case,
    ns: &str,
    key: &str,
    value: &[u8],
) -> impl Future<Output = CaseResult> + Send {
    let mut kv = cx.keyvalue_basic();
    let req = cx.req_in(
        ns,
        SetRequest {
            key: key.into(),
            value: value.to_vec(),
            ..Default::default()
        },
    );
    at_caller(async move {
        kv.set(req).await?;
        Ok(())
    })
}

/// keyvalue_basic `Get key` in the case's namespace: `None` when the key is NOT_FOUND.
#[track_caller]
pub(crate) fn value_of(
    cx: &Case,
    key: &str,
) -> impl Future<Output = Result<Option<Vec<u8>>, CaseError>> + Send {
    let mut kv = cx.keyvalue_basic();
    let req = cx.req(GetRequest {
        key: key.into(),
        ..Default::default()
    });
    at_caller(async move {
        match kv.get(req).await {
            Ok(r) => Ok(Some(r.into_inner().value)),
            Err(s) if s.code() == Code::NotFound => Ok(None),
            Err(s) => Err(s.into()),
        }
    })
}

/// `b"..."` as an owned value, for comparing with what `value_of` answers.
pub(crate) fn some(value: &[u8]) -> Option<Vec<u8>> {
    Some(value.to_vec())
}
