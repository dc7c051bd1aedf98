//! The five queue services (basic, visibility, dead letter, priority, delayed) over one [`Queues`].

mod state;

use prism_plugin::Reply;
use prism_proto::queue::queue_basic_interface_server::QueueBasicInterface;
use prism_proto::queue::queue_dead_letter_interface_server::QueueDeadLetterInterface;
use prism_proto::queue::queue_delayed_interface_server::QueueDelayedInterface;
use prism_proto::queue::queue_priority_interface_server::QueuePriorityInterface;
use prism_proto::queue::queue_visibility_interface_server::QueueVisibilityInterface;
use prism_proto::queue::*;

use crate::Faults;
use state::Queues;

/// Deliberately broken queue behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[
    (
        "lifo_instead_of_fifo",
        "Dequeue and Peek answer the newest visible message instead of the oldest",
    ),
    (
        "peek_removes",
        "Peek takes the message off the queue as Dequeue does",
    ),
    (
        "ignore_visibility_timeout",
        "DequeueWithTimeout hands out a receipt but leaves the message visible",
    ),
    (
        "dead_letter_never",
        "messages past max_receives come back to their queue instead of moving to the dead-letter queue",
    ),
    (
        "priority_lifo_within_level",
        "within one priority the newest message is received first",
    ),
    (
        "delay_ignored",
        "EnqueueDelayed makes the message due at once; GetScheduledCount stays 0",
    ),
    (
        "lose_every_3rd_enqueue",
        "every 3rd Enqueue of a namespace answers a message id but stores nothing",
    ),
    (
        "queue_namespace_prefix_leak",
        "namespaces differing only in trailing `:`, `%`, `_`, `*` or `}` share their queue data",
    ),
];

/// The service behind every queue interface.
pub(crate) fn service(faults: &Faults) -> QueueService {
    QueueService {
        queues: Queues::new(faults.clone()),
    }
}

/// Serves every queue interface from one [`Queues`].
#[derive(Debug, Clone)]
pub(crate) struct QueueService {
    queues: Queues,
}

#[prism_plugin::service]
impl QueueBasicInterface for QueueService {
    async fn enqueue(&self, req: EnqueueRequest) -> Reply<EnqueueResponse> {
        let EnqueueRequest {
            namespace,
            queue,
            payload,
        } = req;
        let message_id = self.queues.enqueue(&namespace, &queue, payload, 0, 0)?;
        Ok(EnqueueResponse { message_id })
    }

    async fn dequeue(&self, req: DequeueRequest) -> Reply<DequeueResponse> {
        let message = self.queues.dequeue(&req.namespace, &req.queue)?;
        Ok(DequeueResponse {
            found: message.is_some(),
            message,
        })
    }

    async fn peek(&self, req: PeekRequest) -> Reply<PeekResponse> {
        let message = self.queues.peek(&req.namespace, &req.queue)?;
        Ok(PeekResponse {
            found: message.is_some(),
            message,
        })
    }
}

#[prism_plugin::service]
impl QueueVisibilityInterface for QueueService {
    async fn dequeue_with_timeout(
        &self,
        req: DequeueWithTimeoutRequest,
    ) -> Reply<DequeueWithTimeoutResponse> {
        let leased = self
            .queues
            .lease(&req.namespace, &req.queue, req.visibility_timeout_ms)?;
        Ok(match leased {
            Some((message, receipt_handle)) => DequeueWithTimeoutResponse {
                found: true,
                message: Some(message),
                receipt_handle,
            },
            None => DequeueWithTimeoutResponse::default(),
        })
    }

    async fn extend_visibility(
        &self,
        req: ExtendVisibilityRequest,
    ) -> Reply<ExtendVisibilityResponse> {
        self.queues.extend(
            &req.namespace,
            &req.queue,
            &req.receipt_handle,
            req.visibility_timeout_ms,
        )?;
        Ok(ExtendVisibilityResponse {})
    }

    async fn release(&self, req: ReleaseRequest) -> Reply<ReleaseResponse> {
        self.queues
            .release(&req.namespace, &req.queue, &req.receipt_handle)?;
        Ok(ReleaseResponse {})
    }

    async fn acknowledge(&self, req: AcknowledgeRequest) -> Reply<AcknowledgeResponse> {
        self.queues
            .acknowledge(&req.namespace, &req.queue, &req.receipt_handle)?;
        Ok(AcknowledgeResponse {})
    }
}

#[prism_plugin::service]
impl QueueDeadLetterInterface for QueueService {
    async fn configure_dead_letter(
        &self,
        req: ConfigureDeadLetterRequest,
    ) -> Reply<ConfigureDeadLetterResponse> {
        self.queues.configure_dead_letter(
            &req.namespace,
            &req.queue,
            req.max_receives,
            &req.dead_letter_queue,
        )?;
        Ok(ConfigureDeadLetterResponse {})
    }

    async fn get_dead_letter_queue(
        &self,
        req: GetDeadLetterQueueRequest,
    ) -> Reply<GetDeadLetterQueueResponse> {
        let (dead_letter_queue, messages) = self.queues.dead_letters(&req.namespace, &req.queue)?;
        Ok(GetDeadLetterQueueResponse {
            dead_letter_queue,
            messages,
        })
    }
}

#[prism_plugin::service]
impl QueuePriorityInterface for QueueService {
    async fn enqueue_with_priority(
        &self,
        req: EnqueueWithPriorityRequest,
    ) -> Reply<EnqueueWithPriorityResponse> {
        let EnqueueWithPriorityRequest {
            namespace,
            queue,
            payload,
            priority,
        } = req;
        let message_id = self
            .queues
            .enqueue(&namespace, &queue, payload, priority, 0)?;
        Ok(EnqueueWithPriorityResponse { message_id })
    }
}

#[prism_plugin::service]
impl QueueDelayedInterface for QueueService {
    async fn enqueue_delayed(&self, req: EnqueueDelayedRequest) -> Reply<EnqueueDelayedResponse> {
        let EnqueueDelayedRequest {
            namespace,
            queue,
            payload,
            delay_ms,
        } = req;
        let message_id = self
            .queues
            .enqueue(&namespace, &queue, payload, 0, delay_ms)?;
        Ok(EnqueueDelayedResponse { message_id })
    }

    async fn get_scheduled_count(
        &self,
        req: GetScheduledCountRequest,
    ) -> Reply<GetScheduledCountResponse> {
        let count = self.queues.scheduled_count(&req.namespace, &req.queue)?;
        Ok(GetScheduledCountResponse { count })
    }
}
