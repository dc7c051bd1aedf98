use prism_suite::interface_suite;

/// `queue_priority`: EnqueueWithPriority.
///
/// Rules: higher priority is received first; FIFO within a priority; any int32 is a priority and
/// queue_basic's Enqueue is priority 0; Peek shows the highest-priority message; an empty queue
/// name is INVALID_ARGUMENT. This interface cannot receive: cases read the order with queue_basic.
#[interface_suite("queue_priority")]
pub mod queue_priority {
    use prism_suite::prelude::*;
    use prism_suite::proto::queue::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::queue::{dequeue, drain, enqueue, peek};

    /// EnqueueWithPriority of `payload` to `queue`; the message id.
    #[track_caller]
    fn enqueue_at(
        cx: &Case,
        queue: &str,
        payload: &str,
        priority: i32,
    ) -> impl Future<Output = Result<String, CaseError>> + Send {
        let mut q = cx.queue_priority();
        let req = cx.req(EnqueueWithPriorityRequest {
            queue: queue.into(),
            payload: payload.as_bytes().to_vec(),
            priority,
            ..Default::default()
        });
        at_caller(async move { Ok(q.enqueue_with_priority(req).await?.into_inner().message_id) })
    }

    /// Messages of higher priority are received first, whatever the enqueue order.
    pub async fn higher_priority_first(cx: &mut Case) -> CaseResult {
        enqueue_at(cx, "jobs", "low", 1).await?;
        enqueue_at(cx, "jobs", "high", 9).await?;
        enqueue_at(cx, "jobs", "mid", 5).await?;
        check_eq!(
            drain(cx, "jobs").await?,
            ["high", "mid", "low"],
            "Dequeue order of priorities 1, 9, 5"
        );
        Ok(())
    }

    /// Messages of one priority are received in enqueue order (FIFO within a priority).
    pub async fn fifo_within_a_priority(cx: &mut Case) -> CaseResult {
        for p in ["first", "second", "third", "fourth"] {
            enqueue_at(cx, "jobs", p, 3).await?;
        }
        check_eq!(
            drain(cx, "jobs").await?,
            ["first", "second", "third", "fourth"],
            "Dequeue order of four messages of priority 3"
        );
        Ok(())
    }

    /// With two priorities interleaved, each level is drained in its own enqueue order.
    pub async fn fifo_within_each_level_interleaved(cx: &mut Case) -> CaseResult {
        for (p, priority) in [
            ("lo-1", 1),
            ("hi-1", 2),
            ("lo-2", 1),
            ("hi-2", 2),
            ("lo-3", 1),
        ] {
            enqueue_at(cx, "jobs", p, priority).await?;
        }
        check_eq!(
            drain(cx, "jobs").await?,
            ["hi-1", "hi-2", "lo-1", "lo-2", "lo-3"],
            "Dequeue order of interleaved priorities 1 and 2"
        );
        Ok(())
    }

    /// queue_basic's Enqueue is priority 0: after priority 1, before priority -1.
    pub async fn plain_enqueue_is_priority_zero(cx: &mut Case) -> CaseResult {
        enqueue_at(cx, "jobs", "minus-one", -1).await?;
        enqueue(cx, "jobs", b"plain").await?;
        enqueue_at(cx, "jobs", "plus-one", 1).await?;
        check_eq!(
            drain(cx, "jobs").await?,
            ["plus-one", "plain", "minus-one"],
            "Dequeue order of priorities -1, plain Enqueue, 1"
        );
        Ok(())
    }

    /// Any int32 is a priority: i32::MAX first, i32::MIN last, negatives below zero.
    pub async fn extreme_and_negative_priorities(cx: &mut Case) -> CaseResult {
        for (p, priority) in [
            ("min", i32::MIN),
            ("minus-one", -1),
            ("max", i32::MAX),
            ("zero", 0),
        ] {
            enqueue_at(cx, "jobs", p, priority).await?;
        }
        check_eq!(
            drain(cx, "jobs").await?,
            ["max", "zero", "minus-one", "min"],
            "Dequeue order of priorities MIN, -1, MAX, 0"
        );
        Ok(())
    }

    /// Peek shows the highest-priority message, not the oldest.
    pub async fn peek_shows_highest_priority(cx: &mut Case) -> CaseResult {
        enqueue_at(cx, "jobs", "old-low", 0).await?;
        let urgent = enqueue_at(cx, "jobs", "new-high", 7).await?;
        let head = peek(cx, "jobs").await?;
        check_eq!(head.map(|m| m.message_id), Some(urgent), "Peek");
        Ok(())
    }

    /// A higher-priority message enqueued later overtakes a message already waiting at the head.
    pub async fn later_higher_priority_overtakes(cx: &mut Case) -> CaseResult {
        enqueue_at(cx, "jobs", "waiting", 0).await?;
        let head = peek(cx, "jobs").await?;
        check_eq!(
            head.map(|m| m.payload),
            Some(b"waiting".to_vec()),
            "Peek before the urgent message"
        );
        enqueue_at(cx, "jobs", "urgent", 4).await?;
        check_eq!(
            drain(cx, "jobs").await?,
            ["urgent", "waiting"],
            "Dequeue order after an urgent message arrived"
        );
        Ok(())
    }

    /// EnqueueWithPriority answers distinct ids, and each message comes back with its id.
    pub async fn message_ids_are_returned(cx: &mut Case) -> CaseResult {
        let high = enqueue_at(cx, "jobs", "high", 2).await?;
        let low = enqueue_at(cx, "jobs", "low", 1).await?;
        check!(
            !high.is_empty() && high != low,
            "EnqueueWithPriority answered ids {high:?} and {low:?}"
        );
        let first = dequeue(cx, "jobs").await?;
        let second = dequeue(cx, "jobs").await?;
        check_eq!(
            (first.map(|m| m.message_id), second.map(|m| m.message_id)),
            (Some(high), Some(low)),
            "ids of the two Dequeues"
        );
        Ok(())
    }

    /// An empty queue name is INVALID_ARGUMENT.
    pub async fn empty_queue_name_rejected(cx: &mut Case) -> CaseResult {
        let mut q = cx.queue_priority();
        let got = q
            .enqueue_with_priority(cx.req(EnqueueWithPriorityRequest {
                payload: b"x".to_vec(),
                priority: 1,
                ..Default::default()
            }))
            .await;
        check_code!(got, Code::InvalidArgument);
        Ok(())
    }

    /// Priorities in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::queue::isolated::Queues::new(crate::queue::isolated::Uses::Priority),
        )
        .await
    }
}
