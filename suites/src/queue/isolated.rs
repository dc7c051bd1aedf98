//! The queue interfaces' probes for [`crate::isolation::check`]: the queues `q` and `:q` in every
//! namespace of the family, with payloads that name the namespace.

use std::sync::Mutex;

use prism_suite::prelude::*;
use prism_suite::proto::queue::*;

use crate::isolation::{tagged, Probe};

/// Queues written in every namespace.
const QUEUES: &[&str] = &["q", ":q"];

/// Which interface a [`Queues`] probe exercises.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Uses {
    /// queue_basic: Enqueue, Peek, Dequeue.
    Basic,
    /// queue_visibility: the head is leased, so Peek shows the second message; Acknowledge.
    Visibility,
    /// queue_priority: a higher-priority message enqueued after a plain one is the head.
    Priority,
    /// queue_delayed: delayed messages counted by GetScheduledCount, one due message at the head.
    Delayed,
    /// queue_dead_letter: each namespace configures a dead-letter queue of its own name.
    DeadLetter,
}

/// A probe over the queues of the family, exercising one interface.
pub(crate) struct Queues {
    uses: Uses,
    /// Receipts of the leased messages, by tag and queue (queue_visibility).
    receipts: Mutex<Vec<(usize, String, String)>>,
}

impl Queues {
    pub(crate) fn new(uses: Uses) -> Self {
        Self {
            uses,
            receipts: Mutex::new(Vec::new()),
        }
    }
}

/// The payloads enqueued (in order) in `queue` of the namespace of `tag`: one more per tag.
fn payloads(queue: &str, tag: usize) -> Vec<String> {
    (0..tag + 2)
        .map(|i| tagged(&format!("{queue}{i}"), tag))
        .collect()
}

async fn enqueue(cx: &Case, ns: &str, queue: &str, payload: &str) -> CaseResult {
    let req = cx.req_in(
        ns,
        EnqueueRequest {
            queue: queue.into(),
            payload: payload.as_bytes().to_vec(),
            ..Default::default()
        },
    );
    cx.queue_basic().enqueue(req).await?;
    Ok(())
}

/// Peek of `queue` in `ns`: the head's payload, if any.
async fn head(cx: &Case, ns: &str, queue: &str) -> Result<Option<String>, CaseError> {
    let req = cx.req_in(
        ns,
        PeekRequest {
            queue: queue.into(),
            ..Default::default()
        },
    );
    let got = cx.queue_basic().peek(req).await?.into_inner();
    Ok(got
        .found
        .then(|| String::from_utf8_lossy(&got.message.unwrap_or_default().payload).into_owned()))
}

/// Dequeues until `queue` of `ns` is empty; the payloads in order.
async fn drain(cx: &Case, ns: &str, queue: &str) -> Result<Vec<String>, CaseError> {
    let mut q = cx.queue_basic();
    let mut out = Vec::new();
    while out.len() < 100 {
        let req = cx.req_in(
            ns,
            DequeueRequest {
                queue: queue.into(),
                ..Default::default()
            },
        );
        let got = q.dequeue(req).await?.into_inner();
        if !got.found {
            break;
        }
        out.push(String::from_utf8_lossy(&got.message.unwrap_or_default().payload).into_owned());
    }
    Ok(out)
}

