use prism_suite::interface_suite;

/// `stream_retention`: SetRetention, GetRetention, Compact.
///
/// Rules: GetRetention of a stream without a policy is 0 / 0 and SetRetention replaces it; Compact
/// removes exactly the oldest records the policy (max records, max age in ms) does not keep and
/// answers the new low watermark; reads below it are OUT_OF_RANGE, reads from it unchanged; the
/// latest offset is unchanged and the numbering continues; the watermark never moves back.
/// Records are appended and read with stream_basic (this interface cannot write).
///
/// Timing: aged records get a 300 ms max age and must be trimmed within 2 s ("eventually").
#[interface_suite("stream_retention")]
pub mod stream_retention {
    use prism_suite::prelude::*;
    use prism_suite::proto::stream::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::stream::{append_n, latest, read, recs, Rec};

    const STREAM: &str = "metrics";

    /// SetRetention of [`STREAM`].
    #[track_caller]
    fn set(
        cx: &Case,
        max_records: u64,
        max_age_ms: i64,
    ) -> impl Future<Output = CaseResult> + Send {
        let mut retention = cx.stream_retention();
        let req = cx.req(SetRetentionRequest {
            stream: STREAM.into(),
            max_records,
            max_age_ms,
            ..Default::default()
        });
        at_caller(async move {
            retention.set_retention(req).await?;
            Ok(())
        })
    }

    /// GetRetention of [`STREAM`] as (max records, max age ms).
    #[track_caller]
    fn get(cx: &Case) -> impl Future<Output = Result<(u64, i64), CaseError>> + Send {
        let mut retention = cx.stream_retention();
        let req = cx.req(GetRetentionRequest {
            stream: STREAM.into(),
            ..Default::default()
        });
        at_caller(async move {
            let r = retention.get_retention(req).await?.into_inner();
            Ok((r.max_records, r.max_age_ms))
        })
    }

    /// Compact of [`STREAM`] as (low watermark, removed).
    #[track_caller]
    fn compact(cx: &Case) -> impl Future<Output = Result<(i64, u64), CaseError>> + Send {
        let mut retention = cx.stream_retention();
        let req = cx.req(CompactRequest {
            stream: STREAM.into(),
            ..Default::default()
        });
        at_caller(async move {
            let r = retention.compact(req).await?.into_inner();
            Ok((r.low_watermark, r.removed))
        })
    }

    /// stream_basic Read from `from`, as its records or the code it failed with.
    fn read_outcome(cx: &Case, from: i64) -> impl Future<Output = Result<Vec<Rec>, Code>> + Send {
        let mut basic = cx.stream_basic();
        let req = cx.req(ReadRequest {
            stream: STREAM.into(),
            from_offset: from,
            ..Default::default()
        });
        async move {
            let stream = basic.read(req).await.map_err(|s| s.code())?;
            let got = collect(stream.into_inner()).await.map_err(|s| s.code())?;
            Ok(crate::stream::view(got))
        }
    }

    /// A stream without a policy has retention 0 / 0 (unlimited); SetRetention replaces the policy.
    pub async fn set_then_get_round_trips(cx: &mut Case) -> CaseResult {
        check_eq!(
            get(cx).await?,
            (0u64, 0i64),
            "GetRetention without a policy"
        );
        set(cx, 100, 60_000).await?;
        check_eq!(
            get(cx).await?,
            (100u64, 60_000i64),
            "GetRetention after SetRetention(100, 60000)"
        );
        set(cx, 5, 0).await?;
        check_eq!(
            get(cx).await?,
            (5u64, 0i64),
            "GetRetention after SetRetention(5, 0)"
        );
        Ok(())
    }

