//! Renderings of typed outcomes: a run's [`RunReport`] (what `prism-matrix` prints and CI
//! consumes) and one [`Outcome`](crate::outcome::Outcome) (a generated test's failure).
//!
//! | module | what |
//! |---|---|
//! | [`text`] | the failure message of one case; the terminal matrix |
//! | [`markdown`] | the matrix for a CI job summary, with the failures and their rerun commands |
//! | [`json`] | the whole report, serde-serialized |
//! | [`junit`] | JUnit XML (quick-junit, as nextest writes it) |
//!
//! Every count comes from the outcomes themselves: a case that panicked or was lost is an
//! outcome with that failure kind, so it is failed in every rendering and in [`RunReport::exit_code`].

pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::outcome::{FailureKind, Outcome};

/// Everything one run yielded: one cell per backend x interface.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The cells, in the order they ran.
    pub cells: Vec<Cell>,
    /// Wall time of the run.
    #[serde(with = "duration_ms")]
    pub duration: Duration,
}

/// One backend x interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Backend name.
    pub backend: String,
    /// Interface name.
    pub interface: String,
    /// What became of it.
    pub result: CellResult,
}

/// What became of one backend x interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CellResult {
    /// Its cases ran.
    Ran {
        /// One outcome per case.
        outcomes: Vec<Outcome>,
    },
    /// Declared planned: nothing to run.
    Planned {
        /// Why, if the registry says.
        reason: Option<String>,
    },
    /// Claimed, but no suite for the interface is linked in: a failure.
    NoSuite,
}

/// What a cell shows in the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every case passed.
    Passed {
        /// Cases run.
        total: usize,
    },
    /// Some case failed.
    Failed {
        /// Cases passed.
        passed: usize,
        /// Cases run.
        total: usize,
    },
    /// Every case failed because the plugin could not be provided.
    Unavailable {
        /// Cases that could not run.
        total: usize,
    },
    /// Declared planned.
    Planned,
    /// Claimed, no suite linked in.
    NoSuite,
}

impl Verdict {
    /// Whether the cell counts against the backend.
    pub fn is_failure(self) -> bool {
        !matches!(self, Verdict::Passed { .. } | Verdict::Planned)
    }
}

impl Cell {
    /// The cell's outcomes (none unless it ran).
    pub fn outcomes(&self) -> &[Outcome] {
        match &self.result {
            CellResult::Ran { outcomes } => outcomes,
            _ => &[],
        }
    }

    /// What the cell shows.
    pub fn verdict(&self) -> Verdict {
        match &self.result {
            CellResult::Planned { .. } => Verdict::Planned,
            CellResult::NoSuite => Verdict::NoSuite,
            CellResult::Ran { outcomes } => {
                let total = outcomes.len();
                let passed = outcomes.iter().filter(|o| o.passed()).count();
                let unavailable = outcomes
                    .iter()
                    .all(|o| o.kind() == Some(FailureKind::PluginUnavailable));
                if passed == total && total > 0 {
                    Verdict::Passed { total }
                } else if unavailable && total > 0 {
                    Verdict::Unavailable { total }
                } else {
                    Verdict::Failed { passed, total }
                }
            }
        }
    }
}

/// Counts over a whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed, of any kind.
    pub failed: usize,
    /// Failed cases by kind.
    pub by_kind: BTreeMap<FailureKind, usize>,
    /// Cells declared planned.
    pub planned: usize,
    /// Cells claimed without a suite.
    pub no_suite: usize,
}

impl RunReport {
    /// Records one cell.
    pub fn push(&mut self, backend: &str, interface: &str, result: CellResult) {
        self.cells.push(Cell {
            backend: backend.to_owned(),
            interface: interface.to_owned(),
            result,
        });
    }

    /// Every outcome, cell by cell.
    pub fn outcomes(&self) -> impl Iterator<Item = &Outcome> {
        self.cells.iter().flat_map(Cell::outcomes)
    }

    /// The failed outcomes, cell by cell.
    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes().filter(|o| !o.passed())
    }

    /// The counts.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for cell in &self.cells {
            match &cell.result {
                CellResult::Planned { .. } => t.planned += 1,
                CellResult::NoSuite => t.no_suite += 1,
                CellResult::Ran { outcomes } => {
                    for o in outcomes {
                        match o.kind() {
                            None => t.passed += 1,
                            Some(kind) => {
                                t.failed += 1;
                                *t.by_kind.entry(kind).or_default() += 1;
                            }
                        }
                    }
                }
            }
        }
        t
    }

    /// Whether every claimed interface passed.
    pub fn passed(&self) -> bool {
        !self.cells.iter().any(|c| c.verdict().is_failure())
    }

    /// The process exit status for the run: 0 when [`RunReport::passed`], else 1.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.passed())
    }

    /// The cells by backend, then interface (the matrix's layout).
    pub fn matrix(&self) -> BTreeMap<&str, BTreeMap<&str, &Cell>> {
        let mut m: BTreeMap<&str, BTreeMap<&str, &Cell>> = BTreeMap::new();
        for cell in &self.cells {
            m.entry(cell.backend.as_str())
                .or_default()
                .insert(cell.interface.as_str(), cell);
        }
        m
    }
}

mod duration_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1e3)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Duration::try_from_secs_f64(f64::deserialize(d)? / 1e3).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
pub(crate) mod tests;
