//! The namespaced data and the rules of keyvalue_basic, _scan, _ttl, _batch and _cas.
//!
//! Expiry is lazy: every look-up treats an expired entry as absent (and drops it when it can), so
//! no background task is needed and no read ever sees a key past its deadline.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tonic::Status;

use crate::faults::Spaces;
use crate::txn::Txn;
use crate::Faults;

/// Version of a key that does not exist (live versions start at 1).
pub(crate) const ABSENT: u64 = 0;

/// The in-memory backend: namespaces kept fully apart, shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct MemStore {
    faults: Faults,
    state: Arc<Mutex<State>>,
}

/// Everything behind the one lock: data and open transactions, so that Commit is atomic.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) data: Data,
    pub(crate) txns: HashMap<String, Txn>,
}

/// The namespaces and their keys.
#[derive(Debug, Default)]
pub(crate) struct Data {
    namespaces: Spaces<BTreeMap<String, Entry>>,
    /// Last version handed out; every write takes a fresh one, so a version never repeats.
    last_version: u64,
    /// False only under the `ttl_never_expires` fault.
    expiry_enforced: bool,
    /// Sets seen, for the `lose_every_3rd_set` fault.
    sets_seen: u64,
}

/// A requested key and its value; None when the key is missing.
pub(crate) type Lookup = (String, Option<Vec<u8>>);

/// One stored value.
#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires_at: Option<Instant>,
    /// Changes on every write to the key; transactions compare it at Commit.
    version: u64,
}

impl MemStore {
    /// An empty store that behaves correctly.
    pub fn new() -> Self {
        Self::with_faults(Faults::default())
    }

