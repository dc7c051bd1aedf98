use prism_suite::interface_suite;

/// `set_cardinality`: GetSize, IsMember.
///
/// Rules: GetSize is the exact number of distinct members (a re-added member counts once, a removed
/// one no longer counts, a missing set is 0); IsMember answers exact membership, byte for byte; other
/// keys and namespaces do not count; an empty key is INVALID_ARGUMENT. Sets are written with
/// set_basic, which this interface cannot do itself.
#[interface_suite("set_cardinality")]
pub mod set_cardinality {
    use prism_suite::prelude::*;
    use prism_suite::proto::set::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::set::{add, add_in};

    /// GetSize of `key` in namespace `ns`.
    #[track_caller]
    fn size_in(
        cx: &Case,
        ns: &str,
        key: &str,
    ) -> impl Future<Output = Result<u64, CaseError>> + Send {
        let mut set = cx.set_cardinality();
        let req = cx.req_in(
            ns,
            GetSizeRequest {
                key: key.into(),
                ..Default::default()
            },
        );
        at_caller(async move { Ok(set.get_size(req).await?.into_inner().size) })
    }

    /// IsMember `member` of `key` in the case's namespace.
    #[track_caller]
    fn is_member(
        cx: &Case,
        key: &str,
        member: &[u8],
    ) -> impl Future<Output = Result<bool, CaseError>> + Send {
        let mut set = cx.set_cardinality();
        let req = cx.req(IsMemberRequest {
            key: key.into(),
            member: member.to_vec(),
            ..Default::default()
        });
        at_caller(async move { Ok(set.is_member(req).await?.into_inner().is_member) })
    }

    /// set_basic Remove `member` from `key`.
    async fn remove(cx: &Case, key: &str, member: &[u8]) -> CaseResult {
        let mut set = cx.set_basic();
        set.remove(cx.req(RemoveRequest {
            key: key.into(),
            member: member.to_vec(),
            ..Default::default()
        }))
        .await?;
        Ok(())
    }

    /// GetSize is the number of members added.
    pub async fn size_counts_members(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["a", "b", "c"]).await?;
        check_eq!(
            size_in(cx, cx.namespace(), "s").await?,
            3u64,
            "GetSize of {{a, b, c}}"
        );
        Ok(())
    }

    /// A re-added member counts once.
    pub async fn readded_member_counts_once(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["a", "b", "a", "a"]).await?;
        check_eq!(
            size_in(cx, cx.namespace(), "s").await?,
            2u64,
            "GetSize after adding a, b, a, a"
        );
        Ok(())
    }

    /// A removed member no longer counts; removing a non-member changes nothing; emptied is 0.
    pub async fn removed_member_no_longer_counts(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["a", "b"]).await?;
        remove(cx, "s", b"a").await?;
        check_eq!(
            size_in(cx, cx.namespace(), "s").await?,
            1u64,
            "GetSize after Remove a"
        );
        remove(cx, "s", b"zz").await?;
        check_eq!(
            size_in(cx, cx.namespace(), "s").await?,
            1u64,
            "GetSize after removing a non-member"
        );
        remove(cx, "s", b"b").await?;
        check_eq!(
            size_in(cx, cx.namespace(), "s").await?,
            0u64,
            "GetSize after removing every member"
        );
        Ok(())
    }

    /// GetSize of a missing set is 0 and IsMember of it is false.
    pub async fn missing_set_is_empty(cx: &mut Case) -> CaseResult {
        check_eq!(
            size_in(cx, cx.namespace(), "never-added").await?,
            0u64,
            "GetSize of a missing set"
        );
        check!(
            !is_member(cx, "never-added", b"a").await?,
            "IsMember of a missing set answered true"
        );
        Ok(())
    }

    /// IsMember is true for each member and false once it is removed.
    pub async fn is_member_of_members(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["a", "b"]).await?;
        check!(
            is_member(cx, "s", b"a").await?,
            "IsMember a of {{a, b}} answered false"
        );
        check!(
            is_member(cx, "s", b"b").await?,
            "IsMember b of {{a, b}} answered false"
        );
        remove(cx, "s", b"a").await?;
        check!(
            !is_member(cx, "s", b"a").await?,
            "IsMember of a removed member answered true"
        );
        Ok(())
    }

    /// IsMember is exact, byte for byte: a prefix, an extension, another case or empty are not members.
    pub async fn is_member_is_exact(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["abc", "Key"]).await?;
        for other in [&b"ab"[..], b"a", b"", b"abcd", b"ABC", b"key", b"Ke", b"bc"] {
            check!(
                !is_member(cx, "s", other).await?,
                "IsMember {:?} of {{abc, Key}} answered true",
                String::from_utf8_lossy(other)
            );
        }
        Ok(())
    }

    /// Members of other keys and of the same key in another namespace do not count.
    pub async fn other_keys_and_namespaces_do_not_count(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        add(cx, "s", &["a"]).await?;
        add(cx, "s2", &["b", "c"]).await?;
        add_in(cx, &other, "s", &["d", "e", "f"]).await?;
        check_eq!(
            size_in(cx, cx.namespace(), "s").await?,
            1u64,
            "GetSize of s"
        );
        check_eq!(
            size_in(cx, &other, "s").await?,
            3u64,
            "GetSize of s in the other namespace"
        );
        check!(
            !is_member(cx, "s", b"b").await?,
            "IsMember saw a member of another key"
        );
        check!(
            !is_member(cx, "s", b"d").await?,
            "IsMember saw a member of another namespace"
        );
        Ok(())
    }

    /// An empty key is INVALID_ARGUMENT for GetSize and IsMember.
    pub async fn empty_key_rejected(cx: &mut Case) -> CaseResult {
        let mut set = cx.set_cardinality();
        let size = set.get_size(cx.req(GetSizeRequest::default())).await;
        check_code!(size, Code::InvalidArgument);
        let member = set
            .is_member(cx.req(IsMemberRequest {
                member: b"a".to_vec(),
                ..Default::default()
            }))
            .await;
        check_code!(member, Code::InvalidArgument);
        Ok(())
    }

    /// Members counted by GetSize and IsMember in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::set::isolated::Cardinality).await
    }
}
