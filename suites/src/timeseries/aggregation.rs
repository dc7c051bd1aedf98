use prism_suite::interface_suite;

/// `timeseries_aggregation`: Aggregate, Rollup.
///
/// Rules: buckets are [start, start + bucket_ms) aligned to from_ms, so a point on an edge opens the
/// next bucket; empty buckets are omitted; to_ms is inclusive; AVG, SUM, MIN, MAX and COUNT; bad
/// bucket sizes, functions and ranges are INVALID_ARGUMENT; Rollup writes one point per bucket into
/// the destination series. Series are seeded (and Rollup's output read) with timeseries_basic.
#[interface_suite("timeseries_aggregation")]
pub mod timeseries_aggregation {
    use prism_suite::prelude::*;
    use prism_suite::proto::timeseries::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::timeseries::{insert_all, points_of};

    /// Eight points in [1000, 1049]: buckets of 10 from 1000 hold 3, 2, 0, 1 and 2 of them.
    const POINTS: &[(i64, f64)] = &[
        (1000, 1.0),
        (1004, 5.0),
        (1009, 3.0),
        (1010, 10.0),
        (1019, 20.0),
        (1035, -4.0),
        (1040, 7.0),
        (1049, 9.0),
    ];

    fn agg_req(from_ms: i64, to_ms: i64, bucket_ms: i64, f: AggregateFunction) -> AggregateRequest {
        AggregateRequest {
            series: "s".into(),
            from_ms,
            to_ms,
            bucket_ms,
            function: f as i32,
            ..Default::default()
        }
    }

    /// Aggregate of series "s" as (start_ms, value) pairs.
    #[track_caller]
    fn aggregate(
        cx: &Case,
        from_ms: i64,
        to_ms: i64,
        bucket_ms: i64,
        f: AggregateFunction,
    ) -> impl Future<Output = Result<Vec<(i64, f64)>, CaseError>> + Send {
        let mut ts = cx.timeseries_aggregation();
        let req = cx.req(agg_req(from_ms, to_ms, bucket_ms, f));
        at_caller(async move {
            let buckets = ts.aggregate(req).await?.into_inner().buckets;
            Ok(buckets.into_iter().map(|b| (b.start_ms, b.value)).collect())
        })
    }

    /// SUM adds a bucket's values; buckets come back ascending by start.
    pub async fn sum_per_bucket(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let got = aggregate(cx, 1000, 1049, 10, AggregateFunction::Sum).await?;
        check_eq!(
            got,
            [(1000, 9.0), (1010, 30.0), (1030, -4.0), (1040, 16.0)],
            "SUM"
        );
        Ok(())
    }

    /// AVG is the arithmetic mean of a bucket's values.
    pub async fn avg_per_bucket(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let got = aggregate(cx, 1000, 1049, 10, AggregateFunction::Avg).await?;
        check_eq!(
            got,
            [(1000, 3.0), (1010, 15.0), (1030, -4.0), (1040, 8.0)],
            "AVG"
        );
        Ok(())
    }

    /// MIN and MAX pick a bucket's extreme values.
    pub async fn min_and_max_per_bucket(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let got = aggregate(cx, 1000, 1049, 10, AggregateFunction::Min).await?;
        check_eq!(
            got,
            [(1000, 1.0), (1010, 10.0), (1030, -4.0), (1040, 7.0)],
            "MIN"
        );
        let got = aggregate(cx, 1000, 1049, 10, AggregateFunction::Max).await?;
        check_eq!(
            got,
            [(1000, 5.0), (1010, 20.0), (1030, -4.0), (1040, 9.0)],
            "MAX"
        );
        Ok(())
    }

    /// COUNT is the number of points in a bucket.
    pub async fn count_per_bucket(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let got = aggregate(cx, 1000, 1049, 10, AggregateFunction::Count).await?;
        check_eq!(
            got,
            [(1000, 3.0), (1010, 2.0), (1030, 1.0), (1040, 2.0)],
            "COUNT"
        );
        Ok(())
    }

    /// A point exactly on a bucket edge belongs to the bucket that starts there, not the one before.
    pub async fn point_on_bucket_edge_opens_next_bucket(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", &[(100, 1.0), (105, 2.0), (110, 4.0), (120, 8.0)]).await?;
        let got = aggregate(cx, 100, 129, 10, AggregateFunction::Sum).await?;
        check_eq!(got, [(100, 3.0), (110, 4.0), (120, 8.0)], "SUM over edges");
        Ok(())
    }

