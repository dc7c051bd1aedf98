use prism_suite::interface_suite;

/// `list_blocking`: BlockingPopLeft, BlockingPopRight.
///
/// Rules: on a non-empty list a blocking pop answers at once; on an empty one it waits and is woken
/// by another client's push; with nothing pushed it answers found = false no earlier than its
/// timeout; each pushed value goes to exactly one popper; pushes to other keys or namespaces do not
/// wake it; a timeout of 0 or less is INVALID_ARGUMENT. Values are pushed with list_basic, from a
/// separate task and client while the pop waits.
///
/// Timing: poppers that must be woken wait at most 2 s; poppers that must time out wait 250 ms to 1 s;
/// pushes come 100 ms after the pop was sent, so that the popper is most likely already waiting.
#[interface_suite("list_blocking")]
pub mod list_blocking {
    use prism_suite::prelude::*;
    use prism_suite::proto::list::*;

    use std::time::Instant;

    use tokio::task::JoinHandle;

    use crate::list::{drain, length_in, push_right, push_right_in, texts};

    /// Timeout of pops that another client's push must wake.
    const WAKE_WITHIN_MS: i64 = 2_000;
    /// Timeout of pops that must time out.
    const SHORT_MS: i64 = 250;
    /// Delay before the push, to let the pop arrive and start waiting first.
    const PUSH_AFTER: Duration = Duration::from_millis(100);

    type Pop = Result<(BlockingPopResponse, Duration), CaseError>;

    #[derive(Clone, Copy)]
    enum End {
        Left,
        Right,
    }

    fn pop_req(key: &str, timeout_ms: i64) -> BlockingPopRequest {
        BlockingPopRequest {
            key: key.into(),
            timeout_ms,
            ..Default::default()
        }
    }

    /// Starts a blocking pop of `key` on its own client and task; it answers with how long it took.
    fn spawn_pop(cx: &Case, end: End, key: &str, timeout_ms: i64) -> JoinHandle<Pop> {
        let mut list = cx.list_blocking();
        let req = cx.req(pop_req(key, timeout_ms));
        tokio::spawn(async move {
            let start = Instant::now();
            let got = match end {
                End::Left => list.blocking_pop_left(req).await?,
                End::Right => list.blocking_pop_right(req).await?,
            };
            Ok((got.into_inner(), start.elapsed()))
        })
    }

    /// Waits for a spawned pop; an RPC error fails the case.
    async fn joined(pop: JoinHandle<Pop>) -> Result<(BlockingPopResponse, Duration), CaseError> {
        let got = pop
            .await
            .map_err(|e| CaseError::check(format!("a popper task panicked: {e}")))?;
        got
    }

    /// Pushes `values` to the tail after [`PUSH_AFTER`], from its own client and task.
    fn push_later(cx: &Case, key: &str, values: &[&str]) -> JoinHandle<CaseResult> {
        let mut list = cx.list_basic();
        let req = cx.req(PushRequest {
            key: key.into(),
            values: crate::list::bytes(values),
            ..Default::default()
        });
        tokio::spawn(async move {
            tokio::time::sleep(PUSH_AFTER).await;
            list.push_right(req).await?;
            Ok(())
        })
    }

    /// On a non-empty list BlockingPopLeft/Right pop the head/tail at once, without waiting.
    pub async fn pops_at_once_when_not_empty(cx: &mut Case) -> CaseResult {
        push_right(cx, "l", &["head", "middle", "tail"]).await?;
        let (left, waited) = joined(spawn_pop(cx, End::Left, "l", WAKE_WITHIN_MS)).await?;
        check!(
            left.found,
            "BlockingPopLeft of a non-empty list answered found = false"
        );
        check_eq!(texts(&[left.value]), ["head"], "BlockingPopLeft");
        // Before its timeout: a popper that waited the timeout out and only then popped fails here.
        check!(
            waited < Duration::from_millis(WAKE_WITHIN_MS.unsigned_abs()),
            "BlockingPopLeft of a non-empty list took {waited:?}"
        );
        let (right, _) = joined(spawn_pop(cx, End::Right, "l", WAKE_WITHIN_MS)).await?;
        check!(
            right.found,
            "BlockingPopRight of a non-empty list answered found = false"
        );
        check_eq!(texts(&[right.value]), ["tail"], "BlockingPopRight");
        check_eq!(drain(cx, "l").await?, ["middle"], "list after both pops");
        Ok(())
    }

