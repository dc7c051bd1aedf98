use prism_suite::interface_suite;

/// `timeseries_interpolation`: InterpolateLinear, InterpolateStep.
///
/// Rules: one answer per requested timestamp in request order; a point's own timestamp answers its
/// value; Linear follows the line between the nearest points, Step carries the last value forward;
/// no extrapolation before the first or after the last point (found = false), nor for a missing
/// series. Series are seeded with timeseries_basic Insert.
#[interface_suite("timeseries_interpolation")]
pub mod timeseries_interpolation {
    use prism_suite::prelude::*;
    use prism_suite::proto::timeseries::*;

    use std::future::Future;

    use crate::keyvalue::at_caller;
    use crate::timeseries::insert_all;

    /// (0, 0), (10, 100), (20, 40).
    const POINTS: &[(i64, f64)] = &[(10, 100.0), (0, 0.0), (20, 40.0)];

    /// Interpolates series "s" at `at`: (timestamp, Some(value) or None when not found).
    #[track_caller]
    fn interpolate(
        cx: &Case,
        linear: bool,
        at: &[i64],
    ) -> impl Future<Output = Result<Vec<(i64, Option<f64>)>, CaseError>> + Send {
        let mut ts = cx.timeseries_interpolation();
        let req = cx.req(InterpolateRequest {
            series: "s".into(),
            timestamps_ms: at.to_vec(),
            ..Default::default()
        });
        at_caller(async move {
            let reply = if linear {
                ts.interpolate_linear(req).await?
            } else {
                ts.interpolate_step(req).await?
            };
            Ok(reply
                .into_inner()
                .values
                .into_iter()
                .map(|v| (v.timestamp_ms, v.found.then_some(v.value)))
                .collect())
        })
    }

    /// Linear answers the straight line between the nearest points before and after.
    pub async fn linear_between_points(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let got = interpolate(cx, true, &[2, 5, 15, 18]).await?;
        check_eq!(
            got,
            [
                (2, Some(20.0)),
                (5, Some(50.0)),
                (15, Some(70.0)),
                (18, Some(52.0))
            ],
            "InterpolateLinear"
        );
        Ok(())
    }

    /// Step answers the value of the nearest point before (last observation carried forward).
    pub async fn step_carries_last_value(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let got = interpolate(cx, false, &[2, 9, 15, 19]).await?;
        check_eq!(
            got,
            [
                (2, Some(0.0)),
                (9, Some(0.0)),
                (15, Some(100.0)),
                (19, Some(100.0))
            ],
            "InterpolateStep"
        );
        Ok(())
    }

    /// At a point's own timestamp both answer that point's value.
    pub async fn exact_timestamp_answers_point(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let want = [(0, Some(0.0)), (10, Some(100.0)), (20, Some(40.0))];
        check_eq!(
            interpolate(cx, true, &[0, 10, 20]).await?,
            want,
            "Linear at points"
        );
        check_eq!(
            interpolate(cx, false, &[0, 10, 20]).await?,
            want,
            "Step at points"
        );
        Ok(())
    }

    /// Linear does not extrapolate: before the first or after the last point there is no value.
    pub async fn linear_no_extrapolation(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let got = interpolate(cx, true, &[-1, -1000, 21, 1000]).await?;
        check_eq!(
            got,
            [(-1, None), (-1000, None), (21, None), (1000, None)],
            "InterpolateLinear outside the data"
        );
        Ok(())
    }

    /// Step does not extrapolate either: no value before the first or after the last point.
    pub async fn step_no_extrapolation(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let got = interpolate(cx, false, &[-1, 21, 1000]).await?;
        check_eq!(
            got,
            [(-1, None), (21, None), (1000, None)],
            "InterpolateStep outside the data"
        );
        Ok(())
    }

    /// Answers come in request order, one per requested timestamp, repeats included.
    pub async fn answers_in_request_order(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", POINTS).await?;
        let got = interpolate(cx, true, &[15, 5, 30, 5, -5, 10]).await?;
        check_eq!(
            got,
            [
                (15, Some(70.0)),
                (5, Some(50.0)),
                (30, None),
                (5, Some(50.0)),
                (-5, None),
                (10, Some(100.0)),
            ],
            "InterpolateLinear in request order"
        );
        Ok(())
    }

    /// A single point answers only at its own timestamp.
    pub async fn single_point_only_at_itself(cx: &mut Case) -> CaseResult {
        insert_all(cx, "s", &[(100, 7.0)]).await?;
        let want = [(99, None), (100, Some(7.0)), (101, None)];
        check_eq!(
            interpolate(cx, true, &[99, 100, 101]).await?,
            want,
            "Linear"
        );
        check_eq!(interpolate(cx, false, &[99, 100, 101]).await?, want, "Step");
        Ok(())
    }

    /// A missing series answers found = false everywhere.
    pub async fn missing_series_has_no_values(cx: &mut Case) -> CaseResult {
        let want = [(0, None), (10, None)];
        check_eq!(interpolate(cx, true, &[0, 10]).await?, want, "Linear");
        check_eq!(interpolate(cx, false, &[0, 10]).await?, want, "Step");
        Ok(())
    }

    /// Points interpolated in one namespace never show in a namespace it is a prefix of (`ns` and `nsb`, `ns:`, `ns%`, `ns_`, ...), nor the other way, for colliding names.
    pub async fn prefix_namespaces_are_isolated(cx: &mut Case) -> CaseResult {
        crate::isolation::check(
            cx,
            &crate::timeseries::isolated::Series(crate::timeseries::isolated::Reads::Interpolation),
        )
        .await
    }
}
