use prism_suite::interface_suite;

/// `list_basic`: PushLeft, PushRight, PopLeft, PopRight, Length.
///
/// Rules: pushes add at their end and answer the new length; several values in one push go in one at
/// a time (PushLeft [a, b] leaves b first); a push without values is INVALID_ARGUMENT; pops take the
/// head or tail; a pop of an empty or missing list answers found = false; Length counts values, 0
/// for a missing list; values are raw bytes; an empty key is INVALID_ARGUMENT; namespaces are apart.
#[interface_suite("list_basic")]
pub mod list_basic {
    use prism_suite::prelude::*;
    use prism_suite::proto::list::*;

    use crate::list::{bytes, drain, length_in, push_right, texts};

    fn push(key: &str, values: &[&str]) -> PushRequest {
        PushRequest {
            key: key.into(),
            values: bytes(values),
            ..Default::default()
        }
    }

    fn pop(key: &str) -> PopRequest {
        PopRequest {
            key: key.into(),
            ..Default::default()
        }
    }

    fn length(key: &str) -> LengthRequest {
        LengthRequest {
            key: key.into(),
            ..Default::default()
        }
    }

    /// PushRight appends at the tail, several values in request order, and answers the new length.
    pub async fn push_right_appends_in_order(cx: &mut Case) -> CaseResult {
        let mut list = cx.list_basic();
        let first = list.push_right(cx.req(push("l", &["a"]))).await?;
        check_eq!(
            first.into_inner().length,
            1u64,
            "length after PushRight [a]"
        );
        let second = list.push_right(cx.req(push("l", &["b", "c"]))).await?;
        check_eq!(
            second.into_inner().length,
            3u64,
            "length after PushRight [b, c]"
        );
        check_eq!(drain(cx, "l").await?, ["a", "b", "c"], "list head first");
        Ok(())
    }

    /// PushLeft prepends at the head one value at a time: PushLeft [a, b] then [c] gives c, b, a.
    pub async fn push_left_prepends_each_value(cx: &mut Case) -> CaseResult {
        let mut list = cx.list_basic();
        let first = list.push_left(cx.req(push("l", &["a", "b"]))).await?;
        check_eq!(
            first.into_inner().length,
            2u64,
            "length after PushLeft [a, b]"
        );
        let second = list.push_left(cx.req(push("l", &["c"]))).await?;
        check_eq!(
            second.into_inner().length,
            3u64,
            "length after PushLeft [c]"
        );
        check_eq!(drain(cx, "l").await?, ["c", "b", "a"], "list head first");
        Ok(())
    }

