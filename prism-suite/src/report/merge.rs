//! Reads a test runner's results back into a [`RunReport`], so CI's matrix comes from the real
//! test run (a job per cell, each writing nextest JUnit) and not from a second run.
//!
//! The registry says which cells exist; the results say what became of each case. A claimed
//! interface none of whose cases reported is [`CellResult::Missing`] (a failure, never a pass);
//! a case that is absent while others of its interface reported is a [`Failure::Lost`].
//!
//! Read: nextest JUnit (`cargo nextest run --profile ci`, see `.config/nextest.toml`) and
//! libtest JSON lines (`cargo test -- -Z unstable-options --format json`). Test names are the
//! generated tests' `backend::interface::case`; this module's own JUnit rendering
//! (`interface::case` in class `backend::interface`) reads back too.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use prism_registry::{ClaimStatus, Registry};
use quick_junit::{NonSuccessKind, TestCaseStatus};

use super::{CellResult, RunReport};
use crate::catalogue;
use crate::outcome::{CaseId, Failure, Outcome, OutputScope, Rerun, SourceSite};
use crate::runner::RerunTarget;

/// Results that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Not JUnit XML quick-junit can read.
    #[error("{file}: not JUnit XML: {source}")]
    Junit {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: quick_junit::DeserializeError,
    },
    /// A line of a libtest JSON file is not JSON.
    #[error("{file}:{line}: not a libtest JSON event: {source}")]
    LibtestJson {
        /// The file.
        file: String,
        /// The line, from 1.
        line: usize,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

/// What a test runner said about one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestResult {
    /// It passed (a flaky pass too: nextest retried it).
    Passed {
        /// How long it took.
        duration: Duration,
    },
    /// It failed.
    Failed {
        /// The runner's short message.
        message: String,
        /// What the test printed.
        output: String,
        /// How long it took.
        duration: Duration,
    },
    /// It was skipped or ignored (planned interfaces are ignored tests).
    Skipped,
}

/// Results by test name (`backend::interface::case`), from any number of files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Results {
    tests: BTreeMap<String, TestResult>,
}

impl Results {
    /// Adds the test cases of a JUnit document; `file` names it in errors.
    pub fn add_junit(&mut self, file: &str, xml: &str) -> Result<(), MergeError> {
        let report =
            quick_junit::Report::deserialize_from_str(xml).map_err(|source| MergeError::Junit {
                file: file.to_owned(),
                source,
            })?;
        for suite in &report.test_suites {
            for case in &suite.test_cases {
                let name = case.name.as_str();
                // nextest: name `memstore::keyvalue_basic::x`, class `prism-suites::compliance`;
                // ours: name `keyvalue_basic::x`, class `memstore::keyvalue_basic`.
                let full = match &case.classname {
                    Some(class) if name.split("::").count() < 3 => {
                        let class = class.as_str();
                        let interface = name.split("::").next().unwrap_or_default();
                        let backend = class
                            .strip_suffix(interface)
                            .and_then(|c| c.strip_suffix("::"))
                            .unwrap_or(class);
                        format!("{backend}::{name}")
                    }
                    _ => name.to_owned(),
                };
                let duration = case.time.unwrap_or_default();
                let mut output = String::new();
                for part in [&case.system_out, &case.system_err].into_iter().flatten() {
                    output += part.as_str();
                    output += "\n";
                }
                let result = match &case.status {
                    TestCaseStatus::Success { .. } => TestResult::Passed { duration },
                    TestCaseStatus::Skipped { .. } => TestResult::Skipped,
                    TestCaseStatus::NonSuccess {
                        kind,
                        message,
                        description,
                        ..
                    } => {
                        if let Some(d) = description {
                            output = format!("{}\n{output}", d.as_str());
                        }
                        let fallback = match kind {
                            NonSuccessKind::Failure => "the test failed",
                            NonSuccessKind::Error => "the test errored",
                        };
                        TestResult::Failed {
                            message: message
                                .as_ref()
                                .map_or_else(|| fallback.to_owned(), |m| m.as_str().to_owned()),
                            output,
                            duration,
                        }
                    }
                };
                self.insert(full, result);
            }
        }
        Ok(())
    }

