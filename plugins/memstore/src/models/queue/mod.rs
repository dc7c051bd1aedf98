//! The five queue services (basic, visibility, dead letter, priority, delayed) over one [`Queues`].

mod state;

use prism_proto::queue::queue_basic_interface_server::{
    QueueBasicInterface, QueueBasicInterfaceServer,
};
use prism_proto::queue::queue_dead_letter_interface_server::{
    QueueDeadLetterInterface, QueueDeadLetterInterfaceServer,
};
use prism_proto::queue::queue_delayed_interface_server::{
    QueueDelayedInterface, QueueDelayedInterfaceServer,
};
use prism_proto::queue::queue_priority_interface_server::{
    QueuePriorityInterface, QueuePriorityInterfaceServer,
};
use prism_proto::queue::queue_visibility_interface_server::{
    QueueVisibilityInterface, QueueVisibilityInterfaceServer,
};
use prism_proto::queue::*;
use tonic::transport::server::Router;
use tonic::{Request, Response, Status};

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

/// Adds the queue services to `router`.
pub(crate) fn add_services(router: Router, faults: &Faults) -> Router {
    let svc = QueueService {
        queues: Queues::new(faults.clone()),
    };
    router
        .add_service(sized!(QueueBasicInterfaceServer::new(svc.clone())))
        .add_service(sized!(QueueVisibilityInterfaceServer::new(svc.clone())))
        .add_service(sized!(QueueDeadLetterInterfaceServer::new(svc.clone())))
        .add_service(sized!(QueuePriorityInterfaceServer::new(svc.clone())))
        .add_service(sized!(QueueDelayedInterfaceServer::new(svc)))
}

/// Serves every queue interface from one [`Queues`].
#[derive(Debug, Clone)]
struct QueueService {
    queues: Queues,
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl QueueBasicInterface for QueueService {
    async fn enqueue(&self, request: Request<EnqueueRequest>) -> Reply<EnqueueResponse> {
        let EnqueueRequest {
            namespace,
            queue,
            payload,
        } = request.into_inner();
        let message_id = self.queues.enqueue(&namespace, &queue, payload, 0, 0)?;
        Ok(Response::new(EnqueueResponse { message_id }))
    }

    async fn dequeue(&self, request: Request<DequeueRequest>) -> Reply<DequeueResponse> {
        let req = request.into_inner();
        let message = self.queues.dequeue(&req.namespace, &req.queue)?;
        Ok(Response::new(DequeueResponse {
            found: message.is_some(),
            message,
        }))
    }

    async fn peek(&self, request: Request<PeekRequest>) -> Reply<PeekResponse> {
        let req = request.into_inner();
        let message = self.queues.peek(&req.namespace, &req.queue)?;
        Ok(Response::new(PeekResponse {
            found: message.is_some(),
            message,
        }))
    }
}

#[tonic::async_trait]
impl QueueVisibilityInterface for QueueService {
    async fn dequeue_with_timeout(
        &self,
        request: Request<DequeueWithTimeoutRequest>,
    ) -> Reply<DequeueWithTimeoutResponse> {
        let req = request.into_inner();
        let leased = self
            .queues
            .lease(&req.namespace, &req.queue, req.visibility_timeout_ms)?;
        Ok(Response::new(match leased {
            Some((message, receipt_handle)) => DequeueWithTimeoutResponse {
                found: true,
                message: Some(message),
                receipt_handle,
            },
            None => DequeueWithTimeoutResponse::default(),
        }))
    }

    async fn extend_visibility(
        &self,
        request: Request<ExtendVisibilityRequest>,
    ) -> Reply<ExtendVisibilityResponse> {
        let req = request.into_inner();
        self.queues.extend(
            &req.namespace,
            &req.queue,
            &req.receipt_handle,
            req.visibility_timeout_ms,
        )?;
        Ok(Response::new(ExtendVisibilityResponse {}))
    }

    async fn release(&self, request: Request<ReleaseRequest>) -> Reply<ReleaseResponse> {
        let req = request.into_inner();
        self.queues
            .release(&req.namespace, &req.queue, &req.receipt_handle)?;
        Ok(Response::new(ReleaseResponse {}))
    }

    async fn acknowledge(
        &self,
        request: Request<AcknowledgeRequest>,
    ) -> Reply<AcknowledgeResponse> {
        let req = request.into_inner();
        self.queues
            .acknowledge(&req.namespace, &req.queue, &req.receipt_handle)?;
        Ok(Response::new(AcknowledgeResponse {}))
    }
}

#[tonic::async_trait]
impl QueueDeadLetterInterface for QueueService {
    async fn configure_dead_letter(
        &self,
        request: Request<ConfigureDeadLetterRequest>,
    ) -> Reply<ConfigureDeadLetterResponse> {
        let req = request.into_inner();
        self.queues.configure_dead_letter(
            &req.namespace,
            &req.queue,
            req.max_receives,
            &req.dead_letter_queue,
        )?;
        Ok(Response::new(ConfigureDeadLetterResponse {}))
    }

    async fn get_dead_letter_queue(
        &self,
        request: Request<GetDeadLetterQueueRequest>,
    ) -> Reply<GetDeadLetterQueueResponse> {
        let req = request.into_inner();
        let (dead_letter_queue, messages) = self.queues.dead_letters(&req.namespace, &req.queue)?;
        Ok(Response::new(GetDeadLetterQueueResponse {
            dead_letter_queue,
            messages,
        }))
    }
}

#[tonic::async_trait]
impl QueuePriorityInterface for QueueService {
    async fn enqueue_with_priority(
        &self,
        request: Request<EnqueueWithPriorityRequest>,
    ) -> Reply<EnqueueWithPriorityResponse> {
        let EnqueueWithPriorityRequest {
            namespace,
            queue,
            payload,
            priority,
        } = request.into_inner();
        let message_id = self
            .queues
            .enqueue(&namespace, &queue, payload, priority, 0)?;
        Ok(Response::new(EnqueueWithPriorityResponse { message_id }))
    }
}

#[tonic::async_trait]
impl QueueDelayedInterface for QueueService {
    async fn enqueue_delayed(
        &self,
        request: Request<EnqueueDelayedRequest>,
    ) -> Reply<EnqueueDelayedResponse> {
        let EnqueueDelayedRequest {
            namespace,
            queue,
            payload,
            delay_ms,
        } = request.into_inner();
        let message_id = self
            .queues
            .enqueue(&namespace, &queue, payload, 0, delay_ms)?;
        Ok(Response::new(EnqueueDelayedResponse { message_id }))
    }

    async fn get_scheduled_count(
        &self,
        request: Request<GetScheduledCountRequest>,
    ) -> Reply<GetScheduledCountResponse> {
        let req = request.into_inner();
        let count = self.queues.scheduled_count(&req.namespace, &req.queue)?;
        Ok(Response::new(GetScheduledCountResponse { count }))
    }
}
