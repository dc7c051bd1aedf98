use prism_suite::interface_suite;

/// `sortedset_range`: GetRange (by index), GetRangeByScore.
///
/// Rules: ascending score with ties ordered by member bytes (not insertion); index ranges inclusive,
/// negative indexes from the end, clamped, reverse counts from the top; score bounds inclusive unless
/// exclusive, infinite bounds and scores, NaN bound INVALID_ARGUMENT, offset/limit; a missing set is
/// empty. Sets are seeded with sortedset_basic Add.
#[interface_suite("sortedset_range")]
pub mod sortedset_range {
    use prism_suite::prelude::*;
    use prism_suite::proto::sortedset::*;

    use std::future::Future;

    use crate::sortedset::{add_all, expect, names, pairs};

    /// Five members with distinct scores, added out of order.
    const FIVE: &[(&str, f64)] = &[
        ("c", 30.0),
        ("a", 10.0),
        ("e", 50.0),
        ("b", 20.0),
        ("d", 40.0),
    ];

    /// GetRange of `key` from `start` to `stop`.
    #[track_caller]
    fn range(
        cx: &Case,
        key: &str,
        start: i64,
        stop: i64,
        reverse: bool,
    ) -> impl Future<Output = Result<Vec<ScoredMember>, CaseError>> + Send {
        let mut zs = cx.sortedset_range();
        let req = cx.req(GetRangeRequest {
            key: key.into(),
            start,
            stop,
            reverse,
            ..Default::default()
        });
        crate::keyvalue::at_caller(async move { Ok(zs.get_range(req).await?.into_inner().members) })
    }

    fn by_score(key: &str, min: f64, max: f64) -> GetRangeByScoreRequest {
        GetRangeByScoreRequest {
            key: key.into(),
            min,
            max,
            ..Default::default()
        }
    }

    /// GetRange 0..-1 returns every member with its score, ascending by score.
    pub async fn get_range_all_ascending(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", FIVE).await?;
        let got = range(cx, "z", 0, -1, false).await?;
        check_eq!(
            pairs(&got),
            expect(&[
                ("a", 10.0),
                ("b", 20.0),
                ("c", 30.0),
                ("d", 40.0),
                ("e", 50.0)
            ]),
            "GetRange 0..-1"
        );
        Ok(())
    }

    /// Members of equal score are ordered by their bytes, not by insertion ("B" < "a" < "ab" < "b" < "é").
    pub async fn score_ties_ordered_by_member_bytes(cx: &mut Case) -> CaseResult {
        add_all(
            cx,
            "z",
            &[
                ("é", 1.0),
                ("b", 1.0),
                ("ab", 1.0),
                ("a", 1.0),
                ("B", 1.0),
                ("low", 0.0),
            ],
        )
        .await?;
        let got = range(cx, "z", 0, -1, false).await?;
        check_eq!(
            names(&got),
            ["low", "B", "a", "ab", "b", "é"],
            "GetRange over tied scores"
        );
        Ok(())
    }

    /// Both indexes are inclusive and a negative index counts from the end (-1 is the last member).
    pub async fn get_range_negative_indexes(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", FIVE).await?;
        let got = range(cx, "z", 1, 3, false).await?;
        check_eq!(names(&got), ["b", "c", "d"], "GetRange 1..3");
        let got = range(cx, "z", -3, -2, false).await?;
        check_eq!(names(&got), ["c", "d"], "GetRange -3..-2");
        let got = range(cx, "z", -1, -1, false).await?;
        check_eq!(names(&got), ["e"], "GetRange -1..-1");
        Ok(())
    }

    /// Indexes past either end are clamped; start after stop (or past the end) is empty.
    pub async fn get_range_out_of_bounds(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", FIVE).await?;
        let got = range(cx, "z", -100, 100, false).await?;
        check_eq!(names(&got), ["a", "b", "c", "d", "e"], "GetRange -100..100");
        let got = range(cx, "z", 3, 1, false).await?;
        check_eq!(names(&got), Vec::<String>::new(), "GetRange 3..1");
        let got = range(cx, "z", 5, 10, false).await?;
        check_eq!(names(&got), Vec::<String>::new(), "GetRange 5..10");
        Ok(())
    }

    /// With reverse, the order is descending and index 0 is the highest member.
    pub async fn get_range_reverse(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", FIVE).await?;
        add_all(cx, "z", &[("bb", 20.0)]).await?;
        let got = range(cx, "z", 0, -1, true).await?;
        check_eq!(
            names(&got),
            ["e", "d", "c", "bb", "b", "a"],
            "reverse GetRange 0..-1"
        );
        let got = range(cx, "z", 1, 2, true).await?;
        check_eq!(names(&got), ["d", "c"], "reverse GetRange 1..2");
        Ok(())
    }

    /// A missing set is empty for both reads.
    pub async fn missing_set_is_empty(cx: &mut Case) -> CaseResult {
        let got = range(cx, "no-such-set", 0, -1, false).await?;
        check!(got.is_empty(), "GetRange of a missing set returned {got:?}");
        let mut zs = cx.sortedset_range();
        let req = by_score("no-such-set", f64::NEG_INFINITY, f64::INFINITY);
        let got = zs
            .get_range_by_score(cx.req(req))
            .await?
            .into_inner()
            .members;
        check!(
            got.is_empty(),
            "GetRangeByScore of a missing set returned {got:?}"
        );
        Ok(())
    }

