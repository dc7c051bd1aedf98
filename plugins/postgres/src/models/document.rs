//! The three document interfaces over `prism.documents (namespace, collection, id, body jsonb)`.
//!
//! - Bodies are JSONB (escaped for U+0000, see [`super::jsonb`]); Get answers the stored value,
//!   equal as JSON to what was written.
//! - A dotted path is a chain of `->` with text keys: `->` with a text key finds nothing in an
//!   array or a scalar, which is the proto's "paths descend through objects only" (`#>` would
//!   index into arrays). A missing field is SQL NULL: `=`, `>`, `<` and `IN` are then not true,
//!   and NE is `IS DISTINCT FROM`, so it matches.
//! - Comparisons are typed: GT/LT compare `numeric` with a number and `text COLLATE "C"` with a
//!   string (byte order), under a CASE on `jsonb_typeof` so no cast of another type is attempted.
//! - Sorting does not use JSONB's own order (arrays by length first, objects before arrays,
//!   strings by the database collation): each key sorts by an explicit type rank (missing < null
//!   < false < true < numbers < strings < arrays < objects), then by the value of its type; arrays
//!   and objects, which the proto leaves open, by their JSONB text. Ties go by id (`COLLATE "C"`).
//! - Indexes are real PostgreSQL indexes: a partial expression index per (namespace, collection,
//!   field), `WHERE namespace = .. AND collection = .. AND <path> IS NOT NULL` (sparse). A unique
//!   one makes PostgreSQL reject duplicates (JSONB equality: numbers by value), and creating it
//!   over duplicates fails, creating nothing. `prism.document_indexes` lists them.

use prism_proto::document::document_basic_interface_server::{
    DocumentBasicInterface, DocumentBasicInterfaceServer,
};
use prism_proto::document::document_indexing_interface_server::{
    DocumentIndexingInterface, DocumentIndexingInterfaceServer,
};
use prism_proto::document::document_query_interface_server::{
    DocumentQueryInterface, DocumentQueryInterfaceServer,
};
use prism_proto::document::*;
use serde_json::Value;
use tokio_postgres::types::ToSql;
use tonic::Status;

use super::common::{literal, non_empty, Reply};
use super::jsonb;
use crate::error::{is_unique_violation, status, OrStatus};
use crate::Backend;
use prism_plugin::Services;

/// Adds the document services to `router`.
pub fn add_services(services: Services, backend: &Backend) -> Services {
    let svc = DocumentService {
        backend: backend.clone(),
    };
    services
        .add(DocumentBasicInterfaceServer::new(svc.clone()))
        .add(DocumentQueryInterfaceServer::new(svc.clone()))
        .add(DocumentIndexingInterfaceServer::new(svc))
}

/// Serves every document interface.
#[derive(Clone)]
pub struct DocumentService {
    backend: Backend,
}

/// Parses a document body: a JSON object, else INVALID_ARGUMENT.
fn body(text: &str) -> Result<Value, Status> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Status::invalid_argument(format!("document is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(Status::invalid_argument("a document must be a JSON object"));
    }
    Ok(jsonb::escape(value))
}

/// A stored body as JSON text.
fn text(stored: Value) -> String {
    jsonb::unescape(stored).to_string()
}

fn check_collection(collection: &str) -> Result<(), Status> {
    non_empty("collection", collection)
}

