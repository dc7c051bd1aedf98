use std::collections::VecDeque;

use super::*;

/// A register of small integers, initially 0.
struct Register;

#[derive(Debug, Clone)]
enum RegOp {
    Write(u8),
    Read,
    /// Compare-and-swap: writes `.1` when the value is `.0`; answers whether it did.
    Cas(u8, u8),
}

impl Model for Register {
    type Op = RegOp;
    type Ret = u8;
    type State = u8;

    fn init(&self) -> u8 {
        0
    }

    fn step(&self, state: &u8, op: &RegOp, ret: Option<&u8>) -> Option<u8> {
        match op {
            RegOp::Write(v) => Some(*v),
            RegOp::Read => (ret.is_none() || ret == Some(state)).then_some(*state),
            RegOp::Cas(expected, new) => {
                let swapped = state == expected;
                match ret {
                    Some(r) if (*r == 1) != swapped => None,
                    _ => Some(if swapped { *new } else { *state }),
                }
            }
        }
    }
}

/// A FIFO queue of small integers.
struct Queue;

#[derive(Debug, Clone)]
enum QOp {
    Enqueue(u8),
    Dequeue,
}

impl Model for Queue {
    type Op = QOp;
    type Ret = Option<u8>;
    type State = VecDeque<u8>;

    fn init(&self) -> VecDeque<u8> {
        VecDeque::new()
    }

    fn step(
        &self,
        state: &VecDeque<u8>,
        op: &QOp,
        ret: Option<&Option<u8>>,
    ) -> Option<VecDeque<u8>> {
        let mut next = state.clone();
        match op {
            QOp::Enqueue(v) => {
                next.push_back(*v);
                Some(next)
            }
            QOp::Dequeue => {
                let head = next.pop_front();
                (ret.is_none() || ret == Some(&head)).then_some(next)
            }
        }
    }
}

fn done<R>(r: R) -> Answer<R> {
    Answer::Returned(r)
}

#[test]
fn empty_history_is_linearizable() {
    assert_eq!(check(&Register, &History::new()), Ok(()));
}

#[test]
fn sequential_history_following_the_model_is_accepted() {
    let mut h = History::new();
    h.push(0, 0, 1, RegOp::Write(1), done(0));
    h.push(0, 2, 3, RegOp::Read, done(1));
    h.push(1, 4, 5, RegOp::Write(2), done(0));
    h.push(1, 6, 7, RegOp::Read, done(2));
    assert_eq!(check(&Register, &h), Ok(()));
}

#[test]
fn read_overlapping_a_write_may_see_either_value() {
    for seen in [0, 1] {
        let mut h = History::new();
        h.push(0, 0, 10, RegOp::Write(1), done(0));
        h.push(1, 5, 15, RegOp::Read, done(seen));
        assert_eq!(check(&Register, &h), Ok(()), "read saw {seen}");
    }
}

#[test]
fn stale_read_after_a_completed_write_is_rejected() {
    let mut h = History::new();
    h.push(0, 0, 1, RegOp::Write(1), done(0));
    h.push(1, 2, 3, RegOp::Read, done(0));
    let err = check(&Register, &h).expect_err("stale read");
    let CheckError::NotLinearizable(v) = err else {
        panic!("expected a violation, got {err:?}");
    };
    assert_eq!(v.longest.len(), 1, "the write alone is explained: {v}");
    assert_eq!(v.state, "1");
    assert!(v.candidates[0].contains("Read -> 0"), "{v}");
    assert!(v.to_string().contains("not linearizable"), "{v}");
}

#[test]
fn lost_acknowledged_write_is_rejected() {
    // Write 1, then write 2 (both acknowledged), then a read that still sees 1: the second write
    // was lost.
    let mut h = History::new();
    h.push(0, 0, 1, RegOp::Write(1), done(0));
    h.push(1, 2, 3, RegOp::Write(2), done(0));
    h.push(2, 4, 5, RegOp::Read, done(1));
    assert!(matches!(
        check(&Register, &h),
        Err(CheckError::NotLinearizable(_))
    ));
}

#[test]
fn new_then_old_value_inside_one_write_is_rejected() {
    // Both reads overlap the write, but the first saw the new value and completed before the
    // second, which saw the old one: no single point for the write explains both.
    let mut h = History::new();
    h.push(0, 0, 10, RegOp::Write(1), done(0));
    h.push(1, 1, 2, RegOp::Read, done(1));
    h.push(2, 3, 4, RegOp::Read, done(0));
    assert!(check(&Register, &h).is_err());
    // The other way round is fine: old, then new.
    let mut h = History::new();
    h.push(0, 0, 10, RegOp::Write(1), done(0));
    h.push(1, 1, 2, RegOp::Read, done(0));
    h.push(2, 3, 4, RegOp::Read, done(1));
    assert_eq!(check(&Register, &h), Ok(()));
}

