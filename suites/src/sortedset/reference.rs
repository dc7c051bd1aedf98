//! The sorted-set model of the differential cases (see [`crate::differential`]).

use prism_suite::proto::sortedset::*;
use prism_suite::proto::InterfaceClients;
use prism_suite::runner::CaseChannel;
use prism_suite::Case;
use proptest::prelude::*;
use tonic::Status;

use crate::differential::Model;

/// Two sets and the empty key (INVALID_ARGUMENT).
const KEYS: &[&str] = &["z", "y", ""];
/// Members, the empty one (INVALID_ARGUMENT) included.
const MEMBERS: &[&str] = &["m", "n", ""];
/// Scores: ordinary, equal, infinite (valid) and NaN (INVALID_ARGUMENT, changes nothing).
const SCORES: &[f64] = &[1.0, -2.5, 0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];

/// `sortedset_basic`: Add (new or moved), Remove and GetScore.
pub(crate) struct Basic;

/// An operation of [`Basic`].
#[derive(Debug, Clone)]
pub(crate) enum BasicOp {
    Add(&'static str, &'static str, f64),
    Remove(&'static str, &'static str),
    Score(&'static str, &'static str),
}

/// What an operation of [`Basic`] answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BasicAnswer {
    Added(bool),
    Removed(bool),
    Score(f64),
}

impl Model for Basic {
    type Op = BasicOp;
    type Answer = BasicAnswer;
    type State = ();

    fn sequences(&self) -> impl Strategy<Value = Vec<BasicOp>, Tree: Send> + Send {
        let key = proptest::sample::select(KEYS);
        let member = proptest::sample::select(MEMBERS);
        let op = prop_oneof![
            (
                key.clone(),
                member.clone(),
                proptest::sample::select(SCORES)
            )
                .prop_map(|(k, m, s)| BasicOp::Add(k, m, s)),
            (key.clone(), member.clone()).prop_map(|(k, m)| BasicOp::Remove(k, m)),
            (key, member).prop_map(|(k, m)| BasicOp::Score(k, m)),
        ];
        proptest::collection::vec(op, 1..16)
    }

    async fn apply<S: InterfaceClients<Channel = CaseChannel> + Sync>(
        &self,
        cx: &Case,
        side: &S,
        ns: &str,
        _state: &mut (),
        op: &BasicOp,
    ) -> Result<BasicAnswer, Status> {
        let mut zset = side.sortedset_basic();
        let answer = match op {
            BasicOp::Add(key, member, score) => zset
                .add(cx.req_in(
                    ns,
                    AddRequest {
                        key: (*key).to_owned(),
                        member: (*member).to_owned(),
                        score: *score,
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Added(r.into_inner().added)),
            BasicOp::Remove(key, member) => zset
                .remove(cx.req_in(
                    ns,
                    RemoveRequest {
                        key: (*key).to_owned(),
                        member: (*member).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Removed(r.into_inner().removed)),
            BasicOp::Score(key, member) => zset
                .get_score(cx.req_in(
                    ns,
                    GetScoreRequest {
                        key: (*key).to_owned(),
                        member: (*member).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Score(r.into_inner().score)),
        };
        answer
    }
}
