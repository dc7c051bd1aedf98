//! The keyvalue interfaces' probes for [`crate::isolation::check`]: the same keys in every namespace
//! of the family, among them keys that a `namespace:key` join confuses (`:k` in `ns` and `k` in
//! `ns:` are both `ns::k`), each with a value naming its namespace.

use futures_util::future::try_join_all;
use prism_suite::prelude::*;
use prism_suite::proto::keyvalue::*;

use crate::isolation::{tagged, Probe, SUFFIXES};

/// Keys written in every namespace of the family.
const KEYS: &[&str] = &["k", ":k", "b:k", "%k", "_k", "}k"];

/// `only-<tag>`: a key written only in the namespace of that tag.
fn own_key(tag: usize) -> String {
    format!("only-{tag}")
}

/// Every key a namespace of the family may hold, in byte order.
fn all_keys() -> Vec<String> {
    let mut keys: Vec<String> = KEYS.iter().map(|k| (*k).to_owned()).collect();
    keys.extend((0..=SUFFIXES.len()).map(own_key));
    keys.sort();
    keys
}

/// The keys and values a namespace holding `tag` has, in byte order of key.
fn entries(tag: usize) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = KEYS
        .iter()
        .map(|k| ((*k).to_owned(), tagged(k, tag)))
        .chain(std::iter::once((own_key(tag), tagged("own", tag))))
        .collect();
    entries.sort();
    entries
}

/// Each possible key with its value in `ns` (`None`: NOT_FOUND), read with keyvalue_basic Get,
/// every key at once.
async fn values(cx: &Case, ns: &str) -> Result<Vec<(String, Option<String>)>, CaseError> {
    try_join_all(all_keys().into_iter().map(|key| async move {
        let req = cx.req_in(
            ns,
            GetRequest {
                key: key.clone(),
                ..Default::default()
            },
        );
        let value = match cx.keyvalue_basic().get(req).await {
            Ok(r) => Some(String::from_utf8_lossy(&r.into_inner().value).into_owned()),
            Err(s) if s.code() == Code::NotFound => None,
            Err(s) => return Err(CaseError::from(s)),
        };
        Ok((key, value))
    }))
    .await
}

/// What [`values`] answers for a namespace holding `tag` (or nothing).
fn expected_values(tag: Option<usize>) -> Vec<(String, Option<String>)> {
    let held = tag.map(entries).unwrap_or_default();
    all_keys()
        .into_iter()
        .map(|key| {
            let value = held.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone());
            (key, value)
        })
        .collect()
}

/// keyvalue_basic Set of every entry of `tag` in `ns`, all at once (the keys differ).
async fn set_all(cx: &Case, ns: &str, tag: usize) -> CaseResult {
    try_join_all(entries(tag).into_iter().map(|(key, value)| async move {
        let req = cx.req_in(
            ns,
            SetRequest {
                key,
                value: value.into_bytes(),
                ..Default::default()
            },
        );
        cx.keyvalue_basic().set(req).await.map(drop)
    }))
    .await?;
    Ok(())
}

/// keyvalue_basic Delete of every entry of `tag` in `ns`, all at once; each must have been found.
async fn delete_all(cx: &Case, ns: &str, tag: usize) -> CaseResult {
    try_join_all(entries(tag).into_iter().map(|(key, _)| async move {
        let req = cx.req_in(
            ns,
            DeleteRequest {
                key: key.clone(),
                ..Default::default()
            },
        );
        let found = cx.keyvalue_basic().delete(req).await?.into_inner().found;
        check!(
            found,
            "Delete of {key:?}, just written in this namespace, found nothing"
        );
        Ok(())
    }))
    .await?;
    Ok(())
}

/// keyvalue_basic: Set, Get, Exists and Delete.
pub(crate) struct Basic;

impl Probe for Basic {
    type View = (Vec<(String, Option<String>)>, Vec<bool>);

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        set_all(cx, ns, tag).await
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let exists = try_join_all(all_keys().into_iter().map(|key| async move {
            let req = cx.req_in(
                ns,
                ExistsRequest {
                    key,
                    ..Default::default()
                },
            );
            Ok::<_, CaseError>(cx.keyvalue_basic().exists(req).await?.into_inner().exists)
        }));
        let (values, exists) = tokio::try_join!(values(cx, ns), exists)?;
        Ok((values, exists))
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        let values = expected_values(tag);
        let exists = values.iter().map(|(_, v)| v.is_some()).collect();
        (values, exists)
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        delete_all(cx, ns, tag).await
    }
}

/// keyvalue_scan: Scan, ScanKeys and Count with an empty prefix and with `:` and `%`.
pub(crate) struct Scan;

