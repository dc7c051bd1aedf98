use prism_suite::interface_suite;

/// `queue_delayed`: EnqueueDelayed, GetScheduledCount.
///
/// Rules: a delayed message is invisible until due, then received; due messages are received in
/// order of due time; a message not yet due does not block those behind it; GetScheduledCount
/// counts exactly the messages not yet due; delay 0 is due at once; a negative delay is
/// INVALID_ARGUMENT. This interface cannot receive: cases read with queue_basic.
///
/// Timing: delays that must pass are 50-450 ms (a count taken before a 300 ms delay passes is
/// retried with twice the delay when the machine outlived it), "eventually" waits at most 2 s,
/// "never" watches 300 ms a message delayed by 60 s.
#[interface_suite("queue_delayed")]
pub mod queue_delayed {
    use prism_suite::prelude::*;
    use prism_suite::proto::queue::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::queue::{
        dequeue, drain, enqueue, eventually_some, peek, EVENTUALLY, LONG_MS, NEVER_WINDOW,
    };
    use crate::timed::{attempt_name, millis};

    /// A delay that passes during the case, long enough that a plugin ignoring it shows at once.
    const SOON_MS: i64 = 300;

    /// EnqueueDelayed of `payload` to `queue`; the message id.
    #[track_caller]
    fn enqueue_delayed(
        cx: &Case,
        queue: &str,
        payload: &str,
        delay_ms: i64,
    ) -> impl Future<Output = Result<String, CaseError>> + Send {
        let mut q = cx.queue_delayed();
        let req = cx.req(EnqueueDelayedRequest {
            queue: queue.into(),
            payload: payload.as_bytes().to_vec(),
            delay_ms,
            ..Default::default()
        });
        at_caller(async move { Ok(q.enqueue_delayed(req).await?.into_inner().message_id) })
    }

    /// GetScheduledCount of `queue`.
    #[track_caller]
    fn scheduled(cx: &Case, queue: &str) -> impl Future<Output = Result<u64, CaseError>> + Send {
        let mut q = cx.queue_delayed();
        let req = cx.req(GetScheduledCountRequest {
            queue: queue.into(),
            ..Default::default()
        });
        at_caller(async move { Ok(q.get_scheduled_count(req).await?.into_inner().count) })
    }

    /// Waits until GetScheduledCount of `queue` is 0: every delayed message is due.
    async fn all_due(cx: &Case, queue: &str) -> CaseResult {
        eventually(EVENTUALLY, "every delayed message becomes due", || {
            let count = scheduled(cx, queue);
            async move { Ok(count.await? == 0) }
        })
        .await
    }

    /// A delayed message is invisible before its time: Peek and Dequeue do not see it.
    pub async fn delayed_message_invisible_before_due(cx: &mut Case) -> CaseResult {
        enqueue_delayed(cx, "jobs", "later", LONG_MS).await?;
        let cx = &*cx;
        stays(
            NEVER_WINDOW,
            "a message delayed by 60 s stays invisible to Peek",
            || {
                let head = peek(cx, "jobs");
                async move { Ok(head.await?.is_none()) }
            },
        )
        .await?;
        check_eq!(
            dequeue(cx, "jobs").await?,
            None,
            "Dequeue before the delay passed"
        );
        Ok(())
    }

    /// A delayed message becomes visible once due and is received then.
    pub async fn delayed_message_visible_once_due(cx: &mut Case) -> CaseResult {
        let id = enqueue_delayed(cx, "jobs", "soon", SOON_MS).await?;
        let got = eventually_some("a message delayed by 300 ms is received", || {
            dequeue(cx, "jobs")
        })
        .await?;
        check_eq!(
            (got.message_id, got.payload),
            (id, b"soon".to_vec()),
            "(id, payload) received once due"
        );
        Ok(())
    }

    /// Due messages are received in order of due time, not enqueue order.
    pub async fn due_messages_fifo_by_due_time(cx: &mut Case) -> CaseResult {
        // 200 ms apart: a slow machine cannot turn the order of due times around between calls.
        enqueue_delayed(cx, "jobs", "due-third", 450).await?;
        enqueue_delayed(cx, "jobs", "due-second", 250).await?;
        enqueue_delayed(cx, "jobs", "due-first", 50).await?;
        all_due(cx, "jobs").await?;
        check_eq!(
            drain(cx, "jobs").await?,
            ["due-first", "due-second", "due-third"],
            "Dequeue order of delays 450, 250, 50 ms"
        );
        Ok(())
    }