    /// GetRangeByScore includes both bounds by default.
    pub async fn by_score_inclusive_bounds(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", FIVE).await?;
        let mut zs = cx.sortedset_range();
        let got = zs
            .get_range_by_score(cx.req(by_score("z", 20.0, 40.0)))
            .await?;
        check_eq!(
            pairs(&got.into_inner().members),
            expect(&[("b", 20.0), ("c", 30.0), ("d", 40.0)]),
            "GetRangeByScore [20, 40]"
        );
        Ok(())
    }

    /// min_exclusive / max_exclusive make that bound strict, each on its own.
    pub async fn by_score_exclusive_bounds(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", FIVE).await?;
        let mut zs = cx.sortedset_range();
        let both = GetRangeByScoreRequest {
            min_exclusive: true,
            max_exclusive: true,
            ..by_score("z", 20.0, 40.0)
        };
        let got = zs.get_range_by_score(cx.req(both)).await?;
        check_eq!(names(&got.into_inner().members), ["c"], "(20, 40)");
        let low = GetRangeByScoreRequest {
            min_exclusive: true,
            ..by_score("z", 20.0, 40.0)
        };
        let got = zs.get_range_by_score(cx.req(low)).await?;
        check_eq!(names(&got.into_inner().members), ["c", "d"], "(20, 40]");
        let high = GetRangeByScoreRequest {
            max_exclusive: true,
            ..by_score("z", 20.0, 40.0)
        };
        let got = zs.get_range_by_score(cx.req(high)).await?;
        check_eq!(names(&got.into_inner().members), ["b", "c"], "[20, 40)");
        Ok(())
    }

    /// Infinite bounds take everything, and infinite scores sort at the very ends.
    pub async fn by_score_infinite_bounds_and_scores(cx: &mut Case) -> CaseResult {
        add_all(
            cx,
            "z",
            &[
                ("top", f64::INFINITY),
                ("mid", 0.0),
                ("bottom", f64::NEG_INFINITY),
            ],
        )
        .await?;
        let mut zs = cx.sortedset_range();
        let all = by_score("z", f64::NEG_INFINITY, f64::INFINITY);
        let got = zs.get_range_by_score(cx.req(all)).await?;
        check_eq!(
            pairs(&got.into_inner().members),
            expect(&[
                ("bottom", f64::NEG_INFINITY),
                ("mid", 0.0),
                ("top", f64::INFINITY)
            ]),
            "GetRangeByScore [-inf, +inf]"
        );
        let open = GetRangeByScoreRequest {
            min_exclusive: true,
            max_exclusive: true,
            ..by_score("z", f64::NEG_INFINITY, f64::INFINITY)
        };
        let got = zs.get_range_by_score(cx.req(open)).await?;
        check_eq!(names(&got.into_inner().members), ["mid"], "(-inf, +inf)");
        Ok(())
    }

    /// Ties within a score range are ordered by member bytes too.
    pub async fn by_score_ties_ordered_by_member_bytes(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", &[("y", 5.0), ("x", 5.0), ("Z", 5.0), ("w", 6.0)]).await?;
        let mut zs = cx.sortedset_range();
        let got = zs
            .get_range_by_score(cx.req(by_score("z", 5.0, 5.0)))
            .await?;
        check_eq!(names(&got.into_inner().members), ["Z", "x", "y"], "[5, 5]");
        Ok(())
    }

    /// offset skips that many matches, then limit caps the count (0 means no limit).
    pub async fn by_score_offset_and_limit(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", FIVE).await?;
        let mut zs = cx.sortedset_range();
        let paged = GetRangeByScoreRequest {
            offset: 1,
            limit: 2,
            ..by_score("z", 10.0, 50.0)
        };
        let got = zs.get_range_by_score(cx.req(paged)).await?;
        check_eq!(
            names(&got.into_inner().members),
            ["b", "c"],
            "offset 1 limit 2"
        );
        let rest = GetRangeByScoreRequest {
            offset: 3,
            ..by_score("z", 10.0, 50.0)
        };
        let got = zs.get_range_by_score(cx.req(rest)).await?;
        check_eq!(
            names(&got.into_inner().members),
            ["d", "e"],
            "offset 3 limit 0"
        );
        let past = GetRangeByScoreRequest {
            offset: 9,
            ..by_score("z", 10.0, 50.0)
        };
        let got = zs.get_range_by_score(cx.req(past)).await?;
        check!(
            got.into_inner().members.is_empty(),
            "offset past the end returned members"
        );
        Ok(())
    }

    /// A NaN score bound is INVALID_ARGUMENT.
    pub async fn by_score_nan_bound_rejected(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", FIVE).await?;
        let mut zs = cx.sortedset_range();
        let min = zs
            .get_range_by_score(cx.req(by_score("z", f64::NAN, 1.0)))
            .await;
        check_code!(min, Code::InvalidArgument);
        let max = zs
            .get_range_by_score(cx.req(by_score("z", 1.0, f64::NAN)))
            .await;
        check_code!(max, Code::InvalidArgument);
        Ok(())
    }

    /// An updated score moves the member to its new place in the order.
    pub async fn update_moves_member(cx: &mut Case) -> CaseResult {
        add_all(cx, "z", FIVE).await?;
        add_all(cx, "z", &[("a", 35.0)]).await?;
        let got = range(cx, "z", 0, -1, false).await?;
        check_eq!(
            names(&got),
            ["b", "c", "a", "d", "e"],
            "GetRange after moving a"
        );
        Ok(())
    }

    /// Members ranged by index or score in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::sortedset::isolated::Range).await
    }
}
