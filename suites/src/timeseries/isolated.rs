//! The time series interfaces' probes for [`crate::isolation::check`]: the series `t` and `:t` in
//! every namespace of the family; the namespace of tag `t` holds `t + 2` points 100 ms apart from
//! 1000, valued `10t + i`, labelled with the tag. Series cannot be deleted, so the last step
//! overwrites the first point with -1 (and, for retention, compacts).

use std::collections::HashMap;

use prism_suite::prelude::*;
use prism_suite::proto::timeseries::*;

use crate::isolation::Probe;

/// Series written in every namespace.
const SERIES: &[&str] = &["t", ":t"];

/// Which interface a [`Series`] probe reads with.
#[derive(Clone, Copy)]
pub(crate) enum Reads {
    /// timeseries_basic Query.
    Basic,
    /// timeseries_aggregation Aggregate, and Query of the series Rollup wrote.
    Aggregation,
    /// timeseries_interpolation InterpolateLinear and InterpolateStep.
    Interpolation,
    /// timeseries_retention: SetRetention at write, Compact as the last step, read with Query.
    Retention,
}

/// A probe over the series of the family, reading with one interface.
pub(crate) struct Series(pub(crate) Reads);

/// The points of a series in the namespace of `tag`; `changed`: after the last step's overwrite.
fn points(tag: usize, changed: bool) -> Vec<(i64, f64)> {
    (0..tag + 2)
        .map(|i| {
            let value = if changed && i == 0 {
                -1.0
            } else {
                (10 * tag + i) as f64
            };
            (1000 + 100 * i as i64, value)
        })
        .collect()
}

/// Inserts `(timestamp, value)` labelled with `tag` into every series of `ns`.
async fn insert(cx: &Case, ns: &str, tag: usize, points: &[(i64, f64)]) -> CaseResult {
    let mut ts = cx.timeseries_basic();
    for series in SERIES {
        for (timestamp_ms, value) in points {
            ts.insert(cx.req_in(
                ns,
                InsertRequest {
                    series: (*series).into(),
                    timestamp_ms: *timestamp_ms,
                    value: *value,
                    labels: HashMap::from([("tag".to_owned(), tag.to_string())]),
                    ..Default::default()
                },
            ))
            .await?;
        }
    }
    Ok(())
}

/// Query of `series` in `ns` over everything, as `timestamp=value{tag}` lines.
async fn query(cx: &Case, ns: &str, series: &str) -> Result<Vec<String>, CaseError> {
    let req = cx.req_in(
        ns,
        QueryRequest {
            series: series.into(),
            from_ms: 0,
            to_ms: 1_000_000,
            ..Default::default()
        },
    );
    let points = cx.timeseries_basic().query(req).await?.into_inner().points;
    Ok(points
        .into_iter()
        .map(|p| {
            let tag = p.labels.get("tag").cloned().unwrap_or_default();
            format!("{}={}{{{tag}}}", p.timestamp_ms, p.value)
        })
        .collect())
}

fn query_lines(tag: usize, points: &[(i64, f64)]) -> Vec<String> {
    points
        .iter()
        .map(|(t, v)| format!("{t}={v}{{{tag}}}"))
        .collect()
}

/// The timestamps interpolated at: on points, between them, before and after them.
const AT: &[i64] = &[900, 1000, 1050, 1100, 1150, 1250, 1900];

fn interpolated(points: &[(i64, f64)], linear: bool) -> Vec<String> {
    AT.iter()
        .map(|&at| {
            let before = points.iter().rev().find(|(t, _)| *t <= at);
            let after = points.iter().find(|(t, _)| *t >= at);
            let value = match (before, after) {
                (Some(&(t0, v0)), Some(&(t1, _))) if t0 == t1 => Some(v0),
                (Some(&(t0, v0)), Some(&(t1, v1))) => Some(if linear {
                    v0 + (v1 - v0) * (at - t0) as f64 / (t1 - t0) as f64
                } else {
                    v0
                }),
                _ => None,
            };
            format!("{at}:{value:?}")
        })
        .collect()
}

/// Bucket sums of `points` in 200 ms buckets from 1000, then their counts.
fn aggregated(points: &[(i64, f64)]) -> Vec<String> {
    let mut buckets: Vec<(i64, f64, usize)> = Vec::new();
    for (t, v) in points {
        let start = 1000 + (t - 1000) / 200 * 200;
        match buckets.last_mut() {
            Some(b) if b.0 == start => {
                b.1 += v;
                b.2 += 1;
            }
            _ => buckets.push((start, *v, 1)),
        }
    }
    let sums = buckets.iter().map(|(s, v, _)| format!("sum {s}={v}"));
    let counts = buckets.iter().map(|(s, _, n)| format!("count {s}={n}"));
    sums.chain(counts).collect()
}

