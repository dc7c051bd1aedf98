use prism_suite::interface_suite;

/// `queue_dead_letter`: ConfigureDeadLetter, GetDeadLetterQueue.
///
/// Rules: a message received max_receives times whose lease then ends without Acknowledge (Release
/// or timeout) moves to the dead-letter queue, in the order the moves happen, and leaves its queue;
/// before that it stays; an acknowledged message never moves; the dead-letter queue is an ordinary
/// queue; configuring again replaces the setting; an unconfigured queue is NOT_FOUND; bad settings
/// are INVALID_ARGUMENT. This interface cannot write or receive messages: cases enqueue with
/// queue_basic and receive with queue_visibility.
///
/// Timing: leases that must lapse are 100 ms, a lease acknowledged before it lapses is 200 ms
/// (doubled, on a fresh queue, when the machine outlived one), "eventually" waits at most 2 s,
/// "never" watches 300 ms (or 100 ms past a doubled lease).
#[interface_suite("queue_dead_letter")]
pub mod queue_dead_letter {
    use prism_suite::prelude::*;
    use prism_suite::proto::queue::*;

    use std::future::Future;

    use prism_suite::Site;

    use crate::keyvalue::at_caller;
    use crate::queue::{
        acknowledge, dequeue, drain, enqueue, lease, payloads, release, with_held_lease,
        EVENTUALLY, LONG_MS, SHORT_LEASE_MS,
    };

    fn config(
        queue: &str,
        max_receives: u32,
        dead_letter_queue: &str,
    ) -> ConfigureDeadLetterRequest {
        ConfigureDeadLetterRequest {
            queue: queue.into(),
            max_receives,
            dead_letter_queue: dead_letter_queue.into(),
            ..Default::default()
        }
    }

    /// ConfigureDeadLetter of `queue`.
    #[track_caller]
    fn configure(
        cx: &Case,
        queue: &str,
        max_receives: u32,
        dead_letter_queue: &str,
    ) -> impl Future<Output = CaseResult> + Send {
        let mut q = cx.queue_dead_letter();
        let req = cx.req(config(queue, max_receives, dead_letter_queue));
        at_caller(async move {
            q.configure_dead_letter(req).await?;
            Ok(())
        })
    }

    /// GetDeadLetterQueue of `queue`.
    #[track_caller]
    fn dead_letters(
        cx: &Case,
        queue: &str,
    ) -> impl Future<Output = Result<GetDeadLetterQueueResponse, CaseError>> + Send {
        let mut q = cx.queue_dead_letter();
        let req = cx.req(GetDeadLetterQueueRequest {
            queue: queue.into(),
            ..Default::default()
        });
        at_caller(async move { Ok(q.get_dead_letter_queue(req).await?.into_inner()) })
    }

    /// One receive of the head of `queue` that ends in Release: the message received.
    #[track_caller]
    fn receive_and_release(
        cx: &Case,
        queue: &str,
    ) -> impl Future<Output = Result<QueueMessage, CaseError>> + Send {
        let leased = lease(cx, queue, LONG_MS);
        let mut q = cx.queue_visibility();
        let mut req = cx.req(ReleaseRequest {
            queue: queue.into(),
            ..Default::default()
        });
        let at = Site::caller();
        at_caller(async move {
            let leased = leased.await?.ok_or_else(|| {
                CaseError::check_at(
                    "DequeueWithTimeout found nothing in a queue holding a message",
                    at,
                )
            })?;
            req.get_mut().receipt_handle = leased.receipt;
            q.release(req).await?;
            Ok(leased.message)
        })
    }

    /// Received max_receives times, then released: the message moves to the dead-letter queue.
    pub async fn moves_after_max_receives(cx: &mut Case) -> CaseResult {
        configure(cx, "jobs", 2, "jobs-dead").await?;
        let id = enqueue(cx, "jobs", b"poison").await?;
        receive_and_release(cx, "jobs").await?;
        receive_and_release(cx, "jobs").await?;
        let dead = dead_letters(cx, "jobs").await?;
        check_eq!(
            dead.dead_letter_queue,
            "jobs-dead",
            "configured dead-letter queue"
        );
        let got: Vec<_> = dead
            .messages
            .iter()
            .map(|m| (m.message_id.clone(), m.payload.clone(), m.receive_count))
            .collect();
        check_eq!(
            got,
            [(id, b"poison".to_vec(), 2u32)],
            "(id, payload, receive_count) in the dead-letter queue"
        );
        Ok(())
    }

