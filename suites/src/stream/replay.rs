use prism_suite::interface_suite;

/// `stream_replay`: SeekToOffset, SeekToTimestamp, ReplayRange (finite server streams).
///
/// Rules: SeekToOffset streams from its offset inclusive to the end; at the next offset it is
/// empty, beyond it or below the low watermark OUT_OF_RANGE; SeekToTimestamp starts at the first
/// retained record stamped at or after the timestamp (empty after the last, every retained record
/// before the first); ReplayRange includes both ends, stops at the latest offset, is empty at the
/// next offset and OUT_OF_RANGE beyond it or below the watermark; end < start is INVALID_ARGUMENT.
/// Records are appended with stream_basic; the watermark case trims with stream_retention (this
/// interface can neither write nor trim).
#[interface_suite("stream_replay")]
pub mod stream_replay {
    use prism_suite::prelude::*;
    use prism_suite::proto::stream::*;

    use std::future::Future;

    use crate::stream::{append, append_n, payload, recs, view, Rec};

    const STREAM: &str = "history";

    /// What a replay call answered: the records read to the end, or the code it failed with.
    type Outcome = Result<Vec<Rec>, Code>;

    /// SeekToOffset(`offset`, `max`) on [`STREAM`], read to its end.
    fn seek(cx: &Case, offset: i64, max: u32) -> impl Future<Output = Outcome> + Send {
        let mut replay = cx.stream_replay();
        let req = cx.req(SeekToOffsetRequest {
            stream: STREAM.into(),
            offset,
            max,
            ..Default::default()
        });
        async move {
            let stream = replay.seek_to_offset(req).await.map_err(|s| s.code())?;
            collect(stream.into_inner())
                .await
                .map(view)
                .map_err(|s| s.code())
        }
    }

    /// SeekToTimestamp(`timestamp_ms`) on [`STREAM`], read to its end.
    fn seek_time(cx: &Case, timestamp_ms: i64) -> impl Future<Output = Outcome> + Send {
        let mut replay = cx.stream_replay();
        let req = cx.req(SeekToTimestampRequest {
            stream: STREAM.into(),
            timestamp_ms,
            ..Default::default()
        });
        async move {
            let stream = replay.seek_to_timestamp(req).await.map_err(|s| s.code())?;
            collect(stream.into_inner())
                .await
                .map(view)
                .map_err(|s| s.code())
        }
    }

    /// ReplayRange(`start`, `end`) on [`STREAM`], read to its end.
    fn range(cx: &Case, start: i64, end: i64) -> impl Future<Output = Outcome> + Send {
        let mut replay = cx.stream_replay();
        let req = cx.req(ReplayRangeRequest {
            stream: STREAM.into(),
            start_offset: start,
            end_offset: end,
            ..Default::default()
        });
        async move {
            let stream = replay.replay_range(req).await.map_err(|s| s.code())?;
            collect(stream.into_inner())
                .await
                .map(view)
                .map_err(|s| s.code())
        }
    }

    fn nothing() -> Outcome {
        Ok(Vec::new())
    }

