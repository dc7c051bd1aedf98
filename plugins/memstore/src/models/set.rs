//! The set interfaces (basic, operations, cardinality, random) with Redis set semantics.
//!
//! Members are byte strings kept in a `BTreeSet`, so every answer that lists members is in byte order
//! for free. Random choices come from SipHash with random keys ([`RandomState`]) over a counter:
//! unpredictable enough for SRANDMEMBER/SPOP and no extra dependency.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use prism_plugin::{check, Reply};
use prism_proto::set::set_basic_interface_server::SetBasicInterface;
use prism_proto::set::set_cardinality_interface_server::SetCardinalityInterface;
use prism_proto::set::set_operations_interface_server::SetOperationsInterface;
use prism_proto::set::set_random_interface_server::SetRandomInterface;
use prism_proto::set::*;
use tonic::Status;

use crate::faults::Spaces;
use crate::Faults;

/// Deliberately broken set behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[
    (
        "set_readd_reports_added",
        "Add answers added = true for a member that is already in the set",
    ),
    (
        "set_union_drops_last_member",
        "Union leaves out the greatest member (in byte order) of its result",
    ),
    (
        "set_is_member_prefix_match",
        "IsMember answers true when the member is a prefix of some member",
    ),
    (
        "set_random_members_repeat",
        "GetRandomMember draws `count` times with replacement: members repeat, count exceeds size",
    ),
    (
        "set_namespace_prefix_leak",
        "namespaces differing only in trailing `:`, `%`, `_`, `*` or `}` share their set data",
    ),
];

/// The service behind every set interface.
pub(crate) fn service(faults: &Faults) -> SetService {
    SetService::new(faults.clone())
}

type Members = BTreeSet<Vec<u8>>;

/// Every set of every namespace (an empty set is never stored) and the random source.
#[derive(Debug, Default)]
struct Sets {
    namespaces: Spaces<HashMap<String, Members>>,
    random: Random,
}

impl Sets {
    fn get(&self, ns: &str, key: &str) -> Option<&Members> {
        self.namespaces.get(ns)?.get(key)
    }

    fn add(&mut self, ns: &str, key: &str, member: Vec<u8>) -> bool {
        self.namespaces
            .entry(ns.to_owned())
            .or_default()
            .entry(key.to_owned())
            .or_default()
            .insert(member)
    }

    fn remove(&mut self, ns: &str, key: &str, member: &[u8]) -> bool {
        let removed = self
            .namespaces
            .get_mut(ns)
            .and_then(|keys| keys.get_mut(key))
            .is_some_and(|members| members.remove(member));
        self.drop_if_empty(ns, key);
        removed
    }

    /// Forgets the set if it has no members left, so that it no longer exists.
    fn drop_if_empty(&mut self, ns: &str, key: &str) {
        if let Some(keys) = self.namespaces.get_mut(ns) {
            if keys.get(key).is_some_and(BTreeSet::is_empty) {
                keys.remove(key);
            }
            if keys.is_empty() {
                self.namespaces.remove(ns);
            }
        }
    }

    /// The members of each named set, a missing set being empty.
    fn operands<'a>(&'a self, ns: &str, keys: &[String]) -> Vec<&'a Members> {
        static EMPTY: Members = BTreeSet::new();
        keys.iter()
            .map(|key| self.get(ns, key).unwrap_or(&EMPTY))
            .collect()
    }

    /// `count` distinct members of the set, chosen at random (fewer when the set is smaller).
    fn sample(&mut self, ns: &str, key: &str, count: usize) -> Vec<Vec<u8>> {
        let Some(members) = self.namespaces.get(ns).and_then(|keys| keys.get(key)) else {
            return Vec::new();
        };
        let mut pool: Vec<&Vec<u8>> = members.iter().collect();
        let n = count.min(pool.len());
        // The first n steps of a Fisher-Yates shuffle.
        for i in 0..n {
            let j = i + self.random.below(pool.len() - i);
            pool.swap(i, j);
        }
        pool.truncate(n);
        pool.into_iter().cloned().collect()
    }

    /// `count` draws with replacement: the `set_random_members_repeat` fault.
    fn draws_with_replacement(&mut self, ns: &str, key: &str, count: usize) -> Vec<Vec<u8>> {
        let Some(members) = self.namespaces.get(ns).and_then(|keys| keys.get(key)) else {
            return Vec::new();
        };
        let pool: Vec<&Vec<u8>> = members.iter().collect();
        (0..count)
            .map(|_| pool[self.random.below(pool.len())].clone())
            .collect()
    }
}

