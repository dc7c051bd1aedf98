use prism_suite::interface_suite;

/// `set_random`: GetRandomMember, PopRandomMember.
///
/// Rules: both answer min(count, size) distinct members of the set; repeated draws cover the whole
/// set; GetRandomMember changes nothing; PopRandomMember removes exactly what it answers; a missing
/// set answers nothing; count 0 or an empty key is INVALID_ARGUMENT. The order of the answer is
/// unspecified, so cases compare sorted answers. Sets are seeded and read back with set_basic.
#[interface_suite("set_random")]
pub mod set_random {
    use prism_suite::prelude::*;
    use prism_suite::proto::set::*;

    use std::collections::BTreeSet;
    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::set::{add, members_of, texts};

    const TEN: [&str; 10] = ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"];

    /// GetRandomMember `count` of `key`, as text in the order answered.
    #[track_caller]
    fn get_random(
        cx: &Case,
        key: &str,
        count: u32,
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        let mut set = cx.set_random();
        let req = cx.req(GetRandomMemberRequest {
            key: key.into(),
            count,
            ..Default::default()
        });
        at_caller(async move {
            Ok(texts(
                &set.get_random_member(req).await?.into_inner().members,
            ))
        })
    }

    /// PopRandomMember `count` of `key`, as text in the order answered.
    #[track_caller]
    fn pop_random(
        cx: &Case,
        key: &str,
        count: u32,
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        let mut set = cx.set_random();
        let req = cx.req(PopRandomMemberRequest {
            key: key.into(),
            count,
            ..Default::default()
        });
        at_caller(async move {
            Ok(texts(
                &set.pop_random_member(req).await?.into_inner().members,
            ))
        })
    }

    fn sorted(mut members: Vec<String>) -> Vec<String> {
        members.sort();
        members
    }

    /// GetRandomMember answers exactly `count` distinct members of the set (count = size: all of them).
    pub async fn random_members_are_distinct(cx: &mut Case) -> CaseResult {
        add(cx, "s", &TEN).await?;
        // Drawing as many as there are: a plugin that draws with replacement repeats one almost surely.
        for _ in 0..3 {
            let got = get_random(cx, "s", 10).await?;
            check_eq!(
                sorted(got),
                TEN,
                "GetRandomMember 10 of a 10-member set, sorted"
            );
        }
        let some = get_random(cx, "s", 4).await?;
        let distinct: BTreeSet<&String> = some.iter().collect();
        check_eq!(
            some.len(),
            4usize,
            "members answered by GetRandomMember 4 of 10"
        );
        check_eq!(distinct.len(), 4usize, "distinct members in {some:?}");
        check!(
            some.iter().all(|m| TEN.contains(&m.as_str())),
            "GetRandomMember answered a non-member: {some:?}"
        );
        Ok(())
    }

    /// A count above the set's size answers each member once: never more than the cardinality.
    pub async fn count_is_bounded_by_cardinality(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["a", "b", "c"]).await?;
        let got = get_random(cx, "s", 10).await?;
        check_eq!(
            got.len(),
            3usize,
            "members answered by GetRandomMember 10 of {{a, b, c}}"
        );
        check_eq!(
            sorted(got),
            ["a", "b", "c"],
            "GetRandomMember 10 of {{a, b, c}}, sorted"
        );
        Ok(())
    }

    /// GetRandomMember changes nothing: the set keeps every member.
    pub async fn get_random_leaves_set_unchanged(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["a", "b", "c"]).await?;
        get_random(cx, "s", 2).await?;
        get_random(cx, "s", 5).await?;
        check_eq!(
            members_of(cx, "s").await?,
            ["a", "b", "c"],
            "GetMembers after GetRandomMember"
        );
        Ok(())
    }

    /// The choice is random: 200 draws of one member from a 3-member set see every member.
    pub async fn repeated_draws_cover_the_set(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["a", "b", "c"]).await?;
        let mut seen = BTreeSet::new();
        // A fair draw misses a member in 200 tries with probability 3 * (2/3)^200, about 1e-35.
        for _ in 0..200 {
            let got = get_random(cx, "s", 1).await?;
            check_eq!(got.len(), 1usize, "members answered by GetRandomMember 1");
            seen.extend(got);
            if seen.len() == 3 {
                break;
            }
        }
        check_eq!(
            seen,
            BTreeSet::from(["a".to_owned(), "b".into(), "c".into()]),
            "members drawn"
        );
        Ok(())
    }

    /// PopRandomMember answers `count` distinct members and removes exactly those.
    pub async fn pop_removes_what_it_answers(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["a", "b", "c", "d", "e"]).await?;
        let popped = sorted(pop_random(cx, "s", 2).await?);
        check_eq!(
            popped.len(),
            2usize,
            "members answered by PopRandomMember 2 of 5"
        );
        check!(
            popped[0] != popped[1] && popped.iter().all(|m| "abcde".contains(m.as_str())),
            "PopRandomMember 2 of {{a, b, c, d, e}} answered {popped:?}"
        );
        let left = members_of(cx, "s").await?;
        let expected: Vec<&str> = ["a", "b", "c", "d", "e"]
            .into_iter()
            .filter(|m| !popped.iter().any(|p| p == m))
            .collect();
        check_eq!(left, expected, "GetMembers after popping {popped:?}");
        Ok(())
    }

    /// PopRandomMember of more than the size takes every member once and leaves the set empty.
    pub async fn pop_beyond_size_empties_set(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["a", "b", "c"]).await?;
        let popped = pop_random(cx, "s", 5).await?;
        check_eq!(
            sorted(popped),
            ["a", "b", "c"],
            "PopRandomMember 5 of {{a, b, c}}, sorted"
        );
        let none: [&str; 0] = [];
        check_eq!(
            members_of(cx, "s").await?,
            none,
            "GetMembers after popping everything"
        );
        check_eq!(
            pop_random(cx, "s", 1).await?,
            none,
            "PopRandomMember of the emptied set"
        );
        Ok(())
    }

    /// A missing set answers no members for both operations.
    pub async fn missing_set_answers_nothing(cx: &mut Case) -> CaseResult {
        let none: [&str; 0] = [];
        check_eq!(
            get_random(cx, "never-added", 3).await?,
            none,
            "GetRandomMember of a missing set"
        );
        check_eq!(
            pop_random(cx, "never-added", 3).await?,
            none,
            "PopRandomMember of a missing set"
        );
        Ok(())
    }

    /// A count of 0, or an empty key, is INVALID_ARGUMENT and changes nothing.
    pub async fn zero_count_or_empty_key_rejected(cx: &mut Case) -> CaseResult {
        add(cx, "s", &["a"]).await?;
        let mut set = cx.set_random();
        let get = set
            .get_random_member(cx.req(GetRandomMemberRequest {
                key: "s".into(),
                count: 0,
                ..Default::default()
            }))
            .await;
        check_code!(get, Code::InvalidArgument);
        let pop = set
            .pop_random_member(cx.req(PopRandomMemberRequest {
                key: "s".into(),
                count: 0,
                ..Default::default()
            }))
            .await;
        check_code!(pop, Code::InvalidArgument);
        let empty_key = set
            .pop_random_member(cx.req(PopRandomMemberRequest {
                count: 1,
                ..Default::default()
            }))
            .await;
        check_code!(empty_key, Code::InvalidArgument);
        check_eq!(
            members_of(cx, "s").await?,
            ["a"],
            "GetMembers after rejected calls"
        );
        Ok(())
    }

    /// Members drawn or popped at random in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::set::isolated::Random).await
    }
}
