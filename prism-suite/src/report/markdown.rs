//! Markdown for a CI job summary: backends as rows, interfaces as columns, then each failure with
//! its kind, message and rerun command.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{RunReport, Verdict};
use crate::outcome::Failure;

/// The matrix and the failures.
pub fn matrix(report: &RunReport) -> String {
    let matrix = report.matrix();
    let interfaces: BTreeSet<&str> = matrix
        .values()
        .flat_map(|row| row.keys().copied())
        .collect();
    let mut s = String::from("## Interface compliance\n\n| backend |");
    for i in &interfaces {
        let _ = write!(s, " {i} |");
    }
    s += "\n|---|";
    s += &"---|".repeat(interfaces.len());
    s += "\n";
    for (backend, row) in &matrix {
        let _ = write!(s, "| {backend} |");
        for i in &interfaces {
            let mark = match row.get(i).map(|c| c.verdict()) {
                None => String::new(),
                Some(Verdict::Passed { total }) => format!("✅ {total}/{total}"),
                Some(Verdict::Failed { passed, total }) => format!("❌ {passed}/{total}"),
                Some(Verdict::Unavailable { .. }) => "❌ unavailable".into(),
                Some(Verdict::Planned) => "🕓 planned".into(),
                Some(Verdict::NoSuite) => "❌ no suite".into(),
                Some(Verdict::Missing) => "❔ missing".into(),
            };
            let _ = write!(s, " {mark} |");
        }
        s += "\n";
    }
    let t = report.totals();
    let _ = writeln!(s, "\n{} of {} cases passed.", t.passed, t.passed + t.failed);
    let missing: Vec<String> = report
        .cells
        .iter()
        .filter(|c| c.verdict() == Verdict::Missing)
        .map(|c| format!("`{}::{}`", c.backend, c.interface))
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            s,
            "\n❔ No result reported for {} claimed interface(s): {}.",
            missing.len(),
            missing.join(", ")
        );
    }
    let failures: Vec<_> = report.failures().collect();
    if !failures.is_empty() {
        s += "\n### Failures\n\n";
        for o in failures {
            let Some(failure) = &o.failure else { continue };
            // One line per failure: the list item would break on a multi-line message.
            let headline = match failure {
                Failure::PluginUnavailable { reason } => reason.clone(),
                other => other.headline(),
            };
            let headline = headline.lines().next().unwrap_or_default();
            let _ = writeln!(
                s,
                "- ❌ `{}` ({}): {}\n  rerun: `{}`",
                o.id,
                failure.kind(),
                escape(headline),
                o.rerun.nextest
            );
        }
    }
    s
}

/// Keeps a message from breaking the list: no pipes or backticks interpreted.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('`', "'")
}
