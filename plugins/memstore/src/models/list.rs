//! The list interfaces (basic, indexing, range, blocking) with Redis list semantics.
//!
//! All lists live behind one lock. Blocking pops wait on one [`Notify`] that every push wakes: a
//! woken popper retries under the lock, so each pushed value goes to exactly one popper, and a
//! popper arms its wake-up before it looks at the list, so no push between look and wait is missed.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use prism_plugin::{check, Reply};
use prism_proto::list::list_basic_interface_server::ListBasicInterface;
use prism_proto::list::list_blocking_interface_server::ListBlockingInterface;
use prism_proto::list::list_indexing_interface_server::ListIndexingInterface;
use prism_proto::list::list_range_interface_server::ListRangeInterface;
use prism_proto::list::*;
use tokio::sync::Notify;
use tokio::time::Instant;
use tonic::Status;

use crate::faults::Spaces;
use crate::Faults;

/// Deliberately broken list behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[
    (
        "list_pop_left_takes_right",
        "PopLeft removes and returns the tail instead of the head",
    ),
    (
        "list_index_out_of_range_ok",
        "Get of an index outside the list answers an empty value instead of OUT_OF_RANGE",
    ),
    (
        "list_range_end_exclusive",
        "GetRange treats `stop` as exclusive: one value short at the end",
    ),
    (
        "list_blocking_pop_returns_at_once",
        "BlockingPopLeft/Right never wait: an empty list answers found = false at once",
    ),
    (
        "list_namespace_prefix_leak",
        "namespaces differing only in trailing `:`, `%`, `_`, `*` or `}` share their list data",
    ),
];

/// The service behind every list interface.
pub(crate) fn service(faults: &Faults) -> ListService {
    ListService::new(faults.clone())
}

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Left,
    Right,
}

/// Every list of every namespace; an empty list is never stored.
#[derive(Debug, Default)]
struct Lists {
    namespaces: Spaces<HashMap<String, VecDeque<Vec<u8>>>>,
}

impl Lists {
    fn get(&self, ns: &str, key: &str) -> Option<&VecDeque<Vec<u8>>> {
        self.namespaces.get(ns)?.get(key)
    }

    fn get_mut(&mut self, ns: &str, key: &str) -> Option<&mut VecDeque<Vec<u8>>> {
        self.namespaces.get_mut(ns)?.get_mut(key)
    }

    fn len(&self, ns: &str, key: &str) -> usize {
        self.get(ns, key).map_or(0, VecDeque::len)
    }

    /// Pushes `values` one at a time at `end`; the new length.
    fn push(&mut self, ns: &str, key: &str, end: End, values: Vec<Vec<u8>>) -> usize {
        let list = self
            .namespaces
            .entry(ns.to_owned())
            .or_default()
            .entry(key.to_owned())
            .or_default();
        for value in values {
            match end {
                End::Left => list.push_front(value),
                End::Right => list.push_back(value),
            }
        }
        list.len()
    }

    fn pop(&mut self, ns: &str, key: &str, end: End) -> Option<Vec<u8>> {
        let list = self.get_mut(ns, key)?;
        let value = match end {
            End::Left => list.pop_front(),
            End::Right => list.pop_back(),
        };
        self.drop_if_empty(ns, key);
        value
    }

    /// Forgets the list if it has no values left, so that it no longer exists.
    fn drop_if_empty(&mut self, ns: &str, key: &str) {
        if let Some(keys) = self.namespaces.get_mut(ns) {
            if keys.get(key).is_some_and(VecDeque::is_empty) {
                keys.remove(key);
            }
            if keys.is_empty() {
                self.namespaces.remove(ns);
            }
        }
    }
}

/// Serves every list interface from one shared state.
#[derive(Debug, Clone)]
pub(crate) struct ListService {
    faults: Faults,
    lists: Arc<Mutex<Lists>>,
    /// Woken after every push, for blocked poppers.
    pushed: Arc<Notify>,
}

