use prism_suite::interface_suite;

/// `timeseries_basic`: Insert, Query.
///
/// Rules: Query's range is inclusive at both ends; points come back ascending by time whatever the
/// insertion order; the same timestamp overwrites (value and labels); labels round trip; NaN is
/// INVALID_ARGUMENT while infinities are values; from after to is INVALID_ARGUMENT; a missing series is
/// empty; series and namespaces are apart.
#[interface_suite("timeseries_basic")]
pub mod timeseries_basic {
    use prism_suite::prelude::*;
    use prism_suite::proto::timeseries::*;

    use std::collections::HashMap;

    use crate::timeseries::{insert_all, points_of};

    fn insert_req(series: &str, timestamp_ms: i64, value: f64) -> InsertRequest {
        InsertRequest {
            series: series.into(),
            timestamp_ms,
            value,
            ..Default::default()
        }
    }

    fn query_req(series: &str, from_ms: i64, to_ms: i64) -> QueryRequest {
        QueryRequest {
            series: series.into(),
            from_ms,
            to_ms,
            ..Default::default()
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Query returns exactly the points with from <= timestamp <= to, both ends included.
    pub async fn query_range_is_inclusive(cx: &mut Case) -> CaseResult {
        insert_all(
            cx,
            "s",
            &[(100, 1.0), (200, 2.0), (300, 3.0), (400, 4.0), (500, 5.0)],
        )
        .await?;
        let got = points_of(cx, "s", 200, 400).await?;
        check_eq!(
            got,
            [(200, 2.0), (300, 3.0), (400, 4.0)],
            "Query [200, 400]"
        );
        let got = points_of(cx, "s", 201, 399).await?;
        check_eq!(got, [(300, 3.0)], "Query [201, 399]");
        let got = points_of(cx, "s", 300, 300).await?;
        check_eq!(got, [(300, 3.0)], "Query [300, 300]");
        Ok(())
    }

    /// Points come back ascending by timestamp, whatever order they were inserted in.
    pub async fn query_ordered_by_time(cx: &mut Case) -> CaseResult {
        insert_all(
            cx,
            "s",
            &[(30, 3.0), (10, 1.0), (50, 5.0), (-20, -2.0), (40, 4.0)],
        )
        .await?;
        let got = points_of(cx, "s", i64::MIN, i64::MAX).await?;
        check_eq!(
            got,
            [(-20, -2.0), (10, 1.0), (30, 3.0), (40, 4.0), (50, 5.0)],
            "Query over all time"
        );
        Ok(())
    }

    /// Insert at a timestamp that holds a point overwrites it: one point, the last value and labels.
    pub async fn same_timestamp_overwrites(cx: &mut Case) -> CaseResult {
        let mut ts = cx.timeseries_basic();
        ts.insert(cx.req(InsertRequest {
            labels: labels(&[("host", "a"), ("old", "yes")]),
            ..insert_req("s", 1000, 1.5)
        }))
        .await?;
        ts.insert(cx.req(InsertRequest {
            labels: labels(&[("host", "b")]),
            ..insert_req("s", 1000, 2.5)
        }))
        .await?;
        let got = ts
            .query(cx.req(query_req("s", 0, 2000)))
            .await?
            .into_inner();
        check_eq!(
            got.points.len(),
            1,
            "points at one timestamp after two Inserts"
        );
        check_eq!(got.points[0].value, 2.5, "value after the overwrite");
        check_eq!(
            got.points[0].labels,
            labels(&[("host", "b")]),
            "labels after the overwrite"
        );
        Ok(())
    }

    /// Labels are stored with the point and come back unchanged.
    pub async fn labels_round_trip(cx: &mut Case) -> CaseResult {
        let mut ts = cx.timeseries_basic();
        let first = labels(&[("host", "web-1"), ("region", "eu west"), ("ünï", "😀")]);
        ts.insert(cx.req(InsertRequest {
            labels: first.clone(),
            ..insert_req("s", 10, 1.0)
        }))
        .await?;
        ts.insert(cx.req(insert_req("s", 20, 2.0))).await?;
        let got = ts.query(cx.req(query_req("s", 0, 100))).await?.into_inner();
        check_eq!(got.points.len(), 2, "points");
        check_eq!(got.points[0].labels, first, "labels of the first point");
        check_eq!(
            got.points[1].labels,
            HashMap::new(),
            "labels of the unlabelled point"
        );
        Ok(())
    }

    /// A NaN value is INVALID_ARGUMENT and stores nothing; +inf and -inf are stored values.
    pub async fn nan_rejected_infinities_stored(cx: &mut Case) -> CaseResult {
        let mut ts = cx.timeseries_basic();
        let nan = ts.insert(cx.req(insert_req("s", 1, f64::NAN))).await;
        check_code!(nan, Code::InvalidArgument);
        ts.insert(cx.req(insert_req("s", 2, f64::INFINITY))).await?;
        ts.insert(cx.req(insert_req("s", 3, f64::NEG_INFINITY)))
            .await?;
        let got = points_of(cx, "s", 0, 10).await?;
        check_eq!(
            got,
            [(2, f64::INFINITY), (3, f64::NEG_INFINITY)],
            "Query after NaN and infinities"
        );
        Ok(())
    }

    /// from after to, or an empty series name, is INVALID_ARGUMENT.
    pub async fn bad_arguments_rejected(cx: &mut Case) -> CaseResult {
        let mut ts = cx.timeseries_basic();
        insert_all(cx, "s", &[(10, 1.0)]).await?;
        let reversed = ts.query(cx.req(query_req("s", 20, 10))).await;
        check_code!(reversed, Code::InvalidArgument);
        let insert = ts.insert(cx.req(insert_req("", 10, 1.0))).await;
        check_code!(insert, Code::InvalidArgument);
        let query = ts.query(cx.req(query_req("", 0, 10))).await;
        check_code!(query, Code::InvalidArgument);
        Ok(())
    }

    /// A series that was never written is empty, not an error.
    pub async fn missing_series_is_empty(cx: &mut Case) -> CaseResult {
        let got = points_of(cx, "never-written", i64::MIN, i64::MAX).await?;
        check_eq!(got, Vec::<(i64, f64)>::new(), "Query of a missing series");
        Ok(())
    }

    /// Series with different names, and the same name in another namespace, are apart.
    pub async fn series_and_namespaces_are_apart(cx: &mut Case) -> CaseResult {
        let mut ts = cx.timeseries_basic();
        let other = cx.other_namespace();
        insert_all(cx, "s1", &[(10, 1.0)]).await?;
        insert_all(cx, "s2", &[(10, 2.0), (20, 2.0)]).await?;
        ts.insert(cx.req_in(&other, insert_req("s1", 10, 9.0)))
            .await?;
        check_eq!(points_of(cx, "s1", 0, 100).await?, [(10, 1.0)], "s1");
        let theirs = ts.query(cx.req_in(&other, query_req("s1", 0, 100))).await?;
        let theirs: Vec<_> = theirs
            .into_inner()
            .points
            .iter()
            .map(|p| (p.timestamp_ms, p.value))
            .collect();
        check_eq!(theirs, [(10, 9.0)], "s1 in the other namespace");
        Ok(())
    }

    /// Points inserted and overwritten in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::timeseries::isolated::Series(crate::timeseries::isolated::Reads::Basic),
        )
        .await
    }

    /// Timestamps are milliseconds since the epoch, negative ones allowed: points before 1970 are stored and queried like any other.
    pub async fn negative_timestamps_allowed(cx: &mut Case) -> CaseResult {
        insert_all(cx, "old", &[(-2_000, 1.0), (-1, 2.0), (0, 3.0), (5, 4.0)]).await?;
        check_eq!(
            points_of(cx, "old", -1_500, 0).await?,
            vec![(-1, 2.0), (0, 3.0)],
            "Query over [-1500, 0]"
        );
        check_eq!(
            points_of(cx, "old", i64::from(i32::MIN), i64::from(i32::MAX)).await?,
            vec![(-2_000, 1.0), (-1, 2.0), (0, 3.0), (5, 4.0)],
            "Query over everything"
        );
        Ok(())
    }

    /// Random sequences of Insert and Query get the answers memstore, the reference backend, gives (shrunk to the shortest differing sequence, with its seed, on a difference).
    pub async fn matches_reference(cx: &mut Case) -> CaseResult {
        crate::differential::check(cx, &crate::timeseries::reference::Basic).await
    }
}