    /// PopLeft removes and returns the head.
    pub async fn pop_left_takes_head(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["head", "middle", "tail"]).await?;
        let mut list = cx.list_basic();
        let got = list.pop_left(cx.req(pop("l"))).await?.into_inner();
        check!(
            got.found,
            "PopLeft of a 3-value list answered found = false"
        );
        check_eq!(texts(&[got.value]), ["head"], "PopLeft");
        check_eq!(
            drain(cx, "l").await?,
            ["middle", "tail"],
            "list after PopLeft"
        );
        Ok(())
    }

    /// PopRight removes and returns the tail.
    pub async fn pop_right_takes_tail(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["head", "middle", "tail"]).await?;
        let mut list = cx.list_basic();
        let got = list.pop_right(cx.req(pop("l"))).await?.into_inner();
        check!(
            got.found,
            "PopRight of a 3-value list answered found = false"
        );
        check_eq!(texts(&[got.value]), ["tail"], "PopRight");
        check_eq!(
            drain(cx, "l").await?,
            ["head", "middle"],
            "list after PopRight"
        );
        Ok(())
    }

    /// A pop of a missing list, or of one popped empty, is a clear empty result: found = false.
    pub async fn pop_empty_is_not_found(cx: &mut Case) -> CaseResult {
        let mut list = cx.list_basic();
        let left = list
            .pop_left(cx.req(pop("never-pushed")))
            .await?
            .into_inner();
        check!(
            !left.found,
            "PopLeft of a missing list answered found = true"
        );
        check!(
            left.value.is_empty(),
            "PopLeft of a missing list answered a value"
        );
        let right = list
            .pop_right(cx.req(pop("never-pushed")))
            .await?
            .into_inner();
        check!(
            !right.found,
            "PopRight of a missing list answered found = true"
        );

        push_right(cx, "l", &["only"]).await?;
        let last = list.pop_right(cx.req(pop("l"))).await?.into_inner();
        check!(
            last.found,
            "PopRight of a 1-value list answered found = false"
        );
        let after = list.pop_left(cx.req(pop("l"))).await?.into_inner();
        check!(
            !after.found,
            "PopLeft of a list popped empty answered found = true"
        );
        Ok(())
    }

    /// Length is 0 for a missing list and follows every push and pop exactly, back to 0.
    pub async fn length_counts_values(cx: &mut Case) -> CaseResult {
        let mut list = cx.list_basic();
        let missing = list.length(cx.req(length("l"))).await?.into_inner();
        check_eq!(missing.length, 0u64, "Length of a missing list");
        push_right(cx, "l", &["a", "b", "a"]).await?;
        let full = list.length(cx.req(length("l"))).await?.into_inner();
        check_eq!(
            full.length,
            3u64,
            "Length after pushing 3 values (one twice)"
        );
        list.pop_left(cx.req(pop("l"))).await?;
        let popped = list.length(cx.req(length("l"))).await?.into_inner();
        check_eq!(popped.length, 2u64, "Length after one pop");
        list.pop_left(cx.req(pop("l"))).await?;
        list.pop_right(cx.req(pop("l"))).await?;
        let empty = list.length(cx.req(length("l"))).await?.into_inner();
        check_eq!(empty.length, 0u64, "Length after popping every value");
        Ok(())
    }

    /// A push without values is INVALID_ARGUMENT and creates nothing.
    pub async fn push_without_values_rejected(cx: &mut Case) -> CaseResult {
        let mut list = cx.list_basic();
        let left = list.push_left(cx.req(push("l", &[]))).await;
        check_code!(left, Code::InvalidArgument);
        let right = list.push_right(cx.req(push("l", &[]))).await;
        check_code!(right, Code::InvalidArgument);
        check_eq!(
            length_in(cx, cx.namespace(), "l").await?,
            0u64,
            "Length after rejected pushes"
        );
        Ok(())
    }

    /// Values are raw bytes: empty, 0x00 and invalid UTF-8 round trip, and an empty value is found.
    pub async fn values_are_raw_bytes(cx: &mut Case) -> CaseResult {
        let values: Vec<Vec<u8>> = vec![vec![], vec![0x00], vec![0xFF, 0xFE, 0x00, 0x80]];
        let mut list = cx.list_basic();
        list.push_right(cx.req(PushRequest {
            key: "raw".into(),
            values: values.clone(),
            ..Default::default()
        }))
        .await?;
        for expected in &values {
            let got = list.pop_left(cx.req(pop("raw"))).await?.into_inner();
            check!(
                got.found,
                "PopLeft answered found = false for value {expected:?}"
            );
            check_eq!(got.value, *expected, "PopLeft of a raw-bytes value");
        }
        Ok(())
    }

    /// An empty key is INVALID_ARGUMENT for every operation.
    pub async fn empty_key_rejected(cx: &mut Case) -> CaseResult {
        let mut list = cx.list_basic();
        let left = list.push_left(cx.req(push("", &["v"]))).await;
        check_code!(left, Code::InvalidArgument);
        let right = list.push_right(cx.req(push("", &["v"]))).await;
        check_code!(right, Code::InvalidArgument);
        let pop_left = list.pop_left(cx.req(pop(""))).await;
        check_code!(pop_left, Code::InvalidArgument);
        let pop_right = list.pop_right(cx.req(pop(""))).await;
        check_code!(pop_right, Code::InvalidArgument);
        let len = list.length(cx.req(length(""))).await;
        check_code!(len, Code::InvalidArgument);
        Ok(())
    }

    /// Namespaces are apart: a list in one is missing in another, and pops there leave it alone.
    pub async fn namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        push_right(cx, "shared", &["mine"]).await?;
        let mut list = cx.list_basic();
        check_eq!(
            length_in(cx, &other, "shared").await?,
            0u64,
            "Length of the same key in another namespace"
        );
        let theirs = list.pop_left(cx.req_in(&other, pop("shared"))).await?;
        check!(
            !theirs.into_inner().found,
            "PopLeft in another namespace found this namespace's value"
        );
        check_eq!(drain(cx, "shared").await?, ["mine"], "own list");
        Ok(())
    }

    /// Pushes and pops in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::list::isolated::Basic).await
    }

    /// Random sequences of PushLeft, PushRight, PopLeft, PopRight and Length get the answers memstore, the reference backend, gives (shrunk to the shortest differing sequence, with its seed, on a difference).
    pub async fn matches_reference(cx: &mut Case) -> CaseResult {
        crate::differential::check(cx, &crate::list::reference::Basic).await
    }
}
