//! The queue suites catch broken plugins: each deliberately broken variant of the memstore plugin
//! fails the cases that pin the rule it breaks, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

#[test]
fn queue_variants_are_caught_by_the_cases_pinning_their_rule() {
    support::assert_variants_caught(&[
        (
            "lifo_instead_of_fifo",
            "queue_basic",
            &["dequeue_is_fifo", "peek_answers_the_head"],
        ),
        ("peek_removes", "queue_basic", &["peek_does_not_remove"]),
        (
            "ignore_visibility_timeout",
            "queue_visibility",
            &[
                "leased_message_is_invisible",
                "other_messages_stay_available",
                "extend_visibility_keeps_message_hidden",
            ],
        ),
        (
            "dead_letter_never",
            "queue_dead_letter",
            &[
                "moves_after_max_receives",
                "source_queue_loses_dead_lettered_message",
                "expired_lease_counts_toward_max",
                "dead_letter_queue_keeps_order",
                "dead_letter_queue_is_an_ordinary_queue",
                "reconfigure_replaces",
            ],
        ),
        (
            "priority_lifo_within_level",
            "queue_priority",
            &[
                "fifo_within_a_priority",
                "fifo_within_each_level_interleaved",
            ],
        ),
        (
            "delay_ignored",
            "queue_delayed",
            &[
                "delayed_message_invisible_before_due",
                "due_messages_fifo_by_due_time",
                "delayed_head_does_not_block",
                "scheduled_count_counts_not_yet_due",
                "scheduled_count_drops_when_due",
            ],
        ),
    ]);
}
