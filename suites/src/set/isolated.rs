//! The set interfaces' probes for [`crate::isolation::check`]: the sets `s` and `:s` in every
//! namespace of the family; the namespace of tag `t` holds a member `shared` and `t + 1` members that
//! name it.

use prism_suite::prelude::*;
use prism_suite::proto::set::*;

use crate::isolation::{tagged, Probe};
use crate::set::texts;

/// Sets written in every namespace.
const KEYS: &[&str] = &["s", ":s"];

/// The members of a set in the namespace of `tag`, in byte order.
fn members(tag: usize) -> Vec<String> {
    let mut m: Vec<String> = (0..=tag).map(|i| tagged(&format!("m{i}"), tag)).collect();
    m.push("shared".to_owned());
    m.sort();
    m
}

/// set_basic Add of every member of `tag`; each must be new.
async fn add_all(cx: &Case, ns: &str, tag: usize) -> CaseResult {
    let mut set = cx.set_basic();
    for key in KEYS {
        for member in members(tag) {
            let added = set
                .add(cx.req_in(
                    ns,
                    AddRequest {
                        key: (*key).into(),
                        member: member.clone().into_bytes(),
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

/// set_basic Remove of every member of `tag`; each must have been there.
async fn remove_all(cx: &Case, ns: &str, tag: usize) -> CaseResult {
    let mut set = cx.set_basic();
    for key in KEYS {
        for member in members(tag) {
            let removed = set
                .remove(cx.req_in(
                    ns,
                    RemoveRequest {
                        key: (*key).into(),
                        member: member.clone().into_bytes(),
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

/// set_basic GetMembers of every key.
async fn members_in(cx: &Case, ns: &str) -> Result<Vec<Vec<String>>, CaseError> {
    let mut set = cx.set_basic();
    let mut out = Vec::new();
    for key in KEYS {
        let req = cx.req_in(
            ns,
            GetMembersRequest {
                key: (*key).into(),
                ..Default::default()
            },
        );
        out.push(texts(&set.get_members(req).await?.into_inner().members));
    }
    Ok(out)
}

/// What [`members_in`] answers for a namespace holding `tag`.
fn expected_members(tag: Option<usize>) -> Vec<Vec<String>> {
    KEYS.iter()
        .map(|_| tag.map(members).unwrap_or_default())
        .collect()
}

/// set_basic: Add, Remove, Contains and GetMembers.
pub(crate) struct Basic;

impl Probe for Basic {
    type View = (Vec<Vec<String>>, Vec<bool>);

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        add_all(cx, ns, tag).await
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut set = cx.set_basic();
        let mut contains = Vec::new();
        for key in KEYS {
            let req = cx.req_in(
                ns,
                ContainsRequest {
                    key: (*key).into(),
                    member: b"shared".to_vec(),
                    ..Default::default()
                },
            );
            contains.push(set.contains(req).await?.into_inner().contains);
        }
        Ok((members_in(cx, ns).await?, contains))
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        (expected_members(tag), vec![tag.is_some(); KEYS.len()])
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        remove_all(cx, ns, tag).await
    }
}

/// set_cardinality: GetSize and IsMember (of every namespace's members).
pub(crate) struct Cardinality;

impl Probe for Cardinality {
    type View = Vec<(u64, Vec<bool>)>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        add_all(cx, ns, tag).await
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut card = cx.set_cardinality();
        let mut out = Vec::new();
        for key in KEYS {
            let size = card
                .get_size(cx.req_in(
                    ns,
                    GetSizeRequest {
                        key: (*key).into(),
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner()
                .size;
            let mut is_member = Vec::new();
            for tag in 0..crate::isolation::SUFFIXES.len() + 1 {
                let req = cx.req_in(
                    ns,
                    IsMemberRequest {
                        key: (*key).into(),
                        member: tagged("m0", tag).into_bytes(),
                        ..Default::default()
                    },
                );
                is_member.push(card.is_member(req).await?.into_inner().is_member);
            }
            out.push((size, is_member));
        }
        Ok(out)
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        let size = tag.map_or(0, |t| members(t).len() as u64);
        let is_member: Vec<bool> = (0..crate::isolation::SUFFIXES.len() + 1)
            .map(|t| Some(t) == tag)
            .collect();
        KEYS.iter().map(|_| (size, is_member.clone())).collect()
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        remove_all(cx, ns, tag).await
    }
}

/// set_operations: Union, Intersection and Difference of `s` and `:s`, where `:s` lacks the
/// namespace's first member.
pub(crate) struct Operations;

impl Probe for Operations {
    type View = Vec<Vec<String>>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        add_all(cx, ns, tag).await?;
        let removed = cx
            .set_basic()
            .remove(cx.req_in(
                ns,
                RemoveRequest {
                    key: ":s".into(),
                    member: tagged("m0", tag).into_bytes(),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .removed;
        check!(
            removed,
            "Remove of a member just added to `:s` answered removed = false"
        );
        Ok(())
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut ops = cx.set_operations();
        let keys: Vec<String> = KEYS.iter().map(|k| (*k).to_owned()).collect();
        let union = ops
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
        let inter = ops
            .intersection(cx.req_in(
                ns,
                IntersectionRequest {
                    keys: keys.clone(),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .members;
        let diff = ops
            .difference(cx.req_in(
                ns,
                DifferenceRequest {
                    keys,
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .members;
        Ok(vec![texts(&union), texts(&inter), texts(&diff)])
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        let Some(t) = tag else {
            return vec![Vec::new(); 3];
        };
        let union = members(t);
        let first = tagged("m0", t);
        let inter: Vec<String> = union.iter().filter(|m| **m != first).cloned().collect();
        vec![union, inter, vec![first]]
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        let mut set = cx.set_basic();
        for key in KEYS {
            for member in members(tag) {
                let req = cx.req_in(
                    ns,
                    RemoveRequest {
                        key: (*key).into(),
                        member: member.into_bytes(),
                        ..Default::default()
                    },
                );
                set.remove(req).await?;
            }
        }
        Ok(())
    }
}

/// set_random: GetRandomMember of more than the set holds (answers all of it), emptied by
/// PopRandomMember.
pub(crate) struct Random;

impl Probe for Random {
    type View = Vec<Vec<String>>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        add_all(cx, ns, tag).await
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut random = cx.set_random();
        let mut out = Vec::new();
        for key in KEYS {
            let req = cx.req_in(
                ns,
                GetRandomMemberRequest {
                    key: (*key).into(),
                    count: 100,
                    ..Default::default()
                },
            );
            let mut got = texts(&random.get_random_member(req).await?.into_inner().members);
            got.sort();
            out.push(got);
        }
        Ok(out)
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        expected_members(tag)
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        let mut random = cx.set_random();
        for key in KEYS {
            let req = cx.req_in(
                ns,
                PopRandomMemberRequest {
                    key: (*key).into(),
                    count: 100,
                    ..Default::default()
                },
            );
            let mut got = texts(&random.pop_random_member(req).await?.into_inner().members);
            got.sort();
            check_eq!(
                got,
                members(tag),
                "PopRandomMember of all of {key:?} in this namespace"
            );
        }
        Ok(())
    }
}
