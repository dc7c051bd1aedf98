use prism_suite::interface_suite;

/// `sortedset_lex`: GetRangeByLex over members of equal score.
///
/// Rules: `-`/`+` are the open ends, `[x` includes x, `(x` excludes it; members in byte order; min
/// above max is empty; offset/limit; a malformed bound is INVALID_ARGUMENT; a missing set is empty.
/// Sets are seeded with sortedset_basic Add, every member at score 0.
#[interface_suite("sortedset_lex")]
pub mod sortedset_lex {
    use prism_suite::prelude::*;
    use prism_suite::proto::sortedset::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::sortedset::add_all;

    /// Seeds `z` with a..e at score 0, added out of order.
    async fn seed(cx: &Case) -> CaseResult {
        let members = ["d", "b", "e", "a", "c"].map(|m| (m, 0.0));
        add_all(cx, "z", &members).await
    }

    /// GetRangeByLex of `z` with the raw bounds and paging.
    #[track_caller]
    fn lex(
        cx: &Case,
        min: &str,
        max: &str,
        offset: u32,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        let mut zs = cx.sortedset_lex();
        let req = cx.req(GetRangeByLexRequest {
            key: "z".into(),
            min: min.into(),
            max: max.into(),
            offset,
            limit,
            ..Default::default()
        });
        at_caller(async move { Ok(zs.get_range_by_lex(req).await?.into_inner().members) })
    }

    /// `-` and `+` are open ends: together they return every member in byte order.
    pub async fn minus_plus_is_everything(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        check_eq!(
            lex(cx, "-", "+", 0, 0).await?,
            ["a", "b", "c", "d", "e"],
            "[- +]"
        );
        check_eq!(lex(cx, "-", "[b", 0, 0).await?, ["a", "b"], "[- [b]");
        check_eq!(lex(cx, "[d", "+", 0, 0).await?, ["d", "e"], "[[d +]");
        Ok(())
    }

    /// `[x` includes x at either end.
    pub async fn inclusive_bounds(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        check_eq!(
            lex(cx, "[b", "[d", 0, 0).await?,
            ["b", "c", "d"],
            "[b .. [d"
        );
        Ok(())
    }

    /// `(x` excludes x at either end, on its own or with an inclusive bound on the other side.
    pub async fn exclusive_bounds(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        check_eq!(lex(cx, "(b", "(d", 0, 0).await?, ["c"], "(b .. (d");
        check_eq!(lex(cx, "(b", "[d", 0, 0).await?, ["c", "d"], "(b .. [d");
        check_eq!(lex(cx, "[b", "(d", 0, 0).await?, ["b", "c"], "[b .. (d");
        check_eq!(lex(cx, "-", "(c", 0, 0).await?, ["a", "b"], "- .. (c");
        Ok(())
    }

    /// Bounds compare bytes: a bound between members ("[bb") and prefixes ("aa" > "a") work as bytes do.
    pub async fn bounds_compare_bytes(cx: &mut Case) -> CaseResult {
        let members = ["a", "aa", "ab", "B", "b"].map(|m| (m, 0.0));
        add_all(cx, "z", &members).await?;
        check_eq!(
            lex(cx, "-", "+", 0, 0).await?,
            ["B", "a", "aa", "ab", "b"],
            "- .. +"
        );
        check_eq!(lex(cx, "(a", "[ab", 0, 0).await?, ["aa", "ab"], "(a .. [ab");
        check_eq!(
            lex(cx, "[aaa", "(bb", 0, 0).await?,
            ["ab", "b"],
            "[aaa .. (bb"
        );
        Ok(())
    }

    /// min above max, or an empty exclusive interval, is empty.
    pub async fn min_above_max_is_empty(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        check_eq!(
            lex(cx, "[d", "[b", 0, 0).await?,
            Vec::<String>::new(),
            "[d .. [b"
        );
        check_eq!(
            lex(cx, "+", "-", 0, 0).await?,
            Vec::<String>::new(),
            "+ .. -"
        );
        check_eq!(
            lex(cx, "(c", "(c", 0, 0).await?,
            Vec::<String>::new(),
            "(c .. (c"
        );
        Ok(())
    }

    /// offset skips that many matches, then limit caps the count (0 means no limit).
    pub async fn offset_and_limit(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        check_eq!(
            lex(cx, "-", "+", 1, 2).await?,
            ["b", "c"],
            "offset 1 limit 2"
        );
        check_eq!(
            lex(cx, "[b", "+", 2, 0).await?,
            ["d", "e"],
            "offset 2 limit 0"
        );
        check_eq!(
            lex(cx, "-", "+", 5, 1).await?,
            Vec::<String>::new(),
            "offset 5"
        );
        Ok(())
    }

    /// A bound that is not `-`, `+`, `[x` or `(x` is INVALID_ARGUMENT.
    pub async fn malformed_bound_rejected(cx: &mut Case) -> CaseResult {
        seed(cx).await?;
        let mut zs = cx.sortedset_lex();
        for (min, max) in [
            ("b", "+"),
            ("-", "d"),
            ("", "+"),
            ("-", ""),
            ("-b", "+"),
            ("-", "+d"),
        ] {
            let got = zs
                .get_range_by_lex(cx.req(GetRangeByLexRequest {
                    key: "z".into(),
                    min: min.into(),
                    max: max.into(),
                    ..Default::default()
                }))
                .await;
            check_code!(got, Code::InvalidArgument);
        }
        Ok(())
    }

    /// A missing set is empty.
    pub async fn missing_set_is_empty(cx: &mut Case) -> CaseResult {
        check_eq!(
            lex(cx, "-", "+", 0, 0).await?,
            Vec::<String>::new(),
            "- .. + of a missing set"
        );
        Ok(())
    }

    /// Members ranged by lex in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::sortedset::isolated::Lex).await
    }
}
