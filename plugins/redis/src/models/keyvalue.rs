//! The six keyvalue interfaces over Redis strings: one key `{ns}:kv:<key>` per entry.
//!
//! Scan uses SCAN MATCH with the prefix glob-escaped and sorts client-side (SCAN has no order).
//! Transactions buffer their writes in the plugin and WATCH every key they touch on a connection of
//! their own, so that Commit (MULTI/EXEC) fails, ABORTED, when someone changed one of them.
//! Compare-and-swap and compare-and-delete are Lua scripts, atomic in Redis.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use prism_plugin::{check, stream, ItemStream, Reply};
use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterface;
use prism_proto::keyvalue::key_value_batch_interface_server::KeyValueBatchInterface;
use prism_proto::keyvalue::key_value_cas_interface_server::KeyValueCasInterface;
use prism_proto::keyvalue::key_value_scan_interface_server::KeyValueScanInterface;
use prism_proto::keyvalue::key_value_transactional_interface_server::KeyValueTransactionalInterface;
use prism_proto::keyvalue::key_value_ttl_interface_server::KeyValueTtlInterface;
use prism_proto::keyvalue::*;
use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{AsyncCommands, Script};
use tonic::Status;

use super::common::{rerr, OrStatus};
use crate::{keys, Backend};

const KIND: &str = "kv";

/// How long an unused transaction lives: each holds a Redis connection, so abandoned ones
/// (a client that never commits nor rolls back) must not pile up.
const TXN_IDLE: Duration = Duration::from_secs(600);

/// The service behind every keyvalue interface.
pub(crate) fn service(backend: &Backend) -> KeyValueService {
    KeyValueService::new(backend.clone())
}

// KEYS[1] the key; ARGV[1] "1" when a value is expected, "0" for "only if absent"; ARGV[2] the
// expected value; ARGV[3] the new value. Answers {1} when swapped, {0} when the key is absent and
// {0, current} otherwise.
const CAS: &str = r#"
local cur = redis.call('GET', KEYS[1])
local matches
if ARGV[1] == '1' then matches = (cur == ARGV[2]) else matches = (cur == false) end
if matches then
  redis.call('SET', KEYS[1], ARGV[3])
  return {1}
end
if cur == false then return {0} end
return {0, cur}
"#;

// KEYS[1] the key; ARGV[1] the expected value. 1 when deleted.
const CAD: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// An open transaction: its own connection (holding the WATCHes) and its buffered writes.
struct Txn {
    namespace: String,
    /// When a call last used it: abandoned transactions are dropped after [`TXN_IDLE`].
    last_used: Instant,
    conn: MultiplexedConnection,
    watched: HashSet<String>,
    /// Buffered writes by Redis key; None is a delete.
    writes: BTreeMap<String, Option<Vec<u8>>>,
}

impl Txn {
    /// WATCHes `rkey` on first touch, so that a later change by anyone else aborts the commit.
    async fn touch(&mut self, rkey: &str) -> Result<(), Status> {
        if self.watched.insert(rkey.to_owned()) {
            redis::cmd("WATCH")
                .arg(rkey)
                .query_async::<()>(&mut self.conn)
                .await
                .st()?;
        }
        Ok(())
    }

    /// `rkey`'s value as the transaction sees it: its own buffered write first, else Redis's.
    async fn view(&mut self, rkey: &str) -> Result<Option<Vec<u8>>, Status> {
        self.touch(rkey).await?;
        if let Some(buffered) = self.writes.get(rkey) {
            return Ok(buffered.clone());
        }
        self.conn.get(rkey).await.st()
    }
}

type TxnSlot = Arc<tokio::sync::Mutex<Option<Txn>>>;

/// Serves every keyvalue interface.
#[derive(Clone)]
pub(crate) struct KeyValueService {
    backend: Backend,
    txns: Arc<Mutex<HashMap<String, TxnSlot>>>,
    cas: Arc<Script>,
    cad: Arc<Script>,
}

impl KeyValueService {
    fn new(backend: Backend) -> Self {
        KeyValueService {
            backend,
            txns: Arc::default(),
            cas: Arc::new(Script::new(CAS)),
            cad: Arc::new(Script::new(CAD)),
        }
    }

    fn conn(&self) -> ConnectionManager {
        self.backend.conn.clone()
    }