    /// A BlockingPopLeft waiting on an empty list is woken by another client's push and gets the value.
    pub async fn woken_by_push_from_another_client(cx: &mut Case) -> CaseResult {
        let pop = spawn_pop(cx, End::Left, "l", WAKE_WITHIN_MS);
        let push = push_later(cx, "l", &["pushed"]);
        let (got, waited) = joined(pop).await?;
        push.await
            .map_err(|e| CaseError::check(format!("the pusher task panicked: {e}")))??;
        check!(
            got.found,
            "BlockingPopLeft answered found = false after {waited:?} although a value was pushed"
        );
        check_eq!(texts(&[got.value]), ["pushed"], "BlockingPopLeft");
        check!(
            waited < Duration::from_millis(WAKE_WITHIN_MS.unsigned_abs()),
            "BlockingPopLeft took {waited:?}: not woken by the push"
        );
        check_eq!(
            length_in(cx, cx.namespace(), "l").await?,
            0u64,
            "Length after the popper took the pushed value"
        );
        Ok(())
    }

    /// A BlockingPopRight woken by a push of several values takes the tail of them.
    pub async fn pop_right_woken_takes_tail(cx: &mut Case) -> CaseResult {
        let pop = spawn_pop(cx, End::Right, "l", WAKE_WITHIN_MS);
        let push = push_later(cx, "l", &["first", "last"]);
        let (got, waited) = joined(pop).await?;
        push.await
            .map_err(|e| CaseError::check(format!("the pusher task panicked: {e}")))??;
        check!(
            got.found,
            "BlockingPopRight answered found = false after {waited:?} although values were pushed"
        );
        check_eq!(texts(&[got.value]), ["last"], "BlockingPopRight");
        check_eq!(
            drain(cx, "l").await?,
            ["first"],
            "list after BlockingPopRight"
        );
        Ok(())
    }

    /// With nothing pushed, a blocking pop answers found = false, and not before its timeout.
    pub async fn times_out_with_empty_result(cx: &mut Case) -> CaseResult {
        let (left, waited) = joined(spawn_pop(cx, End::Left, "l", SHORT_MS)).await?;
        check!(
            !left.found,
            "BlockingPopLeft of a missing list answered found = true"
        );
        check!(
            left.value.is_empty(),
            "BlockingPopLeft that timed out answered a value"
        );
        check!(
            waited >= Duration::from_millis(SHORT_MS.unsigned_abs()),
            "BlockingPopLeft({SHORT_MS} ms) answered after {waited:?}, before its timeout"
        );
        check!(
            waited < Duration::from_millis(2_000),
            "BlockingPopLeft({SHORT_MS} ms) answered only after {waited:?}"
        );
        let (right, waited) = joined(spawn_pop(cx, End::Right, "l", SHORT_MS)).await?;
        check!(
            !right.found,
            "BlockingPopRight of a missing list answered found = true"
        );
        check!(
            waited >= Duration::from_millis(SHORT_MS.unsigned_abs()),
            "BlockingPopRight({SHORT_MS} ms) answered after {waited:?}, before its timeout"
        );
        Ok(())
    }

    /// Two blocked poppers and two pushed values: each popper gets exactly one, none is lost.
    pub async fn two_poppers_each_get_one_value(cx: &mut Case) -> CaseResult {
        let first = spawn_pop(cx, End::Left, "l", WAKE_WITHIN_MS);
        let second = spawn_pop(cx, End::Left, "l", WAKE_WITHIN_MS);
        let push = push_later(cx, "l", &["x", "y"]);
        let (a, _) = joined(first).await?;
        let (b, _) = joined(second).await?;
        push.await
            .map_err(|e| CaseError::check(format!("the pusher task panicked: {e}")))??;
        check!(
            a.found && b.found,
            "of two blocked poppers and two pushed values, found = {} and {}",
            a.found,
            b.found
        );
        let mut got = texts(&[a.value, b.value]);
        got.sort();
        check_eq!(got, ["x", "y"], "values the two poppers got, sorted");
        check_eq!(
            length_in(cx, cx.namespace(), "l").await?,
            0u64,
            "Length after both poppers were served"
        );
        Ok(())
    }