/// Prefixes scanned: everything, and prefixes that separators and wildcards give a meaning to.
const PREFIXES: &[&str] = &["", ":", "%", "_"];

impl Probe for Scan {
    type View = Vec<(String, Vec<(String, String)>, Vec<String>, u64)>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        set_all(cx, ns, tag).await
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut kv = cx.keyvalue_scan();
        let mut out = Vec::new();
        for prefix in PREFIXES {
            let scan = cx.req_in(
                ns,
                ScanRequest {
                    prefix: (*prefix).into(),
                    ..Default::default()
                },
            );
            let items = collect(kv.scan(scan).await?.into_inner()).await?;
            let items = items
                .into_iter()
                .map(|i| (i.key, String::from_utf8_lossy(&i.value).into_owned()))
                .collect();
            let keys = cx.req_in(
                ns,
                ScanKeysRequest {
                    prefix: (*prefix).into(),
                    ..Default::default()
                },
            );
            let keys = collect(kv.scan_keys(keys).await?.into_inner()).await?;
            let keys = keys.into_iter().map(|i| i.key).collect();
            let count = cx.req_in(
                ns,
                CountRequest {
                    prefix: (*prefix).into(),
                    ..Default::default()
                },
            );
            let count = kv.count(count).await?.into_inner().count;
            out.push(((*prefix).to_owned(), items, keys, count));
        }
        Ok(out)
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        let held = tag.map(entries).unwrap_or_default();
        PREFIXES
            .iter()
            .map(|prefix| {
                let items: Vec<(String, String)> = held
                    .iter()
                    .filter(|(k, _)| k.starts_with(prefix))
                    .cloned()
                    .collect();
                let keys: Vec<String> = items.iter().map(|(k, _)| k.clone()).collect();
                let count = keys.len() as u64;
                ((*prefix).to_owned(), items, keys, count)
            })
            .collect()
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        delete_all(cx, ns, tag).await
    }
}

/// keyvalue_ttl: Expire, GetTTL and Persist. Each namespace gives `k` a time to live of its own
/// (600 s + 10 s per tag), read back in 10 s steps so that a slow run still reads the same step.
pub(crate) struct Ttl;

/// The time to live `k` gets in the namespace of `tag`.
fn ttl_of(tag: usize) -> i64 {
    600_000 + 10_000 * tag as i64
}

/// GetTTL's answer in 10 s steps, rounded up; -1 and -2 as they are.
fn ttl_step(ttl_ms: i64) -> i64 {
    if ttl_ms < 0 {
        ttl_ms
    } else {
        (ttl_ms + 9_999) / 10_000
    }
}

