use prism_suite::interface_suite;

/// `queue_visibility`: DequeueWithTimeout, ExtendVisibility, Release, Acknowledge.
///
/// Rules: a leased message is invisible until its lease ends, then visible again in its old place
/// with a higher receive count; an acknowledged message never comes back; ExtendVisibility moves the
/// lease's end (later or sooner); Release makes the message visible at once; a stale or unknown
/// receipt is NOT_FOUND or FAILED_PRECONDITION; a timeout of 0 or less is INVALID_ARGUMENT.
/// Messages are enqueued (and the head read) with queue_basic, which cannot lease.
///
/// Timing: leases that must lapse are 100 ms, leases acknowledged or extended before they lapse are
/// 200 ms (doubled, on a fresh queue, when the machine outlived one), "eventually" waits at most
/// 2 s, "never" watches 300 ms (or 100 ms past a doubled lease).
#[interface_suite("queue_visibility")]
pub mod queue_visibility {
    use prism_suite::prelude::*;
    use prism_suite::proto::queue::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use prism_suite::Site;

    use crate::queue::{
        acknowledge, enqueue, eventually_some, lease, peek, release, with_held_lease, Leased,
        EVENTUALLY, LONG_MS, NEVER_WINDOW, SHORT_LEASE_MS,
    };

    /// The lease of a message the case just enqueued; a check failure when none is visible.
    #[track_caller]
    fn lease_some(
        cx: &Case,
        queue: &str,
        timeout_ms: i64,
    ) -> impl Future<Output = Result<Leased, CaseError>> + Send {
        let leased = lease(cx, queue, timeout_ms);
        let at = Site::caller();
        async move {
            leased.await?.ok_or_else(|| {
                CaseError::check_at(
                    "DequeueWithTimeout found nothing in a queue holding a message",
                    at,
                )
            })
        }
    }

    fn extend_req(queue: &str, receipt: &str, timeout_ms: i64) -> ExtendVisibilityRequest {
        ExtendVisibilityRequest {
            queue: queue.into(),
            receipt_handle: receipt.into(),
            visibility_timeout_ms: timeout_ms,
            ..Default::default()
        }
    }

    /// ExtendVisibility of `receipt` on `queue` to `timeout_ms` from now.
    #[track_caller]
    fn extend(
        cx: &Case,
        queue: &str,
        receipt: &str,
        timeout_ms: i64,
    ) -> impl Future<Output = CaseResult> + Send {
        let mut q = cx.queue_visibility();
        let req = cx.req(extend_req(queue, receipt, timeout_ms));
        at_caller(async move {
            q.extend_visibility(req).await?;
            Ok(())
        })
    }

    /// Waits until DequeueWithTimeout (leasing for a long time) finds a message again; that lease.
    async fn lease_when_back(cx: &Case, queue: &str, what: &str) -> Result<Leased, CaseError> {
        eventually_some(what, || lease(cx, queue, LONG_MS)).await
    }

    /// A leased message is invisible: DequeueWithTimeout finds nothing while the lease lasts.
    pub async fn leased_message_is_invisible(cx: &mut Case) -> CaseResult {
        enqueue(cx, "jobs", b"leased").await?;
        lease_some(cx, "jobs", LONG_MS).await?;
        let cx = &*cx;
        stays(
            NEVER_WINDOW,
            "a message leased for 60 s stays invisible",
            || {
                let probe = lease(cx, "jobs", LONG_MS);
                async move { Ok(probe.await?.is_none()) }
            },
        )
        .await
    }

    /// While the head is leased, the next message is served: leases go down the queue in order.
    pub async fn other_messages_stay_available(cx: &mut Case) -> CaseResult {
        let a = enqueue(cx, "jobs", b"a").await?;
        let b = enqueue(cx, "jobs", b"b").await?;
        let first = lease_some(cx, "jobs", LONG_MS).await?;
        check_eq!(first.message.message_id, a, "first lease");
        let second = lease_some(cx, "jobs", LONG_MS).await?;
        check_eq!(
            second.message.message_id,
            b,
            "second lease, the first still held"
        );
        check!(
            lease(cx, "jobs", LONG_MS).await?.is_none(),
            "a third lease found a message while both were leased"
        );
        Ok(())
    }

    /// A message whose lease timed out without Acknowledge is visible again.
    pub async fn expired_lease_makes_message_visible_again(cx: &mut Case) -> CaseResult {
        let id = enqueue(cx, "jobs", b"comes-back").await?;
        lease_some(cx, "jobs", SHORT_LEASE_MS).await?;
        let back =
            lease_when_back(cx, "jobs", "the message comes back after a 100 ms lease").await?;
        check_eq!(
            back.message.message_id,
            id,
            "message received after the lease"
        );
        check_eq!(
            back.message.payload,
            b"comes-back",
            "payload after the lease"
        );
        Ok(())
    }

