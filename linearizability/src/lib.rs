//! A linearizability checker for recorded histories of concurrent operations.
//!
//! Clients record each operation with the time it was invoked, the time its answer arrived and the
//! answer; [`check`] decides whether some sequential order of the operations, consistent with real
//! time (an operation that completed before another was invoked comes first), explains every
//! answer under a sequential [`Model`] of the object.
//!
//! The search is Wing & Gong's: repeatedly linearize one of the *minimal* pending operations (those
//! that no other unlinearized operation precedes in real time), backtracking on a dead end, with
//! Lowe's memoization of (linearized set, state) pairs so that no configuration is explored twice.
//! [`check_partitioned`] splits a history by key first (P-compositionality: a history of independent
//! objects is linearizable iff each object's sub-history is), which keeps each search small.
//!
//! An operation whose answer is unknown (the RPC failed or timed out) is [`Answer::Unknown`]: it may
//! have taken effect at any time after its invocation, or never.
//!
//! ```
//! use prism_linearizability::{check, Answer, History, Model};
//!
//! /// A register of `u8`, initially 0.
//! struct Register;
//! #[derive(Debug)]
//! enum Op { Write(u8), Read }
//!
//! impl Model for Register {
//!     type Op = Op;
//!     type Ret = u8;
//!     type State = u8;
//!     fn init(&self) -> u8 { 0 }
//!     fn step(&self, state: &u8, op: &Op, ret: Option<&u8>) -> Option<u8> {
//!         match op {
//!             Op::Write(v) => Some(*v),
//!             Op::Read => (ret.is_none() || ret == Some(state)).then_some(*state),
//!         }
//!     }
//! }
//!
//! let mut ok = History::new();
//! ok.push(0, 0, 10, Op::Write(1), Answer::Returned(0));
//! ok.push(1, 5, 15, Op::Read, Answer::Returned(1)); // overlaps the write: may see it
//! assert!(check(&Register, &ok).is_ok());
//!
//! let mut stale = History::new();
//! stale.push(0, 0, 10, Op::Write(1), Answer::Returned(0));
//! stale.push(1, 20, 30, Op::Read, Answer::Returned(0)); // after the write completed: must see it
//! assert!(check(&Register, &stale).is_err());
//! ```

#![warn(missing_docs)]

use std::collections::{BTreeMap, HashSet};
use std::fmt::{self, Debug};
use std::hash::Hash;

/// A sequential specification of the object the history acts on.
pub trait Model {
    /// An operation, as invoked.
    type Op: Debug;
    /// An operation's answer.
    type Ret: Debug;
    /// The object's state; compared and hashed for memoization, so keep it small.
    type State: Clone + Eq + Hash + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after `op` answered `ret` in `state`, or `None` when `op` cannot answer `ret`
    /// there. `ret` is `None` for an operation whose answer is unknown: return its effect.
    fn step(
        &self,
        state: &Self::State,
        op: &Self::Op,
        ret: Option<&Self::Ret>,
    ) -> Option<Self::State>;
}

/// What an operation answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<R> {
    /// The answer arrived.
    Returned(R),
    /// No answer (an error or a timeout): the operation may or may not have taken effect.
    Unknown,
}

/// One recorded operation.
#[derive(Debug, Clone)]
pub struct Operation<O, R> {
    /// Which client ran it (only for reports).
    pub client: usize,
    /// When it was invoked, on a clock shared by every client (any unit).
    pub invoke: u64,
    /// When its answer arrived (or it failed), on the same clock.
    pub complete: u64,
    /// The operation.
    pub op: O,
    /// Its answer.
    pub answer: Answer<R>,
}

/// A recorded history: every operation of every client, in any order.
#[derive(Debug, Clone)]
pub struct History<O, R> {
    ops: Vec<Operation<O, R>>,
}

impl<O, R> Default for History<O, R> {
    fn default() -> Self {
        Self { ops: Vec::new() }
    }
}

