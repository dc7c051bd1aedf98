use prism_suite::interface_suite;

/// `list_indexing`: Get, Set, Insert, Remove.
///
/// Rules: index 0 is the head and a negative index counts from the end; Get and Set outside the list
/// are OUT_OF_RANGE and change nothing; Set replaces in place; Insert goes before (or after) the
/// first occurrence of the pivot and answers found = false, changing nothing, without one; Remove
/// follows Redis LREM count semantics (> 0 from the head, < 0 from the tail, 0 all) and answers how
/// many it removed; an empty key is INVALID_ARGUMENT. Lists are pushed, and read back whole, with
/// list_basic.
#[interface_suite("list_indexing")]
pub mod list_indexing {
    use prism_suite::prelude::*;
    use prism_suite::proto::list::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::list::{drain, length_in, push_right, texts};

    /// Get `index` of `key`, as text.
    #[track_caller]
    fn get(
        cx: &Case,
        key: &str,
        index: i64,
    ) -> impl Future<Output = Result<String, CaseError>> + Send {
        let mut list = cx.list_indexing();
        let req = cx.req(get_req(key, index));
        at_caller(async move {
            let value = list.get(req).await?.into_inner().value;
            Ok(texts(&[value]).remove(0))
        })
    }

    fn get_req(key: &str, index: i64) -> ListGetRequest {
        ListGetRequest {
            key: key.into(),
            index,
            ..Default::default()
        }
    }

    fn set_req(key: &str, index: i64, value: &str) -> ListSetRequest {
        ListSetRequest {
            key: key.into(),
            index,
            value: value.into(),
            ..Default::default()
        }
    }

    fn insert_req(key: &str, pivot: &str, value: &str, after: bool) -> ListInsertRequest {
        ListInsertRequest {
            key: key.into(),
            pivot: pivot.into(),
            value: value.into(),
            after,
            ..Default::default()
        }
    }

    fn remove_req(key: &str, value: &str, count: i64) -> ListRemoveRequest {
        ListRemoveRequest {
            key: key.into(),
            value: value.into(),
            count,
            ..Default::default()
        }
    }

