//! The list model of the differential cases (see [`crate::differential`]).

use prism_suite::proto::list::*;
use prism_suite::proto::InterfaceClients;
use prism_suite::runner::CaseChannel;
use prism_suite::Case;
use proptest::prelude::*;
use tonic::Status;

use crate::differential::Model;

/// Two lists and the empty key (INVALID_ARGUMENT), so that sequences revisit them.
const KEYS: &[&str] = &["l", "m", ""];

/// `list_basic`: pushes and pops at both ends, and Length.
pub(crate) struct Basic;

/// An operation of [`Basic`].
#[derive(Debug, Clone)]
pub(crate) enum BasicOp {
    PushLeft(&'static str, Vec<Vec<u8>>),
    PushRight(&'static str, Vec<Vec<u8>>),
    PopLeft(&'static str),
    PopRight(&'static str),
    Length(&'static str),
}

/// What an operation of [`Basic`] answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BasicAnswer {
    Length(u64),
    Popped(Option<Vec<u8>>),
}

impl Model for Basic {
    type Op = BasicOp;
    type Answer = BasicAnswer;
    type State = ();

    fn sequences(&self) -> impl Strategy<Value = Vec<BasicOp>, Tree: Send> + Send {
        let key = proptest::sample::select(KEYS);
        // No values at all is INVALID_ARGUMENT, so it is drawn too.
        let values = proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3), 0..3);
        let op = prop_oneof![
            (key.clone(), values.clone()).prop_map(|(k, v)| BasicOp::PushLeft(k, v)),
            (key.clone(), values).prop_map(|(k, v)| BasicOp::PushRight(k, v)),
            key.clone().prop_map(BasicOp::PopLeft),
            key.clone().prop_map(BasicOp::PopRight),
            key.prop_map(BasicOp::Length),
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
        let mut list = side.list_basic();
        let push = |key: &str, values: &[Vec<u8>]| PushRequest {
            key: key.to_owned(),
            values: values.to_vec(),
            ..Default::default()
        };
        let pop = |key: &str| PopRequest {
            key: key.to_owned(),
            ..Default::default()
        };
        let popped = |r: tonic::Response<PopResponse>| {
            let r = r.into_inner();
            BasicAnswer::Popped(r.found.then_some(r.value))
        };
        let answer = match op {
            BasicOp::PushLeft(key, values) => list
                .push_left(cx.req_in(ns, push(key, values)))
                .await
                .map(|r| BasicAnswer::Length(r.into_inner().length)),
            BasicOp::PushRight(key, values) => list
                .push_right(cx.req_in(ns, push(key, values)))
                .await
                .map(|r| BasicAnswer::Length(r.into_inner().length)),
            BasicOp::PopLeft(key) => list.pop_left(cx.req_in(ns, pop(key))).await.map(popped),
            BasicOp::PopRight(key) => list.pop_right(cx.req_in(ns, pop(key))).await.map(popped),
            BasicOp::Length(key) => list
                .length(cx.req_in(
                    ns,
                    LengthRequest {
                        key: (*key).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Length(r.into_inner().length)),
        };
        answer
    }
}
