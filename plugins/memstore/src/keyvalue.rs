//! The six keyvalue gRPC services: each call unpacks its request, asks the store, packs the answer.
//!
//! Faults that only misreport an answer (or crash, or hang) live here; faults that change what the
//! store does live in the store.

use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterface;
use prism_proto::keyvalue::key_value_batch_interface_server::KeyValueBatchInterface;
use prism_proto::keyvalue::key_value_cas_interface_server::KeyValueCasInterface;
use prism_proto::keyvalue::key_value_scan_interface_server::KeyValueScanInterface;
use prism_proto::keyvalue::key_value_transactional_interface_server::KeyValueTransactionalInterface;
use prism_proto::keyvalue::key_value_ttl_interface_server::KeyValueTtlInterface;
use prism_proto::keyvalue::*;
use tonic::{Request, Response, Status};

use crate::MemStore;

/// Deliberately broken keyvalue behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[
    (
        "delete_always_found",
        "Delete reports found = true even for a missing key",
    ),
    ("scan_ignores_limit", "Scan and ScanKeys ignore `limit`"),
    (
        "accept_empty_key",
        "an empty key is accepted everywhere instead of INVALID_ARGUMENT",
    ),
    (
        "ttl_never_expires",
        "Expire reports found but keys never expire; GetTTL stays positive",
    ),
    (
        "cas_always_swaps",
        "CompareAndSwap ignores `expected` and always swaps",
    ),
    (
        "crash_on_get",
        "Get writes a line to stderr and aborts the process",
    ),
    (
        "hang_on_exists",
        "Exists writes a line to stderr and never answers",
    ),
    (
        "lose_every_3rd_set",
        "every 3rd Set is acknowledged but not applied",
    ),
    (
        "keyvalue_namespace_prefix_leak",
        "namespaces differing only in trailing `:`, `%`, `_`, `*` or `}` share their keyvalue data",
    ),
];

/// Serves every keyvalue interface from one [`MemStore`].
#[derive(Debug, Clone)]
pub(crate) struct KeyValueService {
    store: MemStore,
}

impl KeyValueService {
    pub(crate) fn new(store: MemStore) -> Self {
        Self { store }
    }

    /// The limit a scan uses, unless the `scan_ignores_limit` fault throws it away.
    fn scan_limit(&self, limit: u32) -> u32 {
        if self.store.faults().has("scan_ignores_limit") {
            0
        } else {
            limit
        }
    }
}

type Reply<T> = Result<Response<T>, Status>;

/// A server stream of items computed up front (the lock is never held while streaming).
type ItemStream<T> = tokio_stream::Iter<std::vec::IntoIter<Result<T, Status>>>;

fn stream<T>(items: impl IntoIterator<Item = T>) -> ItemStream<T> {
    let items: Vec<_> = items.into_iter().map(Ok).collect();
    tokio_stream::iter(items)
}

#[tonic::async_trait]
impl KeyValueBasicInterface for KeyValueService {
    async fn set(&self, request: Request<SetRequest>) -> Reply<SetResponse> {
        let SetRequest {
            namespace,
            key,
            value,
        } = request.into_inner();
        self.store.set(&namespace, key, value)?;
        Ok(Response::new(SetResponse {}))
    }

    async fn get(&self, request: Request<GetRequest>) -> Reply<GetResponse> {
        if self.store.faults().has("crash_on_get") {
            eprintln!("memstore: injected fault crash_on_get");
            std::process::abort();
        }
        let req = request.into_inner();
        let value = self.store.get(&req.namespace, &req.key)?;
        Ok(Response::new(GetResponse { value }))
    }

    async fn delete(&self, request: Request<DeleteRequest>) -> Reply<DeleteResponse> {
        let req = request.into_inner();
        let found = self.store.delete(&req.namespace, &req.key)?;
        let found = found || self.store.faults().has("delete_always_found");
        Ok(Response::new(DeleteResponse { found }))
    }

    async fn exists(&self, request: Request<ExistsRequest>) -> Reply<ExistsResponse> {
        if self.store.faults().has("hang_on_exists") {
            eprintln!("memstore: injected fault hang_on_exists");
            std::future::pending::<()>().await;
        }
        let req = request.into_inner();
        let exists = self.store.exists(&req.namespace, &req.key)?;
        Ok(Response::new(ExistsResponse { exists }))
    }
}

#[tonic::async_trait]
impl KeyValueScanInterface for KeyValueService {
    type ScanStream = ItemStream<ScanItem>;
    type ScanKeysStream = ItemStream<ScanKeyItem>;

    async fn scan(&self, request: Request<ScanRequest>) -> Reply<Self::ScanStream> {
        let req = request.into_inner();
        let items = self
            .store
            .scan(&req.namespace, &req.prefix, self.scan_limit(req.limit));
        Ok(Response::new(stream(
            items
                .into_iter()
                .map(|(key, value)| ScanItem { key, value }),
        )))
    }

    async fn scan_keys(&self, request: Request<ScanKeysRequest>) -> Reply<Self::ScanKeysStream> {
        let req = request.into_inner();
        let keys = self
            .store
            .scan_keys(&req.namespace, &req.prefix, self.scan_limit(req.limit));
        Ok(Response::new(stream(
            keys.into_iter().map(|key| ScanKeyItem { key }),
        )))
    }