    /// Buckets are aligned to from_ms, not to the epoch.
    pub async fn buckets_aligned_to_from(cx: &mut Case) -> CaseResult {
        insert_all(
            cx,
            "s",
            &[(1003, 1.0), (1009, 2.0), (1012, 4.0), (1013, 8.0)],
        )
        .await?;
        let got = aggregate(cx, 1003, 1030, 10, AggregateFunction::Sum).await?;
        check_eq!(got, [(1003, 7.0), (1013, 8.0)], "SUM from 1003");
        Ok(())
    }

    /// Buckets without points are omitted, never reported as 0.
    pub async fn empty_buckets_omitted(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", &[(0, 1.0), (95, 2.0)]).await?;
        let got = aggregate(cx, 0, 99, 10, AggregateFunction::Count).await?;
        check_eq!(
            got,
            [(0, 1.0), (90, 1.0)],
            "COUNT with eight empty buckets between"
        );
        let got = aggregate(cx, 10, 89, 10, AggregateFunction::Sum).await?;
        check_eq!(
            got,
            Vec::<(i64, f64)>::new(),
            "SUM over a stretch with no points"
        );
        Ok(())
    }

    /// to_ms is inclusive and points outside [from_ms, to_ms] do not count.
    pub async fn range_bounds_inclusive(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", &[(99, 100.0), (100, 1.0), (114, 2.0), (115, 4.0)]).await?;
        let got = aggregate(cx, 100, 114, 10, AggregateFunction::Sum).await?;
        check_eq!(got, [(100, 1.0), (110, 2.0)], "SUM over [100, 114]");
        Ok(())
    }

    /// bucket_ms <= 0, an unspecified function or from after to is INVALID_ARGUMENT.
    pub async fn bad_arguments_rejected(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let mut ts = cx.timeseries_aggregation();
        for req in [
            agg_req(1000, 1049, 0, AggregateFunction::Sum),
            agg_req(1000, 1049, -10, AggregateFunction::Sum),
            agg_req(1000, 1049, 10, AggregateFunction::Unspecified),
            agg_req(1049, 1000, 10, AggregateFunction::Sum),
        ] {
            let got = ts.aggregate(cx.req(req)).await;
            check_code!(got, Code::InvalidArgument);
        }
        Ok(())
    }

    /// Rollup writes each bucket into the destination as a point at its start (overwriting), counted.
    pub async fn rollup_writes_buckets(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        insert_all(cx, "down", &[(1020, 99.0), (5000, 1.0)]).await?;
        let mut ts = cx.timeseries_aggregation();
        let written = ts
            .rollup(cx.req(RollupRequest {
                series: "s".into(),
                destination: "down".into(),
                from_ms: 1000,
                to_ms: 1049,
                bucket_ms: 20,
                function: AggregateFunction::Max as i32,
                ..Default::default()
            }))
            .await?;
        check_eq!(written.into_inner().written, 3, "points written");
        let got = points_of(cx, "down", 0, 10_000).await?;
        check_eq!(
            got,
            [(1000, 20.0), (1020, -4.0), (1040, 9.0), (5000, 1.0)],
            "destination after Rollup"
        );
        check_eq!(
            points_of(cx, "s", 0, 10_000).await?,
            POINTS,
            "source after Rollup"
        );
        Ok(())
    }

    /// Rollup into the source series itself, or into an empty name, is INVALID_ARGUMENT.
    pub async fn rollup_bad_destination_rejected(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let mut ts = cx.timeseries_aggregation();
        for destination in ["s", ""] {
            let got = ts
                .rollup(cx.req(RollupRequest {
                    series: "s".into(),
                    destination: destination.into(),
                    from_ms: 1000,
                    to_ms: 1049,
                    bucket_ms: 10,
                    function: AggregateFunction::Sum as i32,
                    ..Default::default()
                }))
                .await;
            check_code!(got, Code::InvalidArgument);
        }
        Ok(())
    }

    /// A missing series has no buckets.
    pub async fn missing_series_has_no_buckets(cx: &mut Case) -> CaseResult {
        let got = aggregate(cx, 0, 1000, 10, AggregateFunction::Count).await?;
        check_eq!(got, Vec::<(i64, f64)>::new(), "COUNT of a missing series");
        Ok(())
    }

    /// Points aggregated in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::timeseries::isolated::Series(crate::timeseries::isolated::Reads::Aggregation),
        )
        .await
    }
}
