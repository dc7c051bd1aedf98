//! Document suites: one file per interface, each holding the inline suite module.
//!
//! Only `document_basic` can write documents, so the query and indexing suites insert through it
//! (every backend that implements a richer document interface also implements `document_basic`).
//! Bodies travel as JSON text; cases compare parsed values, never text. The shared helpers live here.

use std::future::Future;

use prism_suite::prelude::*;
use prism_suite::proto::document::*;
use serde_json::Value;

use crate::keyvalue::at_caller;

mod basic;
mod indexing;
mod isolated;
mod query;
pub(crate) mod reference;

pub use basic::document_basic;
pub use indexing::document_indexing;
pub use query::document_query;

/// Parses a body the backend answered; a case fails if it is not JSON.
#[track_caller]
pub(crate) fn parse(text: &str) -> Result<Value, CaseError> {
    let at = prism_suite::Site::caller();
    serde_json::from_str(text).map_err(|e| {
        CaseError::check_at(format!("backend answered invalid JSON {text:?}: {e}"), at)
    })
}

/// document_basic: the request inserting `body` as `id` into `collection`.
pub(crate) fn insert_req(collection: &str, id: &str, body: &Value) -> InsertRequest {
    InsertRequest {
        collection: collection.into(),
        id: id.into(),
        json: body.to_string(),
        ..Default::default()
    }
}

/// document_basic: inserts `(id, body)` pairs into `collection` of the case's namespace, in order.
#[track_caller]
pub(crate) fn insert_all(
    cx: &Case,
    collection: &str,
    docs: &[(&str, Value)],
) -> impl Future<Output = CaseResult> + Send {
    let mut d = cx.document_basic();
    let reqs: Vec<_> = docs
        .iter()
        .map(|(id, body)| cx.req(insert_req(collection, id, body)))
        .collect();
    at_caller(async move {
        for req in reqs {
            d.insert(req).await?;
        }
        Ok(())
    })
}

/// document_basic: the body of `id` in `collection`, parsed; None when it is NOT_FOUND.
#[track_caller]
pub(crate) fn body_of(
    cx: &Case,
    collection: &str,
    id: &str,
) -> impl Future<Output = Result<Option<Value>, CaseError>> + Send {
    let mut d = cx.document_basic();
    let req = cx.req(GetRequest {
        collection: collection.into(),
        id: id.into(),
        ..Default::default()
    });
    let at = prism_suite::Site::caller();
    at_caller(async move {
        match d.get(req).await {
            Ok(r) => {
                let text = r.into_inner().json;
                serde_json::from_str(&text).map(Some).map_err(|e| {
                    CaseError::check_at(format!("backend answered invalid JSON {text:?}: {e}"), at)
                })
            }
            Err(s) if s.code() == Code::NotFound => Ok(None),
            Err(s) => Err(s.into()),
        }
    })
}
