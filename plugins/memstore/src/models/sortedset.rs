//! The sortedset interfaces (basic, range, rank, operations, lex) with Redis ZSET semantics.
//!
//! Each set is a map from member to score; every read sorts a snapshot (score, then member bytes).
//! That is slow for big sets and obviously correct, which is what a reference plugin is for.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use prism_plugin::{check, Reply};
use prism_proto::sortedset::sorted_set_basic_interface_server::SortedSetBasicInterface;
use prism_proto::sortedset::sorted_set_lex_interface_server::SortedSetLexInterface;
use prism_proto::sortedset::sorted_set_operations_interface_server::SortedSetOperationsInterface;
use prism_proto::sortedset::sorted_set_range_interface_server::SortedSetRangeInterface;
use prism_proto::sortedset::sorted_set_rank_interface_server::SortedSetRankInterface;
use prism_proto::sortedset::*;
use tonic::Status;

use crate::faults::Spaces;
use crate::Faults;

/// Deliberately broken sortedset behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[
    (
        "rank_from_one",
        "GetRank and GetReverseRank count from 1 instead of 0",
    ),
    (
        "score_ties_by_insertion",
        "members of equal score are ordered by insertion instead of member bytes",
    ),
    (
        "lex_bounds_inclusive_always",
        "GetRangeByLex treats a `(` bound as inclusive, like `[`",
    ),
    (
        "nan_score_accepted",
        "Add accepts a NaN score instead of INVALID_ARGUMENT",
    ),
    (
        "union_ignores_weights",
        "Union and Intersection treat every weight as 1",
    ),
    (
        "sortedset_namespace_prefix_leak",
        "namespaces differing only in trailing `:`, `%`, `_`, `*` or `}` share their sortedset data",
    ),
];

/// One member's score, and when it was first added (used only by `score_ties_by_insertion`).
#[derive(Debug, Clone, Copy)]
struct Slot {
    score: f64,
    seq: u64,
}

/// One sorted set: member to score.
type ZSet = HashMap<String, Slot>;

#[derive(Debug, Default)]
struct State {
    /// namespace -> key -> set; a set that becomes empty is dropped.
    namespaces: Spaces<HashMap<String, ZSet>>,
    /// Insertion counter, only for the `score_ties_by_insertion` fault.
    next_seq: u64,
}

/// Serves every sortedset interface from one shared state.
#[derive(Debug, Clone)]
pub(crate) struct SortedSetService {
    state: Arc<Mutex<State>>,
    faults: Faults,
}

/// The service behind every sortedset interface.
pub(crate) fn service(faults: &Faults) -> SortedSetService {
    SortedSetService {
        state: Arc::new(Mutex::new(State {
            namespaces: Spaces::new(faults, "sortedset_namespace_prefix_leak"),
            ..State::default()
        })),
        faults: faults.clone(),
    }
}

