//! The document interfaces (basic, query, indexing): JSON objects per namespace and collection,
//! kept parsed. Queries scan every document of a collection and indexes only guard writes, which is
//! all a reference implementation needs.

mod json;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use prism_plugin::{check, Reply};
use prism_proto::document::document_basic_interface_server::DocumentBasicInterface;
use prism_proto::document::document_indexing_interface_server::DocumentIndexingInterface;
use prism_proto::document::document_query_interface_server::DocumentQueryInterface;
use prism_proto::document::*;
use serde_json::Value;
use tonic::Status;

use crate::faults::Spaces;
use crate::Faults;

/// Deliberately broken document behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[
    (
        "unique_index_accepts_duplicates",
        "Insert and Update ignore unique indexes",
    ),
    (
        "filter_missing_field_matches",
        "EQ, GT, LT and IN conditions match documents that lack the field",
    ),
    ("sort_ignored", "Find and FindOne ignore sort keys"),
    (
        "document_namespace_prefix_leak",
        "namespaces differing only in trailing `:`, `%`, `_`, `*` or `}` share their document data",
    ),
];

/// The service behind every document interface.
pub(crate) fn service(faults: &Faults) -> DocumentService {
    DocumentService {
        namespaces: Arc::new(Mutex::new(Spaces::new(
            faults,
            "document_namespace_prefix_leak",
        ))),
        faults: faults.clone(),
    }
}

/// One collection: its documents by id and its indexes (field -> unique).
#[derive(Debug, Default)]
struct Collection {
    docs: BTreeMap<String, Value>,
    indexes: BTreeMap<String, bool>,
}

impl Collection {
    /// ALREADY_EXISTS when writing `doc` as `id` would duplicate a value of a unique index.
    fn check_unique(&self, id: &str, doc: &Value) -> Result<(), Status> {
        for (field, _) in self.indexes.iter().filter(|(_, unique)| **unique) {
            let Some(value) = json::lookup(doc, field) else {
                continue;
            };
            let clash = self.docs.iter().find(|(other, body)| {
                other.as_str() != id
                    && json::lookup(body, field).is_some_and(|v| json::same(v, value))
            });
            if let Some((other, _)) = clash {
                return Err(Status::already_exists(format!(
                    "unique index on {field:?}: document {other:?} already has {value}"
                )));
            }
        }
        Ok(())
    }
}

type Namespaces = Spaces<HashMap<String, Collection>>;

/// Serves every document interface from one lock-guarded map of namespaces.
#[derive(Debug, Clone)]
pub(crate) struct DocumentService {
    namespaces: Arc<Mutex<Namespaces>>,
    faults: Faults,
}

impl DocumentService {
    fn lock(&self) -> MutexGuard<'_, Namespaces> {
        // Every operation validates before it mutates, so a poisoned lock still guards whole data.
        self.namespaces
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on a collection, creating it empty if needed.
    fn write<R>(&self, ns: &str, collection: &str, f: impl FnOnce(&mut Collection) -> R) -> R {
        let mut all = self.lock();
        let coll = all
            .entry(ns.to_owned())
            .or_default()
            .entry(collection.to_owned())
            .or_default();
        f(coll)
    }

    /// Runs `f` on a collection (an empty one when it was never written).
    fn read<R>(&self, ns: &str, collection: &str, f: impl FnOnce(&Collection) -> R) -> R {
        let all = self.lock();
        match all.get(ns).and_then(|n| n.get(collection)) {
            Some(coll) => f(coll),
            None => f(&Collection::default()),
        }
    }