    /// A message not yet due does not block the messages behind it.
    pub async fn delayed_head_does_not_block(cx: &mut Case) -> CaseResult {
        enqueue_delayed(cx, "jobs", "delayed", LONG_MS).await?;
        enqueue(cx, "jobs", b"ready").await?;
        check_eq!(
            drain(cx, "jobs").await?,
            ["ready"],
            "Dequeue while the head is delayed by 60 s"
        );
        Ok(())
    }

    /// GetScheduledCount counts exactly the messages not yet due.
    pub async fn scheduled_count_counts_not_yet_due(cx: &mut Case) -> CaseResult {
        for p in ["a", "b", "c"] {
            enqueue_delayed(cx, "jobs", p, LONG_MS).await?;
        }
        enqueue_delayed(cx, "jobs", "now", 0).await?;
        enqueue(cx, "jobs", b"plain").await?;
        check_eq!(scheduled(cx, "jobs").await?, 3u64, "GetScheduledCount");
        check_eq!(
            scheduled(cx, "other").await?,
            0u64,
            "GetScheduledCount of another queue"
        );
        Ok(())
    }

    /// GetScheduledCount drops to 0 once the delayed messages are due.
    pub async fn scheduled_count_drops_when_due(cx: &mut Case) -> CaseResult {
        let cx = &*cx;
        // Counted before the delay passes: a machine slower than the delay is retried on a
        // fresh queue with twice the delay, since then a low count says nothing.
        let queue = |n: u32| attempt_name("jobs", n);
        let soon = Duration::from_millis(SOON_MS.unsigned_abs());
        let done = in_time(soon, |n, delay| async move {
            let queue = queue(n);
            enqueue_delayed(cx, &queue, "x", millis(delay)).await?;
            enqueue_delayed(cx, &queue, "y", millis(delay)).await?;
            check_eq!(
                scheduled(cx, &queue).await?,
                2u64,
                "GetScheduledCount right after"
            );
            Ok(())
        })
        .await?;
        let queue = queue(done.attempt);
        all_due(cx, &queue).await?;
        check_eq!(drain(cx, &queue).await?, ["x", "y"], "messages once due");
        Ok(())
    }

    /// A delay of 0 is due at once: visible immediately and not counted as scheduled.
    pub async fn zero_delay_is_due_at_once(cx: &mut Case) -> CaseResult {
        let id = enqueue_delayed(cx, "jobs", "now", 0).await?;
        check_eq!(scheduled(cx, "jobs").await?, 0u64, "GetScheduledCount");
        check_eq!(
            peek(cx, "jobs").await?.map(|m| m.message_id),
            Some(id),
            "Peek"
        );
        Ok(())
    }

    /// A negative delay is INVALID_ARGUMENT and enqueues nothing.
    pub async fn negative_delay_rejected(cx: &mut Case) -> CaseResult {
        let mut q = cx.queue_delayed();
        let got = q
            .enqueue_delayed(cx.req(EnqueueDelayedRequest {
                queue: "jobs".into(),
                payload: b"x".to_vec(),
                delay_ms: -1,
                ..Default::default()
            }))
            .await;
        check_code!(got, Code::InvalidArgument);
        check_eq!(scheduled(cx, "jobs").await?, 0u64, "GetScheduledCount");
        check_eq!(peek(cx, "jobs").await?, None, "Peek");
        Ok(())
    }

    /// Delayed messages and their scheduled count in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::queue::isolated::Queues::new(crate::queue::isolated::Uses::Delayed),
        )
        .await
    }

    /// An empty queue name is INVALID_ARGUMENT for EnqueueDelayed and GetScheduledCount.
    pub async fn empty_queue_name_rejected(cx: &mut Case) -> CaseResult {
        let mut q = cx.queue_delayed();
        let enqueue = q
            .enqueue_delayed(cx.req(EnqueueDelayedRequest {
                queue: String::new(),
                payload: b"payload".to_vec(),
                delay_ms: SOON_MS,
                ..Default::default()
            }))
            .await;
        check_code!(enqueue, Code::InvalidArgument);
        let count = q
            .get_scheduled_count(cx.req(GetScheduledCountRequest {
                queue: String::new(),
                ..Default::default()
            }))
            .await;
        check_code!(count, Code::InvalidArgument);
        Ok(())
    }
}
