//! The four timeseries interfaces over `prism.ts_points (namespace, series, ts, value, labels)`
//! and `prism.ts_retention`.
//!
//! One point per timestamp is the primary key, so Insert is an upsert. Buckets are computed in
//! SQL with `numeric` arithmetic (`from_ms` and a timestamp can be further apart than an i64
//! holds) and aggregated in timestamp order, so sums are the same on every run. Rollup is one
//! `INSERT ... SELECT ... ON CONFLICT DO UPDATE`. Interpolation fetches, per requested timestamp,
//! the nearest point at or before and at or after it (two LATERAL index probes) and draws the
//! line in the plugin.

use std::collections::HashMap;

use prism_proto::timeseries::time_series_aggregation_interface_server::{
    TimeSeriesAggregationInterface, TimeSeriesAggregationInterfaceServer,
};
use prism_proto::timeseries::time_series_basic_interface_server::{
    TimeSeriesBasicInterface, TimeSeriesBasicInterfaceServer,
};
use prism_proto::timeseries::time_series_interpolation_interface_server::{
    TimeSeriesInterpolationInterface, TimeSeriesInterpolationInterfaceServer,
};
use prism_proto::timeseries::time_series_retention_interface_server::{
    TimeSeriesRetentionInterface, TimeSeriesRetentionInterfaceServer,
};
use prism_proto::timeseries::*;
use serde_json::Value;
use tonic::Status;

use super::common::{count, non_empty, Reply};
use super::jsonb;
use crate::error::OrStatus;
use crate::Backend;
use prism_plugin::Services;

/// Adds the timeseries services to `router`.
pub fn add_services(services: Services, backend: &Backend) -> Services {
    let svc = TimeSeriesService {
        backend: backend.clone(),
    };
    services
        .add(TimeSeriesBasicInterfaceServer::new(svc.clone()))
        .add(TimeSeriesAggregationInterfaceServer::new(svc.clone()))
        .add(TimeSeriesRetentionInterfaceServer::new(svc.clone()))
        .add(TimeSeriesInterpolationInterfaceServer::new(svc))
}

/// Serves every timeseries interface.
#[derive(Clone)]
pub struct TimeSeriesService {
    backend: Backend,
}

fn check_series(series: &str) -> Result<(), Status> {
    non_empty("series", series)
}

fn ordered(from_ms: i64, to_ms: i64) -> Result<(), Status> {
    if from_ms > to_ms {
        return Err(Status::invalid_argument(format!(
            "from_ms {from_ms} is after to_ms {to_ms}"
        )));
    }
    Ok(())
}

fn labels_json(labels: HashMap<String, String>) -> Value {
    jsonb::escape(Value::Object(
        labels
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    ))
}

fn labels_map(stored: Value) -> HashMap<String, String> {
    match jsonb::unescape(stored) {
        Value::Object(fields) => fields
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                _ => None,
            })
            .collect(),
        _ => HashMap::new(),
    }
}

/// The SQL aggregate of `function`, in timestamp order; INVALID_ARGUMENT for UNSPECIFIED.
fn aggregate_sql(function: i32) -> Result<&'static str, Status> {
    match AggregateFunction::try_from(function) {
        Ok(AggregateFunction::Avg) => Ok("avg(value ORDER BY ts)"),
        Ok(AggregateFunction::Sum) => Ok("sum(value ORDER BY ts)"),
        Ok(AggregateFunction::Min) => Ok("min(value)"),
        Ok(AggregateFunction::Max) => Ok("max(value)"),
        Ok(AggregateFunction::Count) => Ok("count(*)::double precision"),
        _ => Err(Status::invalid_argument(format!(
            "function must be AVG, SUM, MIN, MAX or COUNT, got {function}"
        ))),
    }
}

/// `SELECT start, value` of the non-empty buckets of `$1`/`$2` over [`$3`, `$4`], `$5` wide.
fn buckets_sql(aggregate: &str) -> String {
    format!(
        "SELECT ($3::bigint::numeric + floor((ts - $3::bigint::numeric) / $5::bigint) * $5::bigint)::bigint AS start, \
                {aggregate} AS value \
           FROM prism.ts_points \
          WHERE namespace = $1 AND series = $2 AND ts >= $3::bigint AND ts <= $4::bigint \
          GROUP BY 1"
    )
}

