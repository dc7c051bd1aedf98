//! The five queue interfaces over `prism.queue_messages` and `prism.queue_dead_letter`.
//!
//! - Every time is the database's: a message is due at `due_at`, leased until `lease_until`, and
//!   both are compared with `now()`, so plugin processes on machines with different clocks agree.
//! - Enqueuers, receivers and readers of a queue's head take the queue's advisory transaction
//!   lock (enqueuers and receivers exclusive, Peek shared), so a Peek never sees a head that a receiver has taken but
//!   not committed yet, and no receiver passes an older message that another is still taking.
//!   Receiving still picks the head with `FOR UPDATE SKIP LOCKED`, so a row another statement
//!   holds (a Release in progress) is passed over instead of waited on.
//! - The order is one index: priority descending, then due time, then `seq` (enqueue order; a
//!   dead-lettered message gets a new one, as if enqueued then).
//! - Dead-lettering is settled lazily: every receive, peek and listing first moves, in the same
//!   database transaction (so at the same `now()`), the messages whose lease ended after their
//!   last allowed receive. A lease ended by Release is settled right after the Release.

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
use tokio_postgres::Row;
use tonic::Status;

use super::common::{count, non_empty, Reply};
use crate::error::OrStatus;
use crate::Backend;
use prism_plugin::Services;

/// Adds the queue services to `router`.
pub fn add_services(services: Services, backend: &Backend) -> Services {
    let svc = QueueService {
        backend: backend.clone(),
    };
    services
        .add(QueueBasicInterfaceServer::new(svc.clone()))
        .add(QueueVisibilityInterfaceServer::new(svc.clone()))
        .add(QueueDeadLetterInterfaceServer::new(svc.clone()))
        .add(QueuePriorityInterfaceServer::new(svc.clone()))
        .add(QueueDelayedInterfaceServer::new(svc))
}

/// Moves the messages of namespace `$1` whose lease ended after their last allowed receive to
/// their dead-letter queue, as if enqueued there when the lease ended, at priority 0.
const SETTLE: &str = "\
UPDATE prism.queue_messages m
   SET queue = c.dead_letter_queue, lease_until = NULL, receipt = NULL, priority = 0,
       due_at = m.lease_until, seq = nextval('prism.queue_seq')
  FROM prism.queue_dead_letter c
 WHERE m.namespace = $1 AND c.namespace = m.namespace AND c.queue = m.queue
   AND m.lease_until <= now() AND m.receive_count >= c.max_receives";

/// The visible messages of queue `$2` in namespace `$1`, in queue order.
const VISIBLE: &str = "\
SELECT id FROM prism.queue_messages
 WHERE namespace = $1 AND queue = $2 AND due_at <= now()
   AND (lease_until IS NULL OR lease_until <= now())
 ORDER BY priority DESC, due_at, seq";

/// Serves every queue interface.
#[derive(Clone)]
pub struct QueueService {
    backend: Backend,
}

fn check_queue(queue: &str) -> Result<(), Status> {
    non_empty("queue", queue)
}

fn message(row: &Row) -> QueueMessage {
    QueueMessage {
        message_id: row.get(0),
        payload: row.get(1),
        receive_count: u32::try_from(row.get::<_, i32>(2)).unwrap_or(0),
    }
}

fn stale(receipt: &str) -> Status {
    Status::not_found(format!(
        "receipt handle {receipt:?} is unknown or its lease has ended"
    ))
}

/// A receipt as the text of a UUID, or None when it cannot be one we issued.
fn receipt_uuid(receipt: &str) -> Option<String> {
    uuid::Uuid::parse_str(receipt).ok().map(|u| u.to_string())
}

use prism_plugin::check::positive as positive_ms;

/// How a statement run by [`QueueService::settled`] uses a queue's head.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// Takes the head (Dequeue, DequeueWithTimeout): one taker of a queue at a time.
    Take,
    /// Reads the head (Peek): waits for a take in progress, runs alongside other reads.
    Read,
}

