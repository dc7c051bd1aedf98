//! The document interfaces' probes for [`crate::isolation::check`]: the collections `c` and `:c`
//! in every namespace of the family, each holding the documents `d` and `:d` whose bodies name the
//! namespace.

use prism_suite::prelude::*;
use prism_suite::proto::document::*;
use serde_json::{json, Value};

use crate::document::parse;
use crate::isolation::{tagged, Probe};

/// Collections written in every namespace.
const COLLECTIONS: &[&str] = &["c", ":c"];
/// Document ids written in every collection.
const IDS: &[&str] = &[":d", "d"];

fn body(id: &str, tag: usize) -> Value {
    json!({ "id": id, "tag": tag, "name": tagged("doc", tag) })
}

/// Which interface a [`Documents`] probe exercises.
#[derive(Clone, Copy)]
pub(crate) enum Uses {
    /// document_basic: Insert, Get, Delete.
    Basic,
    /// document_query: Find, FindOne and Aggregate.
    Query,
    /// document_indexing: a unique index on `tag` and one on a field named after the namespace.
    Indexing,
}

/// A probe over the collections of the family, exercising one interface.
pub(crate) struct Documents(pub(crate) Uses);

impl Documents {
    fn shows(&self, tag: Option<usize>, changed: bool) -> Vec<String> {
        let mut v = Vec::new();
        for collection in COLLECTIONS {
            match self.0 {
                Uses::Basic => {
                    for id in IDS {
                        v.push(match tag {
                            Some(t) if !changed => format!("{collection}/{id}: {}", body(id, t)),
                            _ => format!("{collection}/{id}: missing"),
                        });
                    }
                }
                Uses::Query => {
                    let docs: Vec<String> = match tag {
                        Some(t) if !changed => IDS
                            .iter()
                            .map(|id| format!("{id}={}", body(id, t)))
                            .collect(),
                        _ => Vec::new(),
                    };
                    let first = docs.first().cloned().unwrap_or_else(|| "none".to_owned());
                    let groups = match tag {
                        Some(t) if !changed => {
                            vec![format!("{t}: {} docs, sum {}", IDS.len(), IDS.len() * t)]
                        }
                        _ => Vec::new(),
                    };
                    v.push(format!("{collection} find: {docs:?}"));
                    v.push(format!("{collection} find one: {first}"));
                    v.push(format!("{collection} groups: {groups:?}"));
                }
                Uses::Indexing => {
                    let indexes: Vec<String> = match tag {
                        None => Vec::new(),
                        Some(t) => {
                            let mut i = vec![format!("{} (non-unique)", tagged("f", t))];
                            if !changed {
                                i.push("tag (unique)".to_owned());
                            }
                            i.sort();
                            i
                        }
                    };
                    v.push(format!("{collection} indexes: {indexes:?}"));
                }
            }
        }
        v
    }
}