    async fn count(&self, request: Request<CountRequest>) -> Reply<CountResponse> {
        let req = request.into_inner();
        let count = self.store.count(&req.namespace, &req.prefix);
        Ok(Response::new(CountResponse { count }))
    }
}

#[tonic::async_trait]
impl KeyValueTtlInterface for KeyValueService {
    async fn expire(&self, request: Request<ExpireRequest>) -> Reply<ExpireResponse> {
        let req = request.into_inner();
        let found = self.store.expire(&req.namespace, &req.key, req.ttl_ms)?;
        Ok(Response::new(ExpireResponse { found }))
    }

    async fn get_ttl(&self, request: Request<GetTtlRequest>) -> Reply<GetTtlResponse> {
        let req = request.into_inner();
        let ttl_ms = self.store.ttl(&req.namespace, &req.key)?;
        Ok(Response::new(GetTtlResponse { ttl_ms }))
    }

    async fn persist(&self, request: Request<PersistRequest>) -> Reply<PersistResponse> {
        let req = request.into_inner();
        let persisted = self.store.persist(&req.namespace, &req.key)?;
        Ok(Response::new(PersistResponse { persisted }))
    }
}

#[tonic::async_trait]
impl KeyValueTransactionalInterface for KeyValueService {
    async fn begin(&self, request: Request<BeginRequest>) -> Reply<BeginResponse> {
        let txn_id = self.store.begin(&request.into_inner().namespace);
        Ok(Response::new(BeginResponse { txn_id }))
    }

    async fn txn_set(&self, request: Request<TxnSetRequest>) -> Reply<TxnSetResponse> {
        let TxnSetRequest {
            namespace,
            txn_id,
            key,
            value,
        } = request.into_inner();
        self.store.txn_set(&namespace, &txn_id, key, value)?;
        Ok(Response::new(TxnSetResponse {}))
    }

    async fn txn_get(&self, request: Request<TxnGetRequest>) -> Reply<TxnGetResponse> {
        let req = request.into_inner();
        let value = self.store.txn_get(&req.namespace, &req.txn_id, &req.key)?;
        Ok(Response::new(TxnGetResponse { value }))
    }

    async fn txn_delete(&self, request: Request<TxnDeleteRequest>) -> Reply<TxnDeleteResponse> {
        let req = request.into_inner();
        let found = self
            .store
            .txn_delete(&req.namespace, &req.txn_id, &req.key)?;
        Ok(Response::new(TxnDeleteResponse { found }))
    }

    async fn commit(&self, request: Request<CommitRequest>) -> Reply<CommitResponse> {
        let req = request.into_inner();
        self.store.commit(&req.namespace, &req.txn_id)?;
        Ok(Response::new(CommitResponse {}))
    }

    async fn rollback(&self, request: Request<RollbackRequest>) -> Reply<RollbackResponse> {
        let req = request.into_inner();
        self.store.rollback(&req.namespace, &req.txn_id)?;
        Ok(Response::new(RollbackResponse {}))
    }
}

#[tonic::async_trait]
impl KeyValueBatchInterface for KeyValueService {
    async fn batch_set(&self, request: Request<BatchSetRequest>) -> Reply<BatchSetResponse> {
        let req = request.into_inner();
        let entries = req.entries.into_iter().map(|e| (e.key, e.value)).collect();
        let written = self.store.batch_set(&req.namespace, entries)?;
        // A batch that fits in one message cannot hold u32::MAX entries.
        let written = u32::try_from(written).unwrap_or(u32::MAX);
        Ok(Response::new(BatchSetResponse { written }))
    }

    async fn batch_get(&self, request: Request<BatchGetRequest>) -> Reply<BatchGetResponse> {
        let req = request.into_inner();
        let results = self
            .store
            .batch_get(&req.namespace, req.keys)?
            .into_iter()
            .map(|(key, value)| BatchGetResult {
                key,
                found: value.is_some(),
                value: value.unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(BatchGetResponse { results }))
    }

    async fn batch_delete(
        &self,
        request: Request<BatchDeleteRequest>,
    ) -> Reply<BatchDeleteResponse> {
        let req = request.into_inner();
        let results = self
            .store
            .batch_delete(&req.namespace, req.keys)?
            .into_iter()
            .map(|(key, found)| BatchDeleteResult { key, found })
            .collect();
        Ok(Response::new(BatchDeleteResponse { results }))
    }
}

#[tonic::async_trait]
impl KeyValueCasInterface for KeyValueService {
    async fn compare_and_swap(
        &self,
        request: Request<CompareAndSwapRequest>,
    ) -> Reply<CompareAndSwapResponse> {
        let CompareAndSwapRequest {
            namespace,
            key,
            expected,
            new_value,
        } = request.into_inner();
        let (swapped, current) = self
            .store
            .compare_and_swap(&namespace, key, expected, new_value)?;
        Ok(Response::new(CompareAndSwapResponse { swapped, current }))
    }

    async fn compare_and_delete(
        &self,
        request: Request<CompareAndDeleteRequest>,
    ) -> Reply<CompareAndDeleteResponse> {
        let req = request.into_inner();
        let deleted = self
            .store
            .compare_and_delete(&req.namespace, &req.key, &req.expected)?;
        Ok(Response::new(CompareAndDeleteResponse { deleted }))
    }
}