/// Scores never hold NaN, so partial_cmp always answers; -0.0 and 0.0 compare equal as in Redis.
fn cmp_score(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// A length as i64, for index arithmetic with negative indexes.
fn len_i64(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

/// Skips `offset`, then keeps at most `limit` (0 = all).
fn page<T>(items: Vec<T>, offset: u32, limit: u32) -> Vec<T> {
    let items = items.into_iter().skip(offset as usize);
    if limit == 0 {
        items.collect()
    } else {
        items.take(limit as usize).collect()
    }
}

/// A lex bound: `-`, `+`, `[x` or `(x`.
#[derive(Debug, Clone, PartialEq)]
enum LexBound {
    MinusInf,
    PlusInf,
    Inclusive(String),
    Exclusive(String),
}

impl LexBound {
    fn parse(raw: &str, inclusive_always: bool) -> Result<Self, Status> {
        match raw {
            "-" => Ok(Self::MinusInf),
            "+" => Ok(Self::PlusInf),
            _ => {
                if let Some(x) = raw.strip_prefix('[') {
                    Ok(Self::Inclusive(x.to_owned()))
                } else if let Some(x) = raw.strip_prefix('(') {
                    if inclusive_always {
                        Ok(Self::Inclusive(x.to_owned()))
                    } else {
                        Ok(Self::Exclusive(x.to_owned()))
                    }
                } else {
                    Err(Status::invalid_argument(format!(
                        "lex bound {raw:?} must be `-`, `+`, or start with `[` or `(`"
                    )))
                }
            }
        }
    }

    /// Whether `member` is at or above this bound taken as a minimum.
    fn admits_from_below(&self, member: &str) -> bool {
        match self {
            Self::MinusInf => true,
            Self::PlusInf => false,
            Self::Inclusive(x) => member.as_bytes() >= x.as_bytes(),
            Self::Exclusive(x) => member.as_bytes() > x.as_bytes(),
        }
    }

    /// Whether `member` is at or below this bound taken as a maximum.
    fn admits_from_above(&self, member: &str) -> bool {
        match self {
            Self::MinusInf => false,
            Self::PlusInf => true,
            Self::Inclusive(x) => member.as_bytes() <= x.as_bytes(),
            Self::Exclusive(x) => member.as_bytes() < x.as_bytes(),
        }
    }
}

impl SortedSetService {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update leaves the state consistent before it can panic, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The set `key` of `ns`, sorted ascending (score, then member bytes); empty when missing.
    fn sorted(&self, ns: &str, key: &str) -> Vec<ScoredMember> {
        let state = self.lock();
        let Some(set) = state.namespaces.get(ns).and_then(|sets| sets.get(key)) else {
            return Vec::new();
        };
        let mut items: Vec<(&String, &Slot)> = set.iter().collect();
        let by_insertion = self.faults.has("score_ties_by_insertion");
        items.sort_by(|(ma, a), (mb, b)| {
            cmp_score(a.score, b.score).then_with(|| {
                if by_insertion {
                    a.seq.cmp(&b.seq)
                } else {
                    ma.as_bytes().cmp(mb.as_bytes())
                }
            })
        });
        items
            .into_iter()
            .map(|(member, slot)| ScoredMember {
                member: member.clone(),
                score: slot.score,
            })
            .collect()
    }

    /// The 0-based position of `member` in ascending (or descending) order, if present.
    /// Whether `member` is in the set, and its 0-based rank from the bottom (or the top).
    fn rank(&self, ns: &str, key: &str, member: &str, reverse: bool) -> (bool, u64) {
        self.position(ns, key, member, reverse)
            .map_or((false, 0), |rank| (true, rank))
    }

    fn position(&self, ns: &str, key: &str, member: &str, reverse: bool) -> Option<u64> {
        let mut sorted = self.sorted(ns, key);
        if reverse {
            sorted.reverse();
        }
        let pos = sorted.iter().position(|m| m.member == member)?;
        let pos = u64::try_from(pos).unwrap_or(u64::MAX);
        Some(if self.faults.has("rank_from_one") {
            pos + 1
        } else {
            pos
        })
    }

    /// Combines the weighted sets `keys`: members of any set (union) or of all sets (intersection).
    fn combine(
        &self,
        ns: &str,
        keys: &[String],
        weights: &[f64],
        aggregate: i32,
        intersect: bool,
    ) -> Result<Vec<ScoredMember>, Status> {
        check::operands(keys)?;
        check::weights(weights, keys.len())?;
        let aggregate = ScoreAggregate::try_from(aggregate)
            .map_err(|_| Status::invalid_argument(format!("unknown aggregate {aggregate}")))?;
        let ignore_weights = self.faults.has("union_ignores_weights");
        // member -> (combined score, number of sets holding it)
        let mut combined: HashMap<String, (f64, usize)> = HashMap::new();
        for (i, key) in keys.iter().enumerate() {
            let weight = if ignore_weights {
                1.0
            } else {
                weights.get(i).copied().unwrap_or(1.0)
            };
            for m in self.sorted(ns, key) {
                let weighted = zero_if_nan(m.score * weight);
                combined
                    .entry(m.member)
                    .and_modify(|(score, n)| {
                        *score = match aggregate {
                            ScoreAggregate::Sum => zero_if_nan(*score + weighted),
                            ScoreAggregate::Min => score.min(weighted),
                            ScoreAggregate::Max => score.max(weighted),
                        };
                        *n += 1;
                    })
                    .or_insert((weighted, 1));
            }
        }
        let mut out: Vec<ScoredMember> = combined
            .into_iter()
            .filter(|(_, (_, n))| !intersect || *n == keys.len())
            .map(|(member, (score, _))| ScoredMember { member, score })
            .collect();
        out.sort_by(|a, b| {
            cmp_score(a.score, b.score).then_with(|| a.member.as_bytes().cmp(b.member.as_bytes()))
        });
        Ok(out)
    }
}

/// inf * 0 and inf - inf count as 0, as in Redis.
fn zero_if_nan(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x
    }
}

#[prism_plugin::service]
impl SortedSetBasicInterface for SortedSetService {
    async fn add(&self, req: AddRequest) -> Reply<AddResponse> {
        check::non_empty("key", &req.key)?;
        check::non_empty("member", &req.member)?;
        if !self.faults.has("nan_score_accepted") {
            check::not_nan("score", req.score)?;
        }
        let mut state = self.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        let set = state
            .namespaces
            .entry(req.namespace)
            .or_default()
            .entry(req.key)
            .or_default();
        let added = match set.get_mut(&req.member) {
            Some(slot) => {
                slot.score = req.score;
                false
            }
            None => {
                set.insert(
                    req.member,
                    Slot {
                        score: req.score,
                        seq,
                    },
                );
                true
            }
        };
        Ok(AddResponse { added })
    }

    async fn remove(&self, req: RemoveRequest) -> Reply<RemoveResponse> {
        check::non_empty("key", &req.key)?;
        check::non_empty("member", &req.member)?;
        let mut state = self.lock();
        let Some(sets) = state.namespaces.get_mut(&req.namespace) else {
            return Ok(RemoveResponse { removed: false });
        };
        let Some(set) = sets.get_mut(&req.key) else {
            return Ok(RemoveResponse { removed: false });
        };
        let removed = set.remove(&req.member).is_some();
        if set.is_empty() {
            sets.remove(&req.key);
        }
        Ok(RemoveResponse { removed })
    }

    async fn get_score(&self, req: GetScoreRequest) -> Reply<GetScoreResponse> {
        check::non_empty("key", &req.key)?;
        check::non_empty("member", &req.member)?;
        let state = self.lock();
        let score = state
            .namespaces
            .get(&req.namespace)
            .and_then(|sets| sets.get(&req.key))
            .and_then(|set| set.get(&req.member))
            .map(|slot| slot.score)
            .ok_or_else(|| Status::not_found(format!("member {:?} not found", req.member)))?;
        Ok(GetScoreResponse { score })
    }
}

#[prism_plugin::service]
impl SortedSetRangeInterface for SortedSetService {
    async fn get_range(&self, req: GetRangeRequest) -> Reply<GetRangeResponse> {
        check::non_empty("key", &req.key)?;
        let mut sorted = self.sorted(&req.namespace, &req.key);
        if req.reverse {
            sorted.reverse();
        }
        let len = len_i64(sorted.len());
        let resolve = |i: i64| if i < 0 { len.saturating_add(i) } else { i };
        let start = resolve(req.start).max(0);
        let stop = resolve(req.stop).min(len - 1);
        let members = if start > stop {
            Vec::new()
        } else {
            // Both are within 0..len here.
            let (start, stop) = (start as usize, stop as usize);
            sorted.drain(start..=stop).collect()
        };
        Ok(GetRangeResponse { members })
    }

    async fn get_range_by_score(
        &self,
        req: GetRangeByScoreRequest,
    ) -> Reply<GetRangeByScoreResponse> {
        check::valid(&req)?;
        let matching: Vec<ScoredMember> = self
            .sorted(&req.namespace, &req.key)
            .into_iter()
            .filter(|m| {
                let above = if req.min_exclusive {
                    m.score > req.min
                } else {
                    m.score >= req.min
                };
                let below = if req.max_exclusive {
                    m.score < req.max
                } else {
                    m.score <= req.max
                };
                above && below
            })
            .collect();
        let members = page(matching, req.offset, req.limit);
        Ok(GetRangeByScoreResponse { members })
    }
}

#[prism_plugin::service]
impl SortedSetRankInterface for SortedSetService {
    async fn get_rank(&self, req: GetRankRequest) -> Reply<GetRankResponse> {
        check::non_empty("key", &req.key)?;
        let (found, rank) = self.rank(&req.namespace, &req.key, &req.member, false);
        Ok(GetRankResponse { found, rank })
    }

    async fn get_reverse_rank(&self, req: GetReverseRankRequest) -> Reply<GetReverseRankResponse> {
        check::non_empty("key", &req.key)?;
        let (found, rank) = self.rank(&req.namespace, &req.key, &req.member, true);
        Ok(GetReverseRankResponse { found, rank })
    }
}

#[prism_plugin::service]
impl SortedSetOperationsInterface for SortedSetService {
    async fn union(&self, req: UnionRequest) -> Reply<UnionResponse> {
        let members = self.combine(
            &req.namespace,
            &req.keys,
            &req.weights,
            req.aggregate,
            false,
        )?;
        Ok(UnionResponse { members })
    }

    async fn intersection(&self, req: IntersectionRequest) -> Reply<IntersectionResponse> {
        let members = self.combine(&req.namespace, &req.keys, &req.weights, req.aggregate, true)?;
        Ok(IntersectionResponse { members })
    }
}

#[prism_plugin::service]
impl SortedSetLexInterface for SortedSetService {
    async fn get_range_by_lex(&self, req: GetRangeByLexRequest) -> Reply<GetRangeByLexResponse> {
        check::non_empty("key", &req.key)?;
        let inclusive_always = self.faults.has("lex_bounds_inclusive_always");
        let min = LexBound::parse(&req.min, inclusive_always)?;
        let max = LexBound::parse(&req.max, inclusive_always)?;
        let matching: Vec<String> = self
            .sorted(&req.namespace, &req.key)
            .into_iter()
            .map(|m| m.member)
            .filter(|m| min.admits_from_below(m) && max.admits_from_above(m))
            .collect();
        let members = page(matching, req.offset, req.limit);
        Ok(GetRangeByLexResponse { members })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Request;

    fn service(faults: &str) -> SortedSetService {
        SortedSetService {
            state: Arc::default(),
            faults: Faults::parse(faults).expect("known faults"),
        }
    }

    async fn add(svc: &SortedSetService, member: &str, score: f64) -> bool {
        let req = AddRequest {
            namespace: "ns".into(),
            key: "k".into(),
            member: member.into(),
            score,
        };
        svc.add(Request::new(req))
            .await
            .expect("add")
            .into_inner()
            .added
    }

    fn members(sorted: &[ScoredMember]) -> Vec<&str> {
        sorted.iter().map(|m| m.member.as_str()).collect()
    }

    #[tokio::test]
    async fn ties_sort_by_member_bytes_and_infinities_at_the_ends() {
        let svc = service("");
        for (m, s) in [("b", 1.0), ("a", 1.0), ("top", f64::INFINITY), ("B", 1.0)] {
            assert!(add(&svc, m, s).await);
        }
        assert!(add(&svc, "bottom", f64::NEG_INFINITY).await);
        assert!(!add(&svc, "a", 1.0).await, "update is not new");
        assert_eq!(
            members(&svc.sorted("ns", "k")),
            ["bottom", "B", "a", "b", "top"]
        );
    }

    #[tokio::test]
    async fn get_range_resolves_negative_indexes_and_clamps() {
        let svc = service("");
        for (i, m) in ["a", "b", "c", "d"].into_iter().enumerate() {
            add(&svc, m, i as f64).await;
        }
        let range = |start, stop, reverse| GetRangeRequest {
            namespace: "ns".into(),
            key: "k".into(),
            start,
            stop,
            reverse,
        };
        let got = |r| async { svc.get_range(Request::new(r)).await.expect("range") };
        assert_eq!(
            members(&got(range(1, -2, false)).await.into_inner().members),
            ["b", "c"]
        );
        assert_eq!(
            members(&got(range(-100, 100, true)).await.into_inner().members),
            ["d", "c", "b", "a"]
        );
        assert!(got(range(3, 1, false))
            .await
            .into_inner()
            .members
            .is_empty());
    }

    #[test]
    fn lex_bounds_parse_and_reject_malformed() {
        assert_eq!(LexBound::parse("-", false).ok(), Some(LexBound::MinusInf));
        assert_eq!(
            LexBound::parse("(a", false).ok(),
            Some(LexBound::Exclusive("a".into()))
        );
        assert_eq!(
            LexBound::parse("(a", true).ok(),
            Some(LexBound::Inclusive("a".into()))
        );
        for bad in ["", "a", "-a", "+b"] {
            assert!(LexBound::parse(bad, false).is_err(), "{bad:?} accepted");
        }
    }

    #[tokio::test]
    async fn rank_is_zero_based_unless_broken() {
        let svc = service("");
        add(&svc, "x", 5.0).await;
        assert_eq!(svc.rank("ns", "k", "x", false), (true, 0));
        assert_eq!(svc.rank("ns", "k", "y", false), (false, 0));
        let broken = service("rank_from_one");
        add(&broken, "x", 5.0).await;
        assert_eq!(broken.rank("ns", "k", "x", false), (true, 1));
    }
}
