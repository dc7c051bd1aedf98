use prism_suite::interface_suite;

/// `timeseries_retention`: SetRetention, Compact.
///
/// Rules: Compact removes the points older than newest - retention_ms (measured from the series'
/// newest point, not the clock) and keeps the point exactly at the cutoff; it answers how many it
/// removed; no retention (or 0) keeps everything; a negative retention is INVALID_ARGUMENT; retention
/// is per series. Points are inserted and read back with timeseries_basic.
#[interface_suite("timeseries_retention")]
pub mod timeseries_retention {
    use prism_suite::prelude::*;
    use prism_suite::proto::timeseries::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::timeseries::{insert_all, points_of};

    /// Points at 0, 100, ..., 1000 (value = timestamp / 100).
    fn eleven() -> Vec<(i64, f64)> {
        (0..=10).map(|i| (i * 100, i as f64)).collect()
    }

    /// SetRetention of `series`.
    #[track_caller]
    fn set_retention(
        cx: &Case,
        series: &str,
        retention_ms: i64,
    ) -> impl Future<Output = CaseResult> + Send {
        let mut ts = cx.timeseries_retention();
        let req = cx.req(SetRetentionRequest {
            series: series.into(),
            retention_ms,
            ..Default::default()
        });
        at_caller(async move {
            ts.set_retention(req).await?;
            Ok(())
        })
    }

    /// Compact of `series`, answering `removed`.
    #[track_caller]
    fn compact(cx: &Case, series: &str) -> impl Future<Output = Result<u64, CaseError>> + Send {
        let mut ts = cx.timeseries_retention();
        let req = cx.req(CompactRequest {
            series: series.into(),
            ..Default::default()
        });
        at_caller(async move { Ok(ts.compact(req).await?.into_inner().removed) })
    }

    /// Compact removes the points older than newest - retention_ms and reports how many.
    pub async fn compact_removes_old_points(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", &eleven()).await?;
        set_retention(cx, "s", 350).await?;
        check_eq!(compact(cx, "s").await?, 7, "removed");
        let got = points_of(cx, "s", i64::MIN, i64::MAX).await?;
        check_eq!(
            got,
            [(700, 7.0), (800, 8.0), (900, 9.0), (1000, 10.0)],
            "points after Compact"
        );
        Ok(())
    }

    /// The point exactly at newest - retention_ms stays.
    pub async fn point_at_cutoff_stays(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", &[(499, 1.0), (500, 2.0), (501, 3.0), (800, 4.0)]).await?;
        set_retention(cx, "s", 300).await?;
        check_eq!(compact(cx, "s").await?, 1, "removed");
        let got = points_of(cx, "s", i64::MIN, i64::MAX).await?;
        check_eq!(
            got,
            [(500, 2.0), (501, 3.0), (800, 4.0)],
            "points after Compact"
        );
        Ok(())
    }

    /// Retention counts back from the newest point, not from the wall clock: old data is kept.
    pub async fn retention_measured_from_newest_point(cx: &mut Case) -> CaseResult {
        // Timestamps in 1970, far older than any wall-clock retention.
        insert_all(cx, "s", &[(1_000, 1.0), (2_000, 2.0), (2_500, 3.0)]).await?;
        set_retention(cx, "s", 2_000).await?;
        check_eq!(compact(cx, "s").await?, 0, "removed");
        let got = points_of(cx, "s", i64::MIN, i64::MAX).await?;
        check_eq!(
            got,
            [(1_000, 1.0), (2_000, 2.0), (2_500, 3.0)],
            "points after Compact"
        );
        Ok(())
    }

    /// A newer point moves the cutoff: the next Compact removes what fell behind it.
    pub async fn newer_point_moves_cutoff(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", &[(0, 1.0), (100, 2.0)]).await?;
        set_retention(cx, "s", 100).await?;
        check_eq!(compact(cx, "s").await?, 0, "removed by the first Compact");
        insert_all(cx, "s", &[(250, 3.0)]).await?;
        check_eq!(compact(cx, "s").await?, 2, "removed by the second Compact");
        check_eq!(
            points_of(cx, "s", i64::MIN, i64::MAX).await?,
            [(250, 3.0)],
            "points"
        );
        Ok(())
    }

    /// Without retention, or with retention 0, Compact keeps every point.
    pub async fn no_retention_keeps_everything(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", &eleven()).await?;
        check_eq!(compact(cx, "s").await?, 0, "removed without retention");
        set_retention(cx, "s", 200).await?;
        set_retention(cx, "s", 0).await?;
        check_eq!(compact(cx, "s").await?, 0, "removed with retention 0");
        check_eq!(
            points_of(cx, "s", i64::MIN, i64::MAX).await?,
            eleven(),
            "points"
        );
        Ok(())
    }

    /// Retention is per series: compacting one series leaves another alone, whatever its age.
    pub async fn retention_is_per_series(cx: &mut Case) -> CaseResult {
        insert_all(cx, "short", &eleven()).await?;
        insert_all(cx, "long", &eleven()).await?;
        set_retention(cx, "short", 100).await?;
        check_eq!(compact(cx, "short").await?, 9, "removed from short");
        check_eq!(compact(cx, "long").await?, 0, "removed from long");
        check_eq!(
            points_of(cx, "long", i64::MIN, i64::MAX).await?,
            eleven(),
            "long"
        );
        Ok(())
    }

    /// A negative retention, or an empty series name, is INVALID_ARGUMENT.
    pub async fn bad_arguments_rejected(cx: &mut Case) -> CaseResult {
        let mut ts = cx.timeseries_retention();
        let negative = ts
            .set_retention(cx.req(SetRetentionRequest {
                series: "s".into(),
                retention_ms: -1,
                ..Default::default()
            }))
            .await;
        check_code!(negative, Code::InvalidArgument);
        let empty = ts
            .compact(cx.req(CompactRequest {
                series: String::new(),
                ..Default::default()
            }))
            .await;
        check_code!(empty, Code::InvalidArgument);
        Ok(())
    }

    /// Compact of a missing series removes nothing.
    pub async fn compact_missing_series(cx: &mut Case) -> CaseResult {
        check_eq!(compact(cx, "never-written").await?, 0, "removed");
        Ok(())
    }

    /// Retention set and compacted in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::timeseries::isolated::Series(crate::timeseries::isolated::Reads::Retention),
        )
        .await
    }

    /// SetRetention on a series with no points is allowed and applies once it has some.
    pub async fn retention_set_before_points_applies_later(cx: &mut Case) -> CaseResult {
        set_retention(cx, "early", 500).await?;
        insert_all(cx, "early", &eleven()).await?;
        check_eq!(
            compact(cx, "early").await?,
            5,
            "points Compact removed (newest 1000, retention 500)"
        );
        let left: Vec<i64> = points_of(cx, "early", 0, 10_000)
            .await?
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        check_eq!(left, vec![500, 600, 700, 800, 900, 1000], "timestamps kept");
        Ok(())
    }
}