    /// SeekToOffset(0) replays every record, in offset order.
    pub async fn seek_to_offset_zero_replays_everything(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 5).await?;
        check_eq!(seek(cx, 0, 0).await, Ok(recs(0..5)), "SeekToOffset(0)");
        Ok(())
    }

    /// SeekToOffset starts exactly at its offset (inclusive) and honours `max`.
    pub async fn seek_to_offset_starts_at_that_offset(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 5).await?;
        check_eq!(seek(cx, 2, 0).await, Ok(recs(2..5)), "SeekToOffset(2)");
        check_eq!(
            seek(cx, 4, 0).await,
            Ok(recs(4..5)),
            "SeekToOffset(4), the latest"
        );
        check_eq!(
            seek(cx, 1, 2).await,
            Ok(recs(1..3)),
            "SeekToOffset(1, max 2)"
        );
        Ok(())
    }

    /// SeekToOffset at the next offset (the end) is an empty stream, also for a new stream.
    pub async fn seek_at_end_is_empty(cx: &mut Case) -> CaseResult {
        check_eq!(
            seek(cx, 0, 0).await,
            nothing(),
            "SeekToOffset(0) of a new stream"
        );
        append_n(cx, STREAM, 0, 3).await?;
        check_eq!(
            seek(cx, 3, 0).await,
            nothing(),
            "SeekToOffset(3), the next offset"
        );
        Ok(())
    }

    /// Beyond the next offset, SeekToOffset and ReplayRange are OUT_OF_RANGE.
    pub async fn seek_beyond_end_is_out_of_range(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 3).await?;
        check_eq!(
            seek(cx, 4, 0).await,
            Err(Code::OutOfRange),
            "SeekToOffset(4) of 3 records"
        );
        check_eq!(
            seek(cx, 100, 0).await,
            Err(Code::OutOfRange),
            "SeekToOffset(100)"
        );
        check_eq!(
            range(cx, 4, 9).await,
            Err(Code::OutOfRange),
            "ReplayRange(4, 9) of 3 records"
        );
        Ok(())
    }

    /// Below the low watermark, offset replays are OUT_OF_RANGE and a timestamp replay starts at it.
    pub async fn replay_below_low_watermark(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 6).await?;
        // Setup through stream_retention: this interface cannot trim.
        let mut retention = cx.stream_retention();
        retention
            .set_retention(cx.req(SetRetentionRequest {
                stream: STREAM.into(),
                max_records: 2,
                ..Default::default()
            }))
            .await?;
        let low = retention
            .compact(cx.req(CompactRequest {
                stream: STREAM.into(),
                ..Default::default()
            }))
            .await?
            .into_inner()
            .low_watermark;
        check_eq!(low, 4i64, "low watermark after keeping 2 of 6 records");
        check_eq!(
            seek(cx, 0, 0).await,
            Err(Code::OutOfRange),
            "SeekToOffset(0) below watermark 4"
        );
        check_eq!(
            seek(cx, 3, 0).await,
            Err(Code::OutOfRange),
            "SeekToOffset(3) below watermark 4"
        );
        check_eq!(
            range(cx, 2, 5).await,
            Err(Code::OutOfRange),
            "ReplayRange(2, 5) below watermark 4"
        );
        check_eq!(
            seek(cx, 4, 0).await,
            Ok(recs(4..6)),
            "SeekToOffset(4), the watermark"
        );
        check_eq!(seek_time(cx, 0).await, Ok(recs(4..6)), "SeekToTimestamp(0)");
        Ok(())
    }

    /// SeekToTimestamp starts at the first record stamped at or after the timestamp.
    pub async fn seek_to_timestamp_finds_first_at_or_after(cx: &mut Case) -> CaseResult {
        let mut stamps = Vec::new();
        for i in 0..3 {
            stamps.push(append(cx, STREAM, &payload(i)).await?.timestamp_ms);
        }
        // Setup, not an assertion: lets the millisecond clock move on between the two batches.
        tokio::time::sleep(Duration::from_millis(25)).await;
        for i in 3..6 {
            stamps.push(append(cx, STREAM, &payload(i)).await?.timestamp_ms);
        }
        check!(
            stamps[3] > stamps[2],
            "Append stamped records 25 ms apart with {} and {}: not milliseconds?",
            stamps[2],
            stamps[3]
        );
        check_eq!(
            seek_time(cx, stamps[3]).await,
            Ok(recs(3..6)),
            "SeekToTimestamp(stamp of 3)"
        );
        check_eq!(
            seek_time(cx, stamps[2] + 1).await,
            Ok(recs(3..6)),
            "SeekToTimestamp(stamp of 2 + 1 ms)"
        );
        let first = stamps.iter().position(|s| *s >= stamps[2]).unwrap_or(0) as i64;
        check_eq!(
            seek_time(cx, stamps[2]).await,
            Ok(recs(first..6)),
            "SeekToTimestamp(stamp of 2), stamps {stamps:?}"
        );
        Ok(())
    }

    /// SeekToTimestamp after the last record is empty; before the first it replays everything.
    pub async fn seek_to_timestamp_outside_the_records(cx: &mut Case) -> CaseResult {
        let mut last = 0;
        for i in 0..4 {
            last = append(cx, STREAM, &payload(i)).await?.timestamp_ms;
        }
        check_eq!(
            seek_time(cx, last + 60_000).await,
            nothing(),
            "SeekToTimestamp(a minute later)"
        );
        check_eq!(seek_time(cx, 0).await, Ok(recs(0..4)), "SeekToTimestamp(0)");
        Ok(())
    }

    /// ReplayRange includes both its start and its end offset.
    pub async fn replay_range_includes_both_ends(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 8).await?;
        check_eq!(range(cx, 2, 5).await, Ok(recs(2..6)), "ReplayRange(2, 5)");
        check_eq!(range(cx, 3, 3).await, Ok(recs(3..4)), "ReplayRange(3, 3)");
        check_eq!(range(cx, 0, 7).await, Ok(recs(0..8)), "ReplayRange(0, 7)");
        Ok(())
    }

    /// ReplayRange with an end beyond the latest offset stops at the latest record.
    pub async fn replay_range_stops_at_latest(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 4).await?;
        check_eq!(
            range(cx, 2, 100).await,
            Ok(recs(2..4)),
            "ReplayRange(2, 100) of 4 records"
        );
        check_eq!(
            range(cx, 4, 9).await,
            nothing(),
            "ReplayRange(4, 9), starting at the end"
        );
        Ok(())
    }

    /// ReplayRange with end before start, or a negative offset, is INVALID_ARGUMENT.
    pub async fn bad_ranges_rejected(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 6).await?;
        check_eq!(
            range(cx, 5, 2).await,
            Err(Code::InvalidArgument),
            "ReplayRange(5, 2)"
        );
        check_eq!(
            range(cx, -1, 2).await,
            Err(Code::InvalidArgument),
            "ReplayRange(-1, 2)"
        );
        check_eq!(
            seek(cx, -1, 0).await,
            Err(Code::InvalidArgument),
            "SeekToOffset(-1)"
        );
        Ok(())
    }

    /// Records replayed by offset, timestamp and range in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::stream::isolated::Streams::new(crate::stream::isolated::Uses::Replay),
        )
        .await
    }
}