    /// receive_count is 1 at the first receive and one higher at each receive after a lease ended.
    pub async fn receive_count_increments(cx: &mut Case) -> CaseResult {
        enqueue(cx, "jobs", b"counted").await?;
        let first = lease_some(cx, "jobs", SHORT_LEASE_MS).await?;
        check_eq!(
            first.message.receive_count,
            1u32,
            "receive_count of the first receive"
        );
        let second =
            lease_when_back(cx, "jobs", "the message comes back after a 100 ms lease").await?;
        check_eq!(
            second.message.receive_count,
            2u32,
            "receive_count of the second receive"
        );
        Ok(())
    }

    /// A message whose lease ended comes back in its old place: ahead of messages enqueued after it.
    pub async fn expired_message_keeps_its_place(cx: &mut Case) -> CaseResult {
        let a = enqueue(cx, "jobs", b"a").await?;
        enqueue(cx, "jobs", b"b").await?;
        lease_some(cx, "jobs", SHORT_LEASE_MS).await?;
        let cx = &*cx;
        // Peek (queue_basic) reads the head without taking "b" while waiting for "a".
        eventually(
            EVENTUALLY,
            "the message whose lease ended is the head again",
            || {
                let head = peek(cx, "jobs");
                let a = a.clone();
                async move { Ok(head.await?.is_some_and(|m| m.message_id == a)) }
            },
        )
        .await
    }

    /// An acknowledged message never comes back, not even after its lease would have ended.
    pub async fn acknowledged_message_never_returns(cx: &mut Case) -> CaseResult {
        let cx = &*cx;
        let held = with_held_lease("jobs", |queue, lease_ms| async move {
            enqueue(cx, &queue, b"done").await?;
            let leased = lease_some(cx, &queue, lease_ms).await?;
            acknowledge(cx, &queue, &leased.receipt).await
        })
        .await?;
        let what = format!(
            "an acknowledged message stays gone past its {} ms lease",
            held.lease_ms
        );
        stays(held.window, &what, || {
            let probe = lease(cx, &held.queue, LONG_MS);
            async move { Ok(probe.await?.is_none()) }
        })
        .await
    }

    /// ExtendVisibility keeps a message hidden past its original timeout.
    pub async fn extend_visibility_keeps_message_hidden(cx: &mut Case) -> CaseResult {
        let cx = &*cx;
        let held = with_held_lease("jobs", |queue, lease_ms| async move {
            enqueue(cx, &queue, b"extended").await?;
            let leased = lease_some(cx, &queue, lease_ms).await?;
            extend(cx, &queue, &leased.receipt, LONG_MS).await
        })
        .await?;
        let what = format!(
            "a message extended to 60 s stays invisible past its {} ms lease",
            held.lease_ms
        );
        stays(held.window, &what, || {
            let probe = lease(cx, &held.queue, LONG_MS);
            async move { Ok(probe.await?.is_none()) }
        })
        .await
    }

    /// ExtendVisibility sets the lease to end that long after the call, so it can also shorten it.
    pub async fn extend_visibility_can_shorten(cx: &mut Case) -> CaseResult {
        let id = enqueue(cx, "jobs", b"shortened").await?;
        let leased = lease_some(cx, "jobs", LONG_MS).await?;
        extend(cx, "jobs", &leased.receipt, SHORT_LEASE_MS).await?;
        let back = lease_when_back(
            cx,
            "jobs",
            "the message comes back 100 ms after the extension",
        )
        .await?;
        check_eq!(
            back.message.message_id,
            id,
            "message received after the extension"
        );
        Ok(())
    }

    /// Release makes a leased message visible at once, with no wait for its timeout.
    pub async fn release_makes_message_visible_at_once(cx: &mut Case) -> CaseResult {
        let id = enqueue(cx, "jobs", b"released").await?;
        let leased = lease_some(cx, "jobs", LONG_MS).await?;
        release(cx, "jobs", &leased.receipt).await?;
        let again = lease(cx, "jobs", LONG_MS).await?;
        check_eq!(
            again.map(|l| (l.message.message_id, l.message.receive_count)),
            Some((id, 2u32)),
            "(id, receive_count) leased right after Release"
        );
        Ok(())
    }

    /// A receipt whose lease ended (here by Acknowledge) is stale for Acknowledge, Extend and Release.
    pub async fn stale_receipt_rejected(cx: &mut Case) -> CaseResult {
        enqueue(cx, "jobs", b"acked").await?;
        let leased = lease_some(cx, "jobs", LONG_MS).await?;
        acknowledge(cx, "jobs", &leased.receipt).await?;
        let mut q = cx.queue_visibility();
        let ack = q
            .acknowledge(cx.req(AcknowledgeRequest {
                queue: "jobs".into(),
                receipt_handle: leased.receipt.clone(),
                ..Default::default()
            }))
            .await;
        check_code!(ack, Code::NotFound | Code::FailedPrecondition);
        let ext = q
            .extend_visibility(cx.req(extend_req("jobs", &leased.receipt, LONG_MS)))
            .await;
        check_code!(ext, Code::NotFound | Code::FailedPrecondition);
        let rel = q
            .release(cx.req(ReleaseRequest {
                queue: "jobs".into(),
                receipt_handle: leased.receipt.clone(),
                ..Default::default()
            }))
            .await;
        check_code!(rel, Code::NotFound | Code::FailedPrecondition);
        Ok(())
    }