#[test]
fn two_concurrent_swaps_from_one_value_cannot_both_win() {
    let mut both = History::new();
    both.push(0, 0, 10, RegOp::Cas(0, 1), done(1));
    both.push(1, 0, 10, RegOp::Cas(0, 2), done(1));
    assert!(check(&Register, &both).is_err());
    let mut one = History::new();
    one.push(0, 0, 10, RegOp::Cas(0, 1), done(1));
    one.push(1, 0, 10, RegOp::Cas(0, 2), done(0));
    one.push(2, 11, 12, RegOp::Read, done(1));
    assert_eq!(check(&Register, &one), Ok(()));
}

#[test]
fn unknown_answers_may_or_may_not_have_taken_effect() {
    for seen in [0, 1] {
        let mut h = History::new();
        h.push(0, 0, 1, RegOp::Write(1), Answer::Unknown);
        h.push(1, 5, 6, RegOp::Read, done(seen));
        assert_eq!(check(&Register, &h), Ok(()), "read saw {seen}");
    }
    // Not before it was invoked, though.
    let mut h = History::new();
    h.push(1, 0, 1, RegOp::Read, done(1));
    h.push(0, 5, 6, RegOp::Write(1), Answer::Unknown);
    assert!(check(&Register, &h).is_err());
}

#[test]
fn queue_must_be_fifo_for_sequential_enqueues() {
    let mut h = History::new();
    h.push(0, 0, 1, QOp::Enqueue(1), done(None));
    h.push(0, 2, 3, QOp::Enqueue(2), done(None));
    h.push(1, 4, 5, QOp::Dequeue, done(Some(2)));
    assert!(check(&Queue, &h).is_err());
    // Concurrent enqueues may land in either order.
    let mut h = History::new();
    h.push(0, 0, 5, QOp::Enqueue(1), done(None));
    h.push(1, 0, 5, QOp::Enqueue(2), done(None));
    h.push(2, 6, 7, QOp::Dequeue, done(Some(2)));
    h.push(2, 8, 9, QOp::Dequeue, done(Some(1)));
    h.push(2, 10, 11, QOp::Dequeue, done(None));
    assert_eq!(check(&Queue, &h), Ok(()));
}

#[test]
fn queue_must_not_deliver_one_message_twice() {
    let mut h = History::new();
    h.push(0, 0, 1, QOp::Enqueue(1), done(None));
    h.push(1, 2, 10, QOp::Dequeue, done(Some(1)));
    h.push(2, 2, 10, QOp::Dequeue, done(Some(1)));
    assert!(check(&Queue, &h).is_err());
}

#[test]
fn partitions_are_checked_apart() {
    // Key 0 and key 1 are separate registers: each sub-history is fine, though as one register
    // the reads would contradict each other.
    let mut h = History::new();
    h.push(0, 0, 1, (0u8, RegOp::Write(1)), done(0));
    h.push(1, 2, 3, (1u8, RegOp::Read), done(0));
    h.push(1, 4, 5, (0u8, RegOp::Read), done(1));
    struct Keyed;
    impl Model for Keyed {
        type Op = (u8, RegOp);
        type Ret = u8;
        type State = u8;
        fn init(&self) -> u8 {
            0
        }
        fn step(&self, state: &u8, op: &(u8, RegOp), ret: Option<&u8>) -> Option<u8> {
            Register.step(state, &op.1, ret)
        }
    }
    assert_eq!(check_partitioned(&Keyed, &h, |op| op.0), Ok(()));
    assert!(
        check(&Keyed, &h).is_err(),
        "as one register it is not linearizable"
    );
    // A violation names its key.
    h.push(2, 6, 7, (1u8, RegOp::Read), done(7));
    let err = check_partitioned(&Keyed, &h, |op| op.0).expect_err("key 1 read 7");
    let CheckError::NotLinearizable(v) = err else {
        panic!("expected a violation, got {err:?}");
    };
    assert_eq!(v.key.as_deref(), Some("1"));
}

#[test]
fn many_concurrent_operations_check_quickly() {
    // 4 clients x 30 overlapping writes and reads of one register, answers taken from a real
    // sequential run in which every operation overlaps the others of its round.
    let mut h = History::new();
    let mut value = 0u8;
    for round in 0..30u64 {
        for client in 0..4usize {
            let t = round * 10;
            if client % 2 == 0 {
                value = (round as u8).wrapping_mul(3).wrapping_add(client as u8);
                h.push(client, t, t + 9, RegOp::Write(value), done(0));
            } else {
                h.push(client, t, t + 9, RegOp::Read, done(value));
            }
        }
    }
    assert_eq!(check(&Register, &h), Ok(()));
}

#[test]
fn a_search_that_exceeds_its_budget_says_so() {
    let mut h = History::new();
    for i in 0..12u8 {
        h.push(i as usize, 0, 100, RegOp::Write(i), done(0));
    }
    h.push(99, 101, 102, RegOp::Read, done(200));
    let ops: Vec<_> = h.operations().iter().collect();
    let err = search(&Register, &ops, None, 50).expect_err("tiny budget");
    assert!(matches!(err, CheckError::TooComplex { .. }), "{err:?}");
    assert!(err.to_string().contains("gave up"), "{err}");
}
