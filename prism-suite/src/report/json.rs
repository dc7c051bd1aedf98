//! The whole report as JSON: the serde form of [`RunReport`] with its totals.
//!
//! ```text
//! { "schema": 1, "passed": false,
//!   "totals": { "passed": 12, "failed": 1, "by_kind": { "timeout": 1 }, "planned": 0, "no_suite": 0 },
//!   "duration": 1532.1,
//!   "cells": [ { "backend": "redis", "interface": "keyvalue_basic",
//!                "result": { "status": "ran", "outcomes": [ { "id": {...}, "failure": { "kind": "timeout", ... }, ... } ] } } ] }
//! ```
//! Durations are milliseconds (floats), times milliseconds since the Unix epoch.

use serde::{Deserialize, Serialize};

use super::{Cell, RunReport, Totals};

/// Version of the JSON shape; bumped on incompatible changes.
pub const SCHEMA: u32 = 1;

/// The document [`to_string`] writes and [`from_str`] reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Whether every claimed interface passed.
    pub passed: bool,
    /// The counts.
    pub totals: Totals,
    /// Wall time of the run, in milliseconds.
    pub duration: f64,
    /// The cells with their outcomes.
    pub cells: Vec<Cell>,
}

/// The report as pretty-printed JSON.
pub fn to_string(report: &RunReport) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&Document {
        schema: SCHEMA,
        passed: report.passed(),
        totals: report.totals(),
        duration: report.duration.as_secs_f64() * 1e3,
        cells: report.cells.clone(),
    })
}

/// A report read back (for merging the reports of several runs).
pub fn from_str(json: &str) -> Result<RunReport, serde_json::Error> {
    let doc: Document = serde_json::from_str(json)?;
    Ok(RunReport {
        cells: doc.cells,
        duration: std::time::Duration::from_secs_f64(doc.duration.max(0.0) / 1e3),
    })
}
