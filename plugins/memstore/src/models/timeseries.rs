//! The timeseries interfaces (basic, aggregation, retention, interpolation).
//!
//! A series is a map from timestamp to the points there: one point normally (Insert overwrites), more
//! only under the `same_timestamp_appends` fault. Buckets are aligned to the query's `from_ms` and
//! retention is measured from the series' newest point, so every answer is deterministic.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use prism_plugin::{check, Reply};
use prism_proto::timeseries::time_series_aggregation_interface_server::TimeSeriesAggregationInterface;
use prism_proto::timeseries::time_series_basic_interface_server::TimeSeriesBasicInterface;
use prism_proto::timeseries::time_series_interpolation_interface_server::TimeSeriesInterpolationInterface;
use prism_proto::timeseries::time_series_retention_interface_server::TimeSeriesRetentionInterface;
use prism_proto::timeseries::*;
use tonic::Status;

use crate::faults::Spaces;
use crate::Faults;

/// Deliberately broken timeseries behaviours (see [`crate::Faults`]).
pub(crate) const FAULTS: &[(&str, &str)] = &[
    (
        "same_timestamp_appends",
        "Insert at an existing timestamp adds a second point instead of overwriting",
    ),
    (
        "aggregation_bucket_edge_off_by_one",
        "a point on a bucket edge is counted in the bucket before it (buckets are (start, end])",
    ),
    (
        "retention_boundary_removed",
        "Compact also removes the point exactly at newest - retention_ms",
    ),
    (
        "interpolation_extrapolates",
        "InterpolateLinear and InterpolateStep answer values outside the data range",
    ),
    (
        "timeseries_namespace_prefix_leak",
        "namespaces differing only in trailing `:`, `%`, `_`, `*` or `}` share their timeseries data",
    ),
];

/// One series: timestamp -> points at it (one, unless `same_timestamp_appends` is on).
#[derive(Debug, Default)]
struct Series {
    points: BTreeMap<i64, Vec<DataPoint>>,
    retention_ms: i64,
}

impl Series {
    fn flat(&self) -> impl Iterator<Item = &DataPoint> {
        self.points.values().flatten()
    }
}

#[derive(Debug, Default)]
struct State {
    /// namespace -> series name -> series.
    namespaces: Spaces<HashMap<String, Series>>,
}

/// Serves every timeseries interface from one shared state.
#[derive(Debug, Clone)]
pub(crate) struct TimeSeriesService {
    state: Arc<Mutex<State>>,
    faults: Faults,
}

/// The service behind every timeseries interface.
pub(crate) fn service(faults: &Faults) -> TimeSeriesService {
    TimeSeriesService {
        state: Arc::new(Mutex::new(State {
            namespaces: Spaces::new(faults, "timeseries_namespace_prefix_leak"),
        })),
        faults: faults.clone(),
    }
}

fn ordered(from_ms: i64, to_ms: i64) -> Result<(), Status> {
    if from_ms > to_ms {
        Err(Status::invalid_argument(format!(
            "from_ms {from_ms} is after to_ms {to_ms}"
        )))
    } else {
        Ok(())
    }
}

/// The value of one bucket's points under `function`.
fn aggregate(function: AggregateFunction, values: &[f64]) -> f64 {
    let n = values.len() as f64;
    match function {
        AggregateFunction::Sum => values.iter().sum(),
        AggregateFunction::Avg => values.iter().sum::<f64>() / n,
        AggregateFunction::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
        AggregateFunction::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        AggregateFunction::Count => n,
        // Rejected before any bucket is computed.
        AggregateFunction::Unspecified => f64::NAN,
    }
}

/// The line through (t0, v0) and (t1, v1) at t.
fn line(t0: i64, v0: f64, t1: i64, v1: f64, t: i64) -> f64 {
    if t1 == t0 {
        return v0;
    }
    v0 + (v1 - v0) * (t - t0) as f64 / (t1 - t0) as f64
}