    /// The Redis keys of `ns` that start with `prefix`, in byte order of the user key, at most
    /// `limit` (0 = all); each with its user key.
    async fn scan_keys(
        &self,
        ns: &str,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>, Status> {
        let base = keys::prefix(ns, KIND);
        // `{ns}:kv:` split at the brace that ends the namespace: the fault globs over it.
        let (tag, after_tag) = base.split_once('}').unwrap_or((&base, ""));
        let leak = self.backend.faults.scan_leaks_longer_namespace();
        let pattern = if leak {
            format!(
                "{}*}}{}{}*",
                keys::glob_escape(tag),
                keys::glob_escape(after_tag),
                keys::glob_escape(prefix)
            )
        } else {
            format!("{}{}*", keys::glob_escape(&base), keys::glob_escape(prefix))
        };
        let mut conn = self.conn();
        let mut found: Vec<String> = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .st()?;
            found.extend(batch);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        // SCAN may repeat a key; String's order is byte order.
        let mut pairs: Vec<(String, String)> = found
            .into_iter()
            .filter_map(|rkey| {
                let user = if leak {
                    rkey.split_once('}')?.1.strip_prefix(after_tag)?
                } else {
                    rkey.strip_prefix(&base)?
                };
                Some((user.to_owned(), rkey))
            })
            .collect();
        pairs.sort();
        pairs.dedup();
        if limit > 0 {
            pairs.truncate(limit as usize);
        }
        Ok(pairs)
    }

    /// The slot of transaction `id`, unless it is unknown or finished.
    fn slot(&self, id: &str) -> Result<TxnSlot, Status> {
        let txns = self.txns.lock().unwrap_or_else(PoisonError::into_inner);
        txns.get(id).cloned().ok_or_else(|| finished(id))
    }

    /// Runs `f` on the open transaction `id` of namespace `ns`.
    async fn with_txn<T>(
        &self,
        ns: &str,
        id: &str,
        f: impl AsyncFnOnce(&mut Txn) -> Result<T, Status>,
    ) -> Result<T, Status> {
        let slot = self.slot(id)?;
        let mut guard = slot.lock().await;
        let txn = guard.as_mut().ok_or_else(|| finished(id))?;
        if txn.namespace != ns {
            return Err(wrong_namespace(id, &txn.namespace, ns));
        }
        txn.last_used = Instant::now();
        f(txn).await
    }

    /// Forgets transactions unused for [`TXN_IDLE`] (dropping their connections).
    fn reap_idle(&self) {
        let mut txns = self.txns.lock().unwrap_or_else(PoisonError::into_inner);
        txns.retain(|_, slot| match slot.try_lock() {
            Ok(mut guard) => match guard.as_ref() {
                Some(txn) if txn.last_used.elapsed() >= TXN_IDLE => {
                    *guard = None;
                    false
                }
                _ => true,
            },
            // In use right now: not idle.
            Err(_) => true,
        });
    }

    /// Takes the open transaction `id` of namespace `ns` out: it is finished from now on.
    async fn take_txn(&self, ns: &str, id: &str) -> Result<Txn, Status> {
        let slot = self.slot(id)?;
        let mut guard = slot.lock().await;
        match guard.as_ref() {
            None => return Err(finished(id)),
            Some(txn) if txn.namespace != ns => {
                return Err(wrong_namespace(id, &txn.namespace, ns))
            }
            Some(_) => {}
        }
        let txn = guard.take().ok_or_else(|| finished(id))?;
        self.txns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
        Ok(txn)
    }
}

fn finished(id: &str) -> Status {
    Status::failed_precondition(format!(
        "transaction {id:?} is unknown, committed or rolled back"
    ))
}

fn wrong_namespace(id: &str, began: &str, ns: &str) -> Status {
    Status::failed_precondition(format!(
        "transaction {id} began in namespace {began:?}, not {ns:?}"
    ))
}

fn not_found(key: &str) -> Status {
    Status::not_found(format!("key {key:?} not found"))
}

#[prism_plugin::service]
impl KeyValueBasicInterface for KeyValueService {
    async fn set(&self, req: SetRequest) -> Reply<SetResponse> {
        check::key(&req.key)?;
        if req.value.is_empty() && self.backend.faults.set_drops_empty_value() {
            return Ok(SetResponse {});
        }
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        self.conn().set::<_, _, ()>(rkey, req.value).await.st()?;
        Ok(SetResponse {})
    }

    async fn get(&self, req: GetRequest) -> Reply<GetResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let value: Option<Vec<u8>> = self.conn().get(rkey).await.st()?;
        let value = value.ok_or_else(|| not_found(&req.key))?;
        Ok(GetResponse { value })
    }

    async fn delete(&self, req: DeleteRequest) -> Reply<DeleteResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let removed: i64 = self.conn().del(rkey).await.st()?;
        Ok(DeleteResponse { found: removed > 0 })
    }

    async fn exists(&self, req: ExistsRequest) -> Reply<ExistsResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let exists: bool = self.conn().exists(rkey).await.st()?;
        Ok(ExistsResponse { exists })
    }
}

#[prism_plugin::service]
impl KeyValueScanInterface for KeyValueService {
    type ScanStream = ItemStream<ScanItem>;
    type ScanKeysStream = ItemStream<ScanKeyItem>;

