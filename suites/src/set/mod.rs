//! set suites: one file per interface, each holding the inline suite module.
//!
//! Only `set_basic` can add members, so the other suites seed their sets through it (every backend
//! with a richer set interface also implements `set_basic`). The helpers they share live here; each
//! reports a failed RPC at the line of the case that called it.

use std::future::Future;

use prism_suite::prelude::*;
use prism_suite::proto::set::*;

use crate::keyvalue::at_caller;

mod basic;
mod cardinality;
mod isolated;
mod operations;
mod random;
pub(crate) mod reference;

pub use basic::set_basic;
pub use cardinality::set_cardinality;
pub use operations::set_operations;
pub use random::set_random;

/// Members as text, so that a failed check shows `["a", "b"]` rather than numbers.
pub(crate) fn texts(members: &[Vec<u8>]) -> Vec<String> {
    members
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .collect()
}

/// set_basic `Add` of each member to `key` in the case's namespace.
#[track_caller]
pub(crate) fn add(
    cx: &Case,
    key: &str,
    members: &[&str],
) -> impl Future<Output = CaseResult> + Send {
    add_in(cx, cx.namespace(), key, members)
}

/// set_basic `Add` of each member to `key` in namespace `ns`.
#[track_caller]
pub(crate) fn add_in(
    cx: &Case,
    ns: &str,
    key: &str,
    members: &[&str],
) -> impl Future<Output = CaseResult> + Send {
    let mut set = cx.set_basic();
    let reqs: Vec<AddRequest> = members
        .iter()
        .map(|m| {
            cx.req_in(
                ns,
                AddRequest {
                    key: key.into(),
                    member: m.as_bytes().to_vec(),
                    ..Default::default()
                },
            )
            .into_inner()
        })
        .collect();
    at_caller(async move {
        for req in reqs {
            set.add(req).await?;
        }
        Ok(())
    })
}

/// set_basic `GetMembers key` in the case's namespace, as text in the order answered.
#[track_caller]
pub(crate) fn members_of(
    cx: &Case,
    key: &str,
) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
    let mut set = cx.set_basic();
    let req = cx.req(GetMembersRequest {
        key: key.into(),
        ..Default::default()
    });
    at_caller(async move { Ok(texts(&set.get_members(req).await?.into_inner().members)) })
}
