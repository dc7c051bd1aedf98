use prism_suite::interface_suite;

/// `sortedset_basic`: Add, Remove, GetScore.
///
/// Rules: Add of a new member reports added; Add of an existing member moves it to the new score and
/// reports not added; Remove reports whether the member was there; GetScore of a missing member or
/// set is NOT_FOUND; a NaN score is INVALID_ARGUMENT and changes nothing; infinities are scores; an
/// empty key or member is INVALID_ARGUMENT; sets under different keys and namespaces are apart.
#[interface_suite("sortedset_basic")]
pub mod sortedset_basic {
    use prism_suite::prelude::*;
    use prism_suite::proto::sortedset::*;

    fn add_req(key: &str, member: &str, score: f64) -> AddRequest {
        AddRequest {
            key: key.into(),
            member: member.into(),
            score,
            ..Default::default()
        }
    }

    fn score_req(key: &str, member: &str) -> GetScoreRequest {
        GetScoreRequest {
            key: key.into(),
            member: member.into(),
            ..Default::default()
        }
    }

    fn remove_req(key: &str, member: &str) -> RemoveRequest {
        RemoveRequest {
            key: key.into(),
            member: member.into(),
            ..Default::default()
        }
    }

    /// Add of a new member reports added = true and stores its score.
    pub async fn add_new_member(cx: &mut Case) -> CaseResult {
        let mut zs = cx.sortedset_basic();
        let added = zs.add(cx.req(add_req("z", "alice", 42.5))).await?;
        check!(
            added.into_inner().added,
            "Add of a new member reported added = false"
        );
        let got = zs.get_score(cx.req(score_req("z", "alice"))).await?;
        check_eq!(got.into_inner().score, 42.5, "GetScore after Add");
        Ok(())
    }

    /// Add of an existing member reports added = false and moves it to the new score.
    pub async fn add_existing_member_updates_score(cx: &mut Case) -> CaseResult {
        let mut zs = cx.sortedset_basic();
        zs.add(cx.req(add_req("z", "alice", 1.0))).await?;
        let again = zs.add(cx.req(add_req("z", "alice", -7.25))).await?;
        check!(
            !again.into_inner().added,
            "Add of an existing member reported added = true"
        );
        let got = zs.get_score(cx.req(score_req("z", "alice"))).await?;
        check_eq!(got.into_inner().score, -7.25, "GetScore after the update");
        Ok(())
    }

    /// GetScore of a missing member, or of a set that does not exist, is NOT_FOUND.
    pub async fn get_score_missing_is_not_found(cx: &mut Case) -> CaseResult {
        let mut zs = cx.sortedset_basic();
        zs.add(cx.req(add_req("z", "present", 1.0))).await?;
        let member = zs.get_score(cx.req(score_req("z", "absent"))).await;
        check_code!(member, Code::NotFound);
        let set = zs
            .get_score(cx.req(score_req("no-such-set", "present")))
            .await;
        check_code!(set, Code::NotFound);
        Ok(())
    }

    /// Remove reports removed = true for a member that was there (and it is gone), false otherwise.
    pub async fn remove_reports_whether_present(cx: &mut Case) -> CaseResult {
        let mut zs = cx.sortedset_basic();
        zs.add(cx.req(add_req("z", "a", 1.0))).await?;
        zs.add(cx.req(add_req("z", "b", 2.0))).await?;
        let first = zs.remove(cx.req(remove_req("z", "a"))).await?;
        check!(
            first.into_inner().removed,
            "Remove of a present member reported false"
        );
        let gone = zs.get_score(cx.req(score_req("z", "a"))).await;
        check_code!(gone, Code::NotFound);
        let again = zs.remove(cx.req(remove_req("z", "a"))).await?;
        check!(!again.into_inner().removed, "a second Remove reported true");
        let never = zs.remove(cx.req(remove_req("no-such-set", "a"))).await?;
        check!(
            !never.into_inner().removed,
            "Remove from a missing set reported true"
        );
        let kept = zs.get_score(cx.req(score_req("z", "b"))).await?;
        check_eq!(kept.into_inner().score, 2.0, "the other member's score");
        Ok(())
    }