    async fn scan(&self, req: ScanRequest) -> Reply<Self::ScanStream> {
        let pairs = self
            .scan_keys(&req.namespace, &req.prefix, req.limit)
            .await?;
        let mut items = Vec::with_capacity(pairs.len());
        if !pairs.is_empty() {
            let rkeys: Vec<&String> = pairs.iter().map(|(_, r)| r).collect();
            let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
                .arg(rkeys)
                .query_async(&mut self.conn())
                .await
                .st()?;
            // A key that expired between SCAN and MGET is gone: skip it.
            for ((key, _), value) in pairs.into_iter().zip(values) {
                if let Some(value) = value {
                    items.push(ScanItem { key, value });
                }
            }
        }
        stream(items)
    }

    async fn scan_keys(&self, req: ScanKeysRequest) -> Reply<Self::ScanKeysStream> {
        let pairs = self
            .scan_keys(&req.namespace, &req.prefix, req.limit)
            .await?;
        stream(pairs.into_iter().map(|(key, _)| ScanKeyItem { key }))
    }

    async fn count(&self, req: CountRequest) -> Reply<CountResponse> {
        let pairs = self.scan_keys(&req.namespace, &req.prefix, 0).await?;
        Ok(CountResponse {
            count: pairs.len() as u64,
        })
    }
}

#[prism_plugin::service]
impl KeyValueTtlInterface for KeyValueService {
    async fn expire(&self, req: ExpireRequest) -> Reply<ExpireResponse> {
        check::key(&req.key)?;
        check::positive("ttl_ms", req.ttl_ms)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let found: redis::RedisResult<bool> = redis::cmd("PEXPIRE")
            .arg(rkey)
            .arg(req.ttl_ms)
            .query_async(&mut self.conn())
            .await;
        let found = match found {
            Ok(found) => found,
            // "invalid expire time": the deadline overflows Redis's clock.
            Err(e) if matches!(e.kind(), redis::ErrorKind::Server(_)) => {
                return Err(Status::invalid_argument(format!(
                    "ttl_ms {} is too large: {e}",
                    req.ttl_ms
                )))
            }
            Err(e) => return Err(rerr(e)),
        };
        Ok(ExpireResponse { found })
    }

    async fn get_ttl(&self, req: GetTtlRequest) -> Reply<GetTtlResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let ttl_ms: i64 = redis::cmd("PTTL")
            .arg(rkey)
            .query_async(&mut self.conn())
            .await
            .st()?;
        Ok(GetTtlResponse { ttl_ms })
    }

    async fn persist(&self, req: PersistRequest) -> Reply<PersistResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let persisted: bool = self.conn().persist(rkey).await.st()?;
        Ok(PersistResponse { persisted })
    }
}

#[prism_plugin::service]
impl KeyValueTransactionalInterface for KeyValueService {
    async fn begin(&self, req: BeginRequest) -> Reply<BeginResponse> {
        let namespace = req.namespace;
        // WATCH is per connection: each transaction gets its own.
        let conn = self.backend.dedicated(Duration::ZERO).await.st()?;
        self.reap_idle();
        let txn = Txn {
            namespace,
            last_used: Instant::now(),
            conn,
            watched: HashSet::new(),
            writes: BTreeMap::new(),
        };
        let txn_id = uuid::Uuid::new_v4().to_string();
        self.txns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(txn_id.clone(), Arc::new(tokio::sync::Mutex::new(Some(txn))));
        Ok(BeginResponse { txn_id })
    }

    async fn txn_set(&self, req: TxnSetRequest) -> Reply<TxnSetResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        self.with_txn(&req.namespace, &req.txn_id, async |txn: &mut Txn| {
            txn.touch(&rkey).await?;
            txn.writes.insert(rkey, Some(req.value));
            Ok(())
        })
        .await?;
        Ok(TxnSetResponse {})
    }

    async fn txn_get(&self, req: TxnGetRequest) -> Reply<TxnGetResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let value = self
            .with_txn(&req.namespace, &req.txn_id, async |txn: &mut Txn| {
                txn.view(&rkey).await
            })
            .await?
            .ok_or_else(|| not_found(&req.key))?;
        Ok(TxnGetResponse { value })
    }

    async fn txn_delete(&self, req: TxnDeleteRequest) -> Reply<TxnDeleteResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let found = self
            .with_txn(&req.namespace, &req.txn_id, async |txn: &mut Txn| {
                let found = txn.view(&rkey).await?.is_some();
                txn.writes.insert(rkey, None);
                Ok(found)
            })
            .await?;
        Ok(TxnDeleteResponse { found })
    }

    async fn commit(&self, req: CommitRequest) -> Reply<CommitResponse> {
        let mut txn = self.take_txn(&req.namespace, &req.txn_id).await?;
        let mut pipe = redis::pipe();
        pipe.cmd("MULTI").ignore();
        for (rkey, write) in &txn.writes {
            match write {
                Some(value) => pipe.cmd("SET").arg(rkey).arg(value).ignore(),
                None => pipe.cmd("DEL").arg(rkey).ignore(),
            };
        }
        pipe.cmd("EXEC");
        let (exec,): (redis::Value,) = pipe.query_async(&mut txn.conn).await.st()?;
        if exec == redis::Value::Nil {
            return Err(Status::aborted(format!(
                "transaction {} conflicts: a key it touched changed meanwhile",
                req.txn_id
            )));
        }
        Ok(CommitResponse {})
    }

    async fn rollback(&self, req: RollbackRequest) -> Reply<RollbackResponse> {
        let mut txn = self.take_txn(&req.namespace, &req.txn_id).await?;
        // The connection is dropped anyway; UNWATCH is courtesy.
        let _ = redis::cmd("UNWATCH").query_async::<()>(&mut txn.conn).await;
        Ok(RollbackResponse {})
    }
}