    /// A dead-lettered message leaves its queue: it is not received there again.
    pub async fn source_queue_loses_dead_lettered_message(cx: &mut Case) -> CaseResult {
        configure(cx, "jobs", 1, "jobs-dead").await?;
        enqueue(cx, "jobs", b"poison").await?;
        receive_and_release(cx, "jobs").await?;
        check!(
            lease(cx, "jobs", LONG_MS).await?.is_none(),
            "the message was received from its queue after max_receives (1) receives"
        );
        Ok(())
    }

    /// Before max_receives receives a released message stays in its queue, not dead-lettered.
    pub async fn stays_until_max_receives(cx: &mut Case) -> CaseResult {
        configure(cx, "jobs", 3, "jobs-dead").await?;
        let id = enqueue(cx, "jobs", b"retry").await?;
        receive_and_release(cx, "jobs").await?;
        receive_and_release(cx, "jobs").await?;
        let dead = dead_letters(cx, "jobs").await?;
        check_eq!(
            dead.messages.len(),
            0usize,
            "dead-lettered messages after 2 of 3 receives"
        );
        let third = lease(cx, "jobs", LONG_MS).await?;
        check_eq!(
            third.map(|l| (l.message.message_id, l.message.receive_count)),
            Some((id, 3u32)),
            "(id, receive_count) of the third receive"
        );
        Ok(())
    }

    /// A lease that times out counts like a Release: the message is dead-lettered.
    pub async fn expired_lease_counts_toward_max(cx: &mut Case) -> CaseResult {
        configure(cx, "jobs", 1, "jobs-dead").await?;
        let id = enqueue(cx, "jobs", b"timed-out").await?;
        lease(cx, "jobs", SHORT_LEASE_MS).await?;
        let cx = &*cx;
        eventually(
            EVENTUALLY,
            "the message moves to the dead-letter queue after its 100 ms lease",
            || {
                let dead = dead_letters(cx, "jobs");
                let id = id.clone();
                async move {
                    let dead = dead.await?;
                    Ok(dead.messages.iter().map(|m| &m.message_id).eq([&id]))
                }
            },
        )
        .await
    }

    /// An acknowledged message never moves, even when it was received max_receives times.
    pub async fn acknowledged_message_never_dead_lettered(cx: &mut Case) -> CaseResult {
        let cx = &*cx;
        let held = with_held_lease("jobs", |queue, lease_ms| async move {
            configure(cx, &queue, 1, &format!("{queue}-dead")).await?;
            enqueue(cx, &queue, b"handled").await?;
            let leased = lease(cx, &queue, lease_ms).await?;
            let leased =
                leased.ok_or_else(|| CaseError::check("DequeueWithTimeout found nothing"))?;
            acknowledge(cx, &queue, &leased.receipt).await
        })
        .await?;
        let what = format!(
            "the dead-letter queue stays empty past the acknowledged message's {} ms lease",
            held.lease_ms
        );
        stays(held.window, &what, || {
            let dead = dead_letters(cx, &held.queue);
            async move { Ok(dead.await?.messages.is_empty()) }
        })
        .await
    }

    /// Messages enter the dead-letter queue in the order they are dead-lettered, not enqueued.
    pub async fn dead_letter_queue_keeps_order(cx: &mut Case) -> CaseResult {
        configure(cx, "jobs", 1, "jobs-dead").await?;
        enqueue(cx, "jobs", b"older").await?;
        enqueue(cx, "jobs", b"newer").await?;
        let older = lease(cx, "jobs", LONG_MS).await?;
        let newer = lease(cx, "jobs", LONG_MS).await?;
        let (Some(older), Some(newer)) = (older, newer) else {
            return Err(CaseError::check("two leases did not find both messages"));
        };
        release(cx, "jobs", &newer.receipt).await?;
        release(cx, "jobs", &older.receipt).await?;
        let dead = dead_letters(cx, "jobs").await?;
        check_eq!(
            payloads(&dead.messages),
            ["newer", "older"],
            "dead-letter queue after releasing newer, then older"
        );
        Ok(())
    }

