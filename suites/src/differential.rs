//! Differential cases (`matches_reference`): random operation sequences, run against the plugin
//! under test and against memstore, the reference backend, must get the same answers.
//!
//! A [`Model`] says which operations an interface has and how to run one on either side; the
//! driver draws sequences with proptest, runs each in a fresh namespace on both sides, one
//! operation at a time, and compares the answers. On the first difference proptest shrinks the
//! sequence (fewer operations, simpler keys and values) as long as it still differs, and the case
//! fails with the shortest sequence found, the step whose answers differ, both answers, and the
//! seed: `PRISM_DIFF_SEED=<seed>` draws the same sequences again.
//!
//! Answers are compared after [`Model::apply`] has reduced them to what the proto fixes (an RPC
//! error by its code only, since messages are the plugin's own). Bounded in time: at most
//! [`SEQUENCES`] sequences, fewer once [`BUDGET`] has passed, so a case takes well under a second
//! on a fast backend.

use std::fmt::Debug;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use prism_suite::proto::InterfaceClients;
use prism_suite::runner::{CaseChannel, RpcTracker};
use prism_suite::{Case, CaseError, CaseResult, Site};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tokio::sync::OnceCell;
use tonic::transport::Endpoint;
use tonic::{Code, Status};

/// Environment variable that fixes the seed sequences are drawn from (decimal or `0x` hex).
pub const SEED_ENV: &str = "PRISM_DIFF_SEED";

/// At most this many sequences per case.
const SEQUENCES: usize = 24;
/// At least this many, however slow the backend.
const MIN_SEQUENCES: usize = 4;
/// No new sequence is drawn after this long (the case timeout is 5 s).
const BUDGET: Duration = Duration::from_millis(1200);
/// Shrinking stops after this long with the shortest sequence found so far.
const SHRINK_BUDGET: Duration = Duration::from_millis(2000);

/// An interface's operations, as the differential driver runs them.
pub(crate) trait Model: Sync {
    /// One operation with its arguments.
    type Op: Debug + Clone + Send + Sync;
    /// What an operation answered, reduced to what the proto fixes (an error is compared by its
    /// code alone: messages are the plugin's own).
    type Answer: Debug + PartialEq + Send;
    /// What one side keeps between the operations of a sequence (open streams); most models
    /// keep nothing (`()`).
    type State: Default + Send;

    /// Sequences of operations to try.
    fn sequences(&self) -> impl Strategy<Value = Vec<Self::Op>, Tree: Send> + Send;

    /// Runs `op` in namespace `ns` through the clients of `side` (the plugin under test or the
    /// reference), with that side's `state`; `cx` builds the requests.
    fn apply<S: InterfaceClients<Channel = CaseChannel> + Sync>(
        &self,
        cx: &Case,
        side: &S,
        ns: &str,
        state: &mut Self::State,
        op: &Self::Op,
    ) -> impl Future<Output = Result<Self::Answer, Status>> + Send;
}

/// The reference backend for one case: memstore served in-process (once per process), on a
/// channel of the case's own runtime (a channel's worker lives on the runtime that made it).
pub(crate) struct Reference {
    channel: CaseChannel,
}

impl InterfaceClients for Reference {
    type Channel = CaseChannel;

    fn channel(&self) -> CaseChannel {
        self.channel.clone()
    }
}

impl Reference {
    async fn connect() -> Result<Reference, CaseError> {
        static ADDR: OnceCell<SocketAddr> = OnceCell::const_new();
        let addr = ADDR
            .get_or_try_init(|| async {
                let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
                listener.set_nonblocking(true)?;
                let addr = listener.local_addr()?;
                // The harness runtime outlives every case's runtime, so the server does too.
                prism_suite::runner::runtime().spawn(async move {
                    if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                        if let Err(e) =
                            prism_memstore::serve(listener, prism_memstore::Faults::default()).await
                        {
                            eprintln!("prism-suites: the reference memstore stopped: {e}");
                        }
                    }
                });
                Ok::<_, std::io::Error>(addr)
            })
            .await
            .map_err(|e| CaseError::check(format!("cannot serve the reference memstore: {e}")))?;
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .map_err(|e| CaseError::check(format!("reference address {addr}: {e}")))?
            .connect()
            .await
            .map_err(|e| {
                CaseError::check(format!("cannot connect to the reference memstore: {e}"))
            })?;
        Ok(Reference {
            channel: CaseChannel::new(channel, RpcTracker::default()),
        })
    }
}

/// What one side answered: the model's answer, or the code of the error.
type Reply<M> = Result<<M as Model>::Answer, Code>;

/// Where two sides first answered differently.
struct Mismatch<M: Model> {
    step: usize,
    plugin: Reply<M>,
    reference: Reply<M>,
}

fn show<M: Model>(reply: &Reply<M>) -> String {
    match reply {
        Ok(answer) => format!("{answer:?}"),
        Err(code) => format!("Error({code:?})"),
    }
}

