//! The six keyvalue interfaces over one table, `prism.kv (namespace, key bytea, value bytea,
//! expires_at)`.
//!
//! - Keys are `bytea`: they sort in byte order (what Scan promises) whatever the database's
//!   collation, and NUL is a character like any other.
//! - A scan prefix is a key range, `key >= prefix AND key < successor(prefix)`: an index range
//!   scan, and no pattern language, so `%`, `_` and `\` in a prefix are literal (a `LIKE` would
//!   need all three escaped, backslash included since it is `LIKE`'s default escape).
//! - An expired key stays in the table until the reaper deletes it, but every read filters on
//!   `expires_at > now()` (the database's clock), so it vanishes at once for every reader.
//! - Compare-and-swap is one conditional UPDATE (or INSERT ... ON CONFLICT for "only if absent"):
//!   of concurrent swaps the row lock makes exactly one see the expected value. A loser reads the
//!   current value afterwards; if that value would have passed the compare (it changed in
//!   between), the swap is tried again, so a failed swap never reports its own expected value.
//! - Transactions are optimistic: reads go to the table, writes are buffered in the plugin, and
//!   the version (`xmin`, the row version's creating transaction) of every key the transaction
//!   touched is remembered at first touch. Commit locks those rows (`FOR UPDATE`, which re-reads a
//!   row changed meanwhile), compares versions and applies the writes in one database transaction;
//!   a changed or newly created key is ABORTED and nothing is applied. An insert of a key seen
//!   absent is a plain INSERT, so a concurrent creator makes it fail (ABORTED) instead of being
//!   overwritten: no lost writes. Open transactions live in this plugin process.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use prism_proto::keyvalue::key_value_basic_interface_server::{
    KeyValueBasicInterface, KeyValueBasicInterfaceServer,
};
use prism_proto::keyvalue::key_value_batch_interface_server::{
    KeyValueBatchInterface, KeyValueBatchInterfaceServer,
};
use prism_proto::keyvalue::key_value_cas_interface_server::{
    KeyValueCasInterface, KeyValueCasInterfaceServer,
};
use prism_proto::keyvalue::key_value_scan_interface_server::{
    KeyValueScanInterface, KeyValueScanInterfaceServer,
};
use prism_proto::keyvalue::key_value_transactional_interface_server::{
    KeyValueTransactionalInterface, KeyValueTransactionalInterfaceServer,
};
use prism_proto::keyvalue::key_value_ttl_interface_server::{
    KeyValueTtlInterface, KeyValueTtlInterfaceServer,
};
use prism_proto::keyvalue::*;
use tonic::Status;

use super::common::{count, stream, ItemStream, Reply};
use crate::error::{is_unique_violation, OrStatus};
use crate::Backend;
use prism_plugin::Services;

/// How long an unused transaction handle lives: abandoned ones (a client that never commits nor
/// rolls back) must not pile up.
const TXN_IDLE: Duration = Duration::from_secs(600);
/// How often expired keys are deleted for good (reads never see them either way).
const REAP_EVERY: Duration = Duration::from_secs(60);

/// Adds the keyvalue services to `router`.
pub fn add_services(services: Services, backend: &Backend) -> Services {
    let svc = KeyValueService::new(backend.clone());
    tokio::spawn(reap_expired(backend.clone()));
    services
        .add(KeyValueBasicInterfaceServer::new(svc.clone()))
        .add(KeyValueScanInterfaceServer::new(svc.clone()))
        .add(KeyValueTtlInterfaceServer::new(svc.clone()))
        .add(KeyValueTransactionalInterfaceServer::new(svc.clone()))
        .add(KeyValueBatchInterfaceServer::new(svc.clone()))
        .add(KeyValueCasInterfaceServer::new(svc))
}

/// Deletes expired rows now and then; a failure is retried at the next round.
async fn reap_expired(backend: Backend) {
    let mut every = tokio::time::interval(REAP_EVERY);
    loop {
        every.tick().await;
        if let Ok(client) = backend.pool.get().await {
            let _ = client
                .execute("DELETE FROM prism.kv WHERE expires_at <= now()", &[])
                .await;
        }
    }
}

