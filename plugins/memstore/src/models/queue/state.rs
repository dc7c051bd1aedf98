//! The queues of every namespace and the rules of the five queue interfaces.
//!
//! Time is handled lazily: every operation first settles the namespace at "now" (ends the leases
//! whose timeout passed, dead-lettering what must be), and visibility is computed from deadlines,
//! so no background task is needed and no read ever sees a message past its deadline.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use prism_proto::queue::QueueMessage;
use tonic::Status;

use crate::faults::Spaces;
use crate::Faults;

/// Every namespace's queues behind one lock, shared by every clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Queues {
    faults: Faults,
    spaces: Arc<Mutex<Spaces<Space>>>,
}

/// The queues of one namespace.
#[derive(Debug, Default)]
struct Space {
    queues: HashMap<String, Queue>,
    /// Last sequence number handed out: it orders messages enqueued at the same instant.
    last_seq: u64,
}

#[derive(Debug, Default)]
struct Queue {
    messages: Vec<Stored>,
    dead_letter: Option<DeadLetter>,
}

#[derive(Debug, Clone)]
struct DeadLetter {
    max_receives: u32,
    queue: String,
}

/// One message in a queue.
#[derive(Debug)]
struct Stored {
    id: String,
    payload: Vec<u8>,
    priority: i32,
    /// When the message becomes visible (enqueue time unless delayed).
    due: Instant,
    seq: u64,
    receive_count: u32,
    lease: Option<Lease>,
}

#[derive(Debug)]
struct Lease {
    receipt: String,
    until: Instant,
}

impl Stored {
    fn to_proto(&self) -> QueueMessage {
        QueueMessage {
            message_id: self.id.clone(),
            payload: self.payload.clone(),
            receive_count: self.receive_count,
        }
    }
}

/// The order every queue serves visible messages in: higher priority, then earlier due, then
/// earlier enqueue.
fn queue_order(a: &Stored, b: &Stored) -> Ordering {
    b.priority
        .cmp(&a.priority)
        .then((a.due, a.seq).cmp(&(b.due, b.seq)))
}

/// `now + ms`, INVALID_ARGUMENT when `ms` is out of range (`min` is the smallest allowed).
fn deadline(now: Instant, ms: i64, min: i64, field: &str) -> Result<Instant, Status> {
    if ms < min {
        return Err(Status::invalid_argument(format!(
            "{field} must be at least {min}, got {ms}"
        )));
    }
    now.checked_add(Duration::from_millis(ms.unsigned_abs()))
        .ok_or_else(|| Status::invalid_argument(format!("{field} {ms} is too large")))
}

fn check_name(name: &str, field: &str) -> Result<(), Status> {
    if name.is_empty() {
        return Err(Status::invalid_argument(format!(
            "{field} must not be empty"
        )));
    }
    Ok(())
}

fn stale(receipt: &str) -> Status {
    Status::not_found(format!(
        "receipt handle {receipt:?} is unknown or its lease has ended"
    ))
}

impl Space {
    fn next_seq(&mut self) -> u64 {
        self.last_seq += 1;
        self.last_seq
    }

    /// Ends every lease whose timeout passed by `now`.
    fn settle(&mut self, now: Instant, dead_letter_enforced: bool) {
        let names: Vec<String> = self.queues.keys().cloned().collect();
        for name in names {
            let expired: Vec<String> = self.queues[&name]
                .messages
                .iter()
                .filter_map(|m| m.lease.as_ref().filter(|l| l.until <= now))
                .map(|l| l.receipt.clone())
                .collect();
            for receipt in expired {
                self.end_lease(&name, &receipt, now, dead_letter_enforced);
            }
        }
    }

    /// Ends the lease `receipt` without acknowledgement: the message becomes visible again in its
    /// place, or moves to the dead-letter queue once it has been received `max_receives` times.
    fn end_lease(&mut self, queue: &str, receipt: &str, now: Instant, dead_letter_enforced: bool) {
        let Some(q) = self.queues.get_mut(queue) else {
            return;
        };
        let Some(index) = q
            .messages
            .iter()
            .position(|m| m.lease.as_ref().is_some_and(|l| l.receipt == receipt))
        else {
            return;
        };
        q.messages[index].lease = None;
        let Some(rule) = q.dead_letter.clone() else {
            return;
        };
        if !dead_letter_enforced || q.messages[index].receive_count < rule.max_receives {
            return;
        }
        let mut moved = q.messages.remove(index);
        moved.priority = 0;
        moved.due = now;
        moved.seq = self.next_seq();
        self.queues
            .entry(rule.queue)
            .or_default()
            .messages
            .push(moved);
    }
}

