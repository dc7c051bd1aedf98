//! The timeseries model of the differential cases (see [`crate::differential`]).

use std::collections::BTreeMap;

use prism_suite::proto::timeseries::*;
use prism_suite::proto::InterfaceClients;
use prism_suite::runner::CaseChannel;
use prism_suite::Case;
use proptest::prelude::*;
use tonic::Status;

use crate::differential::Model;

/// Two series; now and then the empty name (INVALID_ARGUMENT).
const SERIES: &[&str] = &["s", "t"];
/// Three timestamps, a negative one included, so that Inserts often overwrite and Query ends fall
/// on points (and sometimes from is after to, INVALID_ARGUMENT).
const TIMESTAMPS: &[i64] = &[0, 1, -1];
/// Query over every timestamp of [`TIMESTAMPS`].
const ALL: (i64, i64) = (-1, 1);
/// Values exact in any double column; infinities are values, NaN is INVALID_ARGUMENT.
const VALUES: &[f64] = &[1.0, 0.0, -2.5, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
/// Label sets: none, one, two (one beyond ASCII).
const LABELS: &[&[(&str, &str)]] = &[&[], &[("k", "v")], &[("k", "w"), ("ü", "✓")]];

/// `timeseries_basic`: Insert and Query on two series at a few timestamps.
pub(crate) struct Basic;

/// An operation of [`Basic`].
#[derive(Debug, Clone)]
pub(crate) enum BasicOp {
    Insert {
        series: &'static str,
        at: i64,
        value: f64,
        labels: &'static [(&'static str, &'static str)],
    },
    Query {
        series: &'static str,
        from: i64,
        to: i64,
    },
}

/// What an operation of [`Basic`] answered: the points as (timestamp, value, labels), in the order
/// answered (ascending by timestamp, which the proto fixes).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BasicAnswer {
    Inserted,
    Points(Vec<(i64, f64, BTreeMap<String, String>)>),
}

impl Model for Basic {
    type Op = BasicOp;
    type Answer = BasicAnswer;
    type State = ();

    fn sequences(&self) -> impl Strategy<Value = Vec<BasicOp>, Tree: Send> + Send {
        let series = prop_oneof![4 => proptest::sample::select(SERIES), 1 => Just("")];
        let at = proptest::sample::select(TIMESTAMPS);
        let range = prop_oneof![
            2 => Just(ALL),
            2 => (at.clone(), at.clone()).prop_map(|(a, b)| (a.min(b), a.max(b))),
            1 => (at.clone(), at.clone()),
        ];
        let op = prop_oneof![
            2 => (
                series.clone(),
                at.clone(),
                proptest::sample::select(VALUES),
                proptest::sample::select(LABELS),
            )
                .prop_map(|(series, at, value, labels)| BasicOp::Insert {
                    series,
                    at,
                    value,
                    labels,
                }),
            1 => (series, range)
                .prop_map(|(series, (from, to))| BasicOp::Query { series, from, to }),
        ];
        proptest::collection::vec(op, 1..16)
    }

    async fn apply<S: InterfaceClients<Channel = CaseChannel> + Sync>(
        &self,
        cx: &Case,
        side: &S,
        ns: &str,
        _state: &mut (),
        op: &BasicOp,
    ) -> Result<BasicAnswer, Status> {
        let mut ts = side.timeseries_basic();
        let answer = match op {
            BasicOp::Insert {
                series,
                at,
                value,
                labels,
            } => ts
                .insert(
                    cx.req_in(
                        ns,
                        InsertRequest {
                            series: (*series).to_owned(),
                            timestamp_ms: *at,
                            value: *value,
                            labels: labels
                                .iter()
                                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                                .collect(),
                            ..Default::default()
                        },
                    ),
                )
                .await
                .map(|_| BasicAnswer::Inserted),
            BasicOp::Query { series, from, to } => ts
                .query(cx.req_in(
                    ns,
                    QueryRequest {
                        series: (*series).to_owned(),
                        from_ms: *from,
                        to_ms: *to,
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| {
                    BasicAnswer::Points(
                        r.into_inner()
                            .points
                            .into_iter()
                            .map(|p| (p.timestamp_ms, p.value, p.labels.into_iter().collect()))
                            .collect(),
                    )
                }),
        };
        answer
    }
}