    /// Adds the test events of libtest JSON lines (`--format json`); other events are skipped.
    pub fn add_libtest_json(&mut self, file: &str, text: &str) -> Result<(), MergeError> {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let event: serde_json::Value =
                serde_json::from_str(line).map_err(|source| MergeError::LibtestJson {
                    file: file.to_owned(),
                    line: i + 1,
                    source,
                })?;
            if event["type"] != "test" {
                continue;
            }
            let Some(name) = event["name"].as_str() else {
                continue;
            };
            let duration = event["exec_time"]
                .as_f64()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .unwrap_or_default();
            let result = match event["event"].as_str() {
                Some("ok") => TestResult::Passed { duration },
                Some("ignored") => TestResult::Skipped,
                Some("failed" | "timeout") => TestResult::Failed {
                    message: event["message"]
                        .as_str()
                        .unwrap_or("the test failed")
                        .to_owned(),
                    output: event["stdout"].as_str().unwrap_or_default().to_owned(),
                    duration,
                },
                _ => continue,
            };
            self.insert(name.to_owned(), result);
        }
        Ok(())
    }

    /// How many tests are known.
    pub fn len(&self) -> usize {
        self.tests.len()
    }

    /// Whether no test is known.
    pub fn is_empty(&self) -> bool {
        self.tests.is_empty()
    }

    /// A test seen in several files (a rerun) keeps its worst result: a failure is never hidden.
    fn insert(&mut self, name: String, result: TestResult) {
        match self.tests.get(&name) {
            Some(TestResult::Failed { .. }) => {}
            _ => {
                self.tests.insert(name, result);
            }
        }
    }
}

/// The matrix of `registry` (backends in `only`, all when empty) filled from `results`; rerun
/// commands name `target`.
pub fn merge(
    registry: &Registry,
    only: &[&str],
    results: &Results,
    target: &RerunTarget,
) -> RunReport {
    let mut report = RunReport::default();
    for backend in &registry.backends {
        if !only.is_empty() && !only.contains(&backend.name.as_str()) {
            continue;
        }
        for claim in &backend.claims {
            let result = match claim.status {
                ClaimStatus::Planned => CellResult::Planned {
                    reason: claim.reason.clone(),
                },
                ClaimStatus::Implemented => cell(&backend.name, &claim.interface, results, target),
            };
            report.push(&backend.name, &claim.interface, result);
        }
    }
    report.duration = results
        .tests
        .values()
        .map(|r| match r {
            TestResult::Passed { duration } | TestResult::Failed { duration, .. } => *duration,
            TestResult::Skipped => Duration::ZERO,
        })
        .sum();
    report
}

fn cell(backend: &str, interface: &str, results: &Results, target: &RerunTarget) -> CellResult {
    let cases = catalogue::cases_of(interface);
    if cases.is_empty() {
        return CellResult::NoSuite;
    }
    let ids: Vec<CaseId> = cases
        .iter()
        .map(|c| CaseId::new(backend, interface, c.name))
        .collect();
    if !ids
        .iter()
        .any(|id| results.tests.contains_key(&id.to_string()))
    {
        return CellResult::Missing { cases: cases.len() };
    }
    let outcomes = cases
        .iter()
        .zip(ids)
        .map(|(def, id)| {
            let (duration, failure) = match results.tests.get(&id.to_string()) {
                Some(TestResult::Passed { duration }) => (*duration, None),
                Some(TestResult::Failed {
                    message,
                    output,
                    duration,
                }) => (
                    *duration,
                    Some(Failure::Reported {
                        message: error_line(output).unwrap_or_else(|| message.clone()),
                        output: output.clone(),
                    }),
                ),
                Some(TestResult::Skipped) => (
                    Duration::ZERO,
                    Some(Failure::Lost {
                        reason: "the test was skipped, but the registry claims the interface"
                            .into(),
                    }),
                ),
                None => (
                    Duration::ZERO,
                    Some(Failure::Lost {
                        reason: "no result for this case in the merged test results".into(),
                    }),
                ),
            };
            Outcome {
                rerun: Rerun::new(&target.package, &target.test, &id),
                id,
                rule: def.doc.to_owned(),
                site: SourceSite {
                    file: def.file.to_owned(),
                    line: def.line,
                },
                namespace: None,
                plugin: String::new(),
                started_at: UNIX_EPOCH,
                duration,
                failure,
                plugin_output: Vec::new(),
                output_scope: OutputScope::None,
                harness_notes: Vec::new(),
            }
        })
        .collect();
    CellResult::Ran { outcomes }
}

/// The `error:` field of a generated test's failure message ([`super::text::failure`]), the
/// lines that say what went wrong (the first, and its continuation lines); `plugin:` for an
/// unavailable plugin.
fn error_line(output: &str) -> Option<String> {
    // libtest prints a returned error as `Error: <its Display>`.
    let mut lines = output
        .lines()
        .skip_while(|l| !l.trim_start_matches("Error: ").starts_with("case "))
        .skip(1)
        .take_while(|l| l.starts_with("  "));
    let first = lines.find_map(|l| {
        let l = l.trim_start();
        l.strip_prefix("error:")
            .or_else(|| l.strip_prefix("plugin:"))
            .map(|v| v.trim().to_owned())
    })?;
    let rest = lines.map_while(|l| l.strip_prefix(super::text::CONT));
    Some(
        std::iter::once(first)
            .chain(rest.map(str::to_owned))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}
