//! The set model of the differential cases (see [`crate::differential`]).

use prism_suite::proto::set::*;
use prism_suite::proto::InterfaceClients;
use prism_suite::runner::CaseChannel;
use prism_suite::Case;
use proptest::prelude::*;
use tonic::Status;

use crate::differential::Model;

/// Two sets and the empty key (INVALID_ARGUMENT).
const KEYS: &[&str] = &["s", "t", ""];

/// `set_basic`: Add, Remove, Contains and GetMembers (in byte order, which the proto fixes).
pub(crate) struct Basic;

/// An operation of [`Basic`]; members are short byte strings, the empty one included.
#[derive(Debug, Clone)]
pub(crate) enum BasicOp {
    Add(&'static str, Vec<u8>),
    Remove(&'static str, Vec<u8>),
    Contains(&'static str, Vec<u8>),
    Members(&'static str),
}

/// What an operation of [`Basic`] answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BasicAnswer {
    Added(bool),
    Removed(bool),
    Contains(bool),
    Members(Vec<Vec<u8>>),
}

impl Model for Basic {
    type Op = BasicOp;
    type Answer = BasicAnswer;
    type State = ();

    fn sequences(&self) -> impl Strategy<Value = Vec<BasicOp>, Tree: Send> + Send {
        let key = proptest::sample::select(KEYS);
        let member = proptest::collection::vec(any::<u8>(), 0..2);
        let op = prop_oneof![
            (key.clone(), member.clone()).prop_map(|(k, m)| BasicOp::Add(k, m)),
            (key.clone(), member.clone()).prop_map(|(k, m)| BasicOp::Remove(k, m)),
            (key.clone(), member).prop_map(|(k, m)| BasicOp::Contains(k, m)),
            key.prop_map(BasicOp::Members),
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
        let mut set = side.set_basic();
        let answer = match op {
            BasicOp::Add(key, member) => set
                .add(cx.req_in(
                    ns,
                    AddRequest {
                        key: (*key).to_owned(),
                        member: member.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Added(r.into_inner().added)),
            BasicOp::Remove(key, member) => set
                .remove(cx.req_in(
                    ns,
                    RemoveRequest {
                        key: (*key).to_owned(),
                        member: member.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Removed(r.into_inner().removed)),
            BasicOp::Contains(key, member) => set
                .contains(cx.req_in(
                    ns,
                    ContainsRequest {
                        key: (*key).to_owned(),
                        member: member.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Contains(r.into_inner().contains)),
            BasicOp::Members(key) => set
                .get_members(cx.req_in(
                    ns,
                    GetMembersRequest {
                        key: (*key).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Members(r.into_inner().members)),
        };
        answer
    }
}
