use prism_suite::interface_suite;

/// `queue_basic`: Enqueue, Dequeue, Peek.
///
/// Rules: FIFO; Dequeue removes, Peek does not; an empty queue answers found = false, not an
/// error; message ids are distinct and come back with their message; payloads are raw bytes;
/// queues and namespaces are apart; an empty queue name is INVALID_ARGUMENT; concurrent Enqueues
/// all land.
#[interface_suite("queue_basic")]
pub mod queue_basic {
    use prism_suite::prelude::*;
    use prism_suite::proto::queue::*;

    use std::collections::{BTreeMap, BTreeSet};

    use crate::queue::{dequeue, dequeue_in, drain, enqueue, enqueue_in, peek};

    /// Dequeue answers messages in enqueue order (FIFO).
    pub async fn dequeue_is_fifo(cx: &mut Case) -> CaseResult {
        let sent = ["first", "second", "third", "fourth", "fifth"];
        for p in sent {
            enqueue(cx, "jobs", p.as_bytes()).await?;
        }
        check_eq!(drain(cx, "jobs").await?, sent, "payloads in Dequeue order");
        Ok(())
    }

    /// Dequeue takes the message off the queue: the next Dequeue does not see it again.
    pub async fn dequeue_removes_the_message(cx: &mut Case) -> CaseResult {
        let id = enqueue(cx, "jobs", b"only").await?;
        let got = dequeue(cx, "jobs").await?;
        check_eq!(
            got.map(|m| m.message_id),
            Some(id),
            "Dequeue of a one-message queue"
        );
        check!(
            dequeue(cx, "jobs").await?.is_none(),
            "a second Dequeue found the message the first one took"
        );
        Ok(())
    }

