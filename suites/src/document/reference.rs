//! The document model of the differential cases (see [`crate::differential`]).

use prism_suite::proto::document::*;
use prism_suite::proto::InterfaceClients;
use prism_suite::runner::CaseChannel;
use prism_suite::Case;
use proptest::prelude::*;
use serde_json::Value;
use tonic::Status;

use crate::differential::Model;

/// Two collections; now and then the empty name (INVALID_ARGUMENT).
const COLLECTIONS: &[&str] = &["c", "d"];
/// A few ids, one beyond ASCII.
const IDS: &[&str] = &["a", "b", "ä"];
/// Small bodies: objects with scalars, arrays, nesting and unicode, then two that Insert and
/// Update reject (not an object; not JSON).
const BODIES: &[&str] = &[
    r#"{}"#,
    r#"{"n":1}"#,
    r#"{"n":2,"s":"x","f":1.5,"t":true,"z":null}"#,
    r#"{"a":[1,"two",null,[]],"o":{"b":{"c":false}}}"#,
    r#"{"ü":"✓ 😀","esc":"\"\\\n"}"#,
    r#"[1,2]"#,
    r#"{"n":"#,
];

/// Where an operation acts: the sequence's namespace, or the one that differs from it only by a
/// trailing `:` (kept apart from it, as every namespace is).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Space {
    Ns,
    NsColon,
}

/// `document_basic`: Insert (with an id or a fresh one), Get, Update and Delete of a few ids.
pub(crate) struct Basic;

/// An operation of [`Basic`]: where, the collection, the id and the body as JSON text.
#[derive(Debug, Clone)]
pub(crate) enum BasicOp {
    Insert(Space, &'static str, &'static str, &'static str),
    /// Insert with an empty id, which asks for a fresh one.
    InsertFresh(Space, &'static str, &'static str),
    Get(Space, &'static str, &'static str),
    Update(Space, &'static str, &'static str, &'static str),
    Delete(Space, &'static str, &'static str),
}

/// What an operation of [`Basic`] answered. A body is compared as a JSON value (the proto fixes
/// the value, not the text); the id of a fresh Insert is the backend's own, so only whether it is
/// non-empty is compared, and the id Insert answers for a given one is not compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BasicAnswer {
    Inserted,
    InsertedFresh {
        id_non_empty: bool,
    },
    Body(Value),
    /// Get answered text that does not parse.
    NotJson(String),
    Updated,
    Found(bool),
}

impl Model for Basic {
    type Op = BasicOp;
    type Answer = BasicAnswer;
    type State = ();

    fn sequences(&self) -> impl Strategy<Value = Vec<BasicOp>, Tree: Send> + Send {
        let space = prop_oneof![Just(Space::Ns), Just(Space::NsColon)];
        let coll = prop_oneof![4 => proptest::sample::select(COLLECTIONS), 1 => Just("")];
        let id = proptest::sample::select(IDS);
        let body = proptest::sample::select(BODIES);
        let op = prop_oneof![
            3 => (space.clone(), coll.clone(), id.clone(), body.clone())
                .prop_map(|(s, c, i, b)| BasicOp::Insert(s, c, i, b)),
            1 => (space.clone(), coll.clone(), body.clone())
                .prop_map(|(s, c, b)| BasicOp::InsertFresh(s, c, b)),
            3 => (space.clone(), coll.clone(), id.clone())
                .prop_map(|(s, c, i)| BasicOp::Get(s, c, i)),
            2 => (space.clone(), coll.clone(), id.clone(), body)
                .prop_map(|(s, c, i, b)| BasicOp::Update(s, c, i, b)),
            2 => (space, coll, id).prop_map(|(s, c, i)| BasicOp::Delete(s, c, i)),
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
        let mut d = side.document_basic();
        let within = |space: &Space| match space {
            Space::Ns => ns.to_owned(),
            Space::NsColon => format!("{ns}:"),
        };
        let answer = match op {
            BasicOp::Insert(space, coll, id, body) => d
                .insert(cx.req_in(
                    &within(space),
                    InsertRequest {
                        collection: (*coll).to_owned(),
                        id: (*id).to_owned(),
                        json: (*body).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| BasicAnswer::Inserted),
            BasicOp::InsertFresh(space, coll, body) => d
                .insert(cx.req_in(
                    &within(space),
                    InsertRequest {
                        collection: (*coll).to_owned(),
                        id: String::new(),
                        json: (*body).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::InsertedFresh {
                    id_non_empty: !r.into_inner().id.is_empty(),
                }),
            BasicOp::Get(space, coll, id) => d
                .get(cx.req_in(
                    &within(space),
                    GetRequest {
                        collection: (*coll).to_owned(),
                        id: (*id).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| {
                    let text = r.into_inner().json;
                    match serde_json::from_str(&text) {
                        Ok(value) => BasicAnswer::Body(value),
                        Err(_) => BasicAnswer::NotJson(text),
                    }
                }),
            BasicOp::Update(space, coll, id, body) => d
                .update(cx.req_in(
                    &within(space),
                    UpdateRequest {
                        collection: (*coll).to_owned(),
                        id: (*id).to_owned(),
                        json: (*body).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| BasicAnswer::Updated),
            BasicOp::Delete(space, coll, id) => d
                .delete(cx.req_in(
                    &within(space),
                    DeleteRequest {
                        collection: (*coll).to_owned(),
                        id: (*id).to_owned(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| BasicAnswer::Found(r.into_inner().found)),
        };
        answer
    }
}