impl<O, R> History<O, R> {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `client` invoked `op` at `invoke` and got `answer` at `complete`.
    pub fn push(&mut self, client: usize, invoke: u64, complete: u64, op: O, answer: Answer<R>) {
        self.ops.push(Operation {
            client,
            invoke,
            complete: complete.max(invoke),
            op,
            answer,
        });
    }

    /// The recorded operations.
    pub fn operations(&self) -> &[Operation<O, R>] {
        &self.ops
    }

    /// Adds every operation of `other`.
    pub fn extend(&mut self, other: History<O, R>) {
        self.ops.extend(other.ops);
    }

    /// How many operations were recorded.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// Most (linearized set, state) configurations one search explores before it gives up.
pub const DEFAULT_BUDGET: usize = 2_000_000;

/// Why a history was not shown linearizable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// No sequential order explains the answers.
    #[error("{0}")]
    NotLinearizable(Box<Violation>),
    /// The search explored its budget of configurations without an answer.
    #[error("the search gave up after {explored} configurations of a {operations}-operation history{}", key_note(.key))]
    TooComplex {
        /// Configurations explored.
        explored: usize,
        /// Operations in the (sub-)history searched.
        operations: usize,
        /// The partition key, for [`check_partitioned`].
        key: Option<String>,
    },
}

fn key_note(key: &Option<String>) -> String {
    key.as_ref()
        .map(|k| format!(" (key {k})"))
        .unwrap_or_default()
}

/// A history that no sequential order explains, with the furthest the search got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The partition key, for [`check_partitioned`].
    pub key: Option<String>,
    /// The longest sequence of operations the search could linearize, in order (rendered).
    pub longest: Vec<String>,
    /// The state after [`Violation::longest`].
    pub state: String,
    /// The operations that could come next in real time there, none of whose answers fits.
    pub candidates: Vec<String>,
    /// The whole (sub-)history, by invocation time (rendered).
    pub history: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "not linearizable{}: no sequential order explains every answer",
            key_note(&self.key)
        )?;
        writeln!(
            f,
            "  longest explained order ({} operations):",
            self.longest.len()
        )?;
        for op in &self.longest {
            writeln!(f, "    {op}")?;
        }
        writeln!(f, "  then, in state {}, none of these fits:", self.state)?;
        for op in &self.candidates {
            writeln!(f, "    {op}")?;
        }
        writeln!(f, "  history (by invocation):")?;
        for op in &self.history {
            writeln!(f, "    {op}")?;
        }
        Ok(())
    }
}

fn render<O: Debug, R: Debug>(op: &Operation<O, R>) -> String {
    let answer = match &op.answer {
        Answer::Returned(r) => format!("{r:?}"),
        Answer::Unknown => "unknown".to_owned(),
    };
    format!(
        "client {} [{}, {}] {:?} -> {answer}",
        op.client, op.invoke, op.complete, op.op
    )
}

/// A set of operation indexes, hashed for memoization.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn has(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
    fn with(&self, i: usize) -> Self {
        let mut b = self.clone();
        b.0[i / 64] |= 1 << (i % 64);
        b
    }
}

/// Decides whether `history` is linearizable with respect to `model`, within [`DEFAULT_BUDGET`].
pub fn check<M: Model>(model: &M, history: &History<M::Op, M::Ret>) -> Result<(), CheckError> {
    search(
        model,
        &history.ops.iter().collect::<Vec<_>>(),
        None,
        DEFAULT_BUDGET,
    )
}

/// Like [`check`], for a history of independent objects: operations are grouped by `key` (the
/// object they act on) and each group is checked on its own, from [`Model::init`].
pub fn check_partitioned<M, K>(
    model: &M,
    history: &History<M::Op, M::Ret>,
    key: impl Fn(&M::Op) -> K,
) -> Result<(), CheckError>
where
    M: Model,
    K: Ord + Debug,
{
    let mut groups: BTreeMap<K, Vec<&OperationOf<M>>> = BTreeMap::new();
    for op in &history.ops {
        groups.entry(key(&op.op)).or_default().push(op);
    }
    for (k, ops) in groups {
        search(model, &ops, Some(format!("{k:?}")), DEFAULT_BUDGET)?;
    }
    Ok(())
}