fn check_buckets(
    from_ms: i64,
    to_ms: i64,
    bucket_ms: i64,
    function: i32,
) -> Result<&'static str, Status> {
    ordered(from_ms, to_ms)?;
    if bucket_ms <= 0 {
        return Err(Status::invalid_argument(format!(
            "bucket_ms must be positive, got {bucket_ms}"
        )));
    }
    aggregate_sql(function)
}

/// The line through (t0, v0) and (t1, v1) at t.
fn line(t0: i64, v0: f64, t1: i64, v1: f64, t: i64) -> f64 {
    if t1 == t0 {
        return v0;
    }
    v0 + (v1 - v0) * (t - t0) as f64 / (t1 - t0) as f64
}

#[prism_plugin::service]
impl TimeSeriesBasicInterface for TimeSeriesService {
    async fn insert(&self, req: InsertRequest) -> Reply<InsertResponse> {
        check_series(&req.series)?;
        prism_plugin::check::not_nan("value", req.value)?;
        let client = self.backend.client().await?;
        client
            .execute(
                "INSERT INTO prism.ts_points (namespace, series, ts, value, labels) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (namespace, series, ts) \
                 DO UPDATE SET value = EXCLUDED.value, labels = EXCLUDED.labels",
                &[
                    &req.namespace,
                    &req.series,
                    &req.timestamp_ms,
                    &req.value,
                    &labels_json(req.labels),
                ],
            )
            .await
            .st()?;
        Ok(InsertResponse {})
    }

    async fn query(&self, req: QueryRequest) -> Reply<QueryResponse> {
        check_series(&req.series)?;
        ordered(req.from_ms, req.to_ms)?;
        let client = self.backend.client().await?;
        let rows = client
            .query(
                "SELECT ts, value, labels FROM prism.ts_points \
                  WHERE namespace = $1 AND series = $2 AND ts >= $3 AND ts <= $4 ORDER BY ts",
                &[&req.namespace, &req.series, &req.from_ms, &req.to_ms],
            )
            .await
            .st()?;
        let points = rows
            .into_iter()
            .map(|row| DataPoint {
                timestamp_ms: row.get(0),
                value: row.get(1),
                labels: labels_map(row.get(2)),
            })
            .collect();
        Ok(QueryResponse { points })
    }
}

#[prism_plugin::service]
impl TimeSeriesAggregationInterface for TimeSeriesService {
    async fn aggregate(&self, req: AggregateRequest) -> Reply<AggregateResponse> {
        check_series(&req.series)?;
        let aggregate = check_buckets(req.from_ms, req.to_ms, req.bucket_ms, req.function)?;
        let client = self.backend.client().await?;
        let rows = client
            .query(
                &format!("{} ORDER BY 1", buckets_sql(aggregate)),
                &[
                    &req.namespace,
                    &req.series,
                    &req.from_ms,
                    &req.to_ms,
                    &req.bucket_ms,
                ],
            )
            .await
            .st()?;
        let buckets = rows
            .into_iter()
            .map(|row| Bucket {
                start_ms: row.get(0),
                value: row.get(1),
            })
            .collect();
        Ok(AggregateResponse { buckets })
    }

    async fn rollup(&self, req: RollupRequest) -> Reply<RollupResponse> {
        check_series(&req.series)?;
        non_empty("destination", &req.destination)?;
        if req.destination == req.series {
            return Err(Status::invalid_argument(
                "destination must differ from series",
            ));
        }
        let aggregate = check_buckets(req.from_ms, req.to_ms, req.bucket_ms, req.function)?;
        let client = self.backend.client().await?;
        let written = client
            .execute(
                &format!(
                    "INSERT INTO prism.ts_points (namespace, series, ts, value, labels) \
                     SELECT $1, $6, b.start, b.value, '{{}}'::jsonb FROM ({}) b \
                     ON CONFLICT (namespace, series, ts) \
                     DO UPDATE SET value = EXCLUDED.value, labels = EXCLUDED.labels",
                    buckets_sql(aggregate)
                ),
                &[
                    &req.namespace,
                    &req.series,
                    &req.from_ms,
                    &req.to_ms,
                    &req.bucket_ms,
                    &req.destination,
                ],
            )
            .await
            .st()?;
        Ok(RollupResponse { written })
    }
}

