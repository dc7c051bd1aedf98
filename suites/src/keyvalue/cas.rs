use prism_suite::interface_suite;

/// `keyvalue_cas`: CompareAndSwap, CompareAndDelete.
///
/// Rules: CompareAndSwap writes `new_value` only when the current value equals `expected`; an absent
/// `expected` means "only if the key is absent" (an empty `expected` is a value, not absence); of N
/// concurrent swaps from the same expected value exactly one wins and a loser answers swapped = false
/// or ABORTED; CompareAndDelete deletes only when the current value equals `expected`. A call whose
/// comparison fails may answer swapped/deleted = false or ABORTED ("lost compare-and-swap"); either
/// way it must change nothing. Keys are seeded and read back with keyvalue_basic.
#[interface_suite("keyvalue_cas")]
pub mod keyvalue_cas {
    use prism_suite::prelude::*;
    use prism_suite::proto::keyvalue::*;

    use std::future::Future;

    use crate::keyvalue::{at_caller, put, some, value_of};

    fn cas_req(
        cx: &Case,
        key: &str,
        expected: Option<&[u8]>,
        new_value: &[u8],
    ) -> CompareAndSwapRequest {
        CompareAndSwapRequest {
            namespace: cx.namespace().into(),
            key: key.into(),
            expected: expected.map(<[u8]>::to_vec),
            new_value: new_value.to_vec(),
        }
    }

    /// CompareAndSwap: true when it swapped, false when it lost (swapped = false or ABORTED); any
    /// other error fails the case.
    #[track_caller]
    fn swap(
        cx: &Case,
        key: &str,
        expected: Option<&[u8]>,
        new_value: &[u8],
    ) -> impl Future<Output = Result<bool, CaseError>> + Send {
        let mut cas = cx.keyvalue_cas();
        let req = cas_req(cx, key, expected, new_value);
        at_caller(async move {
            match cas.compare_and_swap(req).await {
                Ok(r) => Ok(r.into_inner().swapped),
                Err(s) if s.code() == Code::Aborted => Ok(false),
                Err(s) => Err(s.into()),
            }
        })
    }

    /// CompareAndDelete: true when it deleted, false when it lost (deleted = false or ABORTED).
    #[track_caller]
    fn compare_delete(
        cx: &Case,
        key: &str,
        expected: &[u8],
    ) -> impl Future<Output = Result<bool, CaseError>> + Send {
        let mut cas = cx.keyvalue_cas();
        let req = CompareAndDeleteRequest {
            namespace: cx.namespace().into(),
            key: key.into(),
            expected: expected.to_vec(),
        };
        at_caller(async move {
            match cas.compare_and_delete(req).await {
                Ok(r) => Ok(r.into_inner().deleted),
                Err(s) if s.code() == Code::Aborted => Ok(false),
                Err(s) => Err(s.into()),
            }
        })
    }

    /// CompareAndSwap with the current value as `expected` swaps and stores `new_value`.
    pub async fn swap_when_expected_matches(cx: &mut Case) -> CaseResult {
        put(cx, "cas-match", b"v1").await?;
        let won = swap(cx, "cas-match", Some(b"v1"), b"v2").await?;
        check!(won, "CompareAndSwap(expected = current value) did not swap");
        check_eq!(
            value_of(cx, "cas-match").await?,
            some(b"v2"),
            "Get after a successful swap"
        );
        Ok(())
    }

    /// CompareAndSwap with an `expected` that differs from the current value does not swap.
    pub async fn no_swap_when_expected_differs(cx: &mut Case) -> CaseResult {
        put(cx, "cas-mismatch", b"actual").await?;
        let won = swap(cx, "cas-mismatch", Some(b"stale"), b"intruder").await?;
        check!(!won, "CompareAndSwap(expected = a stale value) swapped");
        check_eq!(
            value_of(cx, "cas-mismatch").await?,
            some(b"actual"),
            "Get after a lost swap"
        );
        Ok(())
    }

