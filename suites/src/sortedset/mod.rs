//! sortedset suites: one file per interface, each holding the inline suite module.
//!
//! Only `sortedset_basic` can write, so the other suites seed their sets through its Add (every
//! backend implementing a richer sortedset interface also implements `sortedset_basic`). The helpers
//! they share live here; each reports a failed RPC at the line of the case that called it.

use std::future::Future;

use prism_suite::prelude::*;
use prism_suite::proto::sortedset::*;

use crate::keyvalue::at_caller;

mod basic;
mod isolated;
mod lex;
mod operations;
mod range;
mod rank;
pub(crate) mod reference;

pub use basic::sortedset_basic;
pub use lex::sortedset_lex;
pub use operations::sortedset_operations;
pub use range::sortedset_range;
pub use rank::sortedset_rank;

/// sortedset_basic `Add` of every (member, score) to the set `key`, in the given order.
#[track_caller]
pub(crate) fn add_all(
    cx: &Case,
    key: &str,
    members: &[(&str, f64)],
) -> impl Future<Output = CaseResult> + Send {
    let mut zs = cx.sortedset_basic();
    let reqs: Vec<_> = members
        .iter()
        .map(|(member, score)| {
            cx.req(AddRequest {
                key: key.into(),
                member: (*member).into(),
                score: *score,
                ..Default::default()
            })
        })
        .collect();
    at_caller(async move {
        for req in reqs {
            zs.add(req).await?;
        }
        Ok(())
    })
}

/// The members and scores of a result, for exact comparison.
pub(crate) fn pairs(members: &[ScoredMember]) -> Vec<(String, f64)> {
    members
        .iter()
        .map(|m| (m.member.clone(), m.score))
        .collect()
}

/// Owned (member, score) pairs from literals, to compare with [`pairs`].
pub(crate) fn expect(members: &[(&str, f64)]) -> Vec<(String, f64)> {
    members.iter().map(|(m, s)| ((*m).to_owned(), *s)).collect()
}

/// Just the member names of a result, in order.
pub(crate) fn names(members: &[ScoredMember]) -> Vec<String> {
    members.iter().map(|m| m.member.clone()).collect()
}