impl ListService {
    fn new(faults: Faults) -> Self {
        Self {
            lists: Arc::new(Mutex::new(Lists {
                namespaces: Spaces::new(&faults, "list_namespace_prefix_leak"),
            })),
            faults,
            pushed: Arc::new(Notify::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Lists> {
        // No operation panics half way through an update, so a poisoned lock guards consistent data.
        self.lists.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, req: PushRequest, end: End) -> Reply<PushResponse> {
        check::key(&req.key)?;
        if req.values.is_empty() {
            return Err(Status::invalid_argument("a push needs at least one value"));
        }
        let length = self.lock().push(&req.namespace, &req.key, end, req.values);
        self.pushed.notify_waiters();
        Ok(PushResponse {
            length: to_u64(length),
        })
    }

    fn pop(&self, req: PopRequest, end: End) -> Reply<PopResponse> {
        check::key(&req.key)?;
        let value = self.lock().pop(&req.namespace, &req.key, end);
        Ok(popped(value))
    }

    async fn blocking_pop(&self, req: BlockingPopRequest, end: End) -> Reply<BlockingPopResponse> {
        check::key(&req.key)?;
        check::positive("timeout_ms", req.timeout_ms)?;
        let deadline = Instant::now()
            .checked_add(Duration::from_millis(req.timeout_ms.unsigned_abs()))
            .ok_or_else(|| {
                Status::invalid_argument(format!("timeout_ms {} is too large", req.timeout_ms))
            })?;
        loop {
            // Armed before looking, so that a push right after the look still wakes this popper.
            let woken = self.pushed.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if let Some(value) = self.lock().pop(&req.namespace, &req.key, end) {
                return Ok(BlockingPopResponse { found: true, value });
            }
            if self.faults.has("list_blocking_pop_returns_at_once")
                || tokio::time::timeout_at(deadline, woken).await.is_err()
            {
                return Ok(BlockingPopResponse {
                    found: false,
                    value: Vec::new(),
                });
            }
        }
    }
}

#[prism_plugin::service]
impl ListBasicInterface for ListService {
    async fn push_left(&self, req: PushRequest) -> Reply<PushResponse> {
        self.push(req, End::Left)
    }

    async fn push_right(&self, req: PushRequest) -> Reply<PushResponse> {
        self.push(req, End::Right)
    }

    async fn pop_left(&self, req: PopRequest) -> Reply<PopResponse> {
        let end = if self.faults.has("list_pop_left_takes_right") {
            End::Right
        } else {
            End::Left
        };
        self.pop(req, end)
    }

    async fn pop_right(&self, req: PopRequest) -> Reply<PopResponse> {
        self.pop(req, End::Right)
    }

    async fn length(&self, req: LengthRequest) -> Reply<LengthResponse> {
        check::key(&req.key)?;
        let length = self.lock().len(&req.namespace, &req.key);
        Ok(LengthResponse {
            length: to_u64(length),
        })
    }
}

#[prism_plugin::service]
impl ListIndexingInterface for ListService {
    async fn get(&self, req: ListGetRequest) -> Reply<ListGetResponse> {
        check::key(&req.key)?;
        let lists = self.lock();
        let list = lists.get(&req.namespace, &req.key);
        let len = list.map_or(0, VecDeque::len);
        let value = match (list, position(req.index, len)) {
            (Some(list), Some(i)) => list[i].clone(),
            _ if self.faults.has("list_index_out_of_range_ok") => Vec::new(),
            _ => return Err(out_of_range(req.index, len)),
        };
        Ok(ListGetResponse { value })
    }

    async fn set(&self, req: ListSetRequest) -> Reply<ListSetResponse> {
        check::key(&req.key)?;
        let mut lists = self.lock();
        let len = lists.len(&req.namespace, &req.key);
        let slot = position(req.index, len)
            .and_then(|i| lists.get_mut(&req.namespace, &req.key)?.get_mut(i))
            .ok_or_else(|| out_of_range(req.index, len))?;
        *slot = req.value;
        Ok(ListSetResponse {})
    }

    async fn insert(&self, req: ListInsertRequest) -> Reply<ListInsertResponse> {
        check::key(&req.key)?;
        let mut lists = self.lock();
        let Some(list) = lists.get_mut(&req.namespace, &req.key) else {
            return Ok(ListInsertResponse {
                found: false,
                length: 0,
            });
        };
        let Some(at) = list.iter().position(|v| *v == req.pivot) else {
            return Ok(ListInsertResponse {
                found: false,
                length: to_u64(list.len()),
            });
        };
        list.insert(if req.after { at + 1 } else { at }, req.value);
        // No popper can be waiting on this list: it was not empty.
        Ok(ListInsertResponse {
            found: true,
            length: to_u64(list.len()),
        })
    }

    async fn remove(&self, req: ListRemoveRequest) -> Reply<ListRemoveResponse> {
        check::key(&req.key)?;
        let mut lists = self.lock();
        let Some(list) = lists.get_mut(&req.namespace, &req.key) else {
            return Ok(ListRemoveResponse { removed: 0 });
        };
        let limit = match req.count {
            0 => usize::MAX,
            n => usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX),
        };
        // Positions of the occurrences to remove, from the head or from the tail.
        let matches = list
            .iter()
            .enumerate()
            .filter(|(_, v)| **v == req.value)
            .map(|(i, _)| i);
        let mut doomed: Vec<usize> = if req.count < 0 {
            matches.rev().take(limit).collect()
        } else {
            matches.take(limit).collect()
        };
        // Remove from the back so that earlier positions stay valid.
        doomed.sort_unstable_by(|a, b| b.cmp(a));
        for i in &doomed {
            list.remove(*i);
        }
        lists.drop_if_empty(&req.namespace, &req.key);
        Ok(ListRemoveResponse {
            removed: to_u64(doomed.len()),
        })
    }
}

#[prism_plugin::service]
impl ListRangeInterface for ListService {
    async fn get_range(&self, req: GetRangeRequest) -> Reply<GetRangeResponse> {
        check::key(&req.key)?;
        let lists = self.lock();
        let values = match lists.get(&req.namespace, &req.key) {
            Some(list) => match span(req.start, req.stop, list.len()) {
                Some((first, last)) => {
                    let last = if self.faults.has("list_range_end_exclusive") {
                        last
                    } else {
                        last + 1
                    };
                    list.range(first..last.max(first)).cloned().collect()
                }
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        Ok(GetRangeResponse { values })
    }

    async fn trim(&self, req: TrimRequest) -> Reply<TrimResponse> {
        check::key(&req.key)?;
        let mut lists = self.lock();
        let Some(list) = lists.get_mut(&req.namespace, &req.key) else {
            return Ok(TrimResponse { length: 0 });
        };
        match span(req.start, req.stop, list.len()) {
            Some((first, last)) => {
                list.truncate(last + 1);
                list.drain(..first);
            }
            None => list.clear(),
        }
        let length = to_u64(list.len());
        lists.drop_if_empty(&req.namespace, &req.key);
        Ok(TrimResponse { length })
    }
}

#[prism_plugin::service]
impl ListBlockingInterface for ListService {
    async fn blocking_pop_left(&self, req: BlockingPopRequest) -> Reply<BlockingPopResponse> {
        self.blocking_pop(req, End::Left).await
    }

    async fn blocking_pop_right(&self, req: BlockingPopRequest) -> Reply<BlockingPopResponse> {
        self.blocking_pop(req, End::Right).await
    }
}

fn popped(value: Option<Vec<u8>>) -> PopResponse {
    PopResponse {
        found: value.is_some(),
        value: value.unwrap_or_default(),
    }
}

fn out_of_range(index: i64, len: usize) -> Status {
    Status::out_of_range(format!("index {index} is outside a list of {len} values"))
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The position `index` names in a list of `len` values (negative counts from the end).
fn position(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let i = if index < 0 { index + len } else { index };
    if (0..len).contains(&i) {
        usize::try_from(i).ok()
    } else {
        None
    }
}

/// The inclusive positions `start..=stop` name in a list of `len` values, clamped to the list as
/// Redis LRANGE does; None when the range is empty.
fn span(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).ok()?;
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { stop + len } else { stop }.min(len - 1);
    if start > stop || start >= len {
        return None;
    }
    Some((usize::try_from(start).ok()?, usize::try_from(stop).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|v| v.as_bytes().to_vec()).collect()
    }

    #[test]
    fn positions_count_from_either_end() {
        assert_eq!(position(0, 3), Some(0));
        assert_eq!(position(2, 3), Some(2));
        assert_eq!(position(-1, 3), Some(2));
        assert_eq!(position(-3, 3), Some(0));
        assert_eq!(position(3, 3), None);
        assert_eq!(position(-4, 3), None);
        assert_eq!(position(0, 0), None);
        assert_eq!(position(i64::MIN, 3), None);
    }

    #[test]
    fn spans_are_inclusive_and_clamped() {
        assert_eq!(span(0, -1, 5), Some((0, 4)));
        assert_eq!(span(1, 2, 5), Some((1, 2)));
        assert_eq!(span(-2, -1, 5), Some((3, 4)));
        assert_eq!(span(-100, 100, 5), Some((0, 4)));
        assert_eq!(span(3, 1, 5), None);
        assert_eq!(span(5, 10, 5), None);
        assert_eq!(span(0, -6, 5), None);
        assert_eq!(span(0, -1, 0), None);
        assert_eq!(span(i64::MIN, i64::MAX, 2), Some((0, 1)));
    }

    #[test]
    fn pushes_and_pops_at_both_ends_and_empty_lists_vanish() {
        let mut lists = Lists::default();
        assert_eq!(lists.push("ns", "k", End::Left, values(&["a", "b"])), 2);
        assert_eq!(lists.push("ns", "k", End::Right, values(&["c"])), 3);
        assert_eq!(lists.len("other", "k"), 0);
        assert_eq!(lists.pop("ns", "k", End::Left), Some(b"b".to_vec()));
        assert_eq!(lists.pop("ns", "k", End::Right), Some(b"c".to_vec()));
        assert_eq!(lists.pop("ns", "k", End::Right), Some(b"a".to_vec()));
        assert_eq!(lists.pop("ns", "k", End::Left), None);
        assert!(lists.namespaces.is_empty(), "an empty list stayed stored");
    }

    #[tokio::test]
    async fn blocking_pop_is_woken_by_a_push() {
        let svc = ListService::new(Faults::default());
        let popper = {
            let svc = svc.clone();
            tokio::spawn(async move {
                let req = BlockingPopRequest {
                    namespace: "ns".into(),
                    key: "k".into(),
                    timeout_ms: 5_000,
                };
                svc.blocking_pop(req, End::Left).await
            })
        };
        tokio::task::yield_now().await;
        let push = PushRequest {
            namespace: "ns".into(),
            key: "k".into(),
            values: values(&["v"]),
        };
        svc.push(push, End::Right).expect("push");
        let got = popper.await.expect("popper").expect("pop");
        assert!(got.found);
        assert_eq!(got.value, b"v");
    }

    #[tokio::test]
    async fn blocking_pop_times_out_empty() {
        let svc = ListService::new(Faults::default());
        let req = BlockingPopRequest {
            namespace: "ns".into(),
            key: "k".into(),
            timeout_ms: 20,
        };
        let got = svc.blocking_pop(req, End::Right).await.expect("pop");
        assert!(!got.found);
    }
}