/// SipHash with random keys over a counter.
#[derive(Debug, Default)]
struct Random {
    keys: RandomState,
    counter: u64,
}

impl Random {
    /// A number in `0..n`; `n` must be positive. The modulo bias is negligible for set sizes.
    fn below(&mut self, n: usize) -> usize {
        self.counter += 1;
        let n = u64::try_from(n).unwrap_or(u64::MAX).max(1);
        let r = self.keys.hash_one(self.counter) % n;
        usize::try_from(r).unwrap_or(0)
    }
}

/// Serves every set interface from one shared state.
#[derive(Debug, Clone)]
pub(crate) struct SetService {
    faults: Faults,
    sets: Arc<Mutex<Sets>>,
}

impl SetService {
    fn new(faults: Faults) -> Self {
        Self {
            sets: Arc::new(Mutex::new(Sets {
                namespaces: Spaces::new(&faults, "set_namespace_prefix_leak"),
                ..Sets::default()
            })),
            faults,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Sets> {
        // No operation panics half way through an update, so a poisoned lock guards consistent data.
        self.sets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[prism_plugin::service]
impl SetBasicInterface for SetService {
    async fn add(&self, req: AddRequest) -> Reply<AddResponse> {
        check::key(&req.key)?;
        let added = self.lock().add(&req.namespace, &req.key, req.member)
            || self.faults.has("set_readd_reports_added");
        Ok(AddResponse { added })
    }

    async fn remove(&self, req: RemoveRequest) -> Reply<RemoveResponse> {
        check::key(&req.key)?;
        let removed = self.lock().remove(&req.namespace, &req.key, &req.member);
        Ok(RemoveResponse { removed })
    }

    async fn contains(&self, req: ContainsRequest) -> Reply<ContainsResponse> {
        check::key(&req.key)?;
        let contains = self
            .lock()
            .get(&req.namespace, &req.key)
            .is_some_and(|members| members.contains(&req.member));
        Ok(ContainsResponse { contains })
    }

    async fn get_members(&self, req: GetMembersRequest) -> Reply<GetMembersResponse> {
        check::key(&req.key)?;
        let members = self
            .lock()
            .get(&req.namespace, &req.key)
            .map(|members| members.iter().cloned().collect())
            .unwrap_or_default();
        Ok(GetMembersResponse { members })
    }
}

#[prism_plugin::service]
impl SetOperationsInterface for SetService {
    async fn union(&self, req: UnionRequest) -> Reply<UnionResponse> {
        check::operands(&req.keys)?;
        let sets = self.lock();
        let mut members: Members = sets
            .operands(&req.namespace, &req.keys)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        if self.faults.has("set_union_drops_last_member") {
            members.pop_last();
        }
        Ok(UnionResponse {
            members: members.into_iter().collect(),
        })
    }

    async fn intersection(&self, req: IntersectionRequest) -> Reply<IntersectionResponse> {
        check::operands(&req.keys)?;
        let sets = self.lock();
        let operands = sets.operands(&req.namespace, &req.keys);
        let (first, rest) = operands
            .split_first()
            .ok_or_else(|| Status::invalid_argument("keys must name at least one set"))?;
        let members = first
            .iter()
            .filter(|m| rest.iter().all(|other| other.contains(*m)))
            .cloned()
            .collect();
        Ok(IntersectionResponse { members })
    }

    async fn difference(&self, req: DifferenceRequest) -> Reply<DifferenceResponse> {
        check::operands(&req.keys)?;
        let sets = self.lock();
        let operands = sets.operands(&req.namespace, &req.keys);
        let (first, rest) = operands
            .split_first()
            .ok_or_else(|| Status::invalid_argument("keys must name at least one set"))?;
        let members = first
            .iter()
            .filter(|m| !rest.iter().any(|other| other.contains(*m)))
            .cloned()
            .collect();
        Ok(DifferenceResponse { members })
    }
}

#[prism_plugin::service]
impl SetCardinalityInterface for SetService {
    async fn get_size(&self, req: GetSizeRequest) -> Reply<GetSizeResponse> {
        check::key(&req.key)?;
        let size = self
            .lock()
            .get(&req.namespace, &req.key)
            .map_or(0, BTreeSet::len);
        Ok(GetSizeResponse {
            size: u64::try_from(size).unwrap_or(u64::MAX),
        })
    }

    async fn is_member(&self, req: IsMemberRequest) -> Reply<IsMemberResponse> {
        check::key(&req.key)?;
        let prefix_match = self.faults.has("set_is_member_prefix_match");
        let is_member = self
            .lock()
            .get(&req.namespace, &req.key)
            .is_some_and(|members| {
                members.contains(&req.member)
                    || (prefix_match && members.iter().any(|m| m.starts_with(&req.member)))
            });
        Ok(IsMemberResponse { is_member })
    }
}

#[prism_plugin::service]
impl SetRandomInterface for SetService {
    async fn get_random_member(
        &self,
        req: GetRandomMemberRequest,
    ) -> Reply<GetRandomMemberResponse> {
        check::key(&req.key)?;
        let count = check_count(req.count)?;
        let mut sets = self.lock();
        let members = if self.faults.has("set_random_members_repeat") {
            sets.draws_with_replacement(&req.namespace, &req.key, count)
        } else {
            sets.sample(&req.namespace, &req.key, count)
        };
        Ok(GetRandomMemberResponse { members })
    }

    async fn pop_random_member(
        &self,
        req: PopRandomMemberRequest,
    ) -> Reply<PopRandomMemberResponse> {
        check::key(&req.key)?;
        let count = check_count(req.count)?;
        let mut sets = self.lock();
        let members = sets.sample(&req.namespace, &req.key, count);
        for member in &members {
            sets.remove(&req.namespace, &req.key, member);
        }
        Ok(PopRandomMemberResponse { members })
    }
}

fn check_count(count: u32) -> Result<usize, Status> {
    check::positive("count", count.into())?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(members: &[&str]) -> Sets {
        let mut sets = Sets::default();
        for m in members {
            sets.add("ns", "k", m.as_bytes().to_vec());
        }
        sets
    }

    #[test]
    fn add_does_not_duplicate_and_empty_sets_vanish() {
        let mut sets = filled(&["a", "b"]);
        assert!(!sets.add("ns", "k", b"a".to_vec()));
        assert_eq!(sets.get("ns", "k").map(BTreeSet::len), Some(2));
        assert!(sets.get("other", "k").is_none());
        assert!(sets.remove("ns", "k", b"a"));
        assert!(!sets.remove("ns", "k", b"a"));
        assert!(sets.remove("ns", "k", b"b"));
        assert!(sets.namespaces.is_empty(), "an empty set stayed stored");
    }

    #[test]
    fn samples_are_distinct_members_bounded_by_size() {
        let mut sets = filled(&["a", "b", "c", "d"]);
        for count in 1..=6 {
            let sample = sets.sample("ns", "k", count);
            assert_eq!(sample.len(), count.min(4));
            let distinct: Members = sample.iter().cloned().collect();
            assert_eq!(
                distinct.len(),
                sample.len(),
                "repeated member in {sample:?}"
            );
            assert!(distinct
                .iter()
                .all(|m| sets.get("ns", "k").is_some_and(|s| s.contains(m))));
        }
        assert!(sets.sample("ns", "missing", 3).is_empty());
    }

    #[test]
    fn samples_cover_the_set() {
        let mut sets = filled(&["a", "b", "c"]);
        let seen: Members = (0..200).flat_map(|_| sets.sample("ns", "k", 1)).collect();
        assert_eq!(seen.len(), 3);
    }
}