/// The row is live: not expired by the database's clock.
const LIVE: &str = "(expires_at IS NULL OR expires_at > now())";

use prism_plugin::check::key as check_key;

/// A key read back from the table (written from a `String`, so valid UTF-8).
fn key_text(bytes: Vec<u8>) -> Result<String, Status> {
    String::from_utf8(bytes).map_err(|e| Status::internal(format!("stored key is not UTF-8: {e}")))
}

/// The smallest byte string greater than every string starting with `prefix`; None when there is
/// none (an empty prefix, or one of 0xFF bytes only).
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut bound = prefix.to_vec();
    while let Some(last) = bound.pop() {
        if last < 0xFF {
            bound.push(last + 1);
            return Some(bound);
        }
    }
    None
}

/// The `WHERE` of a prefix scan: `$1` namespace, `$2` lower bound, `$3` upper bound or NULL.
const IN_RANGE: &str =
    "namespace = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3::bytea) AND (expires_at IS NULL OR expires_at > now())";

/// What a transaction saw of a key when it first touched it: the row version, None when absent.
type Version = Option<i64>;

/// An open transaction: the versions it saw and its buffered writes (None is a delete).
struct Txn {
    namespace: String,
    last_used: Instant,
    seen: HashMap<Vec<u8>, Version>,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

type TxnSlot = Arc<tokio::sync::Mutex<Option<Txn>>>;

/// Serves every keyvalue interface.
#[derive(Clone)]
pub struct KeyValueService {
    backend: Backend,
    txns: Arc<Mutex<HashMap<String, TxnSlot>>>,
}

impl KeyValueService {
    /// A service over `backend`.
    pub fn new(backend: Backend) -> Self {
        KeyValueService {
            backend,
            txns: Arc::default(),
        }
    }

