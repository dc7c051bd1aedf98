use prism_suite::interface_suite;

/// `sortedset_rank`: GetRank, GetReverseRank.
///
/// Rules: ranks are 0-based (lowest member 0 for GetRank, highest 0 for GetReverseRank); ties rank by
/// member bytes; a missing member or set answers found = false. Sets are seeded with sortedset_basic.
#[interface_suite("sortedset_rank")]
pub mod sortedset_rank {
    use prism_suite::prelude::*;
    use prism_suite::proto::sortedset::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::sortedset::add_all;

    const THREE: &[(&str, f64)] = &[("mid", 2.0), ("high", 3.0), ("low", 1.0)];

    /// GetRank of `member` in `key`: Some(rank), or None when found = false.
    #[track_caller]
    fn rank(
        cx: &Case,
        key: &str,
        member: &str,
    ) -> impl Future<Output = Result<Option<u64>, CaseError>> + Send {
        let mut zs = cx.sortedset_rank();
        let req = cx.req(GetRankRequest {
            key: key.into(),
            member: member.into(),
            ..Default::default()
        });
        at_caller(async move {
            let r = zs.get_rank(req).await?.into_inner();
            Ok(r.found.then_some(r.rank))
        })
    }

    /// GetReverseRank of `member` in `key`: Some(rank), or None when found = false.
    #[track_caller]
    fn reverse_rank(
        cx: &Case,
        key: &str,
        member: &str,
    ) -> impl Future<Output = Result<Option<u64>, CaseError>> + Send {
        let mut zs = cx.sortedset_rank();
        let req = cx.req(GetReverseRankRequest {
            key: key.into(),
            member: member.into(),
            ..Default::default()
        });
        at_caller(async move {
            let r = zs.get_reverse_rank(req).await?.into_inner();
            Ok(r.found.then_some(r.rank))
        })
    }

    /// GetRank is 0-based: the lowest score has rank 0, the highest rank n - 1.
    pub async fn rank_is_zero_based(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", THREE).await?;
        check_eq!(rank(cx, "z", "low").await?, Some(0), "rank of low");
        check_eq!(rank(cx, "z", "mid").await?, Some(1), "rank of mid");
        check_eq!(rank(cx, "z", "high").await?, Some(2), "rank of high");
        Ok(())
    }

    /// GetReverseRank is 0-based from the top: the highest score has reverse rank 0.
    pub async fn reverse_rank_is_zero_based(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", THREE).await?;
        check_eq!(
            reverse_rank(cx, "z", "high").await?,
            Some(0),
            "reverse rank of high"
        );
        check_eq!(
            reverse_rank(cx, "z", "mid").await?,
            Some(1),
            "reverse rank of mid"
        );
        check_eq!(
            reverse_rank(cx, "z", "low").await?,
            Some(2),
            "reverse rank of low"
        );
        Ok(())
    }

    /// The only member of a set has rank 0 both ways.
    pub async fn single_member_rank_zero(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", &[("only", 7.0)]).await?;
        check_eq!(rank(cx, "z", "only").await?, Some(0), "rank");
        check_eq!(
            reverse_rank(cx, "z", "only").await?,
            Some(0),
            "reverse rank"
        );
        Ok(())
    }

    /// Members of equal score rank by member bytes.
    pub async fn ties_rank_by_member_bytes(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", &[("b", 1.0), ("a", 1.0), ("C", 1.0)]).await?;
        check_eq!(rank(cx, "z", "C").await?, Some(0), "rank of C");
        check_eq!(rank(cx, "z", "a").await?, Some(1), "rank of a");
        check_eq!(rank(cx, "z", "b").await?, Some(2), "rank of b");
        check_eq!(
            reverse_rank(cx, "z", "b").await?,
            Some(0),
            "reverse rank of b"
        );
        Ok(())
    }

    /// A missing member answers found = false for both, not an error.
    pub async fn missing_member_not_found(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", THREE).await?;
        check_eq!(
            rank(cx, "z", "absent").await?,
            None,
            "rank of a missing member"
        );
        check_eq!(
            reverse_rank(cx, "z", "absent").await?,
            None,
            "reverse rank of a missing member"
        );
        Ok(())
    }

    /// A missing set answers found = false for both.
    pub async fn missing_set_not_found(cx: &mut Case) -> CaseResult {
        check_eq!(rank(cx, "no-such-set", "m").await?, None, "rank");
        check_eq!(
            reverse_rank(cx, "no-such-set", "m").await?,
            None,
            "reverse rank"
        );
        Ok(())
    }

    /// A score update changes the rank to the member's new place.
    pub async fn rank_follows_score_update(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", THREE).await?;
        add_all(cx, "z", &[("low", 10.0)]).await?;
        check_eq!(
            rank(cx, "z", "low").await?,
            Some(2),
            "rank of low moved to the top"
        );
        check_eq!(rank(cx, "z", "mid").await?, Some(0), "rank of mid");
        check_eq!(
            reverse_rank(cx, "z", "low").await?,
            Some(0),
            "reverse rank of low"
        );
        Ok(())
    }

    /// Members ranked in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::sortedset::isolated::Rank).await
    }
}
