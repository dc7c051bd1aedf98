//! The sorted set interfaces' probes for [`crate::isolation::check`]: the sets `z` and `:z` in every
//! namespace of the family; in the namespace of tag `t` every member has score `t` (one score per
//! set, so lex ranges are defined), `shared` and `t + 1` members that name the namespace.

use prism_suite::prelude::*;
use prism_suite::proto::sortedset::*;

use crate::isolation::{tagged, Probe, SUFFIXES};

/// Sets written in every namespace.
const KEYS: &[&str] = &["z", ":z"];

/// The members of a set in the namespace of `tag`, in byte order.
fn members(tag: usize) -> Vec<String> {
    let mut m: Vec<String> = (0..=tag).map(|i| tagged(&format!("m{i}"), tag)).collect();
    m.push("shared".to_owned());
    m.sort();
    m
}

/// `(member, score)` pairs of a set holding `tag`, in range order (one score: byte order).
fn scored(tag: Option<usize>) -> Vec<(String, f64)> {
    tag.map(|t| members(t).into_iter().map(|m| (m, t as f64)).collect())
        .unwrap_or_default()
}

/// Members as `(member, score)` pairs.
fn pairs(members: Vec<ScoredMember>) -> Vec<(String, f64)> {
    members.into_iter().map(|m| (m.member, m.score)).collect()
}