    /// The current value and row version of `key` (both None when absent or expired).
    async fn read_versioned(
        &self,
        ns: &str,
        key: &[u8],
    ) -> Result<(Option<Vec<u8>>, Version), Status> {
        let client = self.backend.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT value, xmin::text::bigint FROM prism.kv \
                     WHERE namespace = $1 AND key = $2 AND {LIVE}"
                ),
                &[&ns, &key],
            )
            .await
            .st()?;
        Ok(match row {
            Some(row) => (Some(row.get(0)), Some(row.get(1))),
            None => (None, None),
        })
    }

    fn slot(&self, id: &str) -> Option<TxnSlot> {
        let txns = self.txns.lock().unwrap_or_else(PoisonError::into_inner);
        txns.get(id).cloned()
    }

    fn forget(&self, id: &str) {
        let mut txns = self.txns.lock().unwrap_or_else(PoisonError::into_inner);
        txns.remove(id);
    }

    /// Runs `f` on the open transaction `id` of namespace `ns`.
    async fn with_txn<T>(
        &self,
        ns: &str,
        id: &str,
        f: impl AsyncFnOnce(&Self, &mut Txn) -> Result<T, Status>,
    ) -> Result<T, Status> {
        let slot = self.slot(id).ok_or_else(|| finished(id))?;
        let mut guard = slot.lock().await;
        let txn = guard.as_mut().ok_or_else(|| finished(id))?;
        if txn.namespace != ns {
            return Err(Status::failed_precondition(format!(
                "transaction {id} began in namespace {:?}, not {ns:?}",
                txn.namespace
            )));
        }
        txn.last_used = Instant::now();
        f(self, txn).await
    }

    /// Records the version of `key` the first time the transaction touches it; answers the value
    /// the transaction sees (its own write first).
    async fn touch(&self, txn: &mut Txn, key: &[u8]) -> Result<Option<Vec<u8>>, Status> {
        if let Some(buffered) = txn.writes.get(key) {
            return Ok(buffered.clone());
        }
        let (value, version) = self.read_versioned(&txn.namespace, key).await?;
        txn.seen.entry(key.to_vec()).or_insert(version);
        Ok(value)
    }

    /// Applies `txn` if nothing it touched changed since; ABORTED otherwise.
    async fn apply(&self, txn: Txn) -> Result<(), Status> {
        if txn.writes.is_empty() && txn.seen.is_empty() {
            return Ok(());
        }
        let mut client = self.backend.client().await?;
        let db = client.transaction().await.st()?;
        let mut keys: Vec<&Vec<u8>> = txn.seen.keys().collect();
        keys.sort();
        let rows = db
            .query(
                &format!(
                    "SELECT key, xmin::text::bigint, {LIVE} FROM prism.kv \
                     WHERE namespace = $1 AND key = ANY($2) ORDER BY key FOR UPDATE"
                ),
                &[&txn.namespace, &keys],
            )
            .await
            .st()?;
        // Rows that exist now (live or expired, locked by us) and their versions when live.
        let mut present: HashSet<Vec<u8>> = HashSet::new();
        let mut now: HashMap<Vec<u8>, Version> = HashMap::new();
        for row in rows {
            let key: Vec<u8> = row.get(0);
            let live: bool = row.get(2);
            now.insert(key.clone(), live.then(|| row.get(1)));
            present.insert(key);
        }
        for (key, seen) in &txn.seen {
            let current = now.get(key).copied().flatten();
            if current != *seen {
                return Err(Status::aborted(format!(
                    "transaction conflict: key {:?} was changed by someone else after the \
                     transaction read or wrote it",
                    String::from_utf8_lossy(key)
                )));
            }
        }
        for (key, write) in &txn.writes {
            let result = match (write, present.contains(key)) {
                (Some(value), true) => {
                    db.execute(
                        "UPDATE prism.kv SET value = $3, expires_at = NULL \
                         WHERE namespace = $1 AND key = $2",
                        &[&txn.namespace, key, value],
                    )
                    .await
                }
                (Some(value), false) => {
                    db.execute(
                        "INSERT INTO prism.kv (namespace, key, value) VALUES ($1, $2, $3)",
                        &[&txn.namespace, key, value],
                    )
                    .await
                }
                (None, true) => {
                    db.execute(
                        "DELETE FROM prism.kv WHERE namespace = $1 AND key = $2",
                        &[&txn.namespace, key],
                    )
                    .await
                }
                (None, false) => Ok(0),
            };
            match result {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(Status::aborted(format!(
                        "transaction conflict: key {:?} was created by someone else meanwhile",
                        String::from_utf8_lossy(key)
                    )))
                }
                Err(e) => return Err(crate::error::status(e)),
            }
        }
        db.commit().await.st()
    }
}

fn finished(id: &str) -> Status {
    Status::failed_precondition(format!(
        "transaction {id:?} is unknown, committed or rolled back"
    ))
}

#[prism_plugin::service]
impl KeyValueBasicInterface for KeyValueService {
    async fn set(&self, req: SetRequest) -> Reply<SetResponse> {
        check_key(&req.key)?;
        let client = self.backend.client().await?;
        client
            .execute(
                "INSERT INTO prism.kv (namespace, key, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, expires_at = NULL",
                &[&req.namespace, &req.key.as_bytes(), &req.value],
            )
            .await
            .st()?;
        Ok(SetResponse {})
    }