/// First key of the queues' advisory locks (`queu` in ASCII), so that they never meet another
/// lock of the database; the second is a hash of the namespace and queue.
const QUEUE_LOCK_CLASS: i32 = 0x7175_6575;

impl QueueService {
    /// Runs `settle first` then `sql` in one database transaction (one `now()`), answering the
    /// rows of `sql`, under the queue's advisory lock for `access`.
    ///
    /// The lock is why a queue stays FIFO under concurrency. `SKIP LOCKED` alone lets a second
    /// taker pass the head that a first one has locked but not yet committed the removal of, and
    /// a Peek in that window still answers that head: a later message was taken while an older one
    /// was visible. Takers of one queue therefore go one at a time, and a Peek waits for the
    /// take in progress to commit (each statement then reads what it committed).
    async fn settled(
        &self,
        ns: &str,
        queue: &str,
        access: Access,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, Status> {
        let mut client = self.backend.client().await?;
        let txn = client.transaction().await.st()?;
        lock(&txn, ns, queue, access).await?;
        txn.execute(SETTLE, &[&ns]).await.st()?;
        let rows = txn.query(sql, params).await.st()?;
        txn.commit().await.st()?;
        Ok(rows)
    }

    async fn enqueue(
        &self,
        ns: &str,
        queue: &str,
        payload: Vec<u8>,
        priority: i32,
        delay_ms: i64,
    ) -> Result<String, Status> {
        check_queue(queue)?;
        prism_plugin::check::non_negative("delay_ms", delay_ms)?;
        let mut client = self.backend.client().await?;
        // Under the queue's lock: `seq` is taken when the row is inserted, so two enqueues that
        // commit in the other order than they took it would let a Peek see the later message as
        // the head, then the earlier one (found by concurrent_history_is_linearizable).
        let txn = client.transaction().await.st()?;
        lock(&txn, ns, queue, Access::Take).await?;
        let row = txn
            .query_one(
                "INSERT INTO prism.queue_messages (namespace, queue, payload, priority, due_at) \
                 VALUES ($1, $2, $3, $4, now() + $5::bigint * interval '1 millisecond') \
                 RETURNING id::text",
                &[&ns, &queue, &payload, &priority, &delay_ms],
            )
            .await
            .st()?;
        txn.commit().await.st()?;
        Ok(row.get(0))
    }
}

/// Takes the queue's advisory transaction lock: exclusive to change its order or head, shared to
/// read the head.
async fn lock(
    txn: &tokio_postgres::Transaction<'_>,
    ns: &str,
    queue: &str,
    access: Access,
) -> Result<(), Status> {
    let lock = match access {
        Access::Take => "SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))",
        Access::Read => "SELECT pg_advisory_xact_lock_shared($1::int4, hashtext($2::text))",
    };
    // The length prefix keeps (namespace, queue) pairs apart: `a` + `bc` is not `ab` + `c`.
    let name = format!("{}:{ns}{queue}", ns.len());
    txn.execute(lock, &[&QUEUE_LOCK_CLASS, &name]).await.st()?;
    Ok(())
}

#[prism_plugin::service]
impl QueueBasicInterface for QueueService {
    async fn enqueue(&self, req: EnqueueRequest) -> Reply<EnqueueResponse> {
        let message_id =
            QueueService::enqueue(self, &req.namespace, &req.queue, req.payload, 0, 0).await?;
        Ok(EnqueueResponse { message_id })
    }

    async fn dequeue(&self, req: DequeueRequest) -> Reply<DequeueResponse> {
        check_queue(&req.queue)?;
        let rows = self
            .settled(
                &req.namespace,
                &req.queue,
                Access::Take,
                &format!(
                    "DELETE FROM prism.queue_messages \
                     WHERE id = ({VISIBLE} LIMIT 1 FOR UPDATE SKIP LOCKED) \
                     RETURNING id::text, payload, receive_count + 1"
                ),
                &[&req.namespace, &req.queue],
            )
            .await?;
        let message = rows.first().map(message);
        Ok(DequeueResponse {
            found: message.is_some(),
            message,
        })
    }