/// sortedset_basic Add of every member of `tag`; each must be new.
async fn add_all(cx: &Case, ns: &str, tag: usize) -> CaseResult {
    let mut z = cx.sortedset_basic();
    for key in KEYS {
        for member in members(tag) {
            let added = z
                .add(cx.req_in(
                    ns,
                    AddRequest {
                        key: (*key).into(),
                        member: member.clone(),
                        score: tag as f64,
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner()
                .added;
            check!(
                added,
                "Add of {member:?} to {key:?}, new in this namespace, answered added = false"
            );
        }
    }
    Ok(())
}

/// sortedset_basic Remove of every member of `tag`; each must have been there.
async fn remove_all(cx: &Case, ns: &str, tag: usize) -> CaseResult {
    let mut z = cx.sortedset_basic();
    for key in KEYS {
        for member in members(tag) {
            let removed = z
                .remove(cx.req_in(
                    ns,
                    RemoveRequest {
                        key: (*key).into(),
                        member: member.clone(),
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner()
                .removed;
            check!(removed, "Remove of {member:?} from {key:?}, added in this namespace, answered removed = false");
        }
    }
    Ok(())
}

/// Implements [`Probe`] for a probe that writes with [`add_all`] and erases with [`remove_all`].
macro_rules! add_remove_probe {
    ($probe:ty, $view:ty, $read:expr, $expected:expr) => {
        impl Probe for $probe {
            type View = $view;

            async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
                add_all(cx, ns, tag).await
            }

            async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
                $read(cx, ns).await
            }

            fn expected(&self, tag: Option<usize>) -> Self::View {
                $expected(tag)
            }

            async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
                remove_all(cx, ns, tag).await
            }
        }
    };
}

/// sortedset_basic: Add, Remove and GetScore (of `shared` and of every namespace's first member).
pub(crate) struct Basic;

async fn scores(cx: &Case, ns: &str) -> Result<Vec<Option<f64>>, CaseError> {
    let mut z = cx.sortedset_basic();
    let mut out = Vec::new();
    for key in KEYS {
        let probes = std::iter::once("shared".to_owned())
            .chain((0..=SUFFIXES.len()).map(|t| tagged("m0", t)));
        for member in probes {
            let req = cx.req_in(
                ns,
                GetScoreRequest {
                    key: (*key).into(),
                    member,
                    ..Default::default()
                },
            );
            match z.get_score(req).await {
                Ok(r) => out.push(Some(r.into_inner().score)),
                Err(s) if s.code() == Code::NotFound => out.push(None),
                Err(s) => return Err(s.into()),
            }
        }
    }
    Ok(out)
}

fn expected_scores(tag: Option<usize>) -> Vec<Option<f64>> {
    let mut out = Vec::new();
    for _ in KEYS {
        out.push(tag.map(|t| t as f64));
        out.extend((0..=SUFFIXES.len()).map(|t| (Some(t) == tag).then_some(t as f64)));
    }
    out
}

add_remove_probe!(Basic, Vec<Option<f64>>, scores, expected_scores);

/// sortedset_range: GetRange (both directions) and GetRangeByScore over everything.
pub(crate) struct Range;

async fn ranges(cx: &Case, ns: &str) -> Result<Vec<Vec<(String, f64)>>, CaseError> {
    let mut z = cx.sortedset_range();
    let mut out = Vec::new();
    for key in KEYS {
        for reverse in [false, true] {
            let req = cx.req_in(
                ns,
                GetRangeRequest {
                    key: (*key).into(),
                    start: 0,
                    stop: -1,
                    reverse,
                    ..Default::default()
                },
            );
            out.push(pairs(z.get_range(req).await?.into_inner().members));
        }
        let req = cx.req_in(
            ns,
            GetRangeByScoreRequest {
                key: (*key).into(),
                min: f64::NEG_INFINITY,
                max: f64::INFINITY,
                ..Default::default()
            },
        );
        out.push(pairs(z.get_range_by_score(req).await?.into_inner().members));
    }
    Ok(out)
}

fn expected_ranges(tag: Option<usize>) -> Vec<Vec<(String, f64)>> {
    let forward = scored(tag);
    let mut backward = forward.clone();
    backward.reverse();
    KEYS.iter()
        .flat_map(|_| [forward.clone(), backward.clone(), forward.clone()])
        .collect()
}

add_remove_probe!(Range, Vec<Vec<(String, f64)>>, ranges, expected_ranges);

/// sortedset_rank: GetRank and GetReverseRank of `shared` and of every namespace's first member.
pub(crate) struct Rank;

async fn ranks(cx: &Case, ns: &str) -> Result<Vec<(bool, u64, bool, u64)>, CaseError> {
    let mut z = cx.sortedset_rank();
    let mut out = Vec::new();
    for key in KEYS {
        let probes = std::iter::once("shared".to_owned())
            .chain((0..=SUFFIXES.len()).map(|t| tagged("m0", t)));
        for member in probes {
            let rank = z
                .get_rank(cx.req_in(
                    ns,
                    GetRankRequest {
                        key: (*key).into(),
                        member: member.clone(),
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            let rev = z
                .get_reverse_rank(cx.req_in(
                    ns,
                    GetReverseRankRequest {
                        key: (*key).into(),
                        member,
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            out.push((rank.found, rank.rank, rev.found, rev.rank));
        }
    }
    Ok(out)
}

fn expected_ranks(tag: Option<usize>) -> Vec<(bool, u64, bool, u64)> {
    let held = tag.map(members).unwrap_or_default();
    let rank_of = |member: &str| -> (bool, u64, bool, u64) {
        match held.iter().position(|m| m == member) {
            Some(i) => (true, i as u64, true, (held.len() - 1 - i) as u64),
            None => (false, 0, false, 0),
        }
    };
    let mut out = Vec::new();
    for _ in KEYS {
        out.push(rank_of("shared"));
        out.extend((0..=SUFFIXES.len()).map(|t| rank_of(&tagged("m0", t))));
    }
    out
}

add_remove_probe!(Rank, Vec<(bool, u64, bool, u64)>, ranks, expected_ranks);

/// sortedset_operations: Union and Intersection of `z` and `:z`.
pub(crate) struct Operations;

async fn combined(cx: &Case, ns: &str) -> Result<Vec<Vec<(String, f64)>>, CaseError> {
    let mut z = cx.sortedset_operations();
    let keys: Vec<String> = KEYS.iter().map(|k| (*k).to_owned()).collect();
    let union = z
        .union(cx.req_in(
            ns,
            UnionRequest {
                keys: keys.clone(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .members;
    let inter = z
        .intersection(cx.req_in(
            ns,
            IntersectionRequest {
                keys,
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .members;
    Ok(vec![pairs(union), pairs(inter)])
}

fn expected_combined(tag: Option<usize>) -> Vec<Vec<(String, f64)>> {
    // Both sets hold the same members at score t: SUM gives 2t.
    let summed: Vec<(String, f64)> = scored(tag).into_iter().map(|(m, s)| (m, 2.0 * s)).collect();
    vec![summed.clone(), summed]
}

add_remove_probe!(
    Operations,
    Vec<Vec<(String, f64)>>,
    combined,
    expected_combined
);

/// sortedset_lex: GetRangeByLex over everything and from `[shared` on.
pub(crate) struct Lex;

async fn lex(cx: &Case, ns: &str) -> Result<Vec<Vec<String>>, CaseError> {
    let mut z = cx.sortedset_lex();
    let mut out = Vec::new();
    for key in KEYS {
        for (min, max) in [("-", "+"), ("[shared", "+"), ("-", "(shared")] {
            let req = cx.req_in(
                ns,
                GetRangeByLexRequest {
                    key: (*key).into(),
                    min: min.into(),
                    max: max.into(),
                    ..Default::default()
                },
            );
            out.push(z.get_range_by_lex(req).await?.into_inner().members);
        }
    }
    Ok(out)
}

fn expected_lex(tag: Option<usize>) -> Vec<Vec<String>> {
    let held = tag.map(members).unwrap_or_default();
    let from: Vec<String> = held
        .iter()
        .filter(|m| m.as_str() >= "shared")
        .cloned()
        .collect();
    let below: Vec<String> = held
        .iter()
        .filter(|m| m.as_str() < "shared")
        .cloned()
        .collect();
    KEYS.iter()
        .flat_map(|_| [held.clone(), from.clone(), below.clone()])
        .collect()
}

add_remove_probe!(Lex, Vec<Vec<String>>, lex, expected_lex);