    /// The matching documents of a collection as `(id, body)`, in sort order, at most `limit`
    /// (0 = all).
    fn find(
        &self,
        ns: &str,
        collection: &str,
        filter: &[Condition],
        sort: &[SortKey],
        limit: u32,
    ) -> Result<Vec<(String, Value)>, Status> {
        check::non_empty("collection", collection)?;
        let filter = Filter::parse(filter, self.faults.has("filter_missing_field_matches"))?;
        for key in sort {
            check::non_empty("sort field", &key.field)?;
        }
        let sort = if self.faults.has("sort_ignored") {
            &[]
        } else {
            sort
        };
        let mut found: Vec<(String, Value)> = self.read(ns, collection, |c| {
            c.docs
                .iter()
                .filter(|(_, doc)| filter.matches(doc))
                .map(|(id, doc)| (id.clone(), doc.clone()))
                .collect()
        });
        // A stable sort over documents already in id order keeps ties in id order.
        found.sort_by(|(_, a), (_, b)| {
            sort.iter()
                .map(|key| {
                    let order =
                        json::compare(json::lookup(a, &key.field), json::lookup(b, &key.field));
                    if key.descending {
                        order.reverse()
                    } else {
                        order
                    }
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        if limit > 0 {
            found.truncate(limit as usize);
        }
        Ok(found)
    }
}

fn document((id, body): (String, Value)) -> Document {
    Document {
        id,
        json: body.to_string(),
    }
}

/// Parses a document body: a JSON object, else INVALID_ARGUMENT.
fn body(text: &str) -> Result<Value, Status> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Status::invalid_argument(format!("document is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(Status::invalid_argument("a document must be a JSON object"));
    }
    Ok(value)
}

/// A parsed list of conditions, all of which must hold.
struct Filter {
    conditions: Vec<(String, FilterOp, Value)>,
    /// The `filter_missing_field_matches` fault.
    missing_matches: bool,
}

impl Filter {
    fn parse(conditions: &[Condition], missing_matches: bool) -> Result<Self, Status> {
        let conditions = conditions
            .iter()
            .map(|c| {
                check::non_empty("condition field", &c.field)?;
                let op = FilterOp::try_from(c.op)
                    .map_err(|_| Status::invalid_argument(format!("unknown operator {}", c.op)))?;
                let value: Value = serde_json::from_str(&c.value).map_err(|e| {
                    Status::invalid_argument(format!(
                        "condition value {:?} is not JSON: {e}",
                        c.value
                    ))
                })?;
                if op == FilterOp::In && !value.is_array() {
                    return Err(Status::invalid_argument("IN takes a JSON array"));
                }
                Ok((c.field.clone(), op, value))
            })
            .collect::<Result<_, Status>>()?;
        Ok(Self {
            conditions,
            missing_matches,
        })
    }

    fn matches(&self, doc: &Value) -> bool {
        self.conditions.iter().all(|(field, op, value)| {
            let Some(found) = json::lookup(doc, field) else {
                return *op == FilterOp::Ne || self.missing_matches;
            };
            match op {
                FilterOp::Eq => json::same(found, value),
                FilterOp::Ne => !json::same(found, value),
                FilterOp::Gt => json::ordered(found, value).is_some_and(|o| o.is_gt()),
                FilterOp::Lt => json::ordered(found, value).is_some_and(|o| o.is_lt()),
                FilterOp::In => value
                    .as_array()
                    .is_some_and(|list| list.iter().any(|v| json::same(found, v))),
            }
        })
    }
}

#[prism_plugin::service]
impl DocumentBasicInterface for DocumentService {
    async fn insert(&self, req: InsertRequest) -> Reply<InsertResponse> {
        check::non_empty("collection", &req.collection)?;
        let doc = body(&req.json)?;
        let id = if req.id.is_empty() {
            uuid::Uuid::new_v4().simple().to_string()
        } else {
            req.id
        };
        let unique_checked = !self.faults.has("unique_index_accepts_duplicates");
        self.write(&req.namespace, &req.collection, |c| {
            if c.docs.contains_key(&id) {
                return Err(Status::already_exists(format!(
                    "document {id:?} already exists"
                )));
            }
            if unique_checked {
                c.check_unique(&id, &doc)?;
            }
            c.docs.insert(id.clone(), doc);
            Ok(())
        })?;
        Ok(InsertResponse { id })
    }

    async fn get(&self, req: GetRequest) -> Reply<GetResponse> {
        check::non_empty("collection", &req.collection)?;
        let doc = self.read(&req.namespace, &req.collection, |c| {
            c.docs.get(&req.id).cloned()
        });
        let doc =
            doc.ok_or_else(|| Status::not_found(format!("document {:?} not found", req.id)))?;
        Ok(GetResponse {
            json: doc.to_string(),
        })
    }

    async fn update(&self, req: UpdateRequest) -> Reply<UpdateResponse> {
        check::non_empty("collection", &req.collection)?;
        let doc = body(&req.json)?;
        let unique_checked = !self.faults.has("unique_index_accepts_duplicates");
        self.write(&req.namespace, &req.collection, |c| {
            if !c.docs.contains_key(&req.id) {
                return Err(Status::not_found(format!(
                    "document {:?} not found",
                    req.id
                )));
            }
            if unique_checked {
                c.check_unique(&req.id, &doc)?;
            }
            c.docs.insert(req.id.clone(), doc);
            Ok(())
        })?;
        Ok(UpdateResponse {})
    }

    async fn delete(&self, req: DeleteRequest) -> Reply<DeleteResponse> {
        check::non_empty("collection", &req.collection)?;
        let found = self.write(&req.namespace, &req.collection, |c| {
            c.docs.remove(&req.id).is_some()
        });
        Ok(DeleteResponse { found })
    }
}

#[prism_plugin::service]
impl DocumentQueryInterface for DocumentService {
    async fn find(&self, req: FindRequest) -> Reply<FindResponse> {
        let documents = self
            .find(
                &req.namespace,
                &req.collection,
                &req.filter,
                &req.sort,
                req.limit,
            )?
            .into_iter()
            .map(document)
            .collect();
        Ok(FindResponse { documents })
    }

    async fn find_one(&self, req: FindOneRequest) -> Reply<FindOneResponse> {
        let first = self
            .find(&req.namespace, &req.collection, &req.filter, &req.sort, 1)?
            .pop()
            .map(document);
        Ok(FindOneResponse {
            found: first.is_some(),
            document: first,
        })
    }

    async fn aggregate(&self, req: AggregateRequest) -> Reply<AggregateResponse> {
        let op = AggregateOp::try_from(req.op)
            .map_err(|_| Status::invalid_argument(format!("unknown aggregate op {}", req.op)))?;
        if op != AggregateOp::Count {
            check::non_empty("field", &req.field)?;
        }
        let docs = self.find(&req.namespace, &req.collection, &req.filter, &[], 0)?;
        // Groups in first-seen order, then sorted by key; keys compare by JSON value.
        let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
        for (_, doc) in docs {
            let key = if req.group_by.is_empty() {
                Value::Null
            } else {
                json::lookup(&doc, &req.group_by)
                    .cloned()
                    .unwrap_or(Value::Null)
            };
            match groups.iter_mut().find(|(k, _)| json::same(k, &key)) {
                Some((_, members)) => members.push(doc),
                None => groups.push((key, vec![doc])),
            }
        }
        groups.sort_by(|(a, _), (b, _)| json::compare(Some(a), Some(b)));
        let groups = groups
            .into_iter()
            .map(|(key, members)| {
                let numbers: Vec<f64> = members
                    .iter()
                    .filter_map(|d| json::lookup(d, &req.field).and_then(Value::as_f64))
                    .collect();
                let sum: f64 = numbers.iter().sum();
                let value = match op {
                    AggregateOp::Count => members.len() as f64,
                    AggregateOp::Sum => sum,
                    AggregateOp::Avg if numbers.is_empty() => 0.0,
                    AggregateOp::Avg => sum / numbers.len() as f64,
                };
                AggregateGroup {
                    key: key.to_string(),
                    value,
                    count: members.len() as u64,
                }
            })
            .collect();
        Ok(AggregateResponse { groups })
    }
}

#[prism_plugin::service]
impl DocumentIndexingInterface for DocumentService {
    async fn create_index(&self, req: CreateIndexRequest) -> Reply<CreateIndexResponse> {
        check::non_empty("collection", &req.collection)?;
        check::non_empty("field", &req.field)?;
        self.write(&req.namespace, &req.collection, |c| {
            if c.indexes.contains_key(&req.field) {
                return Err(Status::already_exists(format!(
                    "field {:?} already has an index",
                    req.field
                )));
            }
            if req.unique {
                let values: Vec<&Value> = c
                    .docs
                    .values()
                    .filter_map(|d| json::lookup(d, &req.field))
                    .collect();
                for (i, v) in values.iter().enumerate() {
                    if values[..i].iter().any(|w| json::same(v, w)) {
                        return Err(Status::failed_precondition(format!(
                            "documents share the value {v} at {:?}",
                            req.field
                        )));
                    }
                }
            }
            c.indexes.insert(req.field.clone(), req.unique);
            Ok(())
        })?;
        Ok(CreateIndexResponse {})
    }

    async fn drop_index(&self, req: DropIndexRequest) -> Reply<DropIndexResponse> {
        check::non_empty("collection", &req.collection)?;
        check::non_empty("field", &req.field)?;
        let found = self.write(&req.namespace, &req.collection, |c| {
            c.indexes.remove(&req.field).is_some()
        });
        Ok(DropIndexResponse { found })
    }

    async fn list_indexes(&self, req: ListIndexesRequest) -> Reply<ListIndexesResponse> {
        check::non_empty("collection", &req.collection)?;
        let indexes = self.read(&req.namespace, &req.collection, |c| {
            c.indexes
                .iter()
                .map(|(field, unique)| IndexInfo {
                    field: field.clone(),
                    unique: *unique,
                })
                .collect()
        });
        Ok(ListIndexesResponse { indexes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cond(field: &str, op: FilterOp, value: &str) -> Condition {
        Condition {
            field: field.into(),
            op: op as i32,
            value: value.into(),
        }
    }

    #[test]
    fn missing_fields_match_only_ne() {
        let doc = json!({"a": 1});
        for (op, want) in [
            (FilterOp::Eq, false),
            (FilterOp::Ne, true),
            (FilterOp::Gt, false),
            (FilterOp::Lt, false),
        ] {
            let f = Filter::parse(&[cond("b", op, "1")], false).expect("valid");
            assert_eq!(f.matches(&doc), want, "{op:?}");
        }
    }

    #[test]
    fn in_needs_an_array() {
        assert!(Filter::parse(&[cond("a", FilterOp::In, "1")], false).is_err());
        let f = Filter::parse(&[cond("a", FilterOp::In, "[0, 1.0]")], false).expect("valid");
        assert!(f.matches(&json!({"a": 1})));
    }

    #[test]
    fn unique_check_skips_the_document_itself() {
        let mut c = Collection::default();
        c.indexes.insert("k".into(), true);
        c.docs.insert("a".into(), json!({"k": 1}));
        assert!(c.check_unique("a", &json!({"k": 1})).is_ok());
        assert_eq!(
            c.check_unique("b", &json!({"k": 1.0}))
                .map_err(|s| s.code()),
            Err(tonic::Code::AlreadyExists)
        );
        assert!(c.check_unique("b", &json!({"j": 1})).is_ok());
    }
}