    /// Get answers the value at a non-negative index, 0 being the head.
    pub async fn get_by_index(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["a", "b", "c"]).await?;
        check_eq!(get(cx, "l", 0).await?, "a", "Get 0");
        check_eq!(get(cx, "l", 1).await?, "b", "Get 1");
        check_eq!(get(cx, "l", 2).await?, "c", "Get 2");
        Ok(())
    }

    /// A negative index counts from the end: -1 is the last value, -len the first.
    pub async fn negative_index_counts_from_end(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["a", "b", "c"]).await?;
        check_eq!(get(cx, "l", -1).await?, "c", "Get -1");
        check_eq!(get(cx, "l", -2).await?, "b", "Get -2");
        check_eq!(get(cx, "l", -3).await?, "a", "Get -3");
        let mut list = cx.list_indexing();
        list.set(cx.req(set_req("l", -1, "z"))).await?;
        check_eq!(
            drain(cx, "l").await?,
            ["a", "b", "z"],
            "list after Set -1 = z"
        );
        Ok(())
    }

    /// Get of an index outside the list, either way, or of a missing list is OUT_OF_RANGE.
    pub async fn get_out_of_range(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["a", "b", "c"]).await?;
        let mut list = cx.list_indexing();
        let past_end = list.get(cx.req(get_req("l", 3))).await;
        check_code!(past_end, Code::OutOfRange);
        let before_head = list.get(cx.req(get_req("l", -4))).await;
        check_code!(before_head, Code::OutOfRange);
        let missing = list.get(cx.req(get_req("never-pushed", 0))).await;
        check_code!(missing, Code::OutOfRange);
        Ok(())
    }

    /// Set replaces exactly one value in place; the length stays.
    pub async fn set_replaces_in_place(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["a", "b", "c"]).await?;
        let mut list = cx.list_indexing();
        list.set(cx.req(set_req("l", 1, "x"))).await?;
        check_eq!(get(cx, "l", 1).await?, "x", "Get 1 after Set 1 = x");
        check_eq!(
            drain(cx, "l").await?,
            ["a", "x", "c"],
            "list after Set 1 = x"
        );
        Ok(())
    }

    /// Set outside the list, or on a missing list, is OUT_OF_RANGE and changes nothing.
    pub async fn set_out_of_range(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["a", "b"]).await?;
        let mut list = cx.list_indexing();
        let past_end = list.set(cx.req(set_req("l", 2, "x"))).await;
        check_code!(past_end, Code::OutOfRange);
        let before_head = list.set(cx.req(set_req("l", -3, "x"))).await;
        check_code!(before_head, Code::OutOfRange);
        let missing = list.set(cx.req(set_req("never-pushed", 0, "x"))).await;
        check_code!(missing, Code::OutOfRange);
        check_eq!(
            length_in(cx, cx.namespace(), "never-pushed").await?,
            0u64,
            "Length of the missing list a rejected Set named"
        );
        check_eq!(
            drain(cx, "l").await?,
            ["a", "b"],
            "list after rejected Sets"
        );
        Ok(())
    }

    /// Insert without `after` puts the value right before the pivot and answers the new length.
    pub async fn insert_before_pivot(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["a", "b", "c"]).await?;
        let mut list = cx.list_indexing();
        let got = list
            .insert(cx.req(insert_req("l", "b", "x", false)))
            .await?
            .into_inner();
        check!(
            got.found,
            "Insert before a present pivot answered found = false"
        );
        check_eq!(got.length, 4u64, "length after Insert");
        check_eq!(
            drain(cx, "l").await?,
            ["a", "x", "b", "c"],
            "list after Insert x before b"
        );
        Ok(())
    }

    /// Insert with `after` puts the value right after the first occurrence of the pivot.
    pub async fn insert_after_first_pivot(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["p", "b", "p"]).await?;
        let mut list = cx.list_indexing();
        let got = list
            .insert(cx.req(insert_req("l", "p", "x", true)))
            .await?
            .into_inner();
        check!(
            got.found,
            "Insert after a present pivot answered found = false"
        );
        check_eq!(got.length, 4u64, "length after Insert");
        check_eq!(
            drain(cx, "l").await?,
            ["p", "x", "b", "p"],
            "list after Insert x after p"
        );
        Ok(())
    }

    /// Insert with an absent pivot, or into a missing list, answers found = false and changes nothing.
    pub async fn insert_without_pivot_changes_nothing(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["a", "b"]).await?;
        let mut list = cx.list_indexing();
        let got = list
            .insert(cx.req(insert_req("l", "zz", "x", false)))
            .await?
            .into_inner();
        check!(
            !got.found,
            "Insert with an absent pivot answered found = true"
        );
        let missing = list
            .insert(cx.req(insert_req("never-pushed", "a", "x", true)))
            .await?
            .into_inner();
        check!(
            !missing.found,
            "Insert into a missing list answered found = true"
        );
        check_eq!(
            length_in(cx, cx.namespace(), "never-pushed").await?,
            0u64,
            "Insert into a missing list created it"
        );
        check_eq!(
            drain(cx, "l").await?,
            ["a", "b"],
            "list after Insert with absent pivot"
        );
        Ok(())
    }

    /// Remove with count > 0 removes that many occurrences from the head and answers how many.
    pub async fn remove_count_from_head(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["a", "b", "a", "c", "a"]).await?;
        let mut list = cx.list_indexing();
        let got = list.remove(cx.req(remove_req("l", "a", 2))).await?;
        check_eq!(got.into_inner().removed, 2u64, "Remove a, count 2");
        check_eq!(
            drain(cx, "l").await?,
            ["b", "c", "a"],
            "list after Remove a, count 2"
        );
        Ok(())
    }

    /// Remove with count < 0 removes that many occurrences from the tail.
    pub async fn remove_negative_count_from_tail(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["a", "b", "a", "c", "a"]).await?;
        let mut list = cx.list_indexing();
        let got = list.remove(cx.req(remove_req("l", "a", -2))).await?;
        check_eq!(got.into_inner().removed, 2u64, "Remove a, count -2");
        check_eq!(
            drain(cx, "l").await?,
            ["a", "b", "c"],
            "list after Remove a, count -2"
        );
        Ok(())
    }

    /// Remove with count 0 removes every occurrence; an absent value removes nothing.
    pub async fn remove_zero_count_removes_all(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["a", "b", "a", "c", "a"]).await?;
        let mut list = cx.list_indexing();
        let none = list.remove(cx.req(remove_req("l", "zz", 0))).await?;
        check_eq!(none.into_inner().removed, 0u64, "Remove of an absent value");
        let all = list.remove(cx.req(remove_req("l", "a", 0))).await?;
        check_eq!(all.into_inner().removed, 3u64, "Remove a, count 0");
        check_eq!(
            drain(cx, "l").await?,
            ["b", "c"],
            "list after Remove a, count 0"
        );
        Ok(())
    }

    /// An empty key is INVALID_ARGUMENT for every operation.
    pub async fn empty_key_rejected(cx: &mut Case) -> CaseResult {
        let mut list = cx.list_indexing();
        let got = list.get(cx.req(get_req("", 0))).await;
        check_code!(got, Code::InvalidArgument);
        let set = list.set(cx.req(set_req("", 0, "x"))).await;
        check_code!(set, Code::InvalidArgument);
        let insert = list.insert(cx.req(insert_req("", "a", "x", false))).await;
        check_code!(insert, Code::InvalidArgument);
        let remove = list.remove(cx.req(remove_req("", "a", 0))).await;
        check_code!(remove, Code::InvalidArgument);
        Ok(())
    }

    /// Set, Insert and Remove by position or value in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::list::isolated::Indexing).await
    }
}