#[prism_plugin::service]
impl TimeSeriesRetentionInterface for TimeSeriesService {
    async fn set_retention(&self, req: SetRetentionRequest) -> Reply<SetRetentionResponse> {
        check_series(&req.series)?;
        prism_plugin::check::non_negative("retention_ms", req.retention_ms)?;
        let client = self.backend.client().await?;
        client
            .execute(
                "INSERT INTO prism.ts_retention (namespace, series, retention_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (namespace, series) DO UPDATE SET retention_ms = EXCLUDED.retention_ms",
                &[&req.namespace, &req.series, &req.retention_ms],
            )
            .await
            .st()?;
        Ok(SetRetentionResponse {})
    }

    async fn compact(&self, req: CompactRequest) -> Reply<CompactResponse> {
        check_series(&req.series)?;
        let client = self.backend.client().await?;
        // numeric: newest - retention may be below i64::MIN.
        let removed = client
            .execute(
                "DELETE FROM prism.ts_points p USING prism.ts_retention r \
                  WHERE r.namespace = $1 AND r.series = $2 AND r.retention_ms > 0 \
                    AND p.namespace = $1 AND p.series = $2 \
                    AND p.ts::numeric < (SELECT max(ts) FROM prism.ts_points \
                                          WHERE namespace = $1 AND series = $2)::numeric - r.retention_ms",
                &[&req.namespace, &req.series],
            )
            .await
            .st()?;
        Ok(CompactResponse {
            removed: count(i64::try_from(removed).unwrap_or(i64::MAX)),
        })
    }
}

impl TimeSeriesService {
    /// One answer per requested timestamp, from its neighbours at or before and at or after it.
    async fn interpolate(
        &self,
        req: InterpolateRequest,
        linear: bool,
    ) -> Result<InterpolateResponse, Status> {
        check_series(&req.series)?;
        if req.timestamps_ms.is_empty() {
            return Ok(InterpolateResponse::default());
        }
        let client = self.backend.client().await?;
        let rows = client
            .query(
                "SELECT b.ts, b.value, a.ts, a.value \
                   FROM unnest($3::bigint[]) WITH ORDINALITY AS t(at, ord) \
                   LEFT JOIN LATERAL (SELECT ts, value FROM prism.ts_points \
                       WHERE namespace = $1 AND series = $2 AND ts <= t.at ORDER BY ts DESC LIMIT 1) b ON true \
                   LEFT JOIN LATERAL (SELECT ts, value FROM prism.ts_points \
                       WHERE namespace = $1 AND series = $2 AND ts >= t.at ORDER BY ts LIMIT 1) a ON true \
                  ORDER BY t.ord",
                &[&req.namespace, &req.series, &req.timestamps_ms],
            )
            .await
            .st()?;
        let values = req
            .timestamps_ms
            .iter()
            .zip(rows)
            .map(|(&t, row)| {
                let before: Option<(i64, f64)> = row
                    .get::<_, Option<i64>>(0)
                    .zip(row.get::<_, Option<f64>>(1));
                let after: Option<(i64, f64)> = row
                    .get::<_, Option<i64>>(2)
                    .zip(row.get::<_, Option<f64>>(3));
                let value = match (before, after) {
                    (Some((t0, v0)), Some((t1, v1))) => {
                        Some(if linear { line(t0, v0, t1, v1, t) } else { v0 })
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

#[prism_plugin::service]
impl TimeSeriesInterpolationInterface for TimeSeriesService {
    async fn interpolate_linear(&self, req: InterpolateRequest) -> Reply<InterpolateResponse> {
        self.interpolate(req, true).await
    }

    async fn interpolate_step(&self, req: InterpolateRequest) -> Reply<InterpolateResponse> {
        self.interpolate(req, false).await
    }
}