impl Probe for Queues {
    /// Per queue: the head's payload, and (queue_delayed) the scheduled count or (queue_dead_letter)
    /// the configured dead-letter queue.
    type View = Vec<(Option<String>, String)>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        for queue in QUEUES {
            match self.uses {
                Uses::Basic | Uses::Visibility | Uses::DeadLetter => {
                    for payload in payloads(queue, tag) {
                        enqueue(cx, ns, queue, &payload).await?;
                    }
                }
                Uses::Priority => {
                    enqueue(cx, ns, queue, &tagged("plain", tag)).await?;
                    let req = cx.req_in(
                        ns,
                        EnqueueWithPriorityRequest {
                            queue: (*queue).into(),
                            payload: tagged("urgent", tag).into_bytes(),
                            priority: 1 + tag as i32,
                            ..Default::default()
                        },
                    );
                    cx.queue_priority().enqueue_with_priority(req).await?;
                }
                Uses::Delayed => {
                    for payload in payloads(queue, tag) {
                        let req = cx.req_in(
                            ns,
                            EnqueueDelayedRequest {
                                queue: (*queue).into(),
                                payload: payload.into_bytes(),
                                delay_ms: crate::queue::LONG_MS,
                                ..Default::default()
                            },
                        );
                        cx.queue_delayed().enqueue_delayed(req).await?;
                    }
                    enqueue(cx, ns, queue, &tagged("due", tag)).await?;
                }
            }
            if self.uses == Uses::Visibility {
                let req = cx.req_in(
                    ns,
                    DequeueWithTimeoutRequest {
                        queue: (*queue).into(),
                        visibility_timeout_ms: crate::queue::LONG_MS,
                        ..Default::default()
                    },
                );
                let got = cx
                    .queue_visibility()
                    .dequeue_with_timeout(req)
                    .await?
                    .into_inner();
                let payload =
                    String::from_utf8_lossy(&got.message.unwrap_or_default().payload).into_owned();
                check_eq!(
                    payload,
                    payloads(queue, tag)[0],
                    "DequeueWithTimeout of {queue:?} in this namespace leased another message"
                );
                self.receipts
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((tag, (*queue).to_owned(), got.receipt_handle));
            }
            if self.uses == Uses::DeadLetter {
                let req = cx.req_in(
                    ns,
                    ConfigureDeadLetterRequest {
                        queue: (*queue).into(),
                        max_receives: 1 + tag as u32,
                        dead_letter_queue: tagged("dlq", tag),
                        ..Default::default()
                    },
                );
                cx.queue_dead_letter().configure_dead_letter(req).await?;
            }
        }
        Ok(())
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut out = Vec::new();
        for queue in QUEUES {
            let extra = match self.uses {
                Uses::Delayed => {
                    let req = cx.req_in(
                        ns,
                        GetScheduledCountRequest {
                            queue: (*queue).into(),
                            ..Default::default()
                        },
                    );
                    let count = cx.queue_delayed().get_scheduled_count(req).await?;
                    format!("scheduled {}", count.into_inner().count)
                }
                Uses::DeadLetter => {
                    let req = cx.req_in(
                        ns,
                        GetDeadLetterQueueRequest {
                            queue: (*queue).into(),
                            ..Default::default()
                        },
                    );
                    match cx.queue_dead_letter().get_dead_letter_queue(req).await {
                        Ok(r) => format!("dead letters to {}", r.into_inner().dead_letter_queue),
                        Err(s) if s.code() == Code::NotFound => "no dead-letter queue".to_owned(),
                        Err(s) => return Err(s.into()),
                    }
                }
                _ => String::new(),
            };
            out.push((head(cx, ns, queue).await?, extra));
        }
        Ok(out)
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        QUEUES
            .iter()
            .map(|queue| match (self.uses, tag) {
                (Uses::Delayed, None) => (None, "scheduled 0".to_owned()),
                (Uses::Delayed, Some(t)) => (
                    Some(tagged("due", t)),
                    format!("scheduled {}", payloads(queue, t).len()),
                ),
                (Uses::DeadLetter, None) => (None, "no dead-letter queue".to_owned()),
                (Uses::DeadLetter, Some(t)) => (
                    Some(payloads(queue, t).remove(0)),
                    format!("dead letters to {}", tagged("dlq", t)),
                ),
                (_, None) => (None, String::new()),
                (Uses::Visibility, Some(t)) => (Some(payloads(queue, t).remove(1)), String::new()),
                (Uses::Priority, Some(t)) => (Some(tagged("urgent", t)), String::new()),
                (_, Some(t)) => (Some(payloads(queue, t).remove(0)), String::new()),
            })
            .collect()
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        if self.uses == Uses::Visibility {
            let receipts: Vec<(String, String)> = self
                .receipts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .filter(|(t, _, _)| *t == tag)
                .map(|(_, q, r)| (q.clone(), r.clone()))
                .collect();
            for (queue, receipt_handle) in receipts {
                let req = cx.req_in(
                    ns,
                    AcknowledgeRequest {
                        queue,
                        receipt_handle,
                        ..Default::default()
                    },
                );
                cx.queue_visibility().acknowledge(req).await?;
            }
        }
        if self.uses == Uses::DeadLetter {
            for queue in QUEUES {
                let req = cx.req_in(
                    ns,
                    ConfigureDeadLetterRequest {
                        queue: (*queue).into(),
                        max_receives: 1,
                        dead_letter_queue: "replaced".into(),
                        ..Default::default()
                    },
                );
                cx.queue_dead_letter().configure_dead_letter(req).await?;
            }
        }
        for queue in QUEUES {
            let got = drain(cx, ns, queue).await?;
            let expected = match self.uses {
                Uses::Basic | Uses::DeadLetter => payloads(queue, tag),
                Uses::Visibility => payloads(queue, tag).split_off(1),
                Uses::Priority => vec![tagged("urgent", tag), tagged("plain", tag)],
                Uses::Delayed => vec![tagged("due", tag)],
            };
            check_eq!(
                got,
                expected,
                "messages dequeued from {queue:?} in this namespace"
            );
        }
        Ok(())
    }

    fn changed(&self, tag: usize) -> Self::View {
        QUEUES
            .iter()
            .map(|queue| match self.uses {
                Uses::Delayed => (None, format!("scheduled {}", payloads(queue, tag).len())),
                Uses::DeadLetter => (None, "dead letters to replaced".to_owned()),
                _ => (None, String::new()),
            })
            .collect()
    }
}
