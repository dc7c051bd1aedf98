//! The pubsub suites catch broken plugins: each deliberately broken variant of the memstore plugin
//! fails the cases that pin the rule it breaks, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

#[test]
fn pubsub_variants_are_caught_by_the_cases_pinning_their_rule() {
    support::assert_variants_caught(&[
        (
            "drop_every_10th_message",
            "pubsub_basic",
            &[
                "subscriber_gets_messages_in_publish_order",
                "every_subscriber_gets_every_message",
                "message_ids_unique_and_same_for_every_subscriber",
                "slow_subscriber_loses_nothing",
            ],
        ),
        (
            "wildcard_star_matches_many_tokens",
            "pubsub_wildcards",
            &[
                "star_matches_exactly_one_token",
                "star_in_the_middle_matches_one_token",
                "lone_star_matches_single_token_topics",
            ],
        ),
        (
            "durable_redelivers_all",
            "pubsub_persistent",
            &[
                "returning_subscriber_gets_missed_messages",
                "missed_messages_delivered_once",
                "subscriber_names_have_own_positions",
            ],
        ),
        (
            "filter_matches_any_attribute",
            "pubsub_filtering",
            &["filter_requires_every_pair"],
        ),
        (
            "reorder_within_key",
            "pubsub_ordering",
            &[
                "one_key_arrives_in_publish_order",
                "order_per_key_with_concurrent_publishers",
                "every_subscriber_sees_the_same_order",
            ],
        ),
    ]);
}
