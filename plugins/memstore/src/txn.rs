//! Optimistic transactions of keyvalue_transactional.
//!
//! A transaction buffers its writes and records the version of every key when it first reads or
//! writes it. Commit checks those versions under the store's lock and applies all writes at once,
//! or nothing (ABORTED) when any key changed meanwhile. Either way the transaction is finished.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use tonic::Status;

use crate::store::{not_found, Data, MemStore};

/// An open transaction.
#[derive(Debug)]
pub(crate) struct Txn {
    namespace: String,
    /// Version of each touched key when the transaction first touched it.
    seen: HashMap<String, u64>,
    /// Buffered writes; None is a delete.
    writes: BTreeMap<String, Option<Vec<u8>>>,
}

impl Txn {
    /// Records `key`'s version on first touch; later touches keep the first one.
    fn touch(&mut self, data: &mut Data, key: &str, now: Instant) {
        if !self.seen.contains_key(key) {
            let version = data.version(&self.namespace, key, now);
            self.seen.insert(key.to_owned(), version);
        }
    }

    /// `key`'s value as the transaction sees it: its own buffered write first, else the store's.
    /// Touches the key, since a read takes part in conflict detection.
    fn view(&mut self, data: &mut Data, key: &str, now: Instant) -> Option<Vec<u8>> {
        self.touch(data, key, now);
        match self.writes.get(key) {
            Some(buffered) => buffered.clone(),
            None => data.value(&self.namespace, key, now).map(<[u8]>::to_vec),
        }
    }
}

impl MemStore {
    /// Starts a transaction in `ns`; its id.
    pub(crate) fn begin(&self, ns: &str) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let txn = Txn {
            namespace: ns.to_owned(),
            seen: HashMap::new(),
            writes: BTreeMap::new(),
        };
        self.lock().txns.insert(id.clone(), txn);
        id
    }

    /// Buffers a write of `key` in the transaction.
    pub(crate) fn txn_set(
        &self,
        ns: &str,
        id: &str,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), Status> {
        self.check_key(&key)?;
        let now = Instant::now();
        let mut state = self.lock();
        let state = &mut *state;
        let txn = open_txn(&mut state.txns, ns, id)?;
        txn.touch(&mut state.data, &key, now);
        txn.writes.insert(key, Some(value));
        Ok(())
    }

    /// The value of `key` as the transaction sees it (its own writes first); NOT_FOUND when absent.
    pub(crate) fn txn_get(&self, ns: &str, id: &str, key: &str) -> Result<Vec<u8>, Status> {
        self.check_key(key)?;
        let now = Instant::now();
        let mut state = self.lock();
        let state = &mut *state;
        let txn = open_txn(&mut state.txns, ns, id)?;
        txn.view(&mut state.data, key, now)
            .ok_or_else(|| not_found(ns, key))
    }

    /// Buffers a delete of `key`; true when the key exists as the transaction sees it.
    pub(crate) fn txn_delete(&self, ns: &str, id: &str, key: &str) -> Result<bool, Status> {
        self.check_key(key)?;
        let now = Instant::now();
        let mut state = self.lock();
        let state = &mut *state;
        let txn = open_txn(&mut state.txns, ns, id)?;
        let found = txn.view(&mut state.data, key, now).is_some();
        txn.writes.insert(key.to_owned(), None);
        Ok(found)
    }

    /// Applies every buffered write atomically; ABORTED (and nothing applied) on a conflict.
    pub(crate) fn commit(&self, ns: &str, id: &str) -> Result<(), Status> {
        let now = Instant::now();
        let mut state = self.lock();
        let state = &mut *state;
        open_txn(&mut state.txns, ns, id)?;
        let txn = state.txns.remove(id).ok_or_else(|| finished(id))?;
        let changed = txn
            .seen
            .iter()
            .find(|(key, seen)| state.data.version(ns, key, now) != **seen);
        if let Some((key, _)) = changed {
            return Err(Status::aborted(format!(
                "transaction {id} conflicts: key {key:?} changed after the transaction first touched it"
            )));
        }
        for (key, write) in txn.writes {
            match write {
                Some(value) => state.data.put(ns, key, value),
                None => {
                    state.data.remove(ns, &key, now);
                }
            }
        }
        Ok(())
    }

    /// Discards the transaction and its writes.
    pub(crate) fn rollback(&self, ns: &str, id: &str) -> Result<(), Status> {
        let mut state = self.lock();
        open_txn(&mut state.txns, ns, id)?;
        state.txns.remove(id);
        Ok(())
    }
}