/// Parameters of a statement built piece by piece, numbered in the order they are pushed.
#[derive(Default)]
struct Params {
    values: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Params {
    /// Adds `value`, answering its placeholder (`$n`).
    fn push(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// `body -> 'a' -> 'b'` for the path `a.b`, each key a parameter.
fn path(params: &mut Params, field: &str) -> String {
    let mut expr = String::from("(d.body");
    for key in field.split('.') {
        expr.push_str(" -> ");
        expr.push_str(&params.push(jsonb::escape_str(key)));
        expr.push_str("::text");
    }
    expr.push(')');
    expr
}

/// The SQL of one condition, true when the document matches.
fn condition(params: &mut Params, c: &Condition) -> Result<String, Status> {
    non_empty("condition field", &c.field)?;
    let op = FilterOp::try_from(c.op)
        .map_err(|_| Status::invalid_argument(format!("unknown operator {}", c.op)))?;
    let value: Value = serde_json::from_str(&c.value).map_err(|e| {
        Status::invalid_argument(format!("condition value {:?} is not JSON: {e}", c.value))
    })?;
    if op == FilterOp::In && !value.is_array() {
        return Err(Status::invalid_argument("IN takes a JSON array"));
    }
    let value = jsonb::escape(value);
    let f = path(params, &c.field);
    Ok(match op {
        FilterOp::Eq => format!("{f} = {}::jsonb", params.push(value)),
        FilterOp::Ne => format!("{f} IS DISTINCT FROM {}::jsonb", params.push(value)),
        FilterOp::In => format!(
            "EXISTS (SELECT 1 FROM jsonb_array_elements({}::jsonb) AS e(v) WHERE e.v = {f})",
            params.push(value)
        ),
        FilterOp::Gt | FilterOp::Lt => {
            let cmp = if op == FilterOp::Gt { ">" } else { "<" };
            match value {
                Value::Number(_) => format!(
                    "CASE WHEN jsonb_typeof({f}) = 'number' THEN {f}::numeric {cmp} ({}::jsonb)::numeric ELSE false END",
                    params.push(value)
                ),
                Value::String(s) => format!(
                    "CASE WHEN jsonb_typeof({f}) = 'string' THEN ({f} #>> '{{}}') COLLATE \"C\" {cmp} {}::text COLLATE \"C\" ELSE false END",
                    params.push(s)
                ),
                _ => "false".to_owned(),
            }
        }
    })
}

/// `AND`ed conditions (an empty filter matches everything).
fn filter(params: &mut Params, conditions: &[Condition]) -> Result<String, Status> {
    let mut sql = String::new();
    for c in conditions {
        sql.push_str(" AND ");
        sql.push_str(&condition(params, c)?);
    }
    Ok(sql)
}

/// `ORDER BY` terms sorting the JSONB expression `v` in the proto's order of values.
fn order_terms(v: &str, descending: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    [
        format!(
            "CASE jsonb_typeof({v}) WHEN 'null' THEN 1 WHEN 'boolean' THEN 2 WHEN 'number' THEN 3 \
             WHEN 'string' THEN 4 WHEN 'array' THEN 5 WHEN 'object' THEN 6 ELSE 0 END"
        ),
        format!("CASE WHEN jsonb_typeof({v}) = 'boolean' THEN {v}::boolean END"),
        format!("CASE WHEN jsonb_typeof({v}) = 'number' THEN {v}::numeric END"),
        format!("(CASE WHEN jsonb_typeof({v}) = 'string' THEN {v} #>> '{{}}' END) COLLATE \"C\""),
        format!(
            "(CASE WHEN jsonb_typeof({v}) IN ('array', 'object') THEN {v}::text END) COLLATE \"C\""
        ),
    ]
    .map(|t| format!("{t} {dir}"))
    .join(", ")
}

impl DocumentService {
    /// The matching documents as `(id, body text)`, in sort order, at most `limit` (0 = all).
    async fn find(
        &self,
        ns: &str,
        collection: &str,
        conditions: &[Condition],
        sort: &[SortKey],
        limit: u32,
    ) -> Result<Vec<Document>, Status> {
        check_collection(collection)?;
        let mut params = Params::default();
        let ns_p = params.push(ns.to_owned());
        let coll_p = params.push(collection.to_owned());
        let filter = filter(&mut params, conditions)?;
        let mut order = Vec::new();
        for key in sort {
            non_empty("sort field", &key.field)?;
            let v = path(&mut params, &key.field);
            order.push(order_terms(&v, key.descending));
        }
        order.push("d.id".to_owned());
        let limit = if limit > 0 {
            format!(" LIMIT {limit}")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT d.id, d.body FROM prism.documents d \
              WHERE d.namespace = {ns_p} AND d.collection = {coll_p}{filter} \
              ORDER BY {}{limit}",
            order.join(", ")
        );
        let client = self.backend.client().await?;
        let rows = client.query(&sql, &params.refs()).await.st()?;
        Ok(rows
            .into_iter()
            .map(|row| Document {
                id: row.get(0),
                json: text(row.get(1)),
            })
            .collect())
    }
}

/// ALREADY_EXISTS for a duplicate: of the document id, or of a unique index's value.
fn duplicate(e: &tokio_postgres::Error, id: &str) -> Status {
    match e.as_db_error().and_then(|db| db.constraint()) {
        Some("documents_pkey") => Status::already_exists(format!("document {id:?} exists")),
        _ => Status::already_exists(format!(
            "a unique index of the collection already holds this value: {}",
            crate::error::describe(e)
        )),
    }
}

#[prism_plugin::service]
impl DocumentBasicInterface for DocumentService {
    async fn insert(&self, req: InsertRequest) -> Reply<InsertResponse> {
        check_collection(&req.collection)?;
        let doc = body(&req.json)?;
        let id = if req.id.is_empty() {
            uuid::Uuid::new_v4().to_string()
        } else {
            req.id
        };
        let client = self.backend.client().await?;
        match client
            .execute(
                "INSERT INTO prism.documents (namespace, collection, id, body) VALUES ($1, $2, $3, $4)",
                &[&req.namespace, &req.collection, &id, &doc],
            )
            .await
        {
            Ok(_) => Ok(InsertResponse { id }),
            Err(e) if is_unique_violation(&e) => Err(duplicate(&e, &id)),
            Err(e) => Err(status(e)),
        }
    }

    async fn get(&self, req: GetRequest) -> Reply<GetResponse> {
        check_collection(&req.collection)?;
        let client = self.backend.client().await?;
        let row = client
            .query_opt(
                "SELECT body FROM prism.documents WHERE namespace = $1 AND collection = $2 AND id = $3",
                &[&req.namespace, &req.collection, &req.id],
            )
            .await
            .st()?;
        match row {
            Some(row) => Ok(GetResponse {
                json: text(row.get(0)),
            }),
            None => Err(Status::not_found(format!(
                "document {:?} not found in {:?}",
                req.id, req.collection
            ))),
        }
    }

    async fn update(&self, req: UpdateRequest) -> Reply<UpdateResponse> {
        check_collection(&req.collection)?;
        let doc = body(&req.json)?;
        let client = self.backend.client().await?;
        match client
            .execute(
                "UPDATE prism.documents SET body = $4 WHERE namespace = $1 AND collection = $2 AND id = $3",
                &[&req.namespace, &req.collection, &req.id, &doc],
            )
            .await
        {
            Ok(0) => Err(Status::not_found(format!(
                "document {:?} not found in {:?}",
                req.id, req.collection
            ))),
            Ok(_) => Ok(UpdateResponse {}),
            Err(e) if is_unique_violation(&e) => Err(duplicate(&e, &req.id)),
            Err(e) => Err(status(e)),
        }
    }

    async fn delete(&self, req: DeleteRequest) -> Reply<DeleteResponse> {
        check_collection(&req.collection)?;
        let client = self.backend.client().await?;
        let n = client
            .execute(
                "DELETE FROM prism.documents WHERE namespace = $1 AND collection = $2 AND id = $3",
                &[&req.namespace, &req.collection, &req.id],
            )
            .await
            .st()?;
        Ok(DeleteResponse { found: n > 0 })
    }
}

#[prism_plugin::service]
impl DocumentQueryInterface for DocumentService {
    async fn find(&self, req: FindRequest) -> Reply<FindResponse> {
        let documents = DocumentService::find(
            self,
            &req.namespace,
            &req.collection,
            &req.filter,
            &req.sort,
            req.limit,
        )
        .await?;
        Ok(FindResponse { documents })
    }

    async fn find_one(&self, req: FindOneRequest) -> Reply<FindOneResponse> {
        let first = DocumentService::find(
            self,
            &req.namespace,
            &req.collection,
            &req.filter,
            &req.sort,
            1,
        )
        .await?
        .into_iter()
        .next();
        Ok(FindOneResponse {
            found: first.is_some(),
            document: first,
        })
    }

    async fn aggregate(&self, req: AggregateRequest) -> Reply<AggregateResponse> {
        check_collection(&req.collection)?;
        let op = AggregateOp::try_from(req.op)
            .map_err(|_| Status::invalid_argument(format!("unknown aggregate op {}", req.op)))?;
        if op != AggregateOp::Count {
            non_empty("field", &req.field)?;
        }
        let mut params = Params::default();
        let ns_p = params.push(req.namespace.clone());
        let coll_p = params.push(req.collection.clone());
        let filter = filter(&mut params, &req.filter)?;
        let key = if req.group_by.is_empty() {
            "'null'::jsonb".to_owned()
        } else {
            format!(
                "COALESCE({}, 'null'::jsonb)",
                path(&mut params, &req.group_by)
            )
        };
        let value = match op {
            AggregateOp::Count => "count(*)::double precision".to_owned(),
            AggregateOp::Sum | AggregateOp::Avg => {
                let f = path(&mut params, &req.field);
                let fun = if op == AggregateOp::Sum { "sum" } else { "avg" };
                format!(
                    "COALESCE({fun}(CASE WHEN jsonb_typeof({f}) = 'number' THEN {f}::numeric END), 0)::double precision"
                )
            }
        };
        let sql = format!(
            "SELECT g.key, g.value, g.n FROM ( \
               SELECT {key} AS key, {value} AS value, count(*) AS n \
                 FROM prism.documents d \
                WHERE d.namespace = {ns_p} AND d.collection = {coll_p}{filter} \
                GROUP BY 1) g \
             ORDER BY {}",
            order_terms("g.key", false)
        );
        let client = self.backend.client().await?;
        let rows = client.query(&sql, &params.refs()).await.st()?;
        let groups = rows
            .into_iter()
            .map(|row| AggregateGroup {
                key: text(row.get(0)),
                value: row.get(1),
                count: super::common::count(row.get(2)),
            })
            .collect();
        Ok(AggregateResponse { groups })
    }
}

#[prism_plugin::service]
impl DocumentIndexingInterface for DocumentService {
    async fn create_index(&self, req: CreateIndexRequest) -> Reply<CreateIndexResponse> {
        check_collection(&req.collection)?;
        non_empty("field", &req.field)?;
        let name = format!("prism_doc_{}", uuid::Uuid::new_v4().simple());
        let mut client = self.backend.client().await?;
        let txn = client.transaction().await.st()?;
        match txn
            .execute(
                "INSERT INTO prism.document_indexes (namespace, collection, field, is_unique, index_name) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[&req.namespace, &req.collection, &req.field, &req.unique, &name],
            )
            .await
        {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(Status::already_exists(format!(
                    "field {:?} of {:?} already has an index",
                    req.field, req.collection
                )))
            }
            Err(e) => return Err(status(e)),
        }
        // DDL takes no parameters: the path's keys, namespace and collection go in as literals.
        let expr = format!(
            "(body{})",
            req.field
                .split('.')
                .map(|k| format!(" -> {}::text", literal(&jsonb::escape_str(k))))
                .collect::<String>()
        );
        let ddl = format!(
            "CREATE {unique}INDEX {name} ON prism.documents ({expr}) \
             WHERE namespace = {ns} AND collection = {coll} AND {expr} IS NOT NULL",
            unique = if req.unique { "UNIQUE " } else { "" },
            ns = literal(&req.namespace),
            coll = literal(&req.collection),
        );
        match txn.batch_execute(&ddl).await {
            Ok(()) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(Status::failed_precondition(format!(
                    "documents of {:?} share a value at {:?}: {}",
                    req.collection,
                    req.field,
                    crate::error::describe(&e)
                )))
            }
            Err(e) => return Err(status(e)),
        }
        txn.commit().await.st()?;
        Ok(CreateIndexResponse {})
    }

    async fn drop_index(&self, req: DropIndexRequest) -> Reply<DropIndexResponse> {
        check_collection(&req.collection)?;
        non_empty("field", &req.field)?;
        let mut client = self.backend.client().await?;
        let txn = client.transaction().await.st()?;
        let row = txn
            .query_opt(
                "DELETE FROM prism.document_indexes \
                  WHERE namespace = $1 AND collection = $2 AND field = $3 RETURNING index_name",
                &[&req.namespace, &req.collection, &req.field],
            )
            .await
            .st()?;
        let found = row.is_some();
        if let Some(row) = row {
            let name: String = row.get(0);
            txn.batch_execute(&format!("DROP INDEX IF EXISTS prism.{name}"))
                .await
                .st()?;
        }
        txn.commit().await.st()?;
        Ok(DropIndexResponse { found })
    }

    async fn list_indexes(&self, req: ListIndexesRequest) -> Reply<ListIndexesResponse> {
        check_collection(&req.collection)?;
        let client = self.backend.client().await?;
        let rows = client
            .query(
                "SELECT field, is_unique FROM prism.document_indexes \
                  WHERE namespace = $1 AND collection = $2 ORDER BY field",
                &[&req.namespace, &req.collection],
            )
            .await
            .st()?;
        let indexes = rows
            .into_iter()
            .map(|row| IndexInfo {
                field: row.get(0),
                unique: row.get(1),
            })
            .collect();
        Ok(ListIndexesResponse { indexes })
    }
}