    async fn peek(&self, req: PeekRequest) -> Reply<PeekResponse> {
        check_queue(&req.queue)?;
        let rows = self
            .settled(
                &req.namespace,
                &req.queue,
                Access::Read,
                &format!(
                    "SELECT id::text, payload, receive_count FROM prism.queue_messages \
                     WHERE id = ({VISIBLE} LIMIT 1)"
                ),
                &[&req.namespace, &req.queue],
            )
            .await?;
        let message = rows.first().map(message);
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
        check_queue(&req.queue)?;
        positive_ms("visibility_timeout_ms", req.visibility_timeout_ms)?;
        let rows = self
            .settled(
                &req.namespace,
                &req.queue,
                Access::Take,
                &format!(
                    "UPDATE prism.queue_messages \
                        SET lease_until = now() + $3::bigint * interval '1 millisecond', \
                            receipt = gen_random_uuid(), receive_count = receive_count + 1 \
                      WHERE id = ({VISIBLE} LIMIT 1 FOR UPDATE SKIP LOCKED) \
                     RETURNING id::text, payload, receive_count, receipt::text"
                ),
                &[&req.namespace, &req.queue, &req.visibility_timeout_ms],
            )
            .await?;
        Ok(match rows.first() {
            Some(row) => DequeueWithTimeoutResponse {
                found: true,
                message: Some(message(row)),
                receipt_handle: row.get(3),
            },
            None => DequeueWithTimeoutResponse::default(),
        })
    }

    async fn extend_visibility(
        &self,
        req: ExtendVisibilityRequest,
    ) -> Reply<ExtendVisibilityResponse> {
        check_queue(&req.queue)?;
        positive_ms("visibility_timeout_ms", req.visibility_timeout_ms)?;
        let receipt =
            receipt_uuid(&req.receipt_handle).ok_or_else(|| stale(&req.receipt_handle))?;
        let client = self.backend.client().await?;
        let n = client
            .execute(
                "UPDATE prism.queue_messages \
                    SET lease_until = now() + $4::bigint * interval '1 millisecond' \
                  WHERE namespace = $1 AND queue = $2 AND receipt = $3::text::uuid \
                    AND lease_until > now()",
                &[
                    &req.namespace,
                    &req.queue,
                    &receipt,
                    &req.visibility_timeout_ms,
                ],
            )
            .await
            .st()?;
        if n == 0 {
            return Err(stale(&req.receipt_handle));
        }
        Ok(ExtendVisibilityResponse {})
    }

    async fn release(&self, req: ReleaseRequest) -> Reply<ReleaseResponse> {
        check_queue(&req.queue)?;
        let receipt =
            receipt_uuid(&req.receipt_handle).ok_or_else(|| stale(&req.receipt_handle))?;
        let mut client = self.backend.client().await?;
        let txn = client.transaction().await.st()?;
        let n = txn
            .execute(
                "UPDATE prism.queue_messages SET lease_until = now(), receipt = NULL \
                  WHERE namespace = $1 AND queue = $2 AND receipt = $3::text::uuid \
                    AND lease_until > now()",
                &[&req.namespace, &req.queue, &receipt],
            )
            .await
            .st()?;
        if n == 0 {
            return Err(stale(&req.receipt_handle));
        }
        // The lease ended now: a message out of receives moves to its dead-letter queue now.
        txn.execute(SETTLE, &[&req.namespace]).await.st()?;
        txn.commit().await.st()?;
        Ok(ReleaseResponse {})
    }