impl Series {
    /// What the probe reads of a series holding `points` of `tag`.
    fn lines(&self, tag: usize, points: &[(i64, f64)]) -> Vec<String> {
        match self.0 {
            Reads::Basic | Reads::Retention => query_lines(tag, points),
            Reads::Aggregation => aggregated(points),
            Reads::Interpolation => {
                let mut lines = interpolated(points, true);
                lines.extend(interpolated(points, false));
                lines
            }
        }
    }
}

impl Probe for Series {
    type View = Vec<Vec<String>>;

    async fn write(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        insert(cx, ns, tag, &points(tag, false)).await?;
        if let Reads::Retention = self.0 {
            let mut ret = cx.timeseries_retention();
            for series in SERIES {
                ret.set_retention(cx.req_in(
                    ns,
                    SetRetentionRequest {
                        series: (*series).into(),
                        retention_ms: 100,
                        ..Default::default()
                    },
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn view(&self, cx: &Case, ns: &str) -> Result<Self::View, CaseError> {
        let mut out = Vec::new();
        for series in SERIES {
            let lines = match self.0 {
                Reads::Basic | Reads::Retention => query(cx, ns, series).await?,
                Reads::Aggregation => {
                    let mut agg = cx.timeseries_aggregation();
                    let mut lines = Vec::new();
                    for (name, function) in [
                        ("sum", AggregateFunction::Sum),
                        ("count", AggregateFunction::Count),
                    ] {
                        let req = cx.req_in(
                            ns,
                            AggregateRequest {
                                series: (*series).into(),
                                from_ms: 1000,
                                to_ms: 100_000,
                                bucket_ms: 200,
                                function: function as i32,
                                ..Default::default()
                            },
                        );
                        let buckets = agg.aggregate(req).await?.into_inner().buckets;
                        lines.extend(
                            buckets
                                .into_iter()
                                .map(|b| format!("{name} {}={}", b.start_ms, b.value)),
                        );
                    }
                    lines
                }
                Reads::Interpolation => {
                    let mut interp = cx.timeseries_interpolation();
                    let mut lines = Vec::new();
                    for linear in [true, false] {
                        let req = cx.req_in(
                            ns,
                            InterpolateRequest {
                                series: (*series).into(),
                                timestamps_ms: AT.to_vec(),
                                ..Default::default()
                            },
                        );
                        let values = if linear {
                            interp.interpolate_linear(req).await?
                        } else {
                            interp.interpolate_step(req).await?
                        }
                        .into_inner()
                        .values;
                        lines.extend(values.into_iter().map(|v| {
                            let value = v.found.then_some(v.value);
                            format!("{}:{value:?}", v.timestamp_ms)
                        }));
                    }
                    lines
                }
            };
            out.push(lines);
        }
        Ok(out)
    }

    fn expected(&self, tag: Option<usize>) -> Self::View {
        SERIES
            .iter()
            .map(|_| match tag {
                Some(t) => self.lines(t, &points(t, false)),
                None => self.lines(0, &[]),
            })
            .collect()
    }

    async fn change(&self, cx: &Case, ns: &str, tag: usize) -> CaseResult {
        insert(cx, ns, tag, &points(tag, true)[..1]).await?;
        if let Reads::Retention = self.0 {
            let mut ret = cx.timeseries_retention();
            for series in SERIES {
                let removed = ret
                    .compact(cx.req_in(
                        ns,
                        CompactRequest {
                            series: (*series).into(),
                            ..Default::default()
                        },
                    ))
                    .await?
                    .into_inner()
                    .removed;
                // Newest at 1000 + 100(t+1), retention 100: the two newest points stay.
                check_eq!(
                    removed,
                    tag as u64,
                    "points Compact removed from {series:?}"
                );
            }
        }
        Ok(())
    }

    fn changed(&self, tag: usize) -> Self::View {
        let mut kept = points(tag, true);
        if let Reads::Retention = self.0 {
            kept = kept.split_off(kept.len() - 2);
        }
        SERIES.iter().map(|_| self.lines(tag, &kept)).collect()
    }
}
