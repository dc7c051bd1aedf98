use prism_suite::interface_suite;

/// `set_basic`: Add, Remove, Contains, GetMembers.
///
/// Rules: Add answers added = true for a new member; re-adding is not an error, answers added =
/// false and does not duplicate; Remove answers whether the member was there; Contains answers exact
/// membership; GetMembers lists every member once, in byte order; a missing set has no members;
/// members are raw bytes; an empty key is INVALID_ARGUMENT; namespaces are apart.
#[interface_suite("set_basic")]
pub mod set_basic {
    use prism_suite::prelude::*;
    use prism_suite::proto::set::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::set::{add, add_in, members_of};

    fn add_req(key: &str, member: &[u8]) -> AddRequest {
        AddRequest {
            key: key.into(),
            member: member.to_vec(),
            ..Default::default()
        }
    }

    fn remove_req(key: &str, member: &[u8]) -> RemoveRequest {
        RemoveRequest {
            key: key.into(),
            member: member.to_vec(),
            ..Default::default()
        }
    }

    /// Contains `member` in `key`, in namespace `ns`.
    #[track_caller]
    fn contains_in(
        cx: &Case,
        ns: &str,
        key: &str,
        member: &[u8],
    ) -> impl Future<Output = Result<bool, CaseError>> + Send {
        let mut set = cx.set_basic();
        let req = cx.req_in(
            ns,
            ContainsRequest {
                key: key.into(),
                member: member.to_vec(),
                ..Default::default()
            },
        );
        at_caller(async move { Ok(set.contains(req).await?.into_inner().contains) })
    }

    /// Add of a new member answers added = true and the set then contains it.
    pub async fn add_new_member(cx: &mut Case) -> CaseResult {
        let mut set = cx.set_basic();
        let got = set.add(cx.req(add_req("s", b"a"))).await?;
        check!(
            got.into_inner().added,
            "Add of a new member answered added = false"
        );
        check!(
            contains_in(cx, cx.namespace(), "s", b"a").await?,
            "Contains answered false right after Add"
        );
        Ok(())
    }

    /// Re-adding a member is not an error, answers added = false and does not duplicate it.
    pub async fn add_existing_member_is_not_duplicated(cx: &mut Case) -> CaseResult {
        let mut set = cx.set_basic();
        set.add(cx.req(add_req("s", b"a"))).await?;
        set.add(cx.req(add_req("s", b"b"))).await?;
        let again = set.add(cx.req(add_req("s", b"a"))).await?;
        check!(
            !again.into_inner().added,
            "Add of a member already in the set answered added = true"
        );
        check_eq!(
            members_of(cx, "s").await?,
            ["a", "b"],
            "GetMembers after re-adding a"
        );
        Ok(())
    }