/// Runs sequences of `model` against the plugin under test and the reference until one differs,
/// or the budget is spent; a difference fails the case with its shrunk sequence.
#[track_caller]
pub(crate) fn check<'a, M: Model>(
    cx: &'a Case,
    model: &'a M,
) -> impl Future<Output = CaseResult> + Send + 'a {
    let at = Site::caller();
    async move {
        let reference = Reference::connect().await?;
        let seed = seed(cx)?;
        let mut runner = runner(seed);
        let strategy = model.sequences();
        let started = Instant::now();
        for drawn in 0..SEQUENCES {
            if drawn >= MIN_SEQUENCES && started.elapsed() > BUDGET {
                break;
            }
            let mut tree = strategy
                .new_tree(&mut runner)
                .map_err(|e| CaseError::check(format!("cannot draw a sequence: {e}")))?;
            let original = tree.current();
            let Some(first) = run(cx, model, &reference, &original).await else {
                continue;
            };
            let (ops, mismatch, tries) = shrink(cx, model, &reference, &mut tree, first).await;
            return Err(CaseError::check_at(
                report::<M>(seed, drawn + 1, original.len(), &ops, &mismatch, tries),
                at,
            ));
        }
        Ok(())
    }
}

/// Shrinks the failing sequence of `tree` as proptest does: simplify while it still fails, step
/// back (complicate) when a simplification passes. The shortest failing sequence, its mismatch
/// and how many sequences were run.
async fn shrink<M: Model, T: ValueTree<Value = Vec<M::Op>>>(
    cx: &Case,
    model: &M,
    reference: &Reference,
    tree: &mut T,
    first: Mismatch<M>,
) -> (Vec<M::Op>, Mismatch<M>, usize) {
    let mut best = (tree.current(), first);
    let mut tries = 0;
    let started = Instant::now();
    let mut more = tree.simplify();
    while more && started.elapsed() < SHRINK_BUDGET {
        tries += 1;
        let ops = tree.current();
        match run(cx, model, reference, &ops).await {
            Some(mismatch) => {
                best = (ops, mismatch);
                more = tree.simplify();
            }
            None => more = tree.complicate(),
        }
    }
    (best.0, best.1, tries)
}

/// Runs `ops` on both sides, each in a fresh namespace; the first step whose answers differ.
async fn run<M: Model>(
    cx: &Case,
    model: &M,
    reference: &Reference,
    ops: &[M::Op],
) -> Option<Mismatch<M>> {
    let ns = cx.other_namespace();
    let (mut on_plugin, mut on_reference) = (M::State::default(), M::State::default());
    for (step, op) in ops.iter().enumerate() {
        let plugin = model
            .apply(cx, cx, &ns, &mut on_plugin, op)
            .await
            .map_err(|s| s.code());
        let expected = model
            .apply(cx, reference, &ns, &mut on_reference, op)
            .await
            .map_err(|s| s.code());
        if plugin != expected {
            return Some(Mismatch {
                step,
                plugin,
                reference: expected,
            });
        }
    }
    None
}

fn report<M: Model>(
    seed: u64,
    drawn: usize,
    original: usize,
    ops: &[M::Op],
    mismatch: &Mismatch<M>,
    tries: usize,
) -> String {
    let steps: Vec<String> = ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let label = if i == 0 { " sequence:" } else { "" };
            let marker = if i == mismatch.step {
                "   <- differs"
            } else {
                ""
            };
            format!("{label:>10} {i}: {op:?}{marker}")
        })
        .collect();
    format!(
        "the plugin and the reference (memstore) answer step {} differently; sequence {drawn}, \
         shrunk from {original} to {} operations in {tries} runs (seed {seed:#x}: \
         {SEED_ENV}={seed:#x} draws the same sequences)\n{}\n   plugin: {}\n memstore: {}",
        mismatch.step,
        ops.len(),
        steps.join("\n"),
        show::<M>(&mismatch.plugin),
        show::<M>(&mismatch.reference),
    )
}

/// The seed: [`SEED_ENV`] when set, else a new one per case.
fn seed(cx: &Case) -> Result<u64, CaseError> {
    match std::env::var(SEED_ENV) {
        Ok(text) => parse_seed(&text).ok_or_else(|| {
            CaseError::check(format!(
                "{SEED_ENV}={text} is not a number (decimal or 0x hex)"
            ))
        }),
        Err(_) => {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write(cx.namespace().as_bytes());
            Ok(h.finish())
        }
    }
}

fn parse_seed(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&seed.to_le_bytes());
    }
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_in_decimal_and_hex() {
        assert_eq!(parse_seed("42"), Some(42));
        assert_eq!(parse_seed(" 0x2a "), Some(42));
        assert_eq!(parse_seed("0X2A"), Some(42));
        assert_eq!(parse_seed("forty-two"), None);
    }

    #[test]
    fn one_seed_draws_the_same_sequences() {
        let strategy = proptest::collection::vec(0u32..1000, 1..10);
        let draw = |seed| {
            let mut runner = runner(seed);
            (0..5)
                .map(|_| strategy.new_tree(&mut runner).map(|t| t.current()).ok())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }
}