    /// Two blocked poppers and one pushed value: exactly one gets it, the other times out empty.
    pub async fn one_value_goes_to_exactly_one_popper(cx: &mut Case) -> CaseResult {
        // Long enough that the push lands within it even on a loaded machine.
        const TIMEOUT_MS: i64 = 1_000;
        let first = spawn_pop(cx, End::Left, "l", TIMEOUT_MS);
        let second = spawn_pop(cx, End::Right, "l", TIMEOUT_MS);
        let push = push_later(cx, "l", &["only"]);
        let (a, _) = joined(first).await?;
        let (b, _) = joined(second).await?;
        push.await
            .map_err(|e| CaseError::check(format!("the pusher task panicked: {e}")))??;
        let winners: Vec<_> = [a, b].into_iter().filter(|p| p.found).collect();
        check_eq!(
            winners.len(),
            1usize,
            "poppers that got the one pushed value"
        );
        check_eq!(
            texts(&[winners[0].value.clone()]),
            ["only"],
            "the value popped"
        );
        Ok(())
    }

    /// Pushes to another key, or to the same key in another namespace, do not wake the popper.
    pub async fn other_keys_and_namespaces_do_not_wake(cx: &mut Case) -> CaseResult {
        const TIMEOUT_MS: i64 = 300;
        let other = cx.other_namespace();
        let pop = spawn_pop(cx, End::Left, "l", TIMEOUT_MS);
        tokio::time::sleep(PUSH_AFTER).await;
        push_right(cx, "other-key", &["elsewhere"]).await?;
        push_right_in(cx, &other, "l", &["elsewhere"]).await?;
        let (got, _) = joined(pop).await?;
        check!(
            !got.found,
            "BlockingPopLeft took {:?} pushed to another key or namespace",
            texts(&[got.value])
        );
        check_eq!(
            drain(cx, "other-key").await?,
            ["elsewhere"],
            "the other key"
        );
        check_eq!(
            length_in(cx, &other, "l").await?,
            1u64,
            "Length of the same key in the other namespace"
        );
        Ok(())
    }

    /// A timeout of 0 or less is INVALID_ARGUMENT (there is no "wait forever").
    pub async fn non_positive_timeout_rejected(cx: &mut Case) -> CaseResult {
        let mut list = cx.list_blocking();
        let zero = list.blocking_pop_left(cx.req(pop_req("l", 0))).await;
        check_code!(zero, Code::InvalidArgument);
        let negative = list.blocking_pop_right(cx.req(pop_req("l", -1))).await;
        check_code!(negative, Code::InvalidArgument);
        let empty_key = list.blocking_pop_left(cx.req(pop_req("", SHORT_MS))).await;
        check_code!(empty_key, Code::InvalidArgument);
        Ok(())
    }

    /// A blocked pop in one namespace gets only a value pushed in its own, never one pushed to the same key in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let family = crate::isolation::family(cx);
        let mut pops = Vec::new();
        for ns in &family {
            let mut client = cx.list_blocking();
            let req = cx.req_in(
                ns,
                BlockingPopRequest {
                    key: "l".into(),
                    timeout_ms: 3000,
                    ..Default::default()
                },
            );
            pops.push(tokio::spawn(
                async move { client.blocking_pop_left(req).await },
            ));
        }
        // Longest first: a popper of `ns` that sees the longer namespaces' lists would take theirs.
        for (tag, ns) in family.iter().enumerate().rev() {
            let value = crate::isolation::tagged("v", tag);
            crate::list::push_right_in(cx, ns, "l", &[&value]).await?;
        }
        for (tag, (ns, pop)) in family.iter().zip(pops).enumerate() {
            let got = pop
                .await
                .map_err(|e| CaseError::check(format!("blocking pop task failed: {e}")))??
                .into_inner();
            let value = String::from_utf8_lossy(&got.value).into_owned();
            check_eq!(
                (got.found, value),
                (true, crate::isolation::tagged("v", tag)),
                "what the blocked pop in {} got",
                crate::isolation::label(cx, ns)
            );
        }
        Ok(())
    }

    /// An empty key is INVALID_ARGUMENT for BlockingPopLeft and BlockingPopRight.
    pub async fn empty_key_rejected(cx: &mut Case) -> CaseResult {
        let mut list = cx.list_blocking();
        let left = list.blocking_pop_left(cx.req(pop_req("", 100))).await;
        check_code!(left, Code::InvalidArgument);
        let right = list.blocking_pop_right(cx.req(pop_req("", 100))).await;
        check_code!(right, Code::InvalidArgument);
        Ok(())
    }
}