impl Probe for Documents {
    type View = Vec<String>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        let mut d = cx.document_basic();
        for collection in COLLECTIONS {
            if let Uses::Indexing = self.0 {
                let mut ix = cx.document_indexing();
                for (field, unique) in [("tag".to_owned(), true), (tagged("f", tag), false)] {
                    ix.create_index(cx.req_in(
                        ns,
                        CreateIndexRequest {
                            collection: (*collection).into(),
                            field,
                            unique,
                            ..Default::default()
                        },
                    ))
                    .await?;
                }
            }
            for (i, id) in IDS.iter().enumerate() {
                let mut doc = body(id, tag);
                if let Uses::Indexing = self.0 {
                    // Unique on `tag`: only the first document carries it, the index is sparse.
                    if i > 0 {
                        doc.as_object_mut().map(|o| o.remove("tag"));
                    }
                }
                d.insert(cx.req_in(
                    ns,
                    InsertRequest {
                        collection: (*collection).into(),
                        id: (*id).into(),
                        json: doc.to_string(),
                        ..Default::default()
                    },
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut v = Vec::new();
        for collection in COLLECTIONS {
            match self.0 {
                Uses::Basic => {
                    let mut d = cx.document_basic();
                    for id in IDS {
                        let req = cx.req_in(
                            ns,
                            GetRequest {
                                collection: (*collection).into(),
                                id: (*id).into(),
                                ..Default::default()
                            },
                        );
                        v.push(match d.get(req).await {
                            Ok(r) => format!("{collection}/{id}: {}", parse(&r.into_inner().json)?),
                            Err(s) if s.code() == Code::NotFound => {
                                format!("{collection}/{id}: missing")
                            }
                            Err(s) => return Err(s.into()),
                        });
                    }
                }
                Uses::Query => {
                    let mut q = cx.document_query();
                    let find = cx.req_in(
                        ns,
                        FindRequest {
                            collection: (*collection).into(),
                            ..Default::default()
                        },
                    );
                    let mut docs = Vec::new();
                    for doc in q.find(find).await?.into_inner().documents {
                        docs.push(format!("{}={}", doc.id, parse(&doc.json)?));
                    }
                    let one = cx.req_in(
                        ns,
                        FindOneRequest {
                            collection: (*collection).into(),
                            ..Default::default()
                        },
                    );
                    let one = q.find_one(one).await?.into_inner();
                    let first = match (one.found, one.document) {
                        (true, Some(doc)) => format!("{}={}", doc.id, parse(&doc.json)?),
                        _ => "none".to_owned(),
                    };
                    let agg = cx.req_in(
                        ns,
                        AggregateRequest {
                            collection: (*collection).into(),
                            group_by: "tag".into(),
                            op: AggregateOp::Sum as i32,
                            field: "tag".into(),
                            ..Default::default()
                        },
                    );
                    let groups: Vec<String> = q
                        .aggregate(agg)
                        .await?
                        .into_inner()
                        .groups
                        .into_iter()
                        .map(|g| format!("{}: {} docs, sum {}", g.key, g.count, g.value))
                        .collect();
                    v.push(format!("{collection} find: {docs:?}"));
                    v.push(format!("{collection} find one: {first}"));
                    v.push(format!("{collection} groups: {groups:?}"));
                }
                Uses::Indexing => {
                    let req = cx.req_in(
                        ns,
                        ListIndexesRequest {
                            collection: (*collection).into(),
                            ..Default::default()
                        },
                    );
                    let mut indexes: Vec<String> = cx
                        .document_indexing()
                        .list_indexes(req)
                        .await?
                        .into_inner()
                        .indexes
                        .into_iter()
                        .map(|i| {
                            let kind = if i.unique { "unique" } else { "non-unique" };
                            format!("{} ({kind})", i.field)
                        })
                        .collect();
                    indexes.sort();
                    v.push(format!("{collection} indexes: {indexes:?}"));
                }
            }
        }
        Ok(v)
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        self.shows(tag, false)
    }

    async fn change(&self, cx: &Case, ns: &str, _tag: usize) -> CaseResult {
        for collection in COLLECTIONS {
            if let Uses::Indexing = self.0 {
                let req = cx.req_in(
                    ns,
                    DropIndexRequest {
                        collection: (*collection).into(),
                        field: "tag".into(),
                        ..Default::default()
                    },
                );
                let found = cx
                    .document_indexing()
                    .drop_index(req)
                    .await?
                    .into_inner()
                    .found;
                check!(
                    found,
                    "DropIndex of `tag`, created in this namespace, found none"
                );
                continue;
            }
            for id in IDS {
                let req = cx.req_in(
                    ns,
                    DeleteRequest {
                        collection: (*collection).into(),
                        id: (*id).into(),
                        ..Default::default()
                    },
                );
                let found = cx.document_basic().delete(req).await?.into_inner().found;
                check!(
                    found,
                    "Delete of {collection}/{id}, inserted in this namespace, found nothing"
                );
            }
        }
        Ok(())
    }

    fn changed(&self, tag: usize) -> Self::View {
        self.shows(Some(tag), true)
    }
}