    /// A swap answers `current` = the value after the call: the new value on a win, the kept one on a loss.
    pub async fn cas_reports_current_value(cx: &mut Case) -> CaseResult {
        put(cx, "cas-current", b"first").await?;
        let mut cas = cx.keyvalue_cas();
        let won = cas
            .compare_and_swap(cas_req(cx, "cas-current", Some(b"first"), b"second"))
            .await?
            .into_inner();
        check!(
            won.swapped,
            "CompareAndSwap(expected = current value) did not swap"
        );
        check_eq!(
            won.current,
            some(b"second"),
            "`current` after a winning swap"
        );
        let lost = cas
            .compare_and_swap(cas_req(cx, "cas-current", Some(b"first"), b"third"))
            .await;
        // ABORTED is an allowed answer to a lost swap; it carries no `current` to check.
        if lost.is_err() {
            check_code!(lost, Code::Aborted);
        } else if let Ok(lost) = lost {
            let lost = lost.into_inner();
            check!(
                !lost.swapped,
                "CompareAndSwap(expected = a stale value) swapped"
            );
            check_eq!(lost.current, some(b"second"), "`current` after a lost swap");
        }
        let absent = cas
            .compare_and_swap(cas_req(cx, "cas-current-absent", Some(b"x"), b"y"))
            .await;
        if absent.is_err() {
            check_code!(absent, Code::Aborted);
        } else if let Ok(absent) = absent {
            let absent = absent.into_inner();
            check!(
                !absent.swapped,
                "CompareAndSwap on a missing key with an expected value swapped"
            );
            check_eq!(absent.current, None, "`current` of a missing key");
        }
        Ok(())
    }

    /// An absent `expected` creates the key only if it is absent; a second create loses.
    pub async fn absent_expected_creates_only_if_absent(cx: &mut Case) -> CaseResult {
        let won = swap(cx, "cas-create", None, b"creator").await?;
        check!(
            won,
            "CompareAndSwap(expected absent) on a missing key did not create it"
        );
        check_eq!(
            value_of(cx, "cas-create").await?,
            some(b"creator"),
            "Get after create"
        );
        let again = swap(cx, "cas-create", None, b"latecomer").await?;
        check!(
            !again,
            "CompareAndSwap(expected absent) on an existing key swapped"
        );
        check_eq!(
            value_of(cx, "cas-create").await?,
            some(b"creator"),
            "Get after a lost create"
        );
        Ok(())
    }

    /// An empty `expected` is a value, not absence: it matches an empty value and never a missing key.
    pub async fn empty_expected_is_not_absent(cx: &mut Case) -> CaseResult {
        let won = swap(cx, "cas-empty-missing", Some(b""), b"created").await?;
        check!(
            !won,
            "CompareAndSwap(expected = empty bytes) on a missing key swapped"
        );
        check_eq!(
            value_of(cx, "cas-empty-missing").await?,
            None,
            "Get of the missing key after the lost swap"
        );

        put(cx, "cas-empty-value", b"").await?;
        let won = swap(cx, "cas-empty-value", Some(b""), b"filled").await?;
        check!(
            won,
            "CompareAndSwap(expected = empty bytes) on a key whose value is empty did not swap"
        );
        check_eq!(
            value_of(cx, "cas-empty-value").await?,
            some(b"filled"),
            "Get after swapping an empty value"
        );
        Ok(())
    }

    /// CompareAndSwap with an `expected` value on a missing key does not swap and does not create it.
    pub async fn cas_on_missing_key_with_expected_fails(cx: &mut Case) -> CaseResult {
        let won = swap(cx, "cas-missing", Some(b"anything"), b"new").await?;
        check!(
            !won,
            "CompareAndSwap(expected = a value) on a missing key swapped"
        );
        check_eq!(
            value_of(cx, "cas-missing").await?,
            None,
            "Get of the missing key after the lost swap"
        );
        Ok(())
    }