#[prism_plugin::service]
impl KeyValueBatchInterface for KeyValueService {
    async fn batch_set(&self, req: BatchSetRequest) -> Reply<BatchSetResponse> {
        for e in &req.entries {
            check::key(&e.key)?;
        }
        let written = u32::try_from(req.entries.len()).unwrap_or(u32::MAX);
        if !req.entries.is_empty() {
            let mut cmd = redis::cmd("MSET");
            for e in &req.entries {
                cmd.arg(keys::key(&req.namespace, KIND, &e.key))
                    .arg(&e.value);
            }
            cmd.query_async::<()>(&mut self.conn()).await.st()?;
        }
        Ok(BatchSetResponse { written })
    }

    async fn batch_get(&self, req: BatchGetRequest) -> Reply<BatchGetResponse> {
        for key in &req.keys {
            check::key(key)?;
        }
        if req.keys.is_empty() {
            return Ok(BatchGetResponse::default());
        }
        let rkeys: Vec<String> = req
            .keys
            .iter()
            .map(|k| keys::key(&req.namespace, KIND, k))
            .collect();
        let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
            .arg(rkeys)
            .query_async(&mut self.conn())
            .await
            .st()?;
        let results = req
            .keys
            .into_iter()
            .zip(values)
            .map(|(key, value)| BatchGetResult {
                key,
                found: value.is_some(),
                value: value.unwrap_or_default(),
            })
            .collect();
        Ok(BatchGetResponse { results })
    }

    async fn batch_delete(&self, req: BatchDeleteRequest) -> Reply<BatchDeleteResponse> {
        for key in &req.keys {
            check::key(key)?;
        }
        if req.keys.is_empty() {
            return Ok(BatchDeleteResponse::default());
        }
        // One DEL per key, in order and atomically: each answers for its own key.
        let mut pipe = redis::pipe();
        pipe.atomic();
        for key in &req.keys {
            pipe.cmd("DEL").arg(keys::key(&req.namespace, KIND, key));
        }
        let removed: Vec<i64> = pipe.query_async(&mut self.conn()).await.st()?;
        let results = req
            .keys
            .into_iter()
            .zip(removed)
            .map(|(key, n)| BatchDeleteResult { key, found: n > 0 })
            .collect();
        Ok(BatchDeleteResponse { results })
    }
}

#[prism_plugin::service]
impl KeyValueCasInterface for KeyValueService {
    async fn compare_and_swap(&self, req: CompareAndSwapRequest) -> Reply<CompareAndSwapResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let (flag, expected) = match &req.expected {
            Some(v) => ("1", v.as_slice()),
            None => ("0", &[][..]),
        };
        let answer: Vec<redis::Value> = self
            .cas
            .key(rkey)
            .arg(flag)
            .arg(expected)
            .arg(&req.new_value)
            .invoke_async(&mut self.conn())
            .await
            .st()?;
        let swapped = matches!(answer.first(), Some(redis::Value::Int(1)));
        let current = if swapped {
            Some(req.new_value)
        } else {
            answer
                .get(1)
                .map(redis::from_redis_value_ref::<Vec<u8>>)
                .transpose()
                .map_err(|e| rerr(e.into()))?
        };
        Ok(CompareAndSwapResponse { swapped, current })
    }

    async fn compare_and_delete(
        &self,
        req: CompareAndDeleteRequest,
    ) -> Reply<CompareAndDeleteResponse> {
        check::key(&req.key)?;
        let rkey = keys::key(&req.namespace, KIND, &req.key);
        let deleted: i64 = self
            .cad
            .key(rkey)
            .arg(&req.expected)
            .invoke_async(&mut self.conn())
            .await
            .st()?;
        Ok(CompareAndDeleteResponse {
            deleted: deleted > 0,
        })
    }
}
