use prism_suite::interface_suite;

/// `list_range`: GetRange, Trim, with Redis LRANGE/LTRIM semantics.
///
/// Rules: both bounds are inclusive; a negative bound counts from the end; bounds outside the list
/// clamp to it; start > stop (after that) or start past the end is an empty range, not an error;
/// Trim keeps exactly what GetRange with the same bounds answers; a missing list reads as empty; an
/// empty key is INVALID_ARGUMENT. Lists are pushed with list_basic; every case reads back with
/// GetRange(0, -1) or list_basic Length.
#[interface_suite("list_range")]
pub mod list_range {
    use prism_suite::prelude::*;
    use prism_suite::proto::list::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::list::{length_in, push_right, texts};

    /// The five values every case starts from.
    const FIVE: [&str; 5] = ["a", "b", "c", "d", "e"];

    /// GetRange `start..=stop` of `key`, as text.
    #[track_caller]
    fn range(
        cx: &Case,
        key: &str,
        start: i64,
        stop: i64,
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send {
        let mut list = cx.list_range();
        let req = cx.req(GetRangeRequest {
            key: key.into(),
            start,
            stop,
            ..Default::default()
        });
        at_caller(async move { Ok(texts(&list.get_range(req).await?.into_inner().values)) })
    }

    /// Trim `key` to `start..=stop`; the length it answers.
    #[track_caller]
    fn trim(
        cx: &Case,
        key: &str,
        start: i64,
        stop: i64,
    ) -> impl Future<Output = Result<u64, CaseError>> + Send {
        let mut list = cx.list_range();
        let req = cx.req(TrimRequest {
            key: key.into(),
            start,
            stop,
            ..Default::default()
        });
        at_caller(async move { Ok(list.trim(req).await?.into_inner().length) })
    }

    /// GetRange includes both bounds: (1, 3) of a..e is b, c, d.
    pub async fn get_range_bounds_are_inclusive(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &FIVE).await?;
        check_eq!(
            range(cx, "l", 1, 3).await?,
            ["b", "c", "d"],
            "GetRange(1, 3)"
        );
        check_eq!(range(cx, "l", 0, 0).await?, ["a"], "GetRange(0, 0)");
        check_eq!(range(cx, "l", 4, 4).await?, ["e"], "GetRange(4, 4)");
        Ok(())
    }

    /// GetRange(0, -1) is the whole list in order.
    pub async fn get_range_whole_list(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &FIVE).await?;
        check_eq!(range(cx, "l", 0, -1).await?, FIVE, "GetRange(0, -1)");
        Ok(())
    }

    /// Negative bounds count from the end: (-3, -2) of a..e is c, d; (-1, -1) is e.
    pub async fn negative_bounds_count_from_end(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &FIVE).await?;
        check_eq!(
            range(cx, "l", -3, -2).await?,
            ["c", "d"],
            "GetRange(-3, -2)"
        );
        check_eq!(range(cx, "l", -1, -1).await?, ["e"], "GetRange(-1, -1)");
        check_eq!(
            range(cx, "l", 1, -2).await?,
            ["b", "c", "d"],
            "GetRange(1, -2)"
        );
        Ok(())
    }

    /// Bounds outside the list clamp to it: (-100, 100) is the whole list, (3, 100) is d, e.
    pub async fn out_of_range_bounds_clamp(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &FIVE).await?;
        check_eq!(
            range(cx, "l", -100, 100).await?,
            FIVE,
            "GetRange(-100, 100)"
        );
        check_eq!(
            range(cx, "l", 3, 100).await?,
            ["d", "e"],
            "GetRange(3, 100)"
        );
        check_eq!(
            range(cx, "l", -100, 1).await?,
            ["a", "b"],
            "GetRange(-100, 1)"
        );
        Ok(())
    }

    /// An empty range is an empty answer, not an error: start > stop, start past the end, stop before
    /// the head, or a missing list.
    pub async fn empty_ranges_are_empty(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &FIVE).await?;
        let none: [&str; 0] = [];
        check_eq!(range(cx, "l", 3, 1).await?, none, "GetRange(3, 1)");
        check_eq!(range(cx, "l", 5, 10).await?, none, "GetRange(5, 10)");
        check_eq!(range(cx, "l", 0, -6).await?, none, "GetRange(0, -6)");
        check_eq!(range(cx, "l", -1, -2).await?, none, "GetRange(-1, -2)");
        check_eq!(
            range(cx, "never-pushed", 0, -1).await?,
            none,
            "GetRange of a missing list"
        );
        Ok(())
    }

    /// Trim keeps exactly the inclusive range and answers the new length.
    pub async fn trim_keeps_inclusive_range(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &FIVE).await?;
        check_eq!(
            trim(cx, "l", 1, 3).await?,
            3u64,
            "length answered by Trim(1, 3)"
        );
        check_eq!(
            range(cx, "l", 0, -1).await?,
            ["b", "c", "d"],
            "list after Trim(1, 3)"
        );
        Ok(())
    }

    /// Trim takes negative and out-of-range bounds as GetRange does: (-2, 100) keeps d, e.
    pub async fn trim_negative_and_clamped_bounds(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &FIVE).await?;
        check_eq!(
            trim(cx, "l", -2, 100).await?,
            2u64,
            "length answered by Trim(-2, 100)"
        );
        check_eq!(
            range(cx, "l", 0, -1).await?,
            ["d", "e"],
            "list after Trim(-2, 100)"
        );
        check_eq!(
            trim(cx, "l", -100, -2).await?,
            1u64,
            "length answered by Trim(-100, -2)"
        );
        check_eq!(
            range(cx, "l", 0, -1).await?,
            ["d"],
            "list after Trim(-100, -2)"
        );
        Ok(())
    }

    /// Trim to an empty range empties the list: it no longer exists.
    pub async fn trim_to_empty_range_empties_list(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &FIVE).await?;
        check_eq!(
            trim(cx, "l", 3, 1).await?,
            0u64,
            "length answered by Trim(3, 1)"
        );
        let none: [&str; 0] = [];
        check_eq!(range(cx, "l", 0, -1).await?, none, "list after Trim(3, 1)");
        check_eq!(
            length_in(cx, cx.namespace(), "l").await?,
            0u64,
            "list_basic Length after Trim(3, 1)"
        );
        Ok(())
    }

    /// An empty key is INVALID_ARGUMENT for GetRange and Trim.
    pub async fn empty_key_rejected(cx: &mut Case) -> CaseResult {
        let mut list = cx.list_range();
        let got = list
            .get_range(cx.req(GetRangeRequest {
                key: String::new(),
                start: 0,
                stop: -1,
                ..Default::default()
            }))
            .await;
        check_code!(got, Code::InvalidArgument);
        let trimmed = list
            .trim(cx.req(TrimRequest {
                key: String::new(),
                start: 0,
                stop: -1,
                ..Default::default()
            }))
            .await;
        check_code!(trimmed, Code::InvalidArgument);
        Ok(())
    }

    /// Trims in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::list::isolated::Range).await
    }

    /// A missing list reads as empty for GetRange, and Trim of it answers length 0 and creates nothing.
    pub async fn missing_list_reads_as_empty(cx: &mut Case) -> CaseResult {
        check_eq!(
            range(cx, "never", 0, -1).await?,
            Vec::<String>::new(),
            "GetRange of a missing list"
        );
        check_eq!(trim(cx, "never", 0, -1).await?, 0, "Trim of a missing list");
        check_eq!(
            length_in(cx, cx.namespace(), "never").await?,
            0,
            "Length after Trim of a missing list"
        );
        Ok(())
    }
}
