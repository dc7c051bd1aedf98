//! JUnit XML through quick-junit (what nextest writes): one test suite per backend, one test case
//! per case (`interface::case`, class name `backend::interface`), a planned interface as one
//! skipped test case. Check, RPC and timeout failures are `<failure>`s; a crash, an unavailable
//! plugin, a panic or a lost case is an `<error>`. The full text rendering is the description;
//! the plugin's output goes to `system-out`, the harness's notes to `system-err`.

use std::collections::BTreeMap;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{CellResult, RunReport};
use crate::outcome::{FailureKind, Outcome};

/// The report as a JUnit document named `name`.
pub fn report(report: &RunReport, name: &str) -> Report {
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for cell in &report.cells {
        let suite = suites
            .entry(cell.backend.as_str())
            .or_insert_with(|| TestSuite::new(cell.backend.clone()));
        match &cell.result {
            CellResult::Ran { outcomes } => {
                suite.add_test_cases(outcomes.iter().map(test_case));
            }
            CellResult::Planned { reason } => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(match reason {
                    Some(r) => format!("planned: {r}"),
                    None => "planned".to_owned(),
                });
                let mut case = TestCase::new(format!("{}::planned", cell.interface), status);
                case.set_classname(format!("{}::{}", cell.backend, cell.interface));
                suite.add_test_case(case);
            }
            CellResult::NoSuite => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_type("no_suite").set_message(format!(
                    "claimed, but no suite for `{}` is linked in",
                    cell.interface
                ));
                let mut case = TestCase::new(format!("{}::no_suite", cell.interface), status);
                case.set_classname(format!("{}::{}", cell.backend, cell.interface));
                suite.add_test_case(case);
            }
        }
    }
    let mut r = Report::new(name.to_owned());
    r.set_time(report.duration);
    r.add_test_suites(suites.into_values());
    r
}

/// The report as JUnit XML.
pub fn to_string(report_: &RunReport, name: &str) -> Result<String, quick_junit::SerializeError> {
    report(report_, name).to_string()
}

fn test_case(o: &Outcome) -> TestCase {
    let status = match &o.failure {
        None => TestCaseStatus::success(),
        Some(failure) => {
            let kind = match failure.kind() {
                FailureKind::Check | FailureKind::Rpc | FailureKind::Timeout => {
                    NonSuccessKind::Failure
                }
                _ => NonSuccessKind::Error,
            };
            let mut status = TestCaseStatus::non_success(kind);
            status
                .set_type(failure.kind().name())
                .set_message(failure.headline())
                .set_description(super::text::failure(o));
            status
        }
    };
    let mut case = TestCase::new(format!("{}::{}", o.id.interface, o.id.case), status);
    case.set_classname(format!("{}::{}", o.id.backend, o.id.interface))
        .set_time(o.duration);
    if !o.plugin_output.is_empty() {
        let out: Vec<&str> = o.plugin_output.iter().map(|l| l.text.as_str()).collect();
        case.set_system_out(out.join("\n"));
    }
    if !o.harness_notes.is_empty() {
        case.set_system_err(o.harness_notes.join("\n"));
    }
    case
}