/// The open transaction `id`, if it began in `ns`; FAILED_PRECONDITION otherwise.
fn open_txn<'a>(
    txns: &'a mut HashMap<String, Txn>,
    ns: &str,
    id: &str,
) -> Result<&'a mut Txn, Status> {
    let txn = txns.get_mut(id).ok_or_else(|| finished(id))?;
    if txn.namespace != ns {
        return Err(Status::failed_precondition(format!(
            "transaction {id} began in namespace {:?}, not {ns:?}",
            txn.namespace
        )));
    }
    Ok(txn)
}

// Finished transactions are forgotten, so a finished id and one never handed out look the same.
fn finished(id: &str) -> Status {
    Status::failed_precondition(format!(
        "transaction {id:?} is unknown, committed or rolled back"
    ))
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    fn set(store: &MemStore, ns: &str, key: &str, value: &[u8]) {
        store.set(ns, key.into(), value.to_vec()).expect("set");
    }

    #[test]
    fn writes_are_invisible_until_commit() {
        let store = MemStore::new();
        set(&store, "ns", "gone", b"old");
        let id = store.begin("ns");
        store
            .txn_set("ns", &id, "k".into(), b"v".to_vec())
            .expect("txn set");
        assert!(store.txn_delete("ns", &id, "gone").expect("txn delete"));

        assert_eq!(store.txn_get("ns", &id, "k").expect("own write"), b"v");
        assert_eq!(
            store
                .txn_get("ns", &id, "gone")
                .expect_err("own delete")
                .code(),
            Code::NotFound
        );
        assert!(!store.exists("ns", "k").expect("exists"));
        assert!(store.exists("ns", "gone").expect("exists"));

        store.commit("ns", &id).expect("commit");
        assert_eq!(store.get("ns", "k").expect("get"), b"v");
        assert!(!store.exists("ns", "gone").expect("exists"));
    }

    #[test]
    fn rollback_discards() {
        let store = MemStore::new();
        let id = store.begin("ns");
        store
            .txn_set("ns", &id, "k".into(), b"v".to_vec())
            .expect("txn set");
        store.rollback("ns", &id).expect("rollback");
        assert!(!store.exists("ns", "k").expect("exists"));
    }

    #[test]
    fn conflicting_commit_is_aborted_and_applies_nothing() {
        let store = MemStore::new();
        set(&store, "ns", "read", b"v1");
        let id = store.begin("ns");
        assert_eq!(store.txn_get("ns", &id, "read").expect("txn get"), b"v1");
        store
            .txn_set("ns", &id, "write".into(), b"mine".to_vec())
            .expect("txn set");

        set(&store, "ns", "read", b"v2");

        let err = store.commit("ns", &id).expect_err("conflict");
        assert_eq!(err.code(), Code::Aborted, "{err:?}");
        assert!(
            !store.exists("ns", "write").expect("exists"),
            "an aborted commit wrote"
        );
        assert_eq!(store.get("ns", "read").expect("get"), b"v2");
        let err = store.commit("ns", &id).expect_err("finished");
        assert_eq!(err.code(), Code::FailedPrecondition);
    }

    #[test]
    fn creating_a_key_the_txn_saw_absent_conflicts() {
        let store = MemStore::new();
        let id = store.begin("ns");
        store
            .txn_set("ns", &id, "k".into(), b"mine".to_vec())
            .expect("txn set");
        set(&store, "ns", "k", b"theirs");
        assert_eq!(
            store.commit("ns", &id).expect_err("conflict").code(),
            Code::Aborted
        );
        assert_eq!(store.get("ns", "k").expect("get"), b"theirs");
    }

    #[test]
    fn untouched_keys_do_not_conflict() {
        let store = MemStore::new();
        let id = store.begin("ns");
        store
            .txn_set("ns", &id, "mine".into(), b"v".to_vec())
            .expect("txn set");
        set(&store, "ns", "other", b"v");
        set(&store, "other-ns", "mine", b"v");
        store.commit("ns", &id).expect("commit");
    }

    #[test]
    fn stale_unknown_and_foreign_handles_fail() {
        let store = MemStore::new();
        let unknown = store
            .txn_get("ns", "no-such-txn", "k")
            .expect_err("unknown");
        assert_eq!(unknown.code(), Code::FailedPrecondition);

        let id = store.begin("ns");
        let foreign = store
            .txn_set("other", &id, "k".into(), vec![])
            .expect_err("namespace");
        assert_eq!(foreign.code(), Code::FailedPrecondition);
        assert_eq!(
            store.commit("other", &id).expect_err("namespace").code(),
            Code::FailedPrecondition
        );
        // A request in the wrong namespace leaves the transaction usable.
        store.rollback("ns", &id).expect("rollback");
        assert_eq!(
            store.rollback("ns", &id).expect_err("finished").code(),
            Code::FailedPrecondition
        );
        assert_eq!(
            store
                .txn_set("ns", &id, "k".into(), vec![])
                .expect_err("finished")
                .code(),
            Code::FailedPrecondition
        );
    }
}