    async fn get(&self, req: GetRequest) -> Reply<GetResponse> {
        check_key(&req.key)?;
        let client = self.backend.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT value FROM prism.kv WHERE namespace = $1 AND key = $2 AND {LIVE}"),
                &[&req.namespace, &req.key.as_bytes()],
            )
            .await
            .st()?;
        match row {
            Some(row) => Ok(GetResponse { value: row.get(0) }),
            None => Err(Status::not_found(format!("key {:?} not found", req.key))),
        }
    }

    async fn delete(&self, req: DeleteRequest) -> Reply<DeleteResponse> {
        check_key(&req.key)?;
        let client = self.backend.client().await?;
        let row = client
            .query_opt(
                &format!("DELETE FROM prism.kv WHERE namespace = $1 AND key = $2 RETURNING {LIVE}"),
                &[&req.namespace, &req.key.as_bytes()],
            )
            .await
            .st()?;
        let found = row.is_some_and(|r| r.get::<_, bool>(0));
        Ok(DeleteResponse { found })
    }

    async fn exists(&self, req: ExistsRequest) -> Reply<ExistsResponse> {
        check_key(&req.key)?;
        let client = self.backend.client().await?;
        let row = client
            .query_one(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM prism.kv WHERE namespace = $1 AND key = $2 AND {LIVE})"
                ),
                &[&req.namespace, &req.key.as_bytes()],
            )
            .await
            .st()?;
        Ok(ExistsResponse { exists: row.get(0) })
    }
}

impl KeyValueService {
    /// `(key, value)` of the live keys under `prefix`, in byte order, at most `limit` (0 = all).
    async fn scan_rows(
        &self,
        ns: &str,
        prefix: &str,
        limit: u32,
        with_values: bool,
    ) -> Result<Vec<(String, Vec<u8>)>, Status> {
        let lower = prefix.as_bytes();
        let upper = successor(lower);
        let limit = (limit > 0).then_some(i64::from(limit));
        let columns = if with_values {
            "key, value"
        } else {
            "key, ''::bytea"
        };
        let client = self.backend.client().await?;
        let rows = client
            .query(
                &format!("SELECT {columns} FROM prism.kv WHERE {IN_RANGE} ORDER BY key LIMIT $4"),
                &[&ns, &lower, &upper, &limit],
            )
            .await
            .st()?;
        rows.into_iter()
            .map(|row| Ok((key_text(row.get(0))?, row.get(1))))
            .collect()
    }
}

#[prism_plugin::service]
impl KeyValueScanInterface for KeyValueService {
    type ScanStream = ItemStream<ScanItem>;
    type ScanKeysStream = ItemStream<ScanKeyItem>;

    async fn scan(&self, req: ScanRequest) -> Reply<Self::ScanStream> {
        let rows = self
            .scan_rows(&req.namespace, &req.prefix, req.limit, true)
            .await?;
        stream(rows.into_iter().map(|(key, value)| ScanItem { key, value }))
    }

    async fn scan_keys(&self, req: ScanKeysRequest) -> Reply<Self::ScanKeysStream> {
        let rows = self
            .scan_rows(&req.namespace, &req.prefix, req.limit, false)
            .await?;
        stream(rows.into_iter().map(|(key, _)| ScanKeyItem { key }))
    }

    async fn count(&self, req: CountRequest) -> Reply<CountResponse> {
        let lower = req.prefix.as_bytes();
        let upper = successor(lower);
        let client = self.backend.client().await?;
        let row = client
            .query_one(
                &format!("SELECT count(*) FROM prism.kv WHERE {IN_RANGE}"),
                &[&req.namespace, &lower, &upper],
            )
            .await
            .st()?;
        Ok(CountResponse {
            count: count(row.get(0)),
        })
    }
}

#[prism_plugin::service]
impl KeyValueTtlInterface for KeyValueService {
    async fn expire(&self, req: ExpireRequest) -> Reply<ExpireResponse> {
        check_key(&req.key)?;
        prism_plugin::check::positive("ttl_ms", req.ttl_ms)?;
        let client = self.backend.client().await?;
        let n = client
            .execute(
                &format!(
                    "UPDATE prism.kv SET expires_at = now() + $3::bigint * interval '1 millisecond' \
                     WHERE namespace = $1 AND key = $2 AND {LIVE}"
                ),
                &[&req.namespace, &req.key.as_bytes(), &req.ttl_ms],
            )
            .await
            .st()?;
        Ok(ExpireResponse { found: n == 1 })
    }