    async fn acknowledge(&self, req: AcknowledgeRequest) -> Reply<AcknowledgeResponse> {
        check_queue(&req.queue)?;
        let receipt =
            receipt_uuid(&req.receipt_handle).ok_or_else(|| stale(&req.receipt_handle))?;
        let client = self.backend.client().await?;
        let n = client
            .execute(
                "DELETE FROM prism.queue_messages \
                  WHERE namespace = $1 AND queue = $2 AND receipt = $3::text::uuid \
                    AND lease_until > now()",
                &[&req.namespace, &req.queue, &receipt],
            )
            .await
            .st()?;
        if n == 0 {
            return Err(stale(&req.receipt_handle));
        }
        Ok(AcknowledgeResponse {})
    }
}

#[prism_plugin::service]
impl QueueDeadLetterInterface for QueueService {
    async fn configure_dead_letter(
        &self,
        req: ConfigureDeadLetterRequest,
    ) -> Reply<ConfigureDeadLetterResponse> {
        check_queue(&req.queue)?;
        non_empty("dead_letter_queue", &req.dead_letter_queue)?;
        if req.max_receives == 0 {
            return Err(Status::invalid_argument("max_receives must be at least 1"));
        }
        if req.queue == req.dead_letter_queue {
            return Err(Status::invalid_argument(
                "a queue cannot be its own dead-letter queue",
            ));
        }
        let max = i32::try_from(req.max_receives).unwrap_or(i32::MAX);
        let client = self.backend.client().await?;
        client
            .execute(
                "INSERT INTO prism.queue_dead_letter (namespace, queue, max_receives, dead_letter_queue) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (namespace, queue) DO UPDATE \
                 SET max_receives = EXCLUDED.max_receives, dead_letter_queue = EXCLUDED.dead_letter_queue",
                &[&req.namespace, &req.queue, &max, &req.dead_letter_queue],
            )
            .await
            .st()?;
        Ok(ConfigureDeadLetterResponse {})
    }

    async fn get_dead_letter_queue(
        &self,
        req: GetDeadLetterQueueRequest,
    ) -> Reply<GetDeadLetterQueueResponse> {
        check_queue(&req.queue)?;
        let mut client = self.backend.client().await?;
        let txn = client.transaction().await.st()?;
        txn.execute(SETTLE, &[&req.namespace]).await.st()?;
        let config = txn
            .query_opt(
                "SELECT dead_letter_queue FROM prism.queue_dead_letter \
                  WHERE namespace = $1 AND queue = $2",
                &[&req.namespace, &req.queue],
            )
            .await
            .st()?;
        let Some(config) = config else {
            return Err(Status::not_found(format!(
                "queue {:?} has no dead-letter configuration",
                req.queue
            )));
        };
        let dead_letter_queue: String = config.get(0);
        let rows = txn
            .query(
                "SELECT id::text, payload, receive_count FROM prism.queue_messages \
                  WHERE namespace = $1 AND queue = $2 ORDER BY priority DESC, due_at, seq",
                &[&req.namespace, &dead_letter_queue],
            )
            .await
            .st()?;
        txn.commit().await.st()?;
        Ok(GetDeadLetterQueueResponse {
            dead_letter_queue,
            messages: rows.iter().map(message).collect(),
        })
    }
}

#[prism_plugin::service]
impl QueuePriorityInterface for QueueService {
    async fn enqueue_with_priority(
        &self,
        req: EnqueueWithPriorityRequest,
    ) -> Reply<EnqueueWithPriorityResponse> {
        let message_id = self
            .enqueue(&req.namespace, &req.queue, req.payload, req.priority, 0)
            .await?;
        Ok(EnqueueWithPriorityResponse { message_id })
    }
}

#[prism_plugin::service]
impl QueueDelayedInterface for QueueService {
    async fn enqueue_delayed(&self, req: EnqueueDelayedRequest) -> Reply<EnqueueDelayedResponse> {
        let message_id = self
            .enqueue(&req.namespace, &req.queue, req.payload, 0, req.delay_ms)
            .await?;
        Ok(EnqueueDelayedResponse { message_id })
    }

    async fn get_scheduled_count(
        &self,
        req: GetScheduledCountRequest,
    ) -> Reply<GetScheduledCountResponse> {
        check_queue(&req.queue)?;
        let client = self.backend.client().await?;
        let row = client
            .query_one(
                "SELECT count(*) FROM prism.queue_messages \
                  WHERE namespace = $1 AND queue = $2 AND due_at > now()",
                &[&req.namespace, &req.queue],
            )
            .await
            .st()?;
        Ok(GetScheduledCountResponse {
            count: count(row.get(0)),
        })
    }
}
