//! The stream suites catch broken plugins: each deliberately broken variant of the memstore plugin
//! fails the cases that pin the rule it breaks, while the unbroken plugin passes every case.

mod support;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

#[test]
fn stream_variants_are_caught_by_the_cases_pinning_their_rule() {
    support::assert_variants_caught(&[
        (
            "offsets_not_monotonic",
            "stream_basic",
            &[
                "offsets_start_at_zero_and_increase_by_one",
                "streams_are_numbered_apart",
            ],
        ),
        (
            "read_skips_start",
            "stream_basic",
            &[
                "read_is_inclusive_of_start",
                "read_returns_records_in_order",
                "read_respects_max",
            ],
        ),
        (
            "group_delivers_to_all_consumers",
            "stream_consumer_groups",
            &["each_record_goes_to_exactly_one_consumer"],
        ),
        (
            "unacked_lost_on_leave",
            "stream_consumer_groups",
            &[
                "unacked_records_redelivered_to_next_consumer",
                "unacked_records_move_to_remaining_consumer",
            ],
        ),
        (
            "replay_range_exclusive_end",
            "stream_replay",
            &["replay_range_includes_both_ends"],
        ),
        (
            "seek_off_by_one",
            "stream_replay",
            &[
                "seek_to_offset_zero_replays_everything",
                "seek_to_offset_starts_at_that_offset",
            ],
        ),
        (
            "retention_never_trims",
            "stream_retention",
            &[
                "compact_keeps_newest_max_records",
                "read_below_watermark_is_out_of_range",
                "latest_offset_unchanged_by_trimming",
                "compact_removes_records_older_than_max_age",
                "watermark_never_moves_back",
                "retention_is_per_stream",
            ],
        ),
        (
            "partition_by_random",
            "stream_partitioning",
            &[
                "same_key_same_partition",
                "concurrent_appends_keep_order_per_key",
            ],
        ),
    ]);
}
