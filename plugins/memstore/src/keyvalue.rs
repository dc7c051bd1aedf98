//! The six keyvalue gRPC services: each call unpacks its request, asks the store, packs the answer.
//!
//! Faults that only misreport an answer (or crash, or hang) live here; faults that change what the
//! store does live in the store.

use prism_plugin::{stream, ItemStream, Reply};
use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterface;
use prism_proto::keyvalue::key_value_batch_interface_server::KeyValueBatchInterface;
use prism_proto::keyvalue::key_value_cas_interface_server::KeyValueCasInterface;
use prism_proto::keyvalue::key_value_scan_interface_server::KeyValueScanInterface;
use prism_proto::keyvalue::key_value_transactional_interface_server::KeyValueTransactionalInterface;
use prism_proto::keyvalue::key_value_ttl_interface_server::KeyValueTtlInterface;
use prism_proto::keyvalue::*;

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

#[prism_plugin::service]
impl KeyValueBasicInterface for KeyValueService {
    async fn set(&self, req: SetRequest) -> Reply<SetResponse> {
        let SetRequest {
            namespace,
            key,
            value,
        } = req;
        self.store.set(&namespace, key, value)?;
        Ok(SetResponse {})
    }

    async fn get(&self, req: GetRequest) -> Reply<GetResponse> {
        if self.store.faults().has("crash_on_get") {
            eprintln!("memstore: injected fault crash_on_get");
            std::process::abort();
        }
        let value = self.store.get(&req.namespace, &req.key)?;
        Ok(GetResponse { value })
    }

    async fn delete(&self, req: DeleteRequest) -> Reply<DeleteResponse> {
        let found = self.store.delete(&req.namespace, &req.key)?;
        let found = found || self.store.faults().has("delete_always_found");
        Ok(DeleteResponse { found })
    }

    async fn exists(&self, req: ExistsRequest) -> Reply<ExistsResponse> {
        if self.store.faults().has("hang_on_exists") {
            eprintln!("memstore: injected fault hang_on_exists");
            std::future::pending::<()>().await;
        }
        Ok(ExistsResponse {
            exists: self.store.exists(&req.namespace, &req.key)?,
        })
    }
}

#[prism_plugin::service]
impl KeyValueScanInterface for KeyValueService {
    type ScanStream = ItemStream<ScanItem>;
    type ScanKeysStream = ItemStream<ScanKeyItem>;

    async fn scan(&self, req: ScanRequest) -> Reply<Self::ScanStream> {
        let items = self
            .store
            .scan(&req.namespace, &req.prefix, self.scan_limit(req.limit));
        stream(
            items
                .into_iter()
                .map(|(key, value)| ScanItem { key, value }),
        )
    }

    async fn scan_keys(&self, req: ScanKeysRequest) -> Reply<Self::ScanKeysStream> {
        let keys = self
            .store
            .scan_keys(&req.namespace, &req.prefix, self.scan_limit(req.limit));
        stream(keys.into_iter().map(|key| ScanKeyItem { key }))
    }

    async fn count(&self, req: CountRequest) -> Reply<CountResponse> {
        let count = self.store.count(&req.namespace, &req.prefix);
        Ok(CountResponse { count })
    }
}

#[prism_plugin::service]
impl KeyValueTtlInterface for KeyValueService {
    async fn expire(&self, req: ExpireRequest) -> Reply<ExpireResponse> {
        let found = self.store.expire(&req.namespace, &req.key, req.ttl_ms)?;
        Ok(ExpireResponse { found })
    }

    async fn get_ttl(&self, req: GetTtlRequest) -> Reply<GetTtlResponse> {
        let ttl_ms = self.store.ttl(&req.namespace, &req.key)?;
        Ok(GetTtlResponse { ttl_ms })
    }

    async fn persist(&self, req: PersistRequest) -> Reply<PersistResponse> {
        let persisted = self.store.persist(&req.namespace, &req.key)?;
        Ok(PersistResponse { persisted })
    }
}

#[prism_plugin::service]
impl KeyValueTransactionalInterface for KeyValueService {
    async fn begin(&self, req: BeginRequest) -> Reply<BeginResponse> {
        let txn_id = self.store.begin(&req.namespace);
        Ok(BeginResponse { txn_id })
    }

    async fn txn_set(&self, req: TxnSetRequest) -> Reply<TxnSetResponse> {
        let TxnSetRequest {
            namespace,
            txn_id,
            key,
            value,
        } = req;
        self.store.txn_set(&namespace, &txn_id, key, value)?;
        Ok(TxnSetResponse {})
    }

    async fn txn_get(&self, req: TxnGetRequest) -> Reply<TxnGetResponse> {
        let value = self.store.txn_get(&req.namespace, &req.txn_id, &req.key)?;
        Ok(TxnGetResponse { value })
    }

    async fn txn_delete(&self, req: TxnDeleteRequest) -> Reply<TxnDeleteResponse> {
        let found = self
            .store
            .txn_delete(&req.namespace, &req.txn_id, &req.key)?;
        Ok(TxnDeleteResponse { found })
    }

    async fn commit(&self, req: CommitRequest) -> Reply<CommitResponse> {
        self.store.commit(&req.namespace, &req.txn_id)?;
        Ok(CommitResponse {})
    }

    async fn rollback(&self, req: RollbackRequest) -> Reply<RollbackResponse> {
        self.store.rollback(&req.namespace, &req.txn_id)?;
        Ok(RollbackResponse {})
    }
}

#[prism_plugin::service]
impl KeyValueBatchInterface for KeyValueService {
    async fn batch_set(&self, req: BatchSetRequest) -> Reply<BatchSetResponse> {
        let entries = req.entries.into_iter().map(|e| (e.key, e.value)).collect();
        let written = self.store.batch_set(&req.namespace, entries)?;
        // A batch that fits in one message cannot hold u32::MAX entries.
        let written = u32::try_from(written).unwrap_or(u32::MAX);
        Ok(BatchSetResponse { written })
    }

    async fn batch_get(&self, req: BatchGetRequest) -> Reply<BatchGetResponse> {
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
        Ok(BatchGetResponse { results })
    }

    async fn batch_delete(&self, req: BatchDeleteRequest) -> Reply<BatchDeleteResponse> {
        let results = self
            .store
            .batch_delete(&req.namespace, req.keys)?
            .into_iter()
            .map(|(key, found)| BatchDeleteResult { key, found })
            .collect();
        Ok(BatchDeleteResponse { results })
    }
}

#[prism_plugin::service]
impl KeyValueCasInterface for KeyValueService {
    async fn compare_and_swap(&self, req: CompareAndSwapRequest) -> Reply<CompareAndSwapResponse> {
        let CompareAndSwapRequest {
            namespace,
            key,
            expected,
            new_value,
        } = req;
        let (swapped, current) = self
            .store
            .compare_and_swap(&namespace, key, expected, new_value)?;
        Ok(CompareAndSwapResponse { swapped, current })
    }

    async fn compare_and_delete(
        &self,
        req: CompareAndDeleteRequest,
    ) -> Reply<CompareAndDeleteResponse> {
        let deleted = self
            .store
            .compare_and_delete(&req.namespace, &req.key, &req.expected)?;
        Ok(CompareAndDeleteResponse { deleted })
    }
}
