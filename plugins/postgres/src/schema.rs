//! The tables every model keeps in the `prism` schema, created on start.
//!
//! Creation is idempotent (`IF NOT EXISTS` throughout) and runs in one transaction holding an
//! advisory lock, so plugin processes that start together against one database (several test
//! runs, a restarted plugin beside a live one) take turns instead of racing on the catalogue
//! (`CREATE TABLE IF NOT EXISTS` alone can fail with a duplicate `pg_type` row when two sessions
//! run it at once).
//!
//! Every table has `namespace` as the first column of its primary key, and every statement of
//! the plugin filters on it. Names are `text COLLATE "C"`, so they compare and sort by bytes
//! whatever the database's locale; keyvalue keys are `bytea` (byte order, and any UTF-8 including
//! NUL, which `text` cannot hold).

use crate::{error, Backend, BackendError};

/// Key of the advisory lock that serialises schema creation: a fixed number (`prism` in ASCII,
/// then 1), the same in every plugin process.
pub const SCHEMA_LOCK: i64 = 0x7072_6973_6d00_0001;

/// The DDL, in order. Each statement is safe to run again.
pub const DDL: &str = r#"
CREATE SCHEMA IF NOT EXISTS prism;

CREATE TABLE IF NOT EXISTS prism.kv (
    namespace  text COLLATE "C" NOT NULL,
    key        bytea NOT NULL,
    value      bytea NOT NULL,
    expires_at timestamptz,
    PRIMARY KEY (namespace, key)
);
CREATE INDEX IF NOT EXISTS kv_expiring ON prism.kv (expires_at) WHERE expires_at IS NOT NULL;

CREATE SEQUENCE IF NOT EXISTS prism.queue_seq;
CREATE TABLE IF NOT EXISTS prism.queue_messages (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    namespace     text COLLATE "C" NOT NULL,
    queue         text COLLATE "C" NOT NULL,
    payload       bytea NOT NULL,
    priority      integer NOT NULL DEFAULT 0,
    due_at        timestamptz NOT NULL DEFAULT now(),
    seq           bigint NOT NULL DEFAULT nextval('prism.queue_seq'),
    receive_count integer NOT NULL DEFAULT 0,
    lease_until   timestamptz,
    receipt       uuid UNIQUE
);
CREATE INDEX IF NOT EXISTS queue_order
    ON prism.queue_messages (namespace, queue, priority DESC, due_at, seq);
CREATE INDEX IF NOT EXISTS queue_leases
    ON prism.queue_messages (namespace, lease_until) WHERE lease_until IS NOT NULL;
CREATE TABLE IF NOT EXISTS prism.queue_dead_letter (
    namespace         text COLLATE "C" NOT NULL,
    queue             text COLLATE "C" NOT NULL,
    max_receives      integer NOT NULL CHECK (max_receives > 0),
    dead_letter_queue text COLLATE "C" NOT NULL CHECK (dead_letter_queue <> queue),
    PRIMARY KEY (namespace, queue)
);

CREATE TABLE IF NOT EXISTS prism.ts_points (
    namespace text COLLATE "C" NOT NULL,
    series    text COLLATE "C" NOT NULL,
    ts        bigint NOT NULL,
    value     double precision NOT NULL,
    labels    jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (namespace, series, ts)
);
CREATE TABLE IF NOT EXISTS prism.ts_retention (
    namespace    text COLLATE "C" NOT NULL,
    series       text COLLATE "C" NOT NULL,
    retention_ms bigint NOT NULL CHECK (retention_ms >= 0),
    PRIMARY KEY (namespace, series)
);

CREATE TABLE IF NOT EXISTS prism.documents (
    namespace  text COLLATE "C" NOT NULL,
    collection text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    body       jsonb NOT NULL,
    PRIMARY KEY (namespace, collection, id)
);
CREATE TABLE IF NOT EXISTS prism.document_indexes (
    namespace  text COLLATE "C" NOT NULL,
    collection text COLLATE "C" NOT NULL,
    field      text COLLATE "C" NOT NULL,
    is_unique  boolean NOT NULL,
    index_name text COLLATE "C" NOT NULL UNIQUE,
    PRIMARY KEY (namespace, collection, field)
);

CREATE TABLE IF NOT EXISTS prism.graph_nodes (
    namespace  text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    label      text NOT NULL,
    properties jsonb NOT NULL,
    PRIMARY KEY (namespace, id)
);
CREATE TABLE IF NOT EXISTS prism.graph_edges (
    namespace  text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    source     text COLLATE "C" NOT NULL,
    target     text COLLATE "C" NOT NULL,
    label      text NOT NULL,
    properties jsonb NOT NULL,
    PRIMARY KEY (namespace, id),
    FOREIGN KEY (namespace, source) REFERENCES prism.graph_nodes (namespace, id),
    FOREIGN KEY (namespace, target) REFERENCES prism.graph_nodes (namespace, id)
);
CREATE INDEX IF NOT EXISTS graph_edges_out ON prism.graph_edges (namespace, source, target);
CREATE INDEX IF NOT EXISTS graph_edges_in ON prism.graph_edges (namespace, target, source);

CREATE TABLE IF NOT EXISTS prism.pubsub_spill (
    id         uuid PRIMARY KEY,
    payload    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"#;

/// Creates whatever of the schema is missing, under [`SCHEMA_LOCK`].
pub async fn ensure(backend: &Backend) -> Result<(), BackendError> {
    let mut client = backend.pool.get().await.map_err(|e| {
        BackendError::Schema(match e {
            deadpool_postgres::PoolError::Backend(e) => {
                format!("cannot connect: {}", error::describe(&e))
            }
            other => format!("cannot connect: {other}"),
        })
    })?;
    let fail = |e: tokio_postgres::Error| BackendError::Schema(error::describe(&e));
    let txn = client.transaction().await.map_err(fail)?;
    txn.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await
        .map_err(fail)?;
    txn.batch_execute(DDL).await.map_err(fail)?;
    txn.commit().await.map_err(fail)
}