    /// The receipt of a lease that timed out is stale; the next receive's receipt acknowledges.
    pub async fn expired_receipt_rejected(cx: &mut Case) -> CaseResult {
        enqueue(cx, "jobs", b"re-leased").await?;
        let old = lease_some(cx, "jobs", SHORT_LEASE_MS).await?;
        let new =
            lease_when_back(cx, "jobs", "the message comes back after a 100 ms lease").await?;
        check_ne!(old.receipt, new.receipt);
        let mut q = cx.queue_visibility();
        let ack = q
            .acknowledge(cx.req(AcknowledgeRequest {
                queue: "jobs".into(),
                receipt_handle: old.receipt,
                ..Default::default()
            }))
            .await;
        check_code!(ack, Code::NotFound | Code::FailedPrecondition);
        acknowledge(cx, "jobs", &new.receipt).await?;
        check!(
            lease(cx, "jobs", LONG_MS).await?.is_none(),
            "the message was still there after its current receipt acknowledged it"
        );
        Ok(())
    }

    /// A receipt that was never issued is NOT_FOUND or FAILED_PRECONDITION.
    pub async fn unknown_receipt_rejected(cx: &mut Case) -> CaseResult {
        enqueue(cx, "jobs", b"untouched").await?;
        let mut q = cx.queue_visibility();
        let ack = q
            .acknowledge(cx.req(AcknowledgeRequest {
                queue: "jobs".into(),
                receipt_handle: "no-such-receipt".into(),
                ..Default::default()
            }))
            .await;
        check_code!(ack, Code::NotFound | Code::FailedPrecondition);
        check!(
            peek(cx, "jobs").await?.is_some(),
            "the queue lost its message to an unknown receipt"
        );
        Ok(())
    }

    /// DequeueWithTimeout of an empty queue answers found = false, not an error.
    pub async fn empty_queue_is_clear_empty_result(cx: &mut Case) -> CaseResult {
        let mut q = cx.queue_visibility();
        let got = q
            .dequeue_with_timeout(cx.req(DequeueWithTimeoutRequest {
                queue: "never-used".into(),
                visibility_timeout_ms: LONG_MS,
                ..Default::default()
            }))
            .await?
            .into_inner();
        check!(
            !got.found,
            "DequeueWithTimeout of an empty queue answered found = true"
        );
        check_eq!(got.message, None, "message of an empty DequeueWithTimeout");
        Ok(())
    }

    /// A visibility timeout of 0 or less is INVALID_ARGUMENT and leases nothing.
    pub async fn non_positive_timeout_rejected(cx: &mut Case) -> CaseResult {
        enqueue(cx, "jobs", b"unleased").await?;
        let mut q = cx.queue_visibility();
        for timeout in [0, -100] {
            let got = q
                .dequeue_with_timeout(cx.req(DequeueWithTimeoutRequest {
                    queue: "jobs".into(),
                    visibility_timeout_ms: timeout,
                    ..Default::default()
                }))
                .await;
            check_code!(got, Code::InvalidArgument);
        }
        let head = peek(cx, "jobs").await?;
        check_eq!(
            head.map(|m| m.receive_count),
            Some(0u32),
            "receive_count after rejected leases"
        );
        Ok(())
    }

    /// Leases and acknowledgements in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::queue::isolated::Queues::new(crate::queue::isolated::Uses::Visibility),
        )
        .await
    }

    /// An empty queue name is INVALID_ARGUMENT for DequeueWithTimeout, ExtendVisibility, Release and Acknowledge.
    pub async fn empty_queue_name_rejected(cx: &mut Case) -> CaseResult {
        let mut q = cx.queue_visibility();
        let lease = q
            .dequeue_with_timeout(cx.req(DequeueWithTimeoutRequest {
                queue: String::new(),
                visibility_timeout_ms: 1000,
                ..Default::default()
            }))
            .await;
        check_code!(lease, Code::InvalidArgument);
        let extend = q
            .extend_visibility(cx.req(ExtendVisibilityRequest {
                queue: String::new(),
                receipt_handle: "r".into(),
                visibility_timeout_ms: 1000,
                ..Default::default()
            }))
            .await;
        check_code!(extend, Code::InvalidArgument);
        let release = q
            .release(cx.req(ReleaseRequest {
                queue: String::new(),
                receipt_handle: "r".into(),
                ..Default::default()
            }))
            .await;
        check_code!(release, Code::InvalidArgument);
        let ack = q
            .acknowledge(cx.req(AcknowledgeRequest {
                queue: String::new(),
                receipt_handle: "r".into(),
                ..Default::default()
            }))
            .await;
        check_code!(ack, Code::InvalidArgument);
        Ok(())
    }
}