    async fn get_ttl(&self, req: GetTtlRequest) -> Reply<GetTtlResponse> {
        check_key(&req.key)?;
        let client = self.backend.client().await?;
        // Rounded up: a live key always has at least 1 ms left.
        let row = client
            .query_opt(
                &format!(
                    "SELECT CASE WHEN expires_at IS NULL THEN -1 \
                     ELSE ceil(extract(epoch FROM expires_at - now()) * 1000)::bigint END \
                     FROM prism.kv WHERE namespace = $1 AND key = $2 AND {LIVE}"
                ),
                &[&req.namespace, &req.key.as_bytes()],
            )
            .await
            .st()?;
        let ttl_ms = row.map_or(-2, |r| r.get(0));
        Ok(GetTtlResponse { ttl_ms })
    }

    async fn persist(&self, req: PersistRequest) -> Reply<PersistResponse> {
        check_key(&req.key)?;
        let client = self.backend.client().await?;
        let n = client
            .execute(
                "UPDATE prism.kv SET expires_at = NULL \
                 WHERE namespace = $1 AND key = $2 AND expires_at > now()",
                &[&req.namespace, &req.key.as_bytes()],
            )
            .await
            .st()?;
        Ok(PersistResponse { persisted: n == 1 })
    }
}

#[prism_plugin::service]
impl KeyValueTransactionalInterface for KeyValueService {
    async fn begin(&self, req: BeginRequest) -> Reply<BeginResponse> {
        let id = uuid::Uuid::new_v4().to_string();
        let txn = Txn {
            namespace: req.namespace,
            last_used: Instant::now(),
            seen: HashMap::new(),
            writes: BTreeMap::new(),
        };
        let mut txns = self.txns.lock().unwrap_or_else(PoisonError::into_inner);
        // Abandoned handles go; one in use (its slot locked) is not idle.
        txns.retain(|_, slot| {
            slot.try_lock()
                .map(|t| t.as_ref().is_some_and(|t| t.last_used.elapsed() < TXN_IDLE))
                .unwrap_or(true)
        });
        txns.insert(id.clone(), Arc::new(tokio::sync::Mutex::new(Some(txn))));
        Ok(BeginResponse { txn_id: id })
    }

    async fn txn_set(&self, req: TxnSetRequest) -> Reply<TxnSetResponse> {
        check_key(&req.key)?;
        self.with_txn(&req.namespace, &req.txn_id, async |svc, txn| {
            let key = req.key.as_bytes().to_vec();
            svc.touch(txn, &key).await?;
            txn.writes.insert(key, Some(req.value));
            Ok(())
        })
        .await?;
        Ok(TxnSetResponse {})
    }

    async fn txn_get(&self, req: TxnGetRequest) -> Reply<TxnGetResponse> {
        check_key(&req.key)?;
        let value = self
            .with_txn(&req.namespace, &req.txn_id, async |svc, txn| {
                svc.touch(txn, req.key.as_bytes()).await
            })
            .await?;
        match value {
            Some(value) => Ok(TxnGetResponse { value }),
            None => Err(Status::not_found(format!(
                "key {:?} not found in the transaction",
                req.key
            ))),
        }
    }

    async fn txn_delete(&self, req: TxnDeleteRequest) -> Reply<TxnDeleteResponse> {
        check_key(&req.key)?;
        let found = self
            .with_txn(&req.namespace, &req.txn_id, async |svc, txn| {
                let key = req.key.as_bytes().to_vec();
                let found = svc.touch(txn, &key).await?.is_some();
                txn.writes.insert(key, None);
                Ok(found)
            })
            .await?;
        Ok(TxnDeleteResponse { found })
    }

