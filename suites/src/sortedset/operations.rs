use prism_suite::interface_suite;

/// `sortedset_operations`: Union, Intersection.
///
/// Rules: Union holds members of any set, Intersection only of every set; scores are multiplied by
/// the set's weight and combined by SUM (default), MIN or MAX; a missing set is empty; the result is
/// ordered by score then member bytes and is returned, leaving the inputs unchanged; no keys, or a
/// weights list of another length, is INVALID_ARGUMENT. Sets are seeded (and the inputs read back)
/// with sortedset_basic.
#[interface_suite("sortedset_operations")]
pub mod sortedset_operations {
    use prism_suite::prelude::*;
    use prism_suite::proto::sortedset::*;

    use crate::sortedset::{add_all, expect, pairs};

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|k| (*k).to_owned()).collect()
    }

    fn union(names: &[&str], weights: &[f64], aggregate: ScoreAggregate) -> UnionRequest {
        UnionRequest {
            keys: keys(names),
            weights: weights.to_vec(),
            aggregate: aggregate as i32,
            ..Default::default()
        }
    }

    fn inter(names: &[&str], weights: &[f64], aggregate: ScoreAggregate) -> IntersectionRequest {
        IntersectionRequest {
            keys: keys(names),
            weights: weights.to_vec(),
            aggregate: aggregate as i32,
            ..Default::default()
        }
    }

    /// Seeds z1 = {a:1, b:2, c:3} and z2 = {b:10, c:20, d:30}.
    async fn seed(cx: &Case) -> CaseResult {
        add_all(cx, "z1", &[("a", 1.0), ("b", 2.0), ("c", 3.0)]).await?;
        add_all(cx, "z2", &[("b", 10.0), ("c", 20.0), ("d", 30.0)]).await
    }

    /// Union holds every member of any set; shared members' scores are summed by default.
    pub async fn union_sums_by_default(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        let mut zs = cx.sortedset_operations();
        let got = zs
            .union(cx.req(union(&["z1", "z2"], &[], ScoreAggregate::Sum)))
            .await?;
        check_eq!(
            pairs(&got.into_inner().members),
            expect(&[("a", 1.0), ("b", 12.0), ("c", 23.0), ("d", 30.0)]),
            "Union z1 z2"
        );
        Ok(())
    }

    /// Intersection holds only members of every set, with summed scores.
    pub async fn intersection_keeps_common_members(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        let mut zs = cx.sortedset_operations();
        let got = zs
            .intersection(cx.req(inter(&["z1", "z2"], &[], ScoreAggregate::Sum)))
            .await?;
        check_eq!(
            pairs(&got.into_inner().members),
            expect(&[("b", 12.0), ("c", 23.0)]),
            "Intersection z1 z2"
        );
        Ok(())
    }

    /// Each set's scores are multiplied by its weight before they are combined.
    pub async fn weights_multiply_scores(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        let mut zs = cx.sortedset_operations();
        let got = zs
            .union(cx.req(union(&["z1", "z2"], &[2.0, -1.0], ScoreAggregate::Sum)))
            .await?;
        check_eq!(
            pairs(&got.into_inner().members),
            expect(&[("d", -30.0), ("c", -14.0), ("b", -6.0), ("a", 2.0)]),
            "Union z1*2 z2*-1"
        );
        let got = zs
            .intersection(cx.req(inter(&["z1", "z2"], &[10.0, 0.5], ScoreAggregate::Sum)))
            .await?;
        check_eq!(
            pairs(&got.into_inner().members),
            expect(&[("b", 25.0), ("c", 40.0)]),
            "Intersection z1*10 z2*0.5"
        );
        Ok(())
    }

    /// MIN keeps the lowest weighted score of a member, MAX the highest.
    pub async fn aggregate_min_and_max(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        let mut zs = cx.sortedset_operations();
        let got = zs
            .union(cx.req(union(&["z1", "z2"], &[5.0, 1.0], ScoreAggregate::Min)))
            .await?;
        check_eq!(
            pairs(&got.into_inner().members),
            expect(&[("a", 5.0), ("b", 10.0), ("c", 15.0), ("d", 30.0)]),
            "Union MIN z1*5 z2"
        );
        let got = zs
            .intersection(cx.req(inter(&["z1", "z2"], &[5.0, 1.0], ScoreAggregate::Max)))
            .await?;
        check_eq!(
            pairs(&got.into_inner().members),
            expect(&[("b", 10.0), ("c", 20.0)]),
            "Intersection MAX z1*5 z2"
        );
        Ok(())
    }

    /// A missing set is empty: it adds nothing to a Union and empties an Intersection.
    pub async fn missing_set_is_empty(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        let mut zs = cx.sortedset_operations();
        let got = zs
            .union(cx.req(union(&["z1", "no-such-set"], &[], ScoreAggregate::Sum)))
            .await?;
        check_eq!(
            pairs(&got.into_inner().members),
            expect(&[("a", 1.0), ("b", 2.0), ("c", 3.0)]),
            "Union z1 missing"
        );
        let got = zs
            .intersection(cx.req(inter(&["z1", "no-such-set"], &[], ScoreAggregate::Sum)))
            .await?;
        check!(
            got.into_inner().members.is_empty(),
            "Intersection with a missing set was not empty"
        );
        Ok(())
    }

    /// The result is ordered by score, ties by member bytes.
    pub async fn result_ordered_by_score_then_member(cx: &mut Case) -> CaseResult {
        add_all(cx, "z1", &[("y", 1.0), ("x", 2.0)]).await?;
        add_all(cx, "z2", &[("Y", 3.0), ("x", 1.0), ("w", 0.5)]).await?;
        let mut zs = cx.sortedset_operations();
        let got = zs
            .union(cx.req(union(&["z1", "z2"], &[], ScoreAggregate::Sum)))
            .await?;
        check_eq!(
            pairs(&got.into_inner().members),
            expect(&[("w", 0.5), ("y", 1.0), ("Y", 3.0), ("x", 3.0)]),
            "Union order"
        );
        Ok(())
    }

    /// The result is returned only: the input sets keep their members and scores.
    pub async fn inputs_unchanged(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        let mut zs = cx.sortedset_operations();
        zs.union(cx.req(union(&["z1", "z2"], &[3.0, 3.0], ScoreAggregate::Sum)))
            .await?;
        zs.intersection(cx.req(inter(&["z1", "z2"], &[3.0, 3.0], ScoreAggregate::Max)))
            .await?;
        // Read back through sortedset_basic: this interface has no read of a single set.
        let mut basic = cx.sortedset_basic();
        for (key, member, score) in [("z1", "b", 2.0), ("z2", "b", 10.0), ("z2", "d", 30.0)] {
            let got = basic
                .get_score(cx.req(GetScoreRequest {
                    key: key.into(),
                    member: member.into(),
                    ..Default::default()
                }))
                .await?;
            check_eq!(
                got.into_inner().score,
                score,
                "{key} {member} after the operations"
            );
        }
        let a = basic
            .get_score(cx.req(GetScoreRequest {
                key: "z2".into(),
                member: "a".into(),
                ..Default::default()
            }))
            .await;
        check_code!(a, Code::NotFound);
        Ok(())
    }

    /// No keys, or a weights list whose length differs from the keys', is INVALID_ARGUMENT.
    pub async fn bad_arguments_rejected(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        let mut zs = cx.sortedset_operations();
        let none = zs.union(cx.req(union(&[], &[], ScoreAggregate::Sum))).await;
        check_code!(none, Code::InvalidArgument);
        let none = zs
            .intersection(cx.req(inter(&[], &[], ScoreAggregate::Sum)))
            .await;
        check_code!(none, Code::InvalidArgument);
        let short = zs
            .union(cx.req(union(&["z1", "z2"], &[1.0], ScoreAggregate::Sum)))
            .await;
        check_code!(short, Code::InvalidArgument);
        let long = zs
            .intersection(cx.req(inter(&["z1", "z2"], &[1.0, 2.0, 3.0], ScoreAggregate::Sum)))
            .await;
        check_code!(long, Code::InvalidArgument);
        Ok(())
    }

    /// Sets combined by Union and Intersection in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::sortedset::isolated::Operations).await
    }

    /// A NaN weight is INVALID_ARGUMENT, for Union and Intersection.
    pub async fn nan_weight_rejected(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        let mut z = cx.sortedset_operations();
        let u = z
            .union(cx.req(union(&["z1", "z2"], &[1.0, f64::NAN], ScoreAggregate::Sum)))
            .await;
        check_code!(u, Code::InvalidArgument);
        let i = z
            .intersection(cx.req(inter(&["z1", "z2"], &[f64::NAN, 1.0], ScoreAggregate::Sum)))
            .await;
        check_code!(i, Code::InvalidArgument);
        Ok(())
    }

    /// A NaN arising from infinities (+inf plus -inf) counts as 0, as in Redis.
    pub async fn nan_from_infinities_counts_as_zero(cx: &mut Case) -> CaseResult {
        add_all(cx, "up", &[("m", f64::INFINITY), ("n", 1.0)]).await?;
        add_all(cx, "down", &[("m", f64::NEG_INFINITY), ("n", 2.0)]).await?;
        let mut z = cx.sortedset_operations();
        let u = z
            .union(cx.req(union(&["up", "down"], &[], ScoreAggregate::Sum)))
            .await?
            .into_inner();
        check_eq!(
            pairs(&u.members),
            expect(&[("m", 0.0), ("n", 3.0)]),
            "Union of +inf and -inf"
        );
        let i = z
            .intersection(cx.req(inter(&["up", "down"], &[], ScoreAggregate::Sum)))
            .await?
            .into_inner();
        check_eq!(
            pairs(&i.members),
            expect(&[("m", 0.0), ("n", 3.0)]),
            "Intersection of +inf and -inf"
        );
        Ok(())
    }
}