    /// Compact by max records removes exactly the oldest extra records and answers the watermark.
    pub async fn compact_keeps_newest_max_records(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 10).await?;
        set(cx, 4, 0).await?;
        check_eq!(
            compact(cx).await?,
            (6i64, 6u64),
            "Compact keeping 4 of 10: (low watermark, removed)"
        );
        check_eq!(
            read(cx, STREAM, 6, 0).await?,
            recs(6..10),
            "Read from the watermark"
        );
        Ok(())
    }

    /// After trimming, a read below the low watermark is OUT_OF_RANGE.
    pub async fn read_below_watermark_is_out_of_range(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 8).await?;
        set(cx, 3, 0).await?;
        compact(cx).await?;
        check_eq!(
            read_outcome(cx, 0).await,
            Err(Code::OutOfRange),
            "Read(from 0), watermark 5"
        );
        check_eq!(
            read_outcome(cx, 4).await,
            Err(Code::OutOfRange),
            "Read(from 4), watermark 5"
        );
        check_eq!(
            read_outcome(cx, 5).await,
            Ok(recs(5..8)),
            "Read(from 5), the watermark"
        );
        Ok(())
    }

    /// Trimming leaves the latest offset unchanged, and the next Append continues the numbering.
    pub async fn latest_offset_unchanged_by_trimming(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 6).await?;
        set(cx, 1, 0).await?;
        check_eq!(compact(cx).await?, (5i64, 5u64), "Compact keeping 1 of 6");
        check_eq!(
            latest(cx, STREAM).await?,
            5i64,
            "GetLatestOffset after trimming"
        );
        check_eq!(
            append_n(cx, STREAM, 6, 1).await?,
            vec![6i64],
            "offset of the next Append"
        );
        Ok(())
    }

    /// Compact without a policy removes nothing: the watermark stays 0 and every record reads.
    pub async fn compact_without_policy_keeps_everything(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 5).await?;
        check_eq!(compact(cx).await?, (0i64, 0u64), "Compact without a policy");
        check_eq!(read(cx, STREAM, 0, 0).await?, recs(0..5), "Read from 0");
        Ok(())
    }

    /// Compact by max age removes the records older than it and keeps the younger ones.
    pub async fn compact_removes_records_older_than_max_age(cx: &mut Case) -> CaseResult {
        const MAX_AGE_MS: i64 = 300;
        set(cx, 0, MAX_AGE_MS).await?;
        append_n(cx, STREAM, 0, 3).await?;
        let retention = cx.stream_retention();
        let probe = cx
            .req(CompactRequest {
                stream: STREAM.into(),
                ..Default::default()
            })
            .into_inner();
        eventually(
            Duration::from_millis(2000),
            "Compact trims 3 records older than 300 ms",
            move || {
                let req = probe.clone();
                let mut client = retention.clone();
                async move { Ok(client.compact(req).await?.into_inner().low_watermark == 3) }
            },
        )
        .await?;
        append_n(cx, STREAM, 3, 2).await?;
        check_eq!(
            compact(cx).await?,
            (3i64, 0u64),
            "Compact right after two fresh Appends"
        );
        check_eq!(
            read(cx, STREAM, 3, 0).await?,
            recs(3..5),
            "fresh records read"
        );
        Ok(())
    }

    /// The low watermark never moves back, even when a later policy would keep more.
    pub async fn watermark_never_moves_back(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 6).await?;
        set(cx, 2, 0).await?;
        check_eq!(compact(cx).await?, (4i64, 4u64), "Compact keeping 2 of 6");
        set(cx, 100, 0).await?;
        check_eq!(
            compact(cx).await?,
            (4i64, 0u64),
            "Compact under a looser policy"
        );
        check_eq!(
            read_outcome(cx, 0).await,
            Err(Code::OutOfRange),
            "Read(from 0) after loosening"
        );
        Ok(())
    }

    /// A negative max age is INVALID_ARGUMENT and leaves the policy as it was.
    pub async fn negative_max_age_rejected(cx: &mut Case) -> CaseResult {
        set(cx, 7, 0).await?;
        let mut retention = cx.stream_retention();
        let bad = retention
            .set_retention(cx.req(SetRetentionRequest {
                stream: STREAM.into(),
                max_records: 1,
                max_age_ms: -5,
                ..Default::default()
            }))
            .await;
        check_code!(bad, Code::InvalidArgument);
        check_eq!(
            get(cx).await?,
            (7u64, 0i64),
            "GetRetention after a rejected SetRetention"
        );
        Ok(())
    }

    /// Retention is per stream: trimming one stream leaves a sibling stream whole.
    pub async fn retention_is_per_stream(cx: &mut Case) -> CaseResult {
        append_n(cx, STREAM, 0, 4).await?;
        append_n(cx, "sibling", 0, 4).await?;
        set(cx, 1, 0).await?;
        check_eq!(
            compact(cx).await?,
            (3i64, 3u64),
            "Compact of the stream with a policy"
        );
        check_eq!(
            read(cx, "sibling", 0, 0).await?,
            recs(0..4),
            "Read of the sibling stream"
        );
        Ok(())
    }

    /// Retention policies and compaction in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::stream::isolated::Streams::new(crate::stream::isolated::Uses::Retention),
        )
        .await
    }
}