impl Probe for Ttl {
    type View = Vec<(String, i64)>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        set_all(cx, ns, tag).await?;
        let mut ttl = cx.keyvalue_ttl();
        let found = ttl
            .expire(cx.req_in(
                ns,
                ExpireRequest {
                    key: "k".into(),
                    ttl_ms: ttl_of(tag),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .found;
        check!(
            found,
            "Expire of `k`, just set in this namespace, found nothing"
        );
        Ok(())
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        try_join_all(all_keys().into_iter().map(|key| async move {
            let req = cx.req_in(
                ns,
                GetTtlRequest {
                    key: key.clone(),
                    ..Default::default()
                },
            );
            let ttl_ms = cx.keyvalue_ttl().get_ttl(req).await?.into_inner().ttl_ms;
            Ok::<_, CaseError>((key, ttl_step(ttl_ms)))
        }))
        .await
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        let held = tag.map(entries).unwrap_or_default();
        all_keys()
            .into_iter()
            .map(|key| {
                let step = match tag {
                    Some(t) if key == "k" => ttl_step(ttl_of(t)),
                    _ if held.iter().any(|(k, _)| *k == key) => -1,
                    _ => -2,
                };
                (key, step)
            })
            .collect()
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        let mut ttl = cx.keyvalue_ttl();
        let persisted = ttl
            .persist(cx.req_in(
                ns,
                PersistRequest {
                    key: "k".into(),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .persisted;
        check!(
            persisted,
            "Persist of `k`, given an expiry in this namespace, removed none"
        );
        delete_all(cx, ns, tag).await
    }
}

/// keyvalue_transactional: each namespace's entries written by one committed transaction (which
/// first reads `k`), erased by another.
pub(crate) struct Transactional;

impl Transactional {
    async fn commit(cx: &Case, ns: &str, tag: usize, delete: bool) -> CaseResult {
        let mut tx = cx.keyvalue_transactional();
        let txn_id = tx
            .begin(cx.req_in(ns, BeginRequest::default()))
            .await?
            .into_inner()
            .txn_id;
        let read = tx
            .txn_get(cx.req_in(
                ns,
                TxnGetRequest {
                    txn_id: txn_id.clone(),
                    key: "k".into(),
                    ..Default::default()
                },
            ))
            .await;
        let own = if delete {
            Some(tagged("k", tag).into_bytes())
        } else {
            None
        };
        match read {
            Ok(r) => check_eq!(
                Some(r.into_inner().value),
                own,
                "TxnGet of `k` saw another namespace's value"
            ),
            Err(s) if s.code() == Code::NotFound => check!(
                own.is_none(),
                "TxnGet of `k` answered NOT_FOUND for a key of this namespace"
            ),
            Err(s) => return Err(s.into()),
        }
        for (key, value) in entries(tag) {
            if delete {
                tx.txn_delete(cx.req_in(
                    ns,
                    TxnDeleteRequest {
                        txn_id: txn_id.clone(),
                        key,
                        ..Default::default()
                    },
                ))
                .await?;
            } else {
                tx.txn_set(cx.req_in(
                    ns,
                    TxnSetRequest {
                        txn_id: txn_id.clone(),
                        key,
                        value: value.into_bytes(),
                        ..Default::default()
                    },
                ))
                .await?;
            }
        }
        tx.commit(cx.req_in(
            ns,
            CommitRequest {
                txn_id,
                ..Default::default()
            },
        ))
        .await?;
        Ok(())
    }
}

impl Probe for Transactional {
    type View = Vec<(String, Option<String>)>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        Self::commit(cx, ns, tag, false).await
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        values(cx, ns).await
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        expected_values(tag)
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        Self::commit(cx, ns, tag, true).await
    }
}

/// keyvalue_batch: BatchSet, BatchGet and BatchDelete of every key at once.
pub(crate) struct Batch;

impl Probe for Batch {
    type View = Vec<(String, bool, String)>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        let entries = entries(tag)
            .into_iter()
            .map(|(key, value)| KeyValuePair {
                key,
                value: value.into_bytes(),
            })
            .collect();
        let req = cx.req_in(
            ns,
            BatchSetRequest {
                entries,
                ..Default::default()
            },
        );
        cx.keyvalue_batch().batch_set(req).await?;
        Ok(())
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let req = cx.req_in(
            ns,
            BatchGetRequest {
                keys: all_keys(),
                ..Default::default()
            },
        );
        let results = cx
            .keyvalue_batch()
            .batch_get(req)
            .await?
            .into_inner()
            .results;
        Ok(results
            .into_iter()
            .map(|r| {
                (
                    r.key,
                    r.found,
                    String::from_utf8_lossy(&r.value).into_owned(),
                )
            })
            .collect())
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        expected_values(tag)
            .into_iter()
            .map(|(key, value)| (key, value.is_some(), value.unwrap_or_default()))
            .collect()
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        let keys: Vec<String> = entries(tag).into_iter().map(|(k, _)| k).collect();
        let req = cx.req_in(
            ns,
            BatchDeleteRequest {
                keys: keys.clone(),
                ..Default::default()
            },
        );
        let results = cx
            .keyvalue_batch()
            .batch_delete(req)
            .await?
            .into_inner()
            .results;
        let found: Vec<(String, bool)> = results.into_iter().map(|r| (r.key, r.found)).collect();
        let all_found: Vec<(String, bool)> = keys.into_iter().map(|k| (k, true)).collect();
        check_eq!(
            found,
            all_found,
            "BatchDelete of keys just written in this namespace"
        );
        Ok(())
    }
}

/// keyvalue_cas: create-only-if-absent swaps, read back with Get, erased by CompareAndDelete.
pub(crate) struct Cas;

impl Probe for Cas {
    type View = Vec<(String, Option<String>)>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        let mut cas = cx.keyvalue_cas();
        for (key, value) in entries(tag) {
            let got = cas
                .compare_and_swap(cx.req_in(
                    ns,
                    CompareAndSwapRequest {
                        key: key.clone(),
                        expected: None,
                        new_value: value.into_bytes(),
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            check!(
                got.swapped,
                "CompareAndSwap of {key:?} only-if-absent, absent in this namespace, did not swap (current: {:?})",
                got.current.map(|c| String::from_utf8_lossy(&c).into_owned())
            );
        }
        Ok(())
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        values(cx, ns).await
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        expected_values(tag)
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        let mut cas = cx.keyvalue_cas();
        for (key, value) in entries(tag) {
            let deleted = cas
                .compare_and_delete(cx.req_in(
                    ns,
                    CompareAndDeleteRequest {
                        key: key.clone(),
                        expected: value.into_bytes(),
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner()
                .deleted;
            check!(
                deleted,
                "CompareAndDelete of {key:?} with the value just written in this namespace deleted nothing"
            );
        }
        Ok(())
    }
}