    /// Dequeue of a queue that never had a message answers found = false, not an error.
    pub async fn dequeue_empty_is_clear_empty_result(cx: &mut Case) -> CaseResult {
        let mut q = cx.queue_basic();
        let got = q
            .dequeue(cx.req(DequeueRequest {
                queue: "never-used".into(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        check!(
            !got.found,
            "Dequeue of an empty queue answered found = true"
        );
        check_eq!(got.message, None, "message of an empty Dequeue");
        Ok(())
    }

    /// Peek does not remove: it answers the same message twice, and Dequeue then takes that message.
    pub async fn peek_does_not_remove(cx: &mut Case) -> CaseResult {
        let id = enqueue(cx, "jobs", b"stay").await?;
        for attempt in ["first", "second"] {
            let got = peek(cx, "jobs").await?;
            check_eq!(
                got.map(|m| m.message_id),
                Some(id.clone()),
                "{attempt} Peek of a one-message queue"
            );
        }
        let got = dequeue(cx, "jobs").await?;
        check_eq!(
            got.map(|m| m.message_id),
            Some(id),
            "Dequeue after two Peeks"
        );
        Ok(())
    }

    /// Peek answers the oldest message, the one Dequeue takes next.
    pub async fn peek_answers_the_head(cx: &mut Case) -> CaseResult {
        for p in ["head", "middle", "tail"] {
            enqueue(cx, "jobs", p.as_bytes()).await?;
        }
        let got = peek(cx, "jobs").await?;
        check_eq!(
            got.map(|m| m.payload),
            Some(b"head".to_vec()),
            "Peek of a three-message queue"
        );
        Ok(())
    }

    /// Peek of a queue that never had a message answers found = false, not an error.
    pub async fn peek_empty_is_clear_empty_result(cx: &mut Case) -> CaseResult {
        let mut q = cx.queue_basic();
        let got = q
            .peek(cx.req(PeekRequest {
                queue: "never-used".into(),
                ..Default::default()
            }))
            .await?
            .into_inner();
        check!(!got.found, "Peek of an empty queue answered found = true");
        check_eq!(got.message, None, "message of an empty Peek");
        Ok(())
    }

    /// Enqueue answers distinct non-empty ids, and each message comes back with the id it was given.
    pub async fn message_ids_are_distinct_and_returned(cx: &mut Case) -> CaseResult {
        let mut ids = BTreeMap::new();
        for p in ["a", "b", "c"] {
            ids.insert(enqueue(cx, "jobs", p.as_bytes()).await?, p.to_owned());
        }
        check!(
            ids.len() == 3 && !ids.contains_key(""),
            "Enqueue answered empty or repeated ids: {ids:?}"
        );
        for _ in 0..3 {
            let m = dequeue(cx, "jobs").await?;
            let m =
                m.ok_or_else(|| CaseError::check("Dequeue found nothing in a queue of three"))?;
            check_eq!(
                ids.get(&m.message_id),
                Some(&String::from_utf8_lossy(&m.payload).into_owned()),
                "payload enqueued under id {:?}",
                m.message_id
            );
        }
        Ok(())
    }

    /// Payloads are raw bytes: empty, 0x00, 0xFF and invalid UTF-8 round trip unchanged.
    pub async fn payload_bytes_round_trip(cx: &mut Case) -> CaseResult {
        let sent: [&[u8]; 4] = [
            b"",
            &[0x00],
            b"before\x00after",
            &[0xFF, 0xFE, 0xC3, 0x28, 0x80],
        ];
        // One message at a time, so that the case does not depend on the order rule.
        for p in sent {
            enqueue(cx, "bytes", p).await?;
            let got = dequeue(cx, "bytes").await?;
            check_eq!(got.map(|m| m.payload), Some(p.to_vec()), "payload {p:?}");
        }
        Ok(())
    }

    /// Queues are apart: a message enqueued to one queue is not in another of the namespace.
    pub async fn queues_are_apart(cx: &mut Case) -> CaseResult {
        enqueue(cx, "left", b"for-left").await?;
        check_eq!(
            peek(cx, "right").await?,
            None,
            "Peek of another queue in the namespace"
        );
        check_eq!(
            dequeue(cx, "right").await?,
            None,
            "Dequeue of another queue in the namespace"
        );
        check_eq!(
            drain(cx, "left").await?,
            ["for-left"],
            "the queue written to"
        );
        Ok(())
    }

    /// Namespaces are apart: the same queue name in another namespace is another queue.
    pub async fn namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        let other = cx.other_namespace();
        enqueue(cx, "shared", b"mine").await?;
        check_eq!(
            dequeue_in(cx, &other, "shared").await?,
            None,
            "Dequeue of the same queue name in another namespace"
        );
        enqueue_in(cx, &other, "shared", b"theirs").await?;
        check_eq!(
            drain(cx, "shared").await?,
            ["mine"],
            "own queue after the other namespace enqueued"
        );
        let theirs = dequeue_in(cx, &other, "shared").await?;
        check_eq!(
            theirs.map(|m| m.payload),
            Some(b"theirs".to_vec()),
            "the other namespace's queue"
        );
        Ok(())
    }

    /// An empty queue name is INVALID_ARGUMENT for Enqueue, Dequeue and Peek.
    pub async fn empty_queue_name_rejected(cx: &mut Case) -> CaseResult {
        let mut q = cx.queue_basic();
        let enq = q
            .enqueue(cx.req(EnqueueRequest {
                payload: b"x".to_vec(),
                ..Default::default()
            }))
            .await;
        check_code!(enq, Code::InvalidArgument);
        let deq = q.dequeue(cx.req(DequeueRequest::default())).await;
        check_code!(deq, Code::InvalidArgument);
        let pk = q.peek(cx.req(PeekRequest::default())).await;
        check_code!(pk, Code::InvalidArgument);
        Ok(())
    }

    /// 50 concurrent Enqueues all land: Dequeue answers each message exactly once.
    pub async fn concurrent_enqueues_all_land(cx: &mut Case) -> CaseResult {
        const N: usize = 50;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..N {
            let mut q = cx.queue_basic();
            let req = cx.req(EnqueueRequest {
                queue: "busy".into(),
                payload: format!("m{i:02}").into_bytes(),
                ..Default::default()
            });
            tasks.spawn(async move { q.enqueue(req).await });
        }
        while let Some(joined) = tasks.join_next().await {
            joined.map_err(|e| CaseError::check(format!("an Enqueue task panicked: {e}")))??;
        }
        let got = drain(cx, "busy").await?;
        let distinct: BTreeSet<&String> = got.iter().collect();
        let expected: BTreeSet<String> = (0..N).map(|i| format!("m{i:02}")).collect();
        check_eq!(
            got.len(),
            N,
            "messages dequeued after {N} concurrent Enqueues"
        );
        check_eq!(
            distinct,
            expected.iter().collect::<BTreeSet<_>>(),
            "distinct payloads dequeued"
        );
        Ok(())
    }

    /// Enqueues, peeks and dequeues in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::queue::isolated::Queues::new(crate::queue::isolated::Uses::Basic),
        )
        .await
    }

    /// Concurrent Enqueues, Dequeues and Peeks on one queue are linearizable: some sequential FIFO order consistent with real time explains every answer, so no acknowledged message is lost, duplicated or reordered.
    pub async fn concurrent_history_is_linearizable(cx: &mut Case) -> CaseResult {
        crate::linearizable::queue_basic(cx).await
    }

    /// Concurrent Dequeues take distinct messages: none is received twice, none answers empty early.
    pub async fn concurrent_dequeues_take_distinct_messages(cx: &mut Case) -> CaseResult {
        const N: usize = 30;
        for i in 0..N {
            enqueue(cx, "contended", format!("c{i:02}").as_bytes()).await?;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..N {
            let mut q = cx.queue_basic();
            let req = cx.req(DequeueRequest {
                queue: "contended".into(),
                ..Default::default()
            });
            tasks.spawn(async move { q.dequeue(req).await });
        }
        let mut got = Vec::new();
        let mut empty = 0usize;
        while let Some(joined) = tasks.join_next().await {
            let answer = joined
                .map_err(|e| CaseError::check(format!("a Dequeue task panicked: {e}")))??
                .into_inner();
            match (answer.found, answer.message) {
                (true, Some(m)) => got.push(String::from_utf8_lossy(&m.payload).into_owned()),
                (true, None) => {
                    return Err(CaseError::check(
                        "Dequeue answered found = true without a message",
                    ))
                }
                (false, _) => empty += 1,
            }
        }
        check_eq!(
            empty,
            0usize,
            "Dequeues answering found = false while {N} messages waited for {N} receivers"
        );
        let distinct: BTreeSet<&String> = got.iter().collect();
        check_eq!(
            distinct.len(),
            got.len(),
            "distinct messages among {} received: {got:?}",
            got.len()
        );
        check!(
            dequeue(cx, "contended").await?.is_none(),
            "a message was still queued after {N} Dequeues took {N} messages"
        );
        Ok(())
    }

    /// Random sequences of Enqueue, Dequeue and Peek get the answers memstore, the reference backend, gives (shrunk to the shortest differing sequence, with its seed, on a difference).
    pub async fn matches_reference(cx: &mut Case) -> CaseResult {
        crate::differential::check(cx, &crate::queue::reference::Basic).await
    }
}
