//! The keyvalue models of the differential cases (see [`crate::differential`]).

use prism_suite::proto::keyvalue::*;
use prism_suite::proto::InterfaceClients;
use prism_suite::runner::CaseChannel;
use prism_suite::Case;
use proptest::prelude::*;
use tonic::Status;

use crate::differential::Model;

/// Few keys, so that sequences revisit them; one with a `:` and one beyond ASCII, which naming
/// schemes treat specially.
const KEYS: &[&str] = &["a", "b", "a:b", "ä"];

/// `keyvalue_basic`: Set, Get, Delete and Exists on a few keys.
pub(crate) struct Basic;

/// An operation of [`Basic`].
#[derive(Debug, Clone)]
pub(crate) enum BasicOp {
    Set(&'static str, Vec<u8>),
    Get(&'static str),
    Delete(&'static str),
    Exists(&'static str),
}

/// What an operation of [`Basic`] answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BasicAnswer {
    Set,
    Value(Vec<u8>),
    Found(bool),
    Exists(bool),
}

impl Model for Basic {
    type Op = BasicOp;
    type Answer = BasicAnswer;
    type State = ();

    fn sequences(&self) -> impl Strategy<Value = Vec<BasicOp>, Tree: Send> + Send {
        let key = proptest::sample::select(KEYS);
        let op = prop_oneof![
            (key.clone(), proptest::collection::vec(any::<u8>(), 0..4))
                .prop_map(|(k, v)| BasicOp::Set(k, v)),
            key.clone().prop_map(BasicOp::Get),
            key.clone().prop_map(BasicOp::Delete),
            key.prop_map(BasicOp::Exists),
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
        let mut kv = side.keyvalue_basic();
        let answer = match op {
            BasicOp::Set(key, value) => kv
                .set(cx.req_in(
                    ns,
                    SetRequest {
                        key: (*key).to_owned(),
                        value: value.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| BasicAnswer::Set),
            BasicOp::Get(key) => kv
                .get(cx.req_in(
                    ns,
                    GetRequest {
                        key: (*key).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Value(r.into_inner().value)),
            BasicOp::Delete(key) => kv
                .delete(cx.req_in(
                    ns,
                    DeleteRequest {
                        key: (*key).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Found(r.into_inner().found)),
            BasicOp::Exists(key) => kv
                .exists(cx.req_in(
                    ns,
                    ExistsRequest {
                        key: (*key).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Exists(r.into_inner().exists)),
        };
        answer
    }
}