    /// Of 20 concurrent swaps from the same expected value exactly one wins; the value is the winner's.
    pub async fn concurrent_swaps_one_winner(cx: &mut Case) -> CaseResult {
        const N: usize = 20;
        put(cx, "cas-race", b"start").await?;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..N {
            let mut cas = cx.keyvalue_cas();
            let req = cas_req(
                cx,
                "cas-race",
                Some(b"start"),
                format!("racer-{i:02}").as_bytes(),
            );
            tasks.spawn(async move { (i, cas.compare_and_swap(req).await) });
        }
        let mut winners = Vec::new();
        let mut errors = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (i, res) =
                joined.map_err(|e| CaseError::check(format!("a swap task panicked: {e}")))?;
            match res {
                Ok(r) if r.get_ref().swapped => winners.push(i),
                Ok(_) => {}
                Err(s) if s.code() == Code::Aborted => {}
                Err(s) => errors.push(format!("racer-{i:02}: {:?} {}", s.code(), s.message())),
            }
        }
        check!(
            errors.is_empty(),
            "losers must answer swapped = false or ABORTED, got: {errors:?}"
        );
        check_eq!(
            winners.len(),
            1,
            "number of winning swaps among {N} (winners: {winners:?})"
        );
        let winner = format!("racer-{:02}", winners[0]);
        check_eq!(
            value_of(cx, "cas-race").await?,
            some(winner.as_bytes()),
            "final value vs the winner's"
        );
        Ok(())
    }

    /// CompareAndDelete with the current value as `expected` deletes the key.
    pub async fn compare_and_delete_matching(cx: &mut Case) -> CaseResult {
        put(cx, "cad-match", b"bye").await?;
        check!(
            compare_delete(cx, "cad-match", b"bye").await?,
            "CompareAndDelete(expected = current value) did not delete"
        );
        check_eq!(
            value_of(cx, "cad-match").await?,
            None,
            "Get after a successful CompareAndDelete"
        );
        Ok(())
    }

    /// CompareAndDelete with an `expected` that differs from the current value keeps the key.
    pub async fn compare_and_delete_mismatch_keeps_value(cx: &mut Case) -> CaseResult {
        put(cx, "cad-mismatch", b"keep me").await?;
        check!(
            !compare_delete(cx, "cad-mismatch", b"other").await?,
            "CompareAndDelete(expected = another value) deleted"
        );
        check!(
            !compare_delete(cx, "cad-mismatch", b"").await?,
            "CompareAndDelete(expected = empty) deleted a non-empty value"
        );
        check_eq!(
            value_of(cx, "cad-mismatch").await?,
            some(b"keep me"),
            "Get after a lost CompareAndDelete"
        );
        Ok(())
    }

    /// CompareAndDelete of a missing key deletes nothing and does not fail.
    pub async fn compare_and_delete_missing_key(cx: &mut Case) -> CaseResult {
        check!(
            !compare_delete(cx, "cad-missing", b"").await?,
            "CompareAndDelete of a missing key reported deleted"
        );
        check!(
            !compare_delete(cx, "cad-missing", b"x").await?,
            "CompareAndDelete of a missing key reported deleted"
        );
        check_eq!(
            value_of(cx, "cad-missing").await?,
            None,
            "Get after CompareAndDelete of a missing key"
        );
        Ok(())
    }

    /// CompareAndSwap and CompareAndDelete compare with their own namespace's value only, even where another namespace it is a prefix of (`ns`, `nsb`, `ns:`, ...) holds the same key.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(cx, &crate::keyvalue::isolated::Cas).await
    }

    /// Concurrent CompareAndSwaps, CompareAndDeletes and Gets on one key are linearizable: some sequential order consistent with real time explains every answer.
    pub async fn concurrent_history_is_linearizable(cx: &mut Case) -> CaseResult {
        crate::linearizable::keyvalue_cas(cx).await
    }
}
