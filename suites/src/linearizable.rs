//! Concurrent histories checked for linearizability (`concurrent_history_is_linearizable` cases).
//!
//! Four clients run a seeded random mix of operations at once on a few shared names of the case's
//! namespace, each recording when it invoked every call, when the answer arrived and what it was;
//! a last client then reads everything back. [`prism_linearizability`] decides whether some
//! sequential order, consistent with real time, explains every answer under the interface's
//! sequential rules. A plugin that loses an acknowledged write, answers from a stale copy,
//! reorders a queue or lets two swaps win fails, with the order the checker got furthest with.
//!
//! The mix is small (about 100 calls), so a case takes a few hundred milliseconds at most; the seed
//! (printed on failure) is derived from the case's fresh namespace, so each run tries another mix.

use std::collections::hash_map::DefaultHasher;
use std::collections::VecDeque;
use std::future::Future;
use std::hash::{Hash, Hasher};

use prism_linearizability::{check, check_partitioned, Answer, CheckError, History, Model};
use prism_suite::prelude::*;
use tokio::time::Instant;

/// Concurrent clients.
const CLIENTS: usize = 4;

/// A small, seedable generator (SplitMix64): the suites need reproducible mixes, not quality.
pub(crate) struct Mix(u64);

impl Mix {
    /// A generator for `client`, from `seed`.
    fn new(seed: u64, client: usize) -> Self {
        Mix(seed ^ (client as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// A number below `n`.
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// The seed of a case's mix: a hash of its (fresh) namespace.
fn seed_of(cx: &Case) -> u64 {
    let mut h = DefaultHasher::new();
    cx.namespace().hash(&mut h);
    h.finish()
}

/// Nanoseconds since `start`.
fn since(start: Instant) -> u64 {
    start.elapsed().as_nanos() as u64
}

/// Runs `client(i)` for every client at once, then `last` (the read-back), merging their histories.
async fn run_clients<O, R, F, Fut, L, LFut>(client: F, last: L) -> Result<History<O, R>, CaseError>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<History<O, R>, CaseError>>,
    L: FnOnce() -> LFut,
    LFut: Future<Output = Result<History<O, R>, CaseError>>,
{
    let (a, b, c, d) = tokio::join!(client(0), client(1), client(2), client(3));
    let mut history = History::new();
    for h in [a, b, c, d] {
        history.extend(h?);
    }
    history.extend(last().await?);
    Ok(history)
}

/// Fails the case with the checker's report and the seed, unless the history is linearizable.
fn verdict<T>(seed: u64, what: &str, result: Result<(), CheckError>) -> Result<T, CaseError>
where
    T: Default,
{
    match result {
        Ok(()) => Ok(T::default()),
        Err(e) => Err(CaseError::check(format!(
            "{what}: the concurrent history (seed {seed:#x}) is not linearizable\n{e}"
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// keyvalue_basic: registers, one per key.

/// A keyvalue_basic operation on one key.
#[derive(Debug, Clone)]
pub(crate) enum KvOp {
    Set(String, String),
    Get(String),
    Delete(String),
    Exists(String),
}

impl KvOp {
    fn key(&self) -> &str {
        match self {
            KvOp::Set(k, _) | KvOp::Get(k) | KvOp::Delete(k) | KvOp::Exists(k) => k,
        }
    }
}

/// What a keyvalue_basic call answered: Set nothing, Get the value (`None`: NOT_FOUND), Delete
/// found, Exists exists.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KvRet {
    Done,
    Value(Option<String>),
    Flag(bool),
}

/// One key of keyvalue_basic: absent or holding a value.
struct Register;

impl Model for Register {
    type Op = KvOp;
    type Ret = KvRet;
    type State = Option<String>;

    fn init(&self) -> Option<String> {
        None
    }

    fn step(
        &self,
        state: &Option<String>,
        op: &KvOp,
        ret: Option<&KvRet>,
    ) -> Option<Option<String>> {
        let (next, answer) = match op {
            KvOp::Set(_, v) => (Some(v.clone()), KvRet::Done),
            KvOp::Get(_) => (state.clone(), KvRet::Value(state.clone())),
            KvOp::Delete(_) => (None, KvRet::Flag(state.is_some())),
            KvOp::Exists(_) => (state.clone(), KvRet::Flag(state.is_some())),
        };
        (ret.is_none() || ret == Some(&answer)).then_some(next)
    }
}

const KV_KEYS: &[&str] = &["x", "y"];

/// Runs one keyvalue_basic call in `ns`, recording it.
async fn kv_call(
    cx: &Case,
    ns: &str,
    client: usize,
    start: Instant,
    op: KvOp,
    history: &mut History<KvOp, KvRet>,
) -> CaseResult {
    use prism_suite::proto::keyvalue::*;
    let mut kv = cx.keyvalue_basic();
    let invoke = since(start);
    let ret = match &op {
        KvOp::Set(key, value) => {
            let req = cx.req_in(
                ns,
                SetRequest {
                    key: key.clone(),
                    value: value.clone().into_bytes(),
                    ..Default::default()
                },
            );
            kv.set(req).await?;
            KvRet::Done
        }
        KvOp::Get(key) => {
            let req = cx.req_in(
                ns,
                GetRequest {
                    key: key.clone(),
                    ..Default::default()
                },
            );
            match kv.get(req).await {
                Ok(r) => KvRet::Value(Some(
                    String::from_utf8_lossy(&r.into_inner().value).into_owned(),
                )),
                Err(s) if s.code() == Code::NotFound => KvRet::Value(None),
                Err(s) => return Err(s.into()),
            }
        }
        KvOp::Delete(key) => {
            let req = cx.req_in(
                ns,
                DeleteRequest {
                    key: key.clone(),
                    ..Default::default()
                },
            );
            KvRet::Flag(kv.delete(req).await?.into_inner().found)
        }
        KvOp::Exists(key) => {
            let req = cx.req_in(
                ns,
                ExistsRequest {
                    key: key.clone(),
                    ..Default::default()
                },
            );
            KvRet::Flag(kv.exists(req).await?.into_inner().exists)
        }
    };
    history.push(client, invoke, since(start), op, Answer::Returned(ret));
    Ok(())
}

/// keyvalue_basic: 4 clients x 25 random Set/Get/Delete/Exists on two keys, then a read-back.
pub(crate) async fn keyvalue_basic(cx: &Case) -> CaseResult {
    let seed = seed_of(cx);
    let start = Instant::now();
    let ns = cx.namespace().to_owned();
    let history = run_clients(
        |client| {
            let ns = ns.clone();
            async move {
                let mut mix = Mix::new(seed, client);
                let mut h = History::new();
                for i in 0..25 {
                    let key = KV_KEYS[mix.below(KV_KEYS.len())].to_owned();
                    let op = match mix.below(10) {
                        0..=3 => KvOp::Set(key, format!("c{client}-{i}")),
                        4..=7 => KvOp::Get(key),
                        8 => KvOp::Delete(key),
                        _ => KvOp::Exists(key),
                    };
                    kv_call(cx, &ns, client, start, op, &mut h).await?;
                }
                Ok(h)
            }
        },
        || async {
            let mut h = History::new();
            for key in KV_KEYS {
                kv_call(
                    cx,
                    &ns,
                    CLIENTS,
                    start,
                    KvOp::Get((*key).to_owned()),
                    &mut h,
                )
                .await?;
            }
            Ok(h)
        },
    )
    .await?;
    verdict(
        seed,
        "keyvalue_basic",
        check_partitioned(&Register, &history, |op| op.key().to_owned()),
    )
}

// ---------------------------------------------------------------------------------------------
// keyvalue_cas: one contended key, swapped and deleted by compare, read with keyvalue_basic.

/// A keyvalue_cas (or keyvalue_basic Get) operation on the one key.
#[derive(Debug, Clone)]
pub(crate) enum CasOp {
    /// CompareAndSwap from `expected` (`None`: absent) to the new value.
    Swap(Option<String>, String),
    /// CompareAndDelete of `expected`.
    Delete(String),
    /// keyvalue_basic Get.
    Get,
}

/// What a keyvalue_cas call answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CasRet {
    /// CompareAndSwap: swapped, and the value after the call.
    Swapped(bool, Option<String>),
    /// CompareAndSwap answered ABORTED: a loser that changed nothing.
    Aborted,
    /// CompareAndDelete: deleted.
    Deleted(bool),
    /// Get: the value (`None`: NOT_FOUND).
    Value(Option<String>),
}

/// The contended key of keyvalue_cas.
struct Cell;

impl Model for Cell {
    type Op = CasOp;
    type Ret = CasRet;
    type State = Option<String>;

    fn init(&self) -> Option<String> {
        None
    }

    fn step(
        &self,
        state: &Option<String>,
        op: &CasOp,
        ret: Option<&CasRet>,
    ) -> Option<Option<String>> {
        match op {
            CasOp::Swap(expected, new) => {
                let wins = state == expected;
                let next = if wins {
                    Some(new.clone())
                } else {
                    state.clone()
                };
                match ret {
                    None => Some(next),
                    // A loser may answer ABORTED instead of swapped = false; it changes nothing.
                    Some(CasRet::Aborted) => Some(state.clone()),
                    Some(r) => (*r == CasRet::Swapped(wins, next.clone())).then_some(next),
                }
            }
            CasOp::Delete(expected) => {
                let wins = state.as_ref() == Some(expected);
                let next = if wins { None } else { state.clone() };
                (ret.is_none() || ret == Some(&CasRet::Deleted(wins))).then_some(next)
            }
            CasOp::Get => (ret.is_none() || ret == Some(&CasRet::Value(state.clone())))
                .then_some(state.clone()),
        }
    }
}

const CAS_VALUES: &[&str] = &["a", "b", "c"];

async fn cas_call(
    cx: &Case,
    ns: &str,
    client: usize,
    start: Instant,
    op: CasOp,
    history: &mut History<CasOp, CasRet>,
) -> CaseResult {
    use prism_suite::proto::keyvalue::*;
    let invoke = since(start);
    let ret = match &op {
        CasOp::Swap(expected, new) => {
            let req = cx.req_in(
                ns,
                CompareAndSwapRequest {
                    key: "k".into(),
                    expected: expected.clone().map(String::into_bytes),
                    new_value: new.clone().into_bytes(),
                    ..Default::default()
                },
            );
            match cx.keyvalue_cas().compare_and_swap(req).await {
                Ok(r) => {
                    let r = r.into_inner();
                    let current = r.current.map(|c| String::from_utf8_lossy(&c).into_owned());
                    CasRet::Swapped(r.swapped, current)
                }
                Err(s) if s.code() == Code::Aborted => CasRet::Aborted,
                Err(s) => return Err(s.into()),
            }
        }
        CasOp::Delete(expected) => {
            let req = cx.req_in(
                ns,
                CompareAndDeleteRequest {
                    key: "k".into(),
                    expected: expected.clone().into_bytes(),
                    ..Default::default()
                },
            );
            CasRet::Deleted(
                cx.keyvalue_cas()
                    .compare_and_delete(req)
                    .await?
                    .into_inner()
                    .deleted,
            )
        }
        CasOp::Get => {
            let req = cx.req_in(
                ns,
                GetRequest {
                    key: "k".into(),
                    ..Default::default()
                },
            );
            match cx.keyvalue_basic().get(req).await {
                Ok(r) => CasRet::Value(Some(
                    String::from_utf8_lossy(&r.into_inner().value).into_owned(),
                )),
                Err(s) if s.code() == Code::NotFound => CasRet::Value(None),
                Err(s) => return Err(s.into()),
            }
        }
    };
    history.push(client, invoke, since(start), op, Answer::Returned(ret));
    Ok(())
}

/// keyvalue_cas: 4 clients x 20 random swaps (from absent or a value), deletes and reads of one key.
pub(crate) async fn keyvalue_cas(cx: &Case) -> CaseResult {
    let seed = seed_of(cx);
    let start = Instant::now();
    let ns = cx.namespace().to_owned();
    let history = run_clients(
        |client| {
            let ns = ns.clone();
            async move {
                let mut mix = Mix::new(seed, client);
                let mut h = History::new();
                for _ in 0..20 {
                    let value = |mix: &mut Mix| CAS_VALUES[mix.below(CAS_VALUES.len())].to_owned();
                    let op = match mix.below(10) {
                        0..=1 => CasOp::Swap(None, value(&mut mix)),
                        2..=5 => {
                            let expected = value(&mut mix);
                            CasOp::Swap(Some(expected), value(&mut mix))
                        }
                        6 => CasOp::Delete(value(&mut mix)),
                        _ => CasOp::Get,
                    };
                    cas_call(cx, &ns, client, start, op, &mut h).await?;
                }
                Ok(h)
            }
        },
        || async {
            let mut h = History::new();
            cas_call(cx, &ns, CLIENTS, start, CasOp::Get, &mut h).await?;
            Ok(h)
        },
    )
    .await?;
    verdict(seed, "keyvalue_cas", check(&Cell, &history))
}

// ---------------------------------------------------------------------------------------------
// queue_basic: one FIFO queue.

/// A queue_basic operation on the one queue.
#[derive(Debug, Clone)]
pub(crate) enum QueueOp {
    Enqueue(String),
    Dequeue,
    Peek,
}

/// What a queue_basic call answered: Enqueue nothing checked (the id), Dequeue and Peek the head's
/// payload (`None`: found = false).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum QueueRet {
    Enqueued,
    Head(Option<String>),
}

/// The one queue of queue_basic.
struct Fifo;

impl Model for Fifo {
    type Op = QueueOp;
    type Ret = QueueRet;
    type State = VecDeque<String>;

    fn init(&self) -> VecDeque<String> {
        VecDeque::new()
    }

    fn step(
        &self,
        state: &VecDeque<String>,
        op: &QueueOp,
        ret: Option<&QueueRet>,
    ) -> Option<VecDeque<String>> {
        let mut next = state.clone();
        let answer = match op {
            QueueOp::Enqueue(p) => {
                next.push_back(p.clone());
                QueueRet::Enqueued
            }
            QueueOp::Dequeue => QueueRet::Head(next.pop_front()),
            QueueOp::Peek => QueueRet::Head(next.front().cloned()),
        };
        (ret.is_none() || ret == Some(&answer)).then_some(next)
    }
}

async fn queue_call(
    cx: &Case,
    ns: &str,
    client: usize,
    start: Instant,
    op: QueueOp,
    history: &mut History<QueueOp, QueueRet>,
) -> CaseResult {
    use prism_suite::proto::queue::*;
    let mut q = cx.queue_basic();
    let invoke = since(start);
    let head =
        |found: bool, message: Option<QueueMessage>| {
            QueueRet::Head(found.then(|| {
                String::from_utf8_lossy(&message.unwrap_or_default().payload).into_owned()
            }))
        };
    let ret = match &op {
        QueueOp::Enqueue(payload) => {
            let req = cx.req_in(
                ns,
                EnqueueRequest {
                    queue: "q".into(),
                    payload: payload.clone().into_bytes(),
                    ..Default::default()
                },
            );
            q.enqueue(req).await?;
            QueueRet::Enqueued
        }
        QueueOp::Dequeue => {
            let req = cx.req_in(
                ns,
                DequeueRequest {
                    queue: "q".into(),
                    ..Default::default()
                },
            );
            let r = q.dequeue(req).await?.into_inner();
            head(r.found, r.message)
        }
        QueueOp::Peek => {
            let req = cx.req_in(
                ns,
                PeekRequest {
                    queue: "q".into(),
                    ..Default::default()
                },
            );
            let r = q.peek(req).await?.into_inner();
            head(r.found, r.message)
        }
    };
    history.push(client, invoke, since(start), op, Answer::Returned(ret));
    Ok(())
}

/// queue_basic: 2 producers and 2 consumers (which also peek) x 16 calls on one queue, then a
/// client that drains it.
pub(crate) async fn queue_basic(cx: &Case) -> CaseResult {
    let seed = seed_of(cx);
    let start = Instant::now();
    let ns = cx.namespace().to_owned();
    let history = run_clients(
        |client| {
            let ns = ns.clone();
            async move {
                let mut mix = Mix::new(seed, client);
                let mut h = History::new();
                for i in 0..16 {
                    let op = if client % 2 == 0 {
                        match mix.below(4) {
                            0..=2 => QueueOp::Enqueue(format!("c{client}-{i}")),
                            _ => QueueOp::Peek,
                        }
                    } else {
                        match mix.below(3) {
                            0..=1 => QueueOp::Dequeue,
                            _ => QueueOp::Peek,
                        }
                    };
                    queue_call(cx, &ns, client, start, op, &mut h).await?;
                }
                Ok(h)
            }
        },
        || async {
            let mut h = History::new();
            // At most 2 x 16 messages were enqueued; one more Dequeue answers found = false.
            for _ in 0..33 {
                queue_call(cx, &ns, CLIENTS, start, QueueOp::Dequeue, &mut h).await?;
                if matches!(
                    h.operations().last().map(|o| &o.answer),
                    Some(Answer::Returned(QueueRet::Head(None)))
                ) {
                    break;
                }
            }
            Ok(h)
        },
    )
    .await?;
    verdict(seed, "queue_basic", check(&Fifo, &history))
}