    /// Remove answers removed = true for a member, false for a non-member, and the member is gone.
    pub async fn remove_reports_whether_present(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["a", "b"]).await?;
        let mut set = cx.set_basic();
        let first = set.remove(cx.req(remove_req("s", b"a"))).await?;
        check!(
            first.into_inner().removed,
            "Remove of a member answered removed = false"
        );
        let again = set.remove(cx.req(remove_req("s", b"a"))).await?;
        check!(
            !again.into_inner().removed,
            "a second Remove answered removed = true"
        );
        let never = set.remove(cx.req(remove_req("s", b"zz"))).await?;
        check!(
            !never.into_inner().removed,
            "Remove of a non-member answered removed = true"
        );
        let missing = set.remove(cx.req(remove_req("never-added", b"a"))).await?;
        check!(
            !missing.into_inner().removed,
            "Remove from a missing set answered removed = true"
        );
        check!(
            !contains_in(cx, cx.namespace(), "s", b"a").await?,
            "Contains answered true for a removed member"
        );
        check_eq!(
            members_of(cx, "s").await?,
            ["b"],
            "GetMembers after Remove a"
        );
        Ok(())
    }

    /// Contains is exact: not for a prefix, an extension or another case of a member, nor a missing set.
    pub async fn contains_is_exact(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["abc"]).await?;
        let ns = cx.namespace().to_owned();
        check!(
            contains_in(cx, &ns, "s", b"abc").await?,
            "Contains abc answered false"
        );
        for other in [&b"ab"[..], b"abcd", b"ABC", b""] {
            check!(
                !contains_in(cx, &ns, "s", other).await?,
                "Contains {:?} answered true for the set {{abc}}",
                String::from_utf8_lossy(other)
            );
        }
        check!(
            !contains_in(cx, &ns, "never-added", b"abc").await?,
            "Contains on a missing set answered true"
        );
        Ok(())
    }

    /// GetMembers lists every member once, in byte order, whatever the order of the Adds.
    pub async fn get_members_in_byte_order(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["b", "a", "B", "ab", "c", "a", "10", "9"]).await?;
        check_eq!(
            members_of(cx, "s").await?,
            ["10", "9", "B", "a", "ab", "b", "c"],
            "GetMembers"
        );
        Ok(())
    }

    /// Members are raw bytes: the empty member, 0x00 and invalid UTF-8 are distinct members.
    pub async fn members_are_raw_bytes(cx: &mut Case) -> CaseResult {
        let mut set = cx.set_basic();
        let members: [&[u8]; 4] = [b"", b"\x00", b"\x00\x00", b"\xff\xfe"];
        for member in members {
            let got = set.add(cx.req(add_req("raw", member))).await?;
            check!(
                got.into_inner().added,
                "Add of raw member {member:?} answered added = false"
            );
        }
        let got = set
            .get_members(cx.req(GetMembersRequest {
                key: "raw".into(),
                ..Default::default()
            }))
            .await?;
        check_eq!(
            got.into_inner().members,
            members,
            "GetMembers of raw members"
        );
        Ok(())
    }

    /// A missing set has no members; one that loses its last member has none either.
    pub async fn missing_or_emptied_set_has_no_members(cx: &mut Case) -> CaseResult {
        let none: [&str; 0] = [];
        check_eq!(
            members_of(cx, "never-added").await?,
            none,
            "GetMembers of a missing set"
        );
        add(cx, "s", &["only"]).await?;
        let mut set = cx.set_basic();
        set.remove(cx.req(remove_req("s", b"only"))).await?;
        check_eq!(
            members_of(cx, "s").await?,
            none,
            "GetMembers after removing the last member"
        );
        let readd = set.add(cx.req(add_req("s", b"only"))).await?;
        check!(
            readd.into_inner().added,
            "Add to an emptied set answered added = false"
        );
        Ok(())
    }

    /// An empty key is INVALID_ARGUMENT for every operation.
    pub async fn empty_key_rejected(cx: &mut Case) -> CaseResult {
        let mut set = cx.set_basic();
        let added = set.add(cx.req(add_req("", b"a"))).await;
        check_code!(added, Code::InvalidArgument);
        let removed = set.remove(cx.req(remove_req("", b"a"))).await;
        check_code!(removed, Code::InvalidArgument);
        let contains = set
            .contains(cx.req(ContainsRequest {
                key: String::new(),
                member: b"a".to_vec(),
                ..Default::default()
            }))
            .await;
        check_code!(contains, Code::InvalidArgument);
        let members = set
            .get_members(cx.req(GetMembersRequest {
                key: String::new(),
                ..Default::default()
            }))
            .await;
        check_code!(members, Code::InvalidArgument);
        Ok(())
    }

    /// Namespaces are apart: a set in one is missing in another, and writes there leave it alone.
    pub async fn namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        add(cx, "s", &["mine"]).await?;
        check!(
            !contains_in(cx, &other, "s", b"mine").await?,
            "Contains in another namespace saw this namespace's member"
        );
        add_in(cx, &other, "s", &["theirs"]).await?;
        let mut set = cx.set_basic();
        set.remove(cx.req_in(&other, remove_req("s", b"mine")))
            .await?;
        check_eq!(
            members_of(cx, "s").await?,
            ["mine"],
            "own set after writes in another namespace"
        );
        Ok(())
    }

    /// Adds and removes in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::set::isolated::Basic).await
    }

    /// Random sequences of Add, Remove, Contains and GetMembers get the answers memstore, the reference backend, gives (shrunk to the shortest differing sequence, with its seed, on a difference).
    pub async fn matches_reference(cx: &mut Case) -> CaseResult {
        crate::differential::check(cx, &crate::set::reference::Basic).await
    }
}
