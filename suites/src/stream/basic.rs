use prism_suite::interface_suite;

/// `stream_basic`: Append, Read, GetLatestOffset.
///
/// Rules: offsets start at 0 and increase by exactly 1 per Append, per stream; Read is inclusive of
/// its start, in offset order, at most `max` (0 = all), a finite stream; Read at the next offset is
/// empty and beyond it OUT_OF_RANGE; GetLatestOffset is -1 for a stream never appended to; streams
/// and namespaces are numbered apart; bad arguments are INVALID_ARGUMENT.
#[interface_suite("stream_basic")]
pub mod stream_basic {
    use prism_suite::prelude::*;
    use prism_suite::proto::stream::*;

    use crate::stream::{append, append_n, latest, payload, read, recs, Rec};

    /// Offsets of a new stream start at 0 and increase by exactly 1 per Append.
    pub async fn offsets_start_at_zero_and_increase_by_one(cx: &mut Case) -> CaseResult {
        let offsets = append_n(cx, "orders", 0, 8).await?;
        check_eq!(
            offsets,
            (0..8).collect::<Vec<i64>>(),
            "offsets of 8 Appends"
        );
        Ok(())
    }

    /// Read from 0 returns every record in append order, with its payload.
    pub async fn read_returns_records_in_order(cx: &mut Case) -> CaseResult {
        append_n(cx, "log", 0, 6).await?;
        check_eq!(read(cx, "log", 0, 0).await?, recs(0..6), "Read(from 0)");
        Ok(())
    }

    /// Read is inclusive of its start offset.
    pub async fn read_is_inclusive_of_start(cx: &mut Case) -> CaseResult {
        append_n(cx, "log", 0, 6).await?;
        check_eq!(read(cx, "log", 3, 0).await?, recs(3..6), "Read(from 3)");
        check_eq!(read(cx, "log", 5, 0).await?, recs(5..6), "Read(from 5)");
        check_eq!(
            read(cx, "log", 3, 1).await?,
            recs(3..4),
            "Read(from 3, max 1)"
        );
        Ok(())
    }

    /// Read returns at most `max` records, the first ones from its start; `max` 0 means all.
    pub async fn read_respects_max(cx: &mut Case) -> CaseResult {
        append_n(cx, "log", 0, 10).await?;
        check_eq!(
            read(cx, "log", 2, 3).await?,
            recs(2..5),
            "Read(from 2, max 3)"
        );
        check_eq!(
            read(cx, "log", 8, 5).await?,
            recs(8..10),
            "Read(from 8, max 5)"
        );
        check_eq!(
            read(cx, "log", 0, 0).await?,
            recs(0..10),
            "Read(from 0, max 0)"
        );
        Ok(())
    }

    /// GetLatestOffset is -1 for a stream never appended to, then the offset of the last record.
    pub async fn latest_offset_of_empty_stream_is_minus_one(cx: &mut Case) -> CaseResult {
        check_eq!(
            latest(cx, "fresh").await?,
            -1i64,
            "GetLatestOffset of a new stream"
        );
        append_n(cx, "fresh", 0, 4).await?;
        check_eq!(
            latest(cx, "fresh").await?,
            3i64,
            "GetLatestOffset after 4 Appends"
        );
        Ok(())
    }

    /// Read at the next offset (latest + 1) is an empty stream; beyond it is OUT_OF_RANGE.
    pub async fn read_at_end_is_empty_and_beyond_is_out_of_range(cx: &mut Case) -> CaseResult {
        check_eq!(
            read(cx, "log", 0, 0).await?,
            Vec::<Rec>::new(),
            "Read of a new stream"
        );
        append_n(cx, "log", 0, 3).await?;
        check_eq!(
            read(cx, "log", 3, 0).await?,
            Vec::<Rec>::new(),
            "Read(from next offset 3)"
        );
        let mut basic = cx.stream_basic();
        let beyond = basic
            .read(cx.req(ReadRequest {
                stream: "log".into(),
                from_offset: 5,
                ..Default::default()
            }))
            .await;
        check_code!(beyond, Code::OutOfRange);
        Ok(())
    }

    /// A Read is a finite stream of what the stream held when it was called: it ends.
    pub async fn read_is_finite_and_sees_later_appends_on_next_call(cx: &mut Case) -> CaseResult {
        append_n(cx, "log", 0, 2).await?;
        check_eq!(read(cx, "log", 0, 0).await?, recs(0..2), "first Read");
        append(cx, "log", &payload(2)).await?;
        check_eq!(
            read(cx, "log", 0, 0).await?,
            recs(0..3),
            "Read after one more Append"
        );
        Ok(())
    }

