use prism_suite::interface_suite;

/// `set_operations`: Union, Intersection, Difference over any number of sets.
///
/// Rules: each answers its members once each, in byte order; Union is every member of any set,
/// Intersection the members of all, Difference the first set minus all the others; a missing set is
/// empty; one set alone is itself; no keys, or an empty key, is INVALID_ARGUMENT; the operations
/// change no set. Sets are seeded with set_basic and checked with its GetMembers.
#[interface_suite("set_operations")]
pub mod set_operations {
    use prism_suite::prelude::*;
    use prism_suite::proto::set::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::set::{add, add_in, members_of, texts};

    #[derive(Clone, Copy, Debug)]
    enum Op {
        Union,
        Intersection,
        Difference,
    }

    /// `op` over `keys`, as text in the order answered.
    #[track_caller]
    fn apply(
        cx: &Case,
        op: Op,
        keys: &[&str],
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        let mut set = cx.set_operations();
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        let ns = cx.namespace().to_owned();
        at_caller(async move {
            let members = match op {
                Op::Union => {
                    set.union(UnionRequest {
                        namespace: ns,
                        keys,
                    })
                    .await?
                    .into_inner()
                    .members
                }
                Op::Intersection => {
                    set.intersection(IntersectionRequest {
                        namespace: ns,
                        keys,
                    })
                    .await?
                    .into_inner()
                    .members
                }
                Op::Difference => {
                    set.difference(DifferenceRequest {
                        namespace: ns,
                        keys,
                    })
                    .await?
                    .into_inner()
                    .members
                }
            };
            Ok(texts(&members))
        })
    }

    /// Union of three sets is every member of any of them, once each, in byte order.
    pub async fn union_of_sets(cx: &mut Case) -> CaseResult {
        add(cx, "s1", &["c", "a", "b"]).await?;
        add(cx, "s2", &["b", "d"]).await?;
        add(cx, "s3", &["e", "a"]).await?;
        check_eq!(
            apply(cx, Op::Union, &["s1", "s2", "s3"]).await?,
            ["a", "b", "c", "d", "e"],
            "Union s1 s2 s3"
        );
        check_eq!(
            apply(cx, Op::Union, &["s2", "s1"]).await?,
            ["a", "b", "c", "d"],
            "Union s2 s1"
        );
        Ok(())
    }

    /// Intersection of three sets is the members in all of them, in byte order.
    pub async fn intersection_of_sets(cx: &mut Case) -> CaseResult {
        add(cx, "s1", &["a", "b", "c", "d"]).await?;
        add(cx, "s2", &["d", "c", "b", "x"]).await?;
        add(cx, "s3", &["c", "y", "b"]).await?;
        check_eq!(
            apply(cx, Op::Intersection, &["s1", "s2", "s3"]).await?,
            ["b", "c"],
            "Intersection s1 s2 s3"
        );
        Ok(())
    }

    /// Difference is the first set minus every member of all the others, in byte order.
    pub async fn difference_first_minus_rest(cx: &mut Case) -> CaseResult {
        add(cx, "s1", &["a", "b", "c", "d", "e"]).await?;
        add(cx, "s2", &["b", "x"]).await?;
        add(cx, "s3", &["d", "e"]).await?;
        check_eq!(
            apply(cx, Op::Difference, &["s1", "s2", "s3"]).await?,
            ["a", "c"],
            "Difference s1 s2 s3"
        );
        check_eq!(
            apply(cx, Op::Difference, &["s2", "s1"]).await?,
            ["x"],
            "Difference s2 s1"
        );
        Ok(())
    }

    /// A missing set is empty: it adds nothing to a Union, empties an Intersection, subtracts nothing.
    pub async fn missing_set_is_empty(cx: &mut Case) -> CaseResult {
        add(cx, "s1", &["a", "b"]).await?;
        let none: [&str; 0] = [];
        check_eq!(
            apply(cx, Op::Union, &["s1", "missing"]).await?,
            ["a", "b"],
            "Union s1 missing"
        );
        check_eq!(
            apply(cx, Op::Intersection, &["s1", "missing"]).await?,
            none,
            "Intersection s1 missing"
        );
        check_eq!(
            apply(cx, Op::Difference, &["s1", "missing"]).await?,
            ["a", "b"],
            "Difference s1 missing"
        );
        check_eq!(
            apply(cx, Op::Difference, &["missing", "s1"]).await?,
            none,
            "Difference missing s1"
        );
        check_eq!(
            apply(cx, Op::Union, &["missing"]).await?,
            none,
            "Union missing"
        );
        Ok(())
    }

    /// One set alone is itself for all three operations, and a set named twice counts once.
    pub async fn single_set_is_itself(cx: &mut Case) -> CaseResult {
        add(cx, "s1", &["b", "a"]).await?;
        for op in [Op::Union, Op::Intersection, Op::Difference] {
            check_eq!(
                apply(cx, op, &["s1"]).await?,
                ["a", "b"],
                "{op:?} of s1 alone"
            );
        }
        check_eq!(
            apply(cx, Op::Union, &["s1", "s1"]).await?,
            ["a", "b"],
            "Union s1 s1"
        );
        check_eq!(
            apply(cx, Op::Intersection, &["s1", "s1"]).await?,
            ["a", "b"],
            "Intersection s1 s1"
        );
        Ok(())
    }

    /// The operations only read: every operand keeps its members and no result set is created.
    pub async fn operations_change_no_set(cx: &mut Case) -> CaseResult {
        add(cx, "s1", &["a", "b"]).await?;
        add(cx, "s2", &["b", "c"]).await?;
        for op in [Op::Union, Op::Intersection, Op::Difference] {
            apply(cx, op, &["s1", "s2", "missing"]).await?;
        }
        check_eq!(
            members_of(cx, "s1").await?,
            ["a", "b"],
            "s1 after the operations"
        );
        check_eq!(
            members_of(cx, "s2").await?,
            ["b", "c"],
            "s2 after the operations"
        );
        let none: [&str; 0] = [];
        check_eq!(
            members_of(cx, "missing").await?,
            none,
            "the missing operand"
        );
        Ok(())
    }

    /// Sets of another namespace with the same names take no part.
    pub async fn namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        add(cx, "s1", &["a"]).await?;
        add_in(cx, &other, "s1", &["theirs"]).await?;
        add_in(cx, &other, "s2", &["a", "theirs"]).await?;
        check_eq!(
            apply(cx, Op::Union, &["s1", "s2"]).await?,
            ["a"],
            "Union s1 s2"
        );
        check_eq!(
            apply(cx, Op::Difference, &["s1", "s2"]).await?,
            ["a"],
            "Difference s1 s2"
        );
        Ok(())
    }

    /// No keys at all, or an empty key among them, is INVALID_ARGUMENT.
    pub async fn no_keys_or_empty_key_rejected(cx: &mut Case) -> CaseResult {
        let mut set = cx.set_operations();
        let union = set.union(cx.req(UnionRequest::default())).await;
        check_code!(union, Code::InvalidArgument);
        let inter = set
            .intersection(cx.req(IntersectionRequest::default()))
            .await;
        check_code!(inter, Code::InvalidArgument);
        let diff = set.difference(cx.req(DifferenceRequest::default())).await;
        check_code!(diff, Code::InvalidArgument);
        let empty_key = set
            .union(cx.req(UnionRequest {
                keys: vec!["s1".into(), String::new()],
                ..Default::default()
            }))
            .await;
        check_code!(empty_key, Code::InvalidArgument);
        Ok(())
    }

    /// Sets combined by Union, Intersection and Difference in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::set::isolated::Operations).await
    }
}
