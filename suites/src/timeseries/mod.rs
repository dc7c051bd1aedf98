//! timeseries suites: one file per interface, each holding the inline suite module.
//!
//! Only `timeseries_basic` can write points, so the other suites seed their series through its
//! Insert (and read back through its Query where the interface itself has no read). The helpers they
//! share live here; each reports a failed RPC at the line of the case that called it.

use std::future::Future;

use prism_suite::prelude::*;
use prism_suite::proto::timeseries::*;

use crate::keyvalue::at_caller;

mod aggregation;
mod basic;
mod interpolation;
mod isolated;
pub(crate) mod reference;
mod retention;

pub use aggregation::timeseries_aggregation;
pub use basic::timeseries_basic;
pub use interpolation::timeseries_interpolation;
pub use retention::timeseries_retention;

/// timeseries_basic `Insert` of every (timestamp_ms, value) into `series`, without labels, in order.
#[track_caller]
pub(crate) fn insert_all(
    cx: &Case,
    series: &str,
    points: &[(i64, f64)],
) -> impl Future<Output = CaseResult> + Send {
    let mut ts = cx.timeseries_basic();
    let reqs: Vec<_> = points
        .iter()
        .map(|(timestamp_ms, value)| {
            cx.req(InsertRequest {
                series: series.into(),
                timestamp_ms: *timestamp_ms,
                value: *value,
                ..Default::default()
            })
        })
        .collect();
    at_caller(async move {
        for req in reqs {
            ts.insert(req).await?;
        }
        Ok(())
    })
}

/// timeseries_basic `Query` of `series` over [from_ms, to_ms], as (timestamp_ms, value) pairs.
#[track_caller]
pub(crate) fn points_of(
    cx: &Case,
    series: &str,
    from_ms: i64,
    to_ms: i64,
) -> impl Future<Output = Result<Vec<(i64, f64)>, CaseError>> + Send {
    let mut ts = cx.timeseries_basic();
    let req = cx.req(QueryRequest {
        series: series.into(),
        from_ms,
        to_ms,
        ..Default::default()
    });
    at_caller(async move {
        let points = ts.query(req).await?.into_inner().points;
        Ok(points
            .into_iter()
            .map(|p| (p.timestamp_ms, p.value))
            .collect())
    })
}