    async fn commit(&self, req: CommitRequest) -> Reply<CommitResponse> {
        let txn = self
            .with_txn(&req.namespace, &req.txn_id, async |_, _| Ok(()))
            .await;
        txn?;
        let slot = self
            .slot(&req.txn_id)
            .ok_or_else(|| finished(&req.txn_id))?;
        let taken = slot.lock().await.take();
        self.forget(&req.txn_id);
        let txn = taken.ok_or_else(|| finished(&req.txn_id))?;
        self.apply(txn).await?;
        Ok(CommitResponse {})
    }

    async fn rollback(&self, req: RollbackRequest) -> Reply<RollbackResponse> {
        self.with_txn(&req.namespace, &req.txn_id, async |_, _| Ok(()))
            .await?;
        if let Some(slot) = self.slot(&req.txn_id) {
            slot.lock().await.take();
        }
        self.forget(&req.txn_id);
        Ok(RollbackResponse {})
    }
}

#[prism_plugin::service]
impl KeyValueBatchInterface for KeyValueService {
    async fn batch_set(&self, req: BatchSetRequest) -> Reply<BatchSetResponse> {
        for entry in &req.entries {
            check_key(&entry.key)?;
        }
        let written = u32::try_from(req.entries.len()).unwrap_or(u32::MAX);
        // One row per key, the last value winning: ON CONFLICT cannot touch a row twice.
        let mut last: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for entry in req.entries {
            last.insert(entry.key.into_bytes(), entry.value);
        }
        if !last.is_empty() {
            let (keys, values): (Vec<Vec<u8>>, Vec<Vec<u8>>) = last.into_iter().unzip();
            let client = self.backend.client().await?;
            client
                .execute(
                    "INSERT INTO prism.kv (namespace, key, value) \
                     SELECT $1, k, v FROM unnest($2::bytea[], $3::bytea[]) AS t(k, v) \
                     ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, expires_at = NULL",
                    &[&req.namespace, &keys, &values],
                )
                .await
                .st()?;
        }
        Ok(BatchSetResponse { written })
    }

    async fn batch_get(&self, req: BatchGetRequest) -> Reply<BatchGetResponse> {
        for key in &req.keys {
            check_key(key)?;
        }
        if req.keys.is_empty() {
            return Ok(BatchGetResponse::default());
        }
        let keys: Vec<&[u8]> = req.keys.iter().map(|k| k.as_bytes()).collect();
        let client = self.backend.client().await?;
        let rows = client
            .query(
                "SELECT kv.value FROM unnest($2::bytea[]) WITH ORDINALITY AS t(key, ord) \
                 LEFT JOIN prism.kv kv ON kv.namespace = $1 AND kv.key = t.key \
                   AND (kv.expires_at IS NULL OR kv.expires_at > now()) \
                 ORDER BY t.ord",
                &[&req.namespace, &keys],
            )
            .await
            .st()?;
        let results = req
            .keys
            .into_iter()
            .zip(rows)
            .map(|(key, row)| {
                let value: Option<Vec<u8>> = row.get(0);
                BatchGetResult {
                    key,
                    found: value.is_some(),
                    value: value.unwrap_or_default(),
                }
            })
            .collect();
        Ok(BatchGetResponse { results })
    }

    async fn batch_delete(&self, req: BatchDeleteRequest) -> Reply<BatchDeleteResponse> {
        for key in &req.keys {
            check_key(key)?;
        }
        let mut deleted: HashSet<Vec<u8>> = HashSet::new();
        if !req.keys.is_empty() {
            let keys: Vec<&[u8]> = req.keys.iter().map(|k| k.as_bytes()).collect();
            let client = self.backend.client().await?;
            let rows = client
                .query(
                    &format!(
                        "DELETE FROM prism.kv WHERE namespace = $1 AND key = ANY($2) RETURNING key, {LIVE}"
                    ),
                    &[&req.namespace, &keys],
                )
                .await
                .st()?;
            deleted = rows
                .into_iter()
                .filter(|r| r.get::<_, bool>(1))
                .map(|r| r.get(0))
                .collect();
        }
        // As if deleted one after another: a key listed twice is found the first time only.
        let results = req
            .keys
            .into_iter()
            .map(|key| {
                let found = deleted.remove(key.as_bytes());
                BatchDeleteResult { key, found }
            })
            .collect();
        Ok(BatchDeleteResponse { results })
    }
}