    /// A NaN score is INVALID_ARGUMENT and neither creates nor changes a member.
    pub async fn nan_score_rejected(cx: &mut Case) -> CaseResult {
        let mut zs = cx.sortedset_basic();
        let new = zs.add(cx.req(add_req("z", "nan-new", f64::NAN))).await;
        check_code!(new, Code::InvalidArgument);
        let absent = zs.get_score(cx.req(score_req("z", "nan-new"))).await;
        check_code!(absent, Code::NotFound);
        zs.add(cx.req(add_req("z", "kept", 3.0))).await?;
        let update = zs.add(cx.req(add_req("z", "kept", f64::NAN))).await;
        check_code!(update, Code::InvalidArgument);
        let kept = zs.get_score(cx.req(score_req("z", "kept"))).await?;
        check_eq!(
            kept.into_inner().score,
            3.0,
            "score after a rejected NaN update"
        );
        Ok(())
    }

    /// +inf and -inf are valid scores and round trip.
    pub async fn infinite_scores_allowed(cx: &mut Case) -> CaseResult {
        let mut zs = cx.sortedset_basic();
        zs.add(cx.req(add_req("z", "top", f64::INFINITY))).await?;
        zs.add(cx.req(add_req("z", "bottom", f64::NEG_INFINITY)))
            .await?;
        let top = zs.get_score(cx.req(score_req("z", "top"))).await?;
        check_eq!(top.into_inner().score, f64::INFINITY, "GetScore top");
        let bottom = zs.get_score(cx.req(score_req("z", "bottom"))).await?;
        check_eq!(
            bottom.into_inner().score,
            f64::NEG_INFINITY,
            "GetScore bottom"
        );
        Ok(())
    }

    /// An empty key or member is INVALID_ARGUMENT for Add, Remove and GetScore.
    pub async fn empty_key_or_member_rejected(cx: &mut Case) -> CaseResult {
        let mut zs = cx.sortedset_basic();
        for (key, member) in [("", "m"), ("z", "")] {
            let add = zs.add(cx.req(add_req(key, member, 1.0))).await;
            check_code!(add, Code::InvalidArgument);
            let remove = zs.remove(cx.req(remove_req(key, member))).await;
            check_code!(remove, Code::InvalidArgument);
            let score = zs.get_score(cx.req(score_req(key, member))).await;
            check_code!(score, Code::InvalidArgument);
        }
        Ok(())
    }

    /// The same member under two keys has two independent scores.
    pub async fn keys_are_separate_sets(cx: &mut Case) -> CaseResult {
        let mut zs = cx.sortedset_basic();
        zs.add(cx.req(add_req("z1", "m", 1.0))).await?;
        zs.add(cx.req(add_req("z2", "m", 2.0))).await?;
        zs.remove(cx.req(remove_req("z2", "m"))).await?;
        let one = zs.get_score(cx.req(score_req("z1", "m"))).await?;
        check_eq!(one.into_inner().score, 1.0, "z1 after z2 changed");
        Ok(())
    }

    /// A set written in one namespace is invisible in another.
    pub async fn namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let mut zs = cx.sortedset_basic();
        let other = cx.other_namespace();
        zs.add(cx.req(add_req("z", "m", 1.0))).await?;
        let there = zs.get_score(cx.req_in(&other, score_req("z", "m"))).await;
        check_code!(there, Code::NotFound);
        let added = zs.add(cx.req_in(&other, add_req("z", "m", 9.0))).await?;
        check!(
            added.into_inner().added,
            "Add in another namespace saw this namespace's member"
        );
        let mine = zs.get_score(cx.req(score_req("z", "m"))).await?;
        check_eq!(
            mine.into_inner().score,
            1.0,
            "own score after the other namespace wrote"
        );
        Ok(())
    }

    /// Adds, removes and scores in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::sortedset::isolated::Basic).await
    }

    /// Random sequences of Add, Remove and GetScore get the answers memstore, the reference backend, gives (shrunk to the shortest differing sequence, with its seed, on a difference).
    pub async fn matches_reference(cx: &mut Case) -> CaseResult {
        crate::differential::check(cx, &crate::sortedset::reference::Basic).await
    }
}