    /// The dead-letter queue is an ordinary queue: queue_basic's Dequeue reads it by its name.
    pub async fn dead_letter_queue_is_an_ordinary_queue(cx: &mut Case) -> CaseResult {
        configure(cx, "jobs", 1, "jobs-dead").await?;
        let id = enqueue(cx, "jobs", b"poison").await?;
        receive_and_release(cx, "jobs").await?;
        let got = dequeue(cx, "jobs-dead").await?;
        check_eq!(
            got.map(|m| m.message_id),
            Some(id),
            "Dequeue of the dead-letter queue"
        );
        Ok(())
    }

    /// Configuring again replaces the setting: the new max_receives and queue name apply.
    pub async fn reconfigure_replaces(cx: &mut Case) -> CaseResult {
        configure(cx, "jobs", 5, "old-dead").await?;
        configure(cx, "jobs", 1, "new-dead").await?;
        enqueue(cx, "jobs", b"poison").await?;
        receive_and_release(cx, "jobs").await?;
        let dead = dead_letters(cx, "jobs").await?;
        check_eq!(dead.dead_letter_queue, "new-dead", "dead-letter queue name");
        check_eq!(
            payloads(&dead.messages),
            ["poison"],
            "new dead-letter queue"
        );
        check_eq!(
            drain(cx, "old-dead").await?,
            Vec::<String>::new(),
            "old dead-letter queue"
        );
        Ok(())
    }

    /// GetDeadLetterQueue of a configured queue with nothing dead-lettered lists no messages.
    pub async fn configured_but_empty_lists_nothing(cx: &mut Case) -> CaseResult {
        configure(cx, "jobs", 2, "jobs-dead").await?;
        enqueue(cx, "jobs", b"healthy").await?;
        let dead = dead_letters(cx, "jobs").await?;
        check_eq!(
            dead.dead_letter_queue,
            "jobs-dead",
            "configured dead-letter queue"
        );
        check_eq!(
            dead.messages,
            Vec::<QueueMessage>::new(),
            "dead-lettered messages"
        );
        Ok(())
    }

    /// GetDeadLetterQueue of a queue without dead-letter configuration is NOT_FOUND.
    pub async fn unconfigured_queue_is_not_found(cx: &mut Case) -> CaseResult {
        enqueue(cx, "plain", b"x").await?;
        let mut q = cx.queue_dead_letter();
        let got = q
            .get_dead_letter_queue(cx.req(GetDeadLetterQueueRequest {
                queue: "plain".into(),
                ..Default::default()
            }))
            .await;
        check_code!(got, Code::NotFound);
        Ok(())
    }

    /// max_receives 0, an empty name, or a queue as its own dead-letter queue is INVALID_ARGUMENT.
    pub async fn invalid_configuration_rejected(cx: &mut Case) -> CaseResult {
        let mut q = cx.queue_dead_letter();
        let zero = q
            .configure_dead_letter(cx.req(config("jobs", 0, "jobs-dead")))
            .await;
        check_code!(zero, Code::InvalidArgument);
        let no_dead = q.configure_dead_letter(cx.req(config("jobs", 1, ""))).await;
        check_code!(no_dead, Code::InvalidArgument);
        let no_queue = q
            .configure_dead_letter(cx.req(config("", 1, "jobs-dead")))
            .await;
        check_code!(no_queue, Code::InvalidArgument);
        let itself = q
            .configure_dead_letter(cx.req(config("jobs", 1, "jobs")))
            .await;
        check_code!(itself, Code::InvalidArgument);
        Ok(())
    }

    /// Dead-letter configurations in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::queue::isolated::Queues::new(crate::queue::isolated::Uses::DeadLetter),
        )
        .await
    }
}