impl TimeSeriesService {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update leaves the state consistent before it can panic, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The points of `series` in [from_ms, to_ms], ascending by timestamp.
    fn query(&self, ns: &str, series: &str, from_ms: i64, to_ms: i64) -> Vec<DataPoint> {
        let state = self.lock();
        state
            .namespaces
            .get(ns)
            .and_then(|all| all.get(series))
            .map(|s| {
                s.points
                    .range(from_ms..=to_ms)
                    .flat_map(|(_, at)| at.iter().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn insert(&self, ns: String, series: String, point: DataPoint) {
        let appends = self.faults.has("same_timestamp_appends");
        let mut state = self.lock();
        let at = state
            .namespaces
            .entry(ns)
            .or_default()
            .entry(series)
            .or_default()
            .points
            .entry(point.timestamp_ms)
            .or_default();
        if !appends {
            at.clear();
        }
        at.push(point);
    }

    /// Non-empty buckets aligned to `from_ms`, ascending by start.
    fn buckets(
        &self,
        ns: &str,
        series: &str,
        from_ms: i64,
        to_ms: i64,
        bucket_ms: i64,
        function: i32,
    ) -> Result<Vec<Bucket>, Status> {
        ordered(from_ms, to_ms)?;
        if bucket_ms <= 0 {
            return Err(Status::invalid_argument("bucket_ms must be positive"));
        }
        let function = AggregateFunction::try_from(function)
            .ok()
            .filter(|f| *f != AggregateFunction::Unspecified)
            .ok_or_else(|| Status::invalid_argument(format!("bad function {function}")))?;
        let edge_off_by_one = self.faults.has("aggregation_bucket_edge_off_by_one");
        let mut grouped: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        for p in self.query(ns, series, from_ms, to_ms) {
            // i128, so that far-apart from_ms and timestamps cannot overflow.
            let mut offset = i128::from(p.timestamp_ms) - i128::from(from_ms);
            if edge_off_by_one {
                offset -= 1;
            }
            let index = offset.div_euclid(i128::from(bucket_ms));
            let start = i128::from(from_ms) + index * i128::from(bucket_ms);
            let start = i64::try_from(start).unwrap_or(i64::MIN);
            grouped.entry(start).or_default().push(p.value);
        }
        Ok(grouped
            .into_iter()
            .map(|(start_ms, values)| Bucket {
                start_ms,
                value: aggregate(function, &values),
            })
            .collect())
    }

    /// Answers each requested timestamp by `between` (given the neighbours at or before and at or
    /// after it), or found = false outside the data (unless `interpolation_extrapolates`).
    fn interpolate(
        &self,
        req: InterpolateRequest,
        linear: bool,
    ) -> Result<InterpolateResponse, Status> {
        check::non_empty("series", &req.series)?;
        let points: Vec<(i64, f64)> = {
            let state = self.lock();
            state
                .namespaces
                .get(&req.namespace)
                .and_then(|all| all.get(&req.series))
                .map(|s| s.flat().map(|p| (p.timestamp_ms, p.value)).collect())
                .unwrap_or_default()
        };
        let extrapolates = self.faults.has("interpolation_extrapolates");
        let values = req
            .timestamps_ms
            .into_iter()
            .map(|t| {
                let before = points.iter().rev().find(|(pt, _)| *pt <= t).copied();
                let after = points.iter().find(|(pt, _)| *pt >= t).copied();
                let value = match (before, after) {
                    (Some((t0, v0)), Some((t1, v1))) => {
                        Some(if linear { line(t0, v0, t1, v1, t) } else { v0 })
                    }
                    (Some(_), None) | (None, Some(_)) if extrapolates => {
                        Some(extrapolate(&points, t, linear))
                    }
                    _ => None,
                };
                InterpolatedValue {
                    timestamp_ms: t,
                    found: value.is_some(),
                    value: value.unwrap_or(0.0),
                }
            })
            .collect();
        Ok(InterpolateResponse { values })
    }
}

/// The broken answer outside the data: the line through the two nearest points, or the nearest value.
fn extrapolate(points: &[(i64, f64)], t: i64, linear: bool) -> f64 {
    let nearest = if t < points[0].0 {
        &points[..points.len().min(2)]
    } else {
        &points[points.len().saturating_sub(2)..]
    };
    match nearest {
        [(t0, v0), (t1, v1)] if linear => line(*t0, *v0, *t1, *v1, t),
        [(_, v)] => *v,
        [(_, first), (_, last)] => {
            if t < points[0].0 {
                *first
            } else {
                *last
            }
        }
        _ => 0.0,
    }
}

#[prism_plugin::service]
impl TimeSeriesBasicInterface for TimeSeriesService {
    async fn insert(&self, req: InsertRequest) -> Reply<InsertResponse> {
        check::non_empty("series", &req.series)?;
        if req.value.is_nan() {
            return Err(Status::invalid_argument("value must not be NaN"));
        }
        let point = DataPoint {
            timestamp_ms: req.timestamp_ms,
            value: req.value,
            labels: req.labels,
        };
        TimeSeriesService::insert(self, req.namespace, req.series, point);
        Ok(InsertResponse {})
    }

    async fn query(&self, req: QueryRequest) -> Reply<QueryResponse> {
        check::non_empty("series", &req.series)?;
        ordered(req.from_ms, req.to_ms)?;
        let points =
            TimeSeriesService::query(self, &req.namespace, &req.series, req.from_ms, req.to_ms);
        Ok(QueryResponse { points })
    }
}

#[prism_plugin::service]
impl TimeSeriesAggregationInterface for TimeSeriesService {
    async fn aggregate(&self, req: AggregateRequest) -> Reply<AggregateResponse> {
        check::non_empty("series", &req.series)?;
        let buckets = self.buckets(
            &req.namespace,
            &req.series,
            req.from_ms,
            req.to_ms,
            req.bucket_ms,
            req.function,
        )?;
        Ok(AggregateResponse { buckets })
    }

    async fn rollup(&self, req: RollupRequest) -> Reply<RollupResponse> {
        check::non_empty("series", &req.series)?;
        check::non_empty("destination", &req.destination)?;
        if req.destination == req.series {
            return Err(Status::invalid_argument(
                "destination must differ from series",
            ));
        }
        let buckets = self.buckets(
            &req.namespace,
            &req.series,
            req.from_ms,
            req.to_ms,
            req.bucket_ms,
            req.function,
        )?;
        let written = u64::try_from(buckets.len()).unwrap_or(u64::MAX);
        for b in buckets {
            let point = DataPoint {
                timestamp_ms: b.start_ms,
                value: b.value,
                labels: HashMap::new(),
            };
            self.insert(req.namespace.clone(), req.destination.clone(), point);
        }
        Ok(RollupResponse { written })
    }
}

#[prism_plugin::service]
impl TimeSeriesRetentionInterface for TimeSeriesService {
    async fn set_retention(&self, req: SetRetentionRequest) -> Reply<SetRetentionResponse> {
        check::non_empty("series", &req.series)?;
        if req.retention_ms < 0 {
            return Err(Status::invalid_argument(
                "retention_ms must not be negative",
            ));
        }
        let mut state = self.lock();
        state
            .namespaces
            .entry(req.namespace)
            .or_default()
            .entry(req.series)
            .or_default()
            .retention_ms = req.retention_ms;
        Ok(SetRetentionResponse {})
    }

    async fn compact(&self, req: CompactRequest) -> Reply<CompactResponse> {
        check::non_empty("series", &req.series)?;
        let boundary_removed = self.faults.has("retention_boundary_removed");
        let mut state = self.lock();
        let Some(series) = state
            .namespaces
            .get_mut(&req.namespace)
            .and_then(|all| all.get_mut(&req.series))
        else {
            return Ok(CompactResponse { removed: 0 });
        };
        let newest = series.points.keys().next_back().copied();
        let (Some(newest), true) = (newest, series.retention_ms > 0) else {
            return Ok(CompactResponse { removed: 0 });
        };
        let cutoff = newest.saturating_sub(series.retention_ms);
        let before = series.flat().count();
        series
            .points
            .retain(|t, _| *t > cutoff || (*t == cutoff && !boundary_removed));
        let removed = before - series.flat().count();
        Ok(CompactResponse {
            removed: u64::try_from(removed).unwrap_or(u64::MAX),
        })
    }
}

#[prism_plugin::service]
impl TimeSeriesInterpolationInterface for TimeSeriesService {
    async fn interpolate_linear(&self, req: InterpolateRequest) -> Reply<InterpolateResponse> {
        self.interpolate(req, true)
    }

    async fn interpolate_step(&self, req: InterpolateRequest) -> Reply<InterpolateResponse> {
        self.interpolate(req, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(faults: &str) -> TimeSeriesService {
        TimeSeriesService {
            state: Arc::default(),
            faults: Faults::parse(faults).expect("known faults"),
        }
    }

    fn put(svc: &TimeSeriesService, t: i64, value: f64) {
        let point = DataPoint {
            timestamp_ms: t,
            value,
            labels: HashMap::new(),
        };
        svc.insert("ns".into(), "s".into(), point);
    }

    #[test]
    fn same_timestamp_overwrites() {
        let svc = service("");
        put(&svc, 10, 1.0);
        put(&svc, 10, 2.0);
        let got = svc.query("ns", "s", 0, 100);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].value, 2.0);
    }

    #[test]
    fn buckets_align_to_from_and_skip_empty_ones() {
        let svc = service("");
        for (t, v) in [(100, 1.0), (109, 3.0), (110, 5.0), (135, 7.0)] {
            put(&svc, t, v);
        }
        let fun = AggregateFunction::Sum as i32;
        let got = svc.buckets("ns", "s", 100, 139, 10, fun).expect("buckets");
        let got: Vec<(i64, f64)> = got.iter().map(|b| (b.start_ms, b.value)).collect();
        assert_eq!(got, [(100, 4.0), (110, 5.0), (130, 7.0)]);
    }

    #[test]
    fn interpolation_stays_inside_the_data() {
        let svc = service("");
        put(&svc, 0, 0.0);
        put(&svc, 10, 100.0);
        let req = InterpolateRequest {
            namespace: "ns".into(),
            series: "s".into(),
            timestamps_ms: vec![-1, 0, 5, 10, 11],
        };
        let lin = svc.interpolate(req.clone(), true).expect("linear").values;
        let got: Vec<Option<f64>> = lin.iter().map(|v| v.found.then_some(v.value)).collect();
        assert_eq!(got, [None, Some(0.0), Some(50.0), Some(100.0), None]);
        let step = svc.interpolate(req, false).expect("step").values;
        let got: Vec<Option<f64>> = step.iter().map(|v| v.found.then_some(v.value)).collect();
        assert_eq!(got, [None, Some(0.0), Some(0.0), Some(100.0), None]);
    }
}