impl Queues {
    pub(crate) fn new(faults: Faults) -> Self {
        Self {
            spaces: Arc::new(Mutex::new(Spaces::new(
                &faults,
                "queue_namespace_prefix_leak",
            ))),
            faults,
        }
    }

    /// The namespace `ns`, settled at `now`.
    fn space<'a>(
        &self,
        spaces: &'a mut MutexGuard<'_, Spaces<Space>>,
        ns: &str,
        now: Instant,
    ) -> &'a mut Space {
        let space = spaces.entry(ns.to_owned()).or_default();
        space.settle(now, !self.faults.has("dead_letter_never"));
        space
    }

    fn lock(&self) -> MutexGuard<'_, Spaces<Space>> {
        // Every operation checks its input before it changes anything, so a poisoned lock still
        // guards consistent data.
        self.spaces.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `m` can be received at `now`.
    fn visible(&self, m: &Stored, now: Instant) -> bool {
        m.due <= now && (m.lease.is_none() || self.faults.has("ignore_visibility_timeout"))
    }

    /// The order Dequeue and Peek serve in, as the faults bend it.
    fn serve_order(&self, a: &Stored, b: &Stored) -> Ordering {
        let by_priority = b.priority.cmp(&a.priority);
        let mut by_arrival = (a.due, a.seq).cmp(&(b.due, b.seq));
        if self.faults.has("priority_lifo_within_level") {
            by_arrival = by_arrival.reverse();
        }
        let order = by_priority.then(by_arrival);
        if self.faults.has("lifo_instead_of_fifo") {
            order.reverse()
        } else {
            order
        }
    }

    /// Index of the first visible message of `queue`, if any.
    fn head(&self, space: &Space, queue: &str, now: Instant) -> Option<usize> {
        let q = space.queues.get(queue)?;
        q.messages
            .iter()
            .enumerate()
            .filter(|(_, m)| self.visible(m, now))
            .min_by(|(_, a), (_, b)| self.serve_order(a, b))
            .map(|(i, _)| i)
    }

    /// Adds a message due `delay_ms` from now; answers its id.
    pub(crate) fn enqueue(
        &self,
        ns: &str,
        queue: &str,
        payload: Vec<u8>,
        priority: i32,
        delay_ms: i64,
    ) -> Result<String, Status> {
        check_name(queue, "queue")?;
        let now = Instant::now();
        let mut due = deadline(now, delay_ms, 0, "delay_ms")?;
        if self.faults.has("delay_ignored") {
            due = now;
        }
        let id = uuid::Uuid::new_v4().to_string();
        let mut spaces = self.lock();
        let space = self.space(&mut spaces, ns, now);
        let seq = space.next_seq();
        if self.faults.has("lose_every_3rd_enqueue") && seq.is_multiple_of(3) {
            return Ok(id);
        }
        space
            .queues
            .entry(queue.to_owned())
            .or_default()
            .messages
            .push(Stored {
                id: id.clone(),
                payload,
                priority,
                due,
                seq,
                receive_count: 0,
                lease: None,
            });
        Ok(id)
    }

    /// Takes the first visible message off `queue`, counting the receive.
    pub(crate) fn dequeue(&self, ns: &str, queue: &str) -> Result<Option<QueueMessage>, Status> {
        check_name(queue, "queue")?;
        let now = Instant::now();
        let mut spaces = self.lock();
        let space = self.space(&mut spaces, ns, now);
        let Some(index) = self.head(space, queue, now) else {
            return Ok(None);
        };
        let q = space.queues.get_mut(queue).expect("head found the queue");
        let mut taken = q.messages.remove(index);
        taken.receive_count = taken.receive_count.saturating_add(1);
        Ok(Some(taken.to_proto()))
    }

    /// The first visible message of `queue`, left in place and not counted as a receive.
    pub(crate) fn peek(&self, ns: &str, queue: &str) -> Result<Option<QueueMessage>, Status> {
        check_name(queue, "queue")?;
        let now = Instant::now();
        let mut spaces = self.lock();
        let space = self.space(&mut spaces, ns, now);
        let Some(index) = self.head(space, queue, now) else {
            return Ok(None);
        };
        let q = space.queues.get_mut(queue).expect("head found the queue");
        if self.faults.has("peek_removes") {
            return Ok(Some(q.messages.remove(index).to_proto()));
        }
        Ok(Some(q.messages[index].to_proto()))
    }

    /// Leases the first visible message of `queue` for `timeout_ms`: the message and its receipt.
    pub(crate) fn lease(
        &self,
        ns: &str,
        queue: &str,
        timeout_ms: i64,
    ) -> Result<Option<(QueueMessage, String)>, Status> {
        check_name(queue, "queue")?;
        let now = Instant::now();
        let until = deadline(now, timeout_ms, 1, "visibility_timeout_ms")?;
        let mut spaces = self.lock();
        let space = self.space(&mut spaces, ns, now);
        let Some(index) = self.head(space, queue, now) else {
            return Ok(None);
        };
        let q = space.queues.get_mut(queue).expect("head found the queue");
        let m = &mut q.messages[index];
        m.receive_count = m.receive_count.saturating_add(1);
        let receipt = uuid::Uuid::new_v4().to_string();
        m.lease = Some(Lease {
            receipt: receipt.clone(),
            until,
        });
        Ok(Some((m.to_proto(), receipt)))
    }

    /// The message leased under `receipt`, if that lease is live.
    fn leased<'a>(space: &'a mut Space, queue: &str, receipt: &str) -> Option<&'a mut Stored> {
        space
            .queues
            .get_mut(queue)?
            .messages
            .iter_mut()
            .find(|m| m.lease.as_ref().is_some_and(|l| l.receipt == receipt))
    }

    /// Makes the lease `receipt` end `timeout_ms` from now.
    pub(crate) fn extend(
        &self,
        ns: &str,
        queue: &str,
        receipt: &str,
        timeout_ms: i64,
    ) -> Result<(), Status> {
        check_name(queue, "queue")?;
        let now = Instant::now();
        let until = deadline(now, timeout_ms, 1, "visibility_timeout_ms")?;
        let mut spaces = self.lock();
        let space = self.space(&mut spaces, ns, now);
        let m = Self::leased(space, queue, receipt).ok_or_else(|| stale(receipt))?;
        if let Some(lease) = m.lease.as_mut() {
            lease.until = until;
        }
        Ok(())
    }

    /// Ends the lease `receipt` now without acknowledgement.
    pub(crate) fn release(&self, ns: &str, queue: &str, receipt: &str) -> Result<(), Status> {
        check_name(queue, "queue")?;
        let now = Instant::now();
        let mut spaces = self.lock();
        let space = self.space(&mut spaces, ns, now);
        Self::leased(space, queue, receipt).ok_or_else(|| stale(receipt))?;
        space.end_lease(queue, receipt, now, !self.faults.has("dead_letter_never"));
        Ok(())
    }

    /// Removes the message leased under `receipt` for good.
    pub(crate) fn acknowledge(&self, ns: &str, queue: &str, receipt: &str) -> Result<(), Status> {
        check_name(queue, "queue")?;
        let now = Instant::now();
        let mut spaces = self.lock();
        let space = self.space(&mut spaces, ns, now);
        let id = Self::leased(space, queue, receipt)
            .ok_or_else(|| stale(receipt))?
            .id
            .clone();
        if let Some(q) = space.queues.get_mut(queue) {
            q.messages.retain(|m| m.id != id);
        }
        Ok(())
    }

    /// Gives `queue` a dead-letter queue, replacing any earlier configuration.
    pub(crate) fn configure_dead_letter(
        &self,
        ns: &str,
        queue: &str,
        max_receives: u32,
        dead_letter_queue: &str,
    ) -> Result<(), Status> {
        check_name(queue, "queue")?;
        check_name(dead_letter_queue, "dead_letter_queue")?;
        if max_receives == 0 {
            return Err(Status::invalid_argument("max_receives must be at least 1"));
        }
        if queue == dead_letter_queue {
            return Err(Status::invalid_argument(
                "a queue cannot be its own dead-letter queue",
            ));
        }
        let now = Instant::now();
        let mut spaces = self.lock();
        let space = self.space(&mut spaces, ns, now);
        space
            .queues
            .entry(queue.to_owned())
            .or_default()
            .dead_letter = Some(DeadLetter {
            max_receives,
            queue: dead_letter_queue.to_owned(),
        });
        Ok(())
    }

    /// The dead-letter queue of `queue` and every message in it, in queue order.
    pub(crate) fn dead_letters(
        &self,
        ns: &str,
        queue: &str,
    ) -> Result<(String, Vec<QueueMessage>), Status> {
        check_name(queue, "queue")?;
        let now = Instant::now();
        let mut spaces = self.lock();
        let space = self.space(&mut spaces, ns, now);
        let rule = space
            .queues
            .get(queue)
            .and_then(|q| q.dead_letter.clone())
            .ok_or_else(|| {
                Status::not_found(format!("queue {queue:?} has no dead-letter configuration"))
            })?;
        let mut messages: Vec<&Stored> = space
            .queues
            .get(&rule.queue)
            .map(|q| q.messages.iter().collect())
            .unwrap_or_default();
        messages.sort_by(|a, b| queue_order(a, b));
        let messages = messages.into_iter().map(Stored::to_proto).collect();
        Ok((rule.queue, messages))
    }

    /// How many messages of `queue` are not due yet.
    pub(crate) fn scheduled_count(&self, ns: &str, queue: &str) -> Result<u64, Status> {
        check_name(queue, "queue")?;
        let now = Instant::now();
        let mut spaces = self.lock();
        let space = self.space(&mut spaces, ns, now);
        let count = space
            .queues
            .get(queue)
            .map_or(0, |q| q.messages.iter().filter(|m| m.due > now).count());
        Ok(u64::try_from(count).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use std::thread::sleep;

    use tonic::Code;

    use super::*;

    fn payloads(queues: &Queues, ns: &str, queue: &str) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| queues.dequeue(ns, queue).expect("dequeue"))
            .map(|m| m.payload)
            .collect()
    }

    fn put(queues: &Queues, queue: &str, payload: &[u8], priority: i32, delay_ms: i64) -> String {
        queues
            .enqueue("ns", queue, payload.to_vec(), priority, delay_ms)
            .expect("enqueue")
    }

    #[test]
    fn fifo_and_peek_leaves_the_message() {
        let queues = Queues::default();
        for p in [b"a", b"b", b"c"] {
            put(&queues, "q", p, 0, 0);
        }
        let peeked = queues.peek("ns", "q").expect("peek").expect("a message");
        assert_eq!(
            (peeked.payload.as_slice(), peeked.receive_count),
            (&b"a"[..], 0)
        );
        assert_eq!(payloads(&queues, "ns", "q"), [b"a", b"b", b"c"]);
        assert_eq!(queues.dequeue("ns", "q").expect("dequeue"), None);
        assert_eq!(queues.dequeue("other", "q").expect("dequeue"), None);
        assert_eq!(
            queues.dequeue("ns", "").expect_err("empty name").code(),
            Code::InvalidArgument
        );
    }

    #[test]
    fn priority_then_fifo() {
        let queues = Queues::default();
        put(&queues, "q", b"low-1", -1, 0);
        put(&queues, "q", b"mid-1", 0, 0);
        put(&queues, "q", b"high-1", 5, 0);
        put(&queues, "q", b"mid-2", 0, 0);
        put(&queues, "q", b"high-2", 5, 0);
        let got: Vec<String> = payloads(&queues, "ns", "q")
            .into_iter()
            .map(|p| String::from_utf8(p).expect("utf-8"))
            .collect();
        assert_eq!(got, ["high-1", "high-2", "mid-1", "mid-2", "low-1"]);
    }

    #[test]
    fn lease_hides_until_timeout_then_counts_again() {
        let queues = Queues::default();
        let id = put(&queues, "q", b"m", 0, 0);
        let (first, receipt) = queues.lease("ns", "q", 100).expect("lease").expect("found");
        assert_eq!(
            (first.message_id.as_str(), first.receive_count),
            (id.as_str(), 1)
        );
        assert_eq!(queues.peek("ns", "q").expect("peek"), None);
        sleep(Duration::from_millis(150));
        assert_eq!(
            queues
                .acknowledge("ns", "q", &receipt)
                .expect_err("stale")
                .code(),
            Code::NotFound
        );
        let (again, receipt) = queues
            .lease("ns", "q", 10_000)
            .expect("lease")
            .expect("back");
        assert_eq!((again.message_id, again.receive_count), (id, 2));
        queues.acknowledge("ns", "q", &receipt).expect("ack");
        assert_eq!(queues.peek("ns", "q").expect("peek"), None);
        assert_eq!(
            queues
                .release("ns", "q", &receipt)
                .expect_err("stale")
                .code(),
            Code::NotFound
        );
    }

    #[test]
    fn release_and_dead_letter() {
        let queues = Queues::default();
        queues
            .configure_dead_letter("ns", "q", 2, "dlq")
            .expect("configure");
        let id = put(&queues, "q", b"m", 0, 0);
        for round in 1..=2 {
            let (m, receipt) = queues
                .lease("ns", "q", 10_000)
                .expect("lease")
                .expect("found");
            assert_eq!(m.receive_count, round);
            queues.release("ns", "q", &receipt).expect("release");
        }
        assert_eq!(queues.peek("ns", "q").expect("peek"), None);
        let (dlq, dead) = queues.dead_letters("ns", "q").expect("dead letters");
        assert_eq!(dlq, "dlq");
        assert_eq!(dead.len(), 1);
        assert_eq!(
            (dead[0].message_id.as_str(), dead[0].receive_count),
            (id.as_str(), 2)
        );
        assert_eq!(payloads(&queues, "ns", "dlq"), [b"m"]);
        assert_eq!(
            queues
                .dead_letters("ns", "dlq")
                .expect_err("unconfigured")
                .code(),
            Code::NotFound
        );
        assert_eq!(
            queues
                .configure_dead_letter("ns", "q", 0, "dlq")
                .expect_err("zero")
                .code(),
            Code::InvalidArgument
        );
    }

    #[test]
    fn delayed_messages_wait_and_are_counted() {
        let queues = Queues::default();
        put(&queues, "q", b"late", 0, 100);
        put(&queues, "q", b"later", 0, 10_000);
        put(&queues, "q", b"now", 0, 0);
        assert_eq!(queues.scheduled_count("ns", "q").expect("count"), 2);
        assert_eq!(payloads(&queues, "ns", "q"), [b"now"]);
        sleep(Duration::from_millis(150));
        assert_eq!(queues.scheduled_count("ns", "q").expect("count"), 1);
        assert_eq!(payloads(&queues, "ns", "q"), [b"late"]);
        assert_eq!(
            queues
                .enqueue("ns", "q", Vec::new(), 0, -1)
                .expect_err("negative")
                .code(),
            Code::InvalidArgument
        );
    }

    #[test]
    fn faults_break_their_rule() {
        let faults = |name| Queues::new(Faults::parse(name).expect("known fault"));
        let lifo = faults("lifo_instead_of_fifo");
        put(&lifo, "q", b"a", 0, 0);
        put(&lifo, "q", b"b", 0, 0);
        assert_eq!(payloads(&lifo, "ns", "q"), [b"b", b"a"]);

        let ignore = faults("ignore_visibility_timeout");
        put(&ignore, "q", b"a", 0, 0);
        ignore
            .lease("ns", "q", 10_000)
            .expect("lease")
            .expect("found");
        assert!(ignore.peek("ns", "q").expect("peek").is_some());

        let delay = faults("delay_ignored");
        put(&delay, "q", b"a", 0, 10_000);
        assert_eq!(delay.scheduled_count("ns", "q").expect("count"), 0);
        assert_eq!(payloads(&delay, "ns", "q"), [b"a"]);
    }
}