impl KeyValueService {
    /// The live value of `key`, if any.
    async fn current(&self, ns: &str, key: &str) -> Result<Option<Vec<u8>>, Status> {
        let client = self.backend.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT value FROM prism.kv WHERE namespace = $1 AND key = $2 AND {LIVE}"),
                &[&ns, &key.as_bytes()],
            )
            .await
            .st()?;
        Ok(row.map(|r| r.get(0)))
    }

    /// One conditional write of a CompareAndSwap: whether it swapped.
    async fn try_swap(&self, req: &CompareAndSwapRequest) -> Result<bool, Status> {
        let client = self.backend.client().await?;
        let key = req.key.as_bytes();
        // A concurrent swap holds the row lock; when it commits, the WHERE is checked again
        // against the new value, so only one of them sees `expected`.
        let row = match &req.expected {
            Some(expected) => client
                .query_opt(
                    &format!(
                        "UPDATE prism.kv SET value = $4, expires_at = NULL \
                         WHERE namespace = $1 AND key = $2 AND value = $3 AND {LIVE} RETURNING 1"
                    ),
                    &[&req.namespace, &key, expected, &req.new_value],
                )
                .await
                .st()?,
            None => client
                .query_opt(
                    "INSERT INTO prism.kv (namespace, key, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, expires_at = NULL \
                     WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= now() RETURNING 1",
                    &[&req.namespace, &key, &req.new_value],
                )
                .await
                .st()?,
        };
        Ok(row.is_some())
    }
}

/// How many times a CompareAndSwap whose compare raced a concurrent write is tried before it
/// answers ABORTED (which the proto allows a loser).
const CAS_ATTEMPTS: usize = 16;

#[prism_plugin::service]
impl KeyValueCasInterface for KeyValueService {
    async fn compare_and_swap(&self, req: CompareAndSwapRequest) -> Reply<CompareAndSwapResponse> {
        check_key(&req.key)?;
        // A failed compare and the read of the current value are two statements, so the value
        // can change between them; a current value the compare would have accepted is such a
        // race (answering it would say the swap failed against its own expected value), so
        // the swap is tried again. The answer's value is then one the compare really failed on.
        for _ in 0..CAS_ATTEMPTS {
            if self.try_swap(&req).await? {
                return Ok(CompareAndSwapResponse {
                    swapped: true,
                    current: Some(req.new_value),
                });
            }
            let current = self.current(&req.namespace, &req.key).await?;
            if current != req.expected {
                return Ok(CompareAndSwapResponse {
                    swapped: false,
                    current,
                });
            }
        }
        Err(Status::aborted(format!(
            "CompareAndSwap of {:?}: the value changed under {CAS_ATTEMPTS} attempts in a row",
            req.key
        )))
    }

    async fn compare_and_delete(
        &self,
        req: CompareAndDeleteRequest,
    ) -> Reply<CompareAndDeleteResponse> {
        check_key(&req.key)?;
        let client = self.backend.client().await?;
        let n = client
            .execute(
                &format!(
                    "DELETE FROM prism.kv WHERE namespace = $1 AND key = $2 AND value = $3 AND {LIVE}"
                ),
                &[&req.namespace, &req.key.as_bytes(), &req.expected],
            )
            .await
            .st()?;
        Ok(CompareAndDeleteResponse { deleted: n == 1 })
    }
}

#[cfg(test)]
mod tests {
    use super::successor;

    #[test]
    fn successor_bounds_every_extension_of_the_prefix() {
        assert_eq!(successor(b""), None);
        assert_eq!(successor(b"a"), Some(b"b".to_vec()));
        assert_eq!(successor(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(successor(b"\xff\xff"), None);
        assert_eq!(successor(b"a%"), Some(b"a&".to_vec()));
    }
}