/// An operation of `M`'s history.
type OperationOf<M> = Operation<<M as Model>::Op, <M as Model>::Ret>;

struct Search<'a, M: Model> {
    model: &'a M,
    ops: &'a [&'a Operation<M::Op, M::Ret>],
    seen: HashSet<(Bits, M::State)>,
    budget: usize,
    /// The deepest configuration reached: its order and state.
    best: (Vec<usize>, M::State),
}

impl<M: Model> Search<'_, M> {
    /// Whether the configuration (`done`, `state`) extends to a linearization of every answered
    /// operation; `None` when the budget ran out.
    fn extend(&mut self, done: &Bits, order: &mut Vec<usize>, state: &M::State) -> Option<bool> {
        let ops = self.ops;
        let answered_left =
            (0..ops.len()).any(|i| !done.has(i) && matches!(ops[i].answer, Answer::Returned(_)));
        if !answered_left {
            return Some(true);
        }
        if !self.seen.insert((done.clone(), state.clone())) {
            return Some(false);
        }
        if self.seen.len() > self.budget {
            return None;
        }
        if order.len() > self.best.0.len() {
            self.best = (order.clone(), state.clone());
        }
        // An operation may come next unless an unlinearized one completed before it was invoked.
        let bound = (0..ops.len())
            .filter(|&i| !done.has(i) && matches!(ops[i].answer, Answer::Returned(_)))
            .map(|i| ops[i].complete)
            .min()
            .unwrap_or(u64::MAX);
        for (i, op) in ops.iter().enumerate() {
            if done.has(i) || op.invoke > bound {
                continue;
            }
            let ret = match &op.answer {
                Answer::Returned(r) => Some(r),
                Answer::Unknown => None,
            };
            if let Some(next) = self.model.step(state, &op.op, ret) {
                order.push(i);
                let found = self.extend(&done.with(i), order, &next)?;
                order.pop();
                if found {
                    return Some(true);
                }
            }
        }
        Some(false)
    }
}

fn search<M: Model>(
    model: &M,
    ops: &[&Operation<M::Op, M::Ret>],
    key: Option<String>,
    budget: usize,
) -> Result<(), CheckError> {
    let init = model.init();
    let mut s = Search {
        model,
        ops,
        seen: HashSet::new(),
        budget,
        best: (Vec::new(), init.clone()),
    };
    match s.extend(&Bits::new(ops.len()), &mut Vec::new(), &init) {
        Some(true) => Ok(()),
        None => Err(CheckError::TooComplex {
            explored: s.seen.len(),
            operations: ops.len(),
            key,
        }),
        Some(false) => {
            let (order, state) = s.best;
            let done = order.iter().fold(Bits::new(ops.len()), |b, &i| b.with(i));
            let bound = (0..ops.len())
                .filter(|&i| !done.has(i) && matches!(ops[i].answer, Answer::Returned(_)))
                .map(|i| ops[i].complete)
                .min()
                .unwrap_or(u64::MAX);
            let mut by_invoke: Vec<&Operation<M::Op, M::Ret>> = ops.to_vec();
            by_invoke.sort_by_key(|o| (o.invoke, o.complete));
            Err(CheckError::NotLinearizable(Box::new(Violation {
                key,
                longest: order.iter().map(|&i| render(ops[i])).collect(),
                state: format!("{state:?}"),
                candidates: (0..ops.len())
                    .filter(|&i| !done.has(i) && ops[i].invoke <= bound)
                    .map(|i| render(ops[i]))
                    .collect(),
                history: by_invoke.into_iter().map(render).collect(),
            })))
        }
    }
}

#[cfg(test)]
mod tests;