    /// An empty store with the given deliberate faults (see [`Faults`]).
    pub fn with_faults(faults: Faults) -> Self {
        let data = Data {
            expiry_enforced: !faults.has("ttl_never_expires"),
            namespaces: Spaces::new(&faults, "keyvalue_namespace_prefix_leak"),
            ..Data::default()
        };
        let state = State {
            data,
            txns: HashMap::new(),
        };
        Self {
            faults,
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// The deliberate faults this store was built with.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // No operation leaves the state half-updated before a point that can panic, so a poisoned
        // lock still guards consistent data; refusing every later call would only hide the panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// INVALID_ARGUMENT for an empty key (unless the `accept_empty_key` fault is on).
    pub(crate) fn check_key(&self, key: &str) -> Result<(), Status> {
        if key.is_empty() && !self.faults.has("accept_empty_key") {
            return Err(Status::invalid_argument("key must not be empty"));
        }
        Ok(())
    }

    /// Stores `value` under `key`, replacing any value and clearing any expiry.
    pub(crate) fn set(&self, ns: &str, key: String, value: Vec<u8>) -> Result<(), Status> {
        self.check_key(&key)?;
        let mut state = self.lock();
        if self.faults.has("lose_every_3rd_set") {
            state.data.sets_seen += 1;
            if state.data.sets_seen.is_multiple_of(3) {
                return Ok(());
            }
        }
        state.data.put(ns, key, value);
        Ok(())
    }

    /// The value of `key`; NOT_FOUND when absent.
    pub(crate) fn get(&self, ns: &str, key: &str) -> Result<Vec<u8>, Status> {
        self.check_key(key)?;
        let now = Instant::now();
        self.lock()
            .data
            .value(ns, key, now)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| not_found(ns, key))
    }

    /// Removes `key`; true when it existed.
    pub(crate) fn delete(&self, ns: &str, key: &str) -> Result<bool, Status> {
        self.check_key(key)?;
        let now = Instant::now();
        Ok(self.lock().data.remove(ns, key, now))
    }

    /// Whether `key` exists.
    pub(crate) fn exists(&self, ns: &str, key: &str) -> Result<bool, Status> {
        self.check_key(key)?;
        let now = Instant::now();
        Ok(self.lock().data.value(ns, key, now).is_some())
    }

    /// Live entries whose key starts with `prefix`, in byte order of key; `limit` 0 = all.
    pub(crate) fn scan(&self, ns: &str, prefix: &str, limit: u32) -> Vec<(String, Vec<u8>)> {
        let now = Instant::now();
        let state = self.lock();
        state
            .data
            .prefixed(ns, prefix, now)
            .take(take_count(limit))
            .map(|(key, entry)| (key.clone(), entry.value.clone()))
            .collect()
    }

    /// Live keys that start with `prefix`, in byte order; `limit` 0 = all.
    pub(crate) fn scan_keys(&self, ns: &str, prefix: &str, limit: u32) -> Vec<String> {
        let now = Instant::now();
        let state = self.lock();
        state
            .data
            .prefixed(ns, prefix, now)
            .take(take_count(limit))
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Number of live keys that start with `prefix`.
    pub(crate) fn count(&self, ns: &str, prefix: &str) -> u64 {
        let now = Instant::now();
        let state = self.lock();
        let count = state.data.prefixed(ns, prefix, now).count();
        u64::try_from(count).unwrap_or(u64::MAX)
    }

    /// Sets `key` to expire in `ttl_ms`; false when the key does not exist.
    pub(crate) fn expire(&self, ns: &str, key: &str, ttl_ms: i64) -> Result<bool, Status> {
        self.check_key(key)?;
        if ttl_ms <= 0 {
            return Err(Status::invalid_argument(format!(
                "ttl_ms must be positive, got {ttl_ms}"
            )));
        }
        let now = Instant::now();
        let deadline = now
            .checked_add(Duration::from_millis(ttl_ms.unsigned_abs()))
            .ok_or_else(|| Status::invalid_argument(format!("ttl_ms {ttl_ms} is too large")))?;
        let mut state = self.lock();
        let version = state.data.next_version();
        let Some(entry) = state.data.entry_mut(ns, key, now) else {
            return Ok(false);
        };
        entry.expires_at = Some(deadline);
        entry.version = version;
        Ok(true)
    }

    /// Remaining time to live in ms; -1 without expiry, -2 for a missing key.
    pub(crate) fn ttl(&self, ns: &str, key: &str) -> Result<i64, Status> {
        self.check_key(key)?;
        let now = Instant::now();
        let mut state = self.lock();
        Ok(match state.data.entry_mut(ns, key, now) {
            None => -2,
            Some(Entry {
                expires_at: None, ..
            }) => -1,
            Some(Entry {
                expires_at: Some(deadline),
                ..
            }) => remaining_ms(*deadline, now),
        })
    }

    /// Removes the expiry of `key`; true only when there was one.
    pub(crate) fn persist(&self, ns: &str, key: &str) -> Result<bool, Status> {
        self.check_key(key)?;
        let now = Instant::now();
        let mut state = self.lock();
        let version = state.data.next_version();
        match state.data.entry_mut(ns, key, now) {
            Some(entry) if entry.expires_at.is_some() => {
                entry.expires_at = None;
                entry.version = version;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Writes every entry (later duplicates win); the number of entries written.
    pub(crate) fn batch_set(
        &self,
        ns: &str,
        entries: Vec<(String, Vec<u8>)>,
    ) -> Result<usize, Status> {
        // Validate first: a rejected batch must not be half applied.
        for (key, _) in &entries {
            self.check_key(key)?;
        }
        let written = entries.len();
        let mut state = self.lock();
        for (key, value) in entries {
            state.data.put(ns, key, value);
        }
        Ok(written)
    }

    /// The value of each key, in request order; None for a missing key.
    pub(crate) fn batch_get(&self, ns: &str, keys: Vec<String>) -> Result<Vec<Lookup>, Status> {
        for key in &keys {
            self.check_key(key)?;
        }
        let now = Instant::now();
        let state = self.lock();
        Ok(keys
            .into_iter()
            .map(|key| {
                let value = state.data.value(ns, &key, now).map(<[u8]>::to_vec);
                (key, value)
            })
            .collect())
    }

    /// Removes each key, in request order; whether each was found.
    pub(crate) fn batch_delete(
        &self,
        ns: &str,
        keys: Vec<String>,
    ) -> Result<Vec<(String, bool)>, Status> {
        for key in &keys {
            self.check_key(key)?;
        }
        let now = Instant::now();
        let mut state = self.lock();
        Ok(keys
            .into_iter()
            .map(|key| {
                let found = state.data.remove(ns, &key, now);
                (key, found)
            })
            .collect())
    }

    /// Writes `new_value` if the current value equals `expected` (None: only if absent).
    ///
    /// Returns whether it swapped and the value after the call. A swap is a write like Set, so
    /// it clears any expiry.
    pub(crate) fn compare_and_swap(
        &self,
        ns: &str,
        key: String,
        expected: Option<Vec<u8>>,
        new_value: Vec<u8>,
    ) -> Result<(bool, Option<Vec<u8>>), Status> {
        self.check_key(&key)?;
        let now = Instant::now();
        let mut state = self.lock();
        let current = state.data.value(ns, &key, now);
        if !self.faults.has("cas_always_swaps") && current != expected.as_deref() {
            return Ok((false, current.map(<[u8]>::to_vec)));
        }
        state.data.put(ns, key, new_value.clone());
        Ok((true, Some(new_value)))
    }

    /// Deletes `key` if its current value equals `expected`; whether it deleted.
    pub(crate) fn compare_and_delete(
        &self,
        ns: &str,
        key: &str,
        expected: &[u8],
    ) -> Result<bool, Status> {
        self.check_key(key)?;
        let now = Instant::now();
        let mut state = self.lock();
        if state.data.value(ns, key, now) != Some(expected) {
            return Ok(false);
        }
        Ok(state.data.remove(ns, key, now))
    }
}

impl Data {
    /// A version no key has had before.
    pub(crate) fn next_version(&mut self) -> u64 {
        self.last_version += 1;
        self.last_version
    }

    /// Version of `key` as of `now`: [`ABSENT`] when missing or expired.
    pub(crate) fn version(&mut self, ns: &str, key: &str, now: Instant) -> u64 {
        self.entry_mut(ns, key, now).map_or(ABSENT, |e| e.version)
    }

    /// The live value of `key`.
    pub(crate) fn value(&self, ns: &str, key: &str, now: Instant) -> Option<&[u8]> {
        let entry = self.namespaces.get(ns)?.get(key)?;
        (!self.expired(entry, now)).then_some(entry.value.as_slice())
    }

    /// Stores `value` under `key` with no expiry and a fresh version.
    pub(crate) fn put(&mut self, ns: &str, key: String, value: Vec<u8>) {
        let version = self.next_version();
        let entry = Entry {
            value,
            expires_at: None,
            version,
        };
        // Only writes create a namespace, so reads of unknown namespaces allocate nothing.
        self.namespaces
            .entry(ns.to_owned())
            .or_default()
            .insert(key, entry);
    }

    /// Removes `key`; true when it was live.
    pub(crate) fn remove(&mut self, ns: &str, key: &str, now: Instant) -> bool {
        let Some(keys) = self.namespaces.get_mut(ns) else {
            return false;
        };
        let expiry_enforced = self.expiry_enforced;
        keys.remove(key)
            .is_some_and(|entry| !is_expired(&entry, now, expiry_enforced))
    }

    /// The live entry of `key`, dropping it first if it has expired.
    fn entry_mut(&mut self, ns: &str, key: &str, now: Instant) -> Option<&mut Entry> {
        let expiry_enforced = self.expiry_enforced;
        let keys = self.namespaces.get_mut(ns)?;
        if keys
            .get(key)
            .is_some_and(|entry| is_expired(entry, now, expiry_enforced))
        {
            keys.remove(key);
        }
        keys.get_mut(key)
    }

    /// Live entries whose key starts with `prefix` (literally), in byte order of key.
    fn prefixed<'a>(
        &'a self,
        ns: &str,
        prefix: &'a str,
        now: Instant,
    ) -> impl Iterator<Item = (&'a String, &'a Entry)> + 'a {
        // String order is byte order, so the matches are one contiguous run starting at `prefix`.
        self.namespaces
            .get(ns)
            .into_iter()
            .flat_map(move |keys| keys.range::<str, _>((Bound::Included(prefix), Bound::Unbounded)))
            .take_while(move |(key, _)| key.starts_with(prefix))
            .filter(move |(_, entry)| !self.expired(entry, now))
    }

    fn expired(&self, entry: &Entry, now: Instant) -> bool {
        is_expired(entry, now, self.expiry_enforced)
    }
}

fn is_expired(entry: &Entry, now: Instant, expiry_enforced: bool) -> bool {
    expiry_enforced && entry.expires_at.is_some_and(|deadline| deadline <= now)
}

/// Milliseconds left until `deadline`, rounded up so that a live key never reports 0 (or, under
/// the `ttl_never_expires` fault, a negative value that would read as "no expiry" or "missing").
fn remaining_ms(deadline: Instant, now: Instant) -> i64 {
    let nanos = deadline.saturating_duration_since(now).as_nanos();
    i64::try_from(nanos.div_ceil(1_000_000))
        .unwrap_or(i64::MAX)
        .max(1)
}

fn take_count(limit: u32) -> usize {
    match limit {
        0 => usize::MAX,
        n => usize::try_from(n).unwrap_or(usize::MAX),
    }
}

pub(crate) fn not_found(ns: &str, key: &str) -> Status {
    Status::not_found(format!("key {key:?} not found in namespace {ns:?}"))
}

#[cfg(test)]
mod tests {
    use std::thread::sleep;

    use tonic::Code;

    use super::*;

    fn set(store: &MemStore, ns: &str, key: &str, value: &[u8]) {
        store.set(ns, key.into(), value.to_vec()).expect("set");
    }

    #[test]
    fn namespaces_are_apart() {
        let store = MemStore::new();
        set(&store, "a", "k", b"in a");
        set(&store, "b", "k", b"in b");
        set(&store, "b", "k2", b"only b");

        assert_eq!(store.get("a", "k").expect("get"), b"in a");
        assert_eq!(store.get("b", "k").expect("get"), b"in b");
        assert_eq!(
            store.get("a", "k2").expect_err("absent").code(),
            Code::NotFound
        );
        assert_eq!(store.count("a", ""), 1);
        assert_eq!(store.scan_keys("b", "", 0), ["k", "k2"]);

        assert!(store.delete("a", "k").expect("delete"));
        assert_eq!(store.get("b", "k").expect("get"), b"in b");
    }

    #[test]
    fn empty_key_is_invalid_but_empty_value_is_fine() {
        let store = MemStore::new();
        let err = store
            .set("ns", String::new(), b"v".to_vec())
            .expect_err("empty key");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            store.exists("ns", "").expect_err("empty key").code(),
            Code::InvalidArgument
        );
        let err = store
            .batch_set("ns", vec![("ok".into(), vec![]), (String::new(), vec![])])
            .expect_err("empty key in batch");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(
            !store.exists("ns", "ok").expect("exists"),
            "a rejected batch wrote a key"
        );

        set(&store, "ns", "k", b"");
        assert_eq!(store.get("ns", "k").expect("get"), b"");
    }

    #[test]
    fn scan_is_literal_ordered_and_limited() {
        let store = MemStore::new();
        for key in ["a_2", "a_1", "ab", "a%", "b", "a_10"] {
            set(&store, "ns", key, key.as_bytes());
        }
        assert_eq!(store.scan_keys("ns", "a_", 0), ["a_1", "a_10", "a_2"]);
        assert_eq!(store.scan_keys("ns", "a_", 2), ["a_1", "a_10"]);
        assert_eq!(store.scan_keys("ns", "a%", 0), ["a%"]);
        assert_eq!(store.count("ns", "a"), 5);
        assert_eq!(store.scan("ns", "b", 0), [("b".to_owned(), b"b".to_vec())]);
    }

    #[test]
    fn expired_keys_vanish_for_every_read() {
        let store = MemStore::new();
        set(&store, "ns", "short", b"v");
        set(&store, "ns", "long", b"v");
        assert!(store.expire("ns", "short", 30).expect("expire"));
        assert!(store.expire("ns", "long", 60_000).expect("expire"));

        let ttl = store.ttl("ns", "short").expect("ttl");
        assert!((1..=30).contains(&ttl), "ttl {ttl}");
        assert!(store.exists("ns", "short").expect("exists"));

        sleep(Duration::from_millis(60));
        assert_eq!(
            store.get("ns", "short").expect_err("expired").code(),
            Code::NotFound
        );
        assert!(!store.exists("ns", "short").expect("exists"));
        assert_eq!(store.ttl("ns", "short").expect("ttl"), -2);
        assert_eq!(store.scan_keys("ns", "", 0), ["long"]);
        assert_eq!(store.count("ns", ""), 1);
        assert_eq!(
            store.batch_get("ns", vec!["short".into()]).expect("batch")[0].1,
            None
        );
        assert!(!store.delete("ns", "short").expect("delete"));
        assert!(!store.persist("ns", "short").expect("persist"));
    }

    #[test]
    fn ttl_rules() {
        let store = MemStore::new();
        assert_eq!(store.ttl("ns", "k").expect("ttl"), -2);
        assert!(!store.expire("ns", "k", 1000).expect("expire missing"));
        assert_eq!(
            store.expire("ns", "k", 0).expect_err("zero ttl").code(),
            Code::InvalidArgument
        );

        set(&store, "ns", "k", b"v");
        assert_eq!(store.ttl("ns", "k").expect("ttl"), -1);
        assert!(!store.persist("ns", "k").expect("persist without expiry"));
        assert!(store.expire("ns", "k", 1000).expect("expire"));
        assert!(store.persist("ns", "k").expect("persist"));
        assert_eq!(store.ttl("ns", "k").expect("ttl"), -1);

        assert!(store.expire("ns", "k", 1000).expect("expire"));
        set(&store, "ns", "k", b"v2");
        assert_eq!(
            store.ttl("ns", "k").expect("ttl"),
            -1,
            "Set must clear the expiry"
        );
    }

    #[test]
    fn ttl_never_expires_fault_keeps_keys() {
        let store = MemStore::with_faults(Faults::parse("ttl_never_expires").expect("known fault"));
        set(&store, "ns", "k", b"v");
        assert!(store.expire("ns", "k", 1).expect("expire"));
        sleep(Duration::from_millis(10));
        assert!(store.exists("ns", "k").expect("exists"));
        assert!(store.ttl("ns", "k").expect("ttl") > 0);
    }

    #[test]
    fn compare_and_swap_rules() {
        let store = MemStore::new();
        assert_eq!(
            store
                .compare_and_swap("ns", "k".into(), None, b"one".to_vec())
                .expect("cas"),
            (true, Some(b"one".to_vec()))
        );
        assert_eq!(
            store
                .compare_and_swap("ns", "k".into(), None, b"two".to_vec())
                .expect("cas"),
            (false, Some(b"one".to_vec()))
        );
        assert_eq!(
            store
                .compare_and_swap("ns", "k".into(), Some(b"x".to_vec()), b"two".to_vec())
                .expect("cas"),
            (false, Some(b"one".to_vec()))
        );
        assert_eq!(
            store
                .compare_and_swap("ns", "k".into(), Some(b"one".to_vec()), b"two".to_vec())
                .expect("cas"),
            (true, Some(b"two".to_vec()))
        );
        assert!(!store.compare_and_delete("ns", "k", b"one").expect("cad"));
        assert!(store.compare_and_delete("ns", "k", b"two").expect("cad"));
        assert!(!store.exists("ns", "k").expect("exists"));
    }
}