    /// Streams are numbered apart: each stream of a namespace has its own offsets from 0.
    pub async fn streams_are_numbered_apart(cx: &mut Case) -> CaseResult {
        let mut a = Vec::new();
        let mut b = Vec::new();
        for i in 0..3 {
            a.push(append(cx, "stream-a", &payload(i)).await?.offset);
            b.push(append(cx, "stream-b", &payload(i)).await?.offset);
        }
        check_eq!(a, vec![0i64, 1, 2], "offsets of stream-a");
        check_eq!(b, vec![0i64, 1, 2], "offsets of stream-b (interleaved)");
        check_eq!(
            read(cx, "stream-b", 0, 0).await?,
            recs(0..3),
            "Read of stream-b"
        );
        Ok(())
    }

    /// Namespaces are kept apart: a stream of the same name elsewhere is empty and numbered apart.
    pub async fn namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        append_n(cx, "shared", 0, 3).await?;
        let other = cx.other_namespace();
        let mut basic = cx.stream_basic();
        let latest_other = basic
            .get_latest_offset(cx.req_in(
                &other,
                GetLatestOffsetRequest {
                    stream: "shared".into(),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .latest_offset;
        check_eq!(latest_other, -1i64, "GetLatestOffset in another namespace");
        let first = basic
            .append(cx.req_in(
                &other,
                AppendRequest {
                    stream: "shared".into(),
                    payload: b"elsewhere".to_vec(),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .offset;
        check_eq!(first, 0i64, "first offset in another namespace");
        check_eq!(
            read(cx, "shared", 0, 0).await?,
            recs(0..3),
            "Read in this namespace"
        );
        Ok(())
    }

    /// Payloads are arbitrary bytes: empty, zero bytes and non-UTF-8 come back unchanged.
    pub async fn payloads_are_arbitrary_bytes(cx: &mut Case) -> CaseResult {
        let payloads: Vec<Vec<u8>> = vec![vec![], vec![0, 0, 0], vec![0xff, 0xfe, 0x80, 0x00]];
        let mut basic = cx.stream_basic();
        for p in &payloads {
            basic
                .append(cx.req(AppendRequest {
                    stream: "bytes".into(),
                    payload: p.clone(),
                    ..Default::default()
                }))
                .await?;
        }
        let got = collect(
            basic
                .read(cx.req(ReadRequest {
                    stream: "bytes".into(),
                    ..Default::default()
                }))
                .await?
                .into_inner(),
        )
        .await?;
        let got: Vec<Vec<u8>> = got.into_iter().map(|r| r.payload).collect();
        check_eq!(got, payloads, "payloads read back");
        Ok(())
    }

    /// An empty stream name and a negative start offset are INVALID_ARGUMENT.
    pub async fn bad_arguments_rejected(cx: &mut Case) -> CaseResult {
        let mut basic = cx.stream_basic();
        let empty = basic
            .append(cx.req(AppendRequest {
                stream: String::new(),
                payload: b"x".to_vec(),
                ..Default::default()
            }))
            .await;
        check_code!(empty, Code::InvalidArgument);
        let negative = basic
            .read(cx.req(ReadRequest {
                stream: "log".into(),
                from_offset: -1,
                ..Default::default()
            }))
            .await;
        check_code!(negative, Code::InvalidArgument);
        Ok(())
    }

    /// Timestamps are milliseconds since the Unix epoch, assigned at Append, never decreasing.
    pub async fn timestamps_are_epoch_millis_never_decreasing(cx: &mut Case) -> CaseResult {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut stamps = Vec::new();
        for i in 0..5 {
            stamps.push(append(cx, "clock", &payload(i)).await?.timestamp_ms);
        }
        check!(
            stamps.windows(2).all(|w| w[0] <= w[1]),
            "Append timestamps decrease: {stamps:?}"
        );
        // Same machine in these tests, but allow a minute of clock difference for remote backends.
        check!(
            (stamps[0] - before).abs() < 60_000,
            "first timestamp {} is not near now ({before} ms since the epoch)",
            stamps[0]
        );
        let mut basic = cx.stream_basic();
        let read_back: Vec<i64> = collect(
            basic
                .read(cx.req(ReadRequest {
                    stream: "clock".into(),
                    ..Default::default()
                }))
                .await?
                .into_inner(),
        )
        .await?
        .into_iter()
        .map(|r| r.timestamp_ms)
        .collect();
        check_eq!(read_back, stamps, "timestamps read back");
        Ok(())
    }

    /// Appends, offsets and reads in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::stream::isolated::Streams::new(crate::stream::isolated::Uses::Basic),
        )
        .await
    }

    /// Random sequences of Append, Read and GetLatestOffset get the offsets and payloads memstore, the reference backend, gives (shrunk to the shortest differing sequence, with its seed, on a difference).
    pub async fn matches_reference(cx: &mut Case) -> CaseResult {
        crate::differential::check(cx, &crate::stream::reference::Basic).await
    }
}
