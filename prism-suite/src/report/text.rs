//! Terminal text: the failure message of one case (what a failing generated test prints) and the
//! matrix `prism-matrix` prints.
//!
//! ```text
//! case memstore_hang_on_exists::keyvalue_basic::exists_non_existent failed
//!   rule:      Exists of a key that was never set answers false.
//!   error:     timed out after 1500 ms, waiting on KeyValueBasicInterface/Exists (1500 ms, no response yet)
//!              (set PRISM_CASE_TIMEOUT_MS or the suite's timeout_ms to change it)
//!   plugin:    plugin did not answer its health check within 1000 ms after the failure: it hangs; ...
//!   backend:   memstore_hang_on_exists (process `.../prism-memstore-plugin`)
//!   namespace: exists_non_existent-5d0c2a8e61f4-3
//!   case at:   suites/src/keyvalue/basic.rs:120
//!   took:      2517 ms
//!   plugin output during the case (1 line):
//!     | memstore: injected fault hang_on_exists
//!   rerun:     cargo nextest run -p prism-suites --test compliance -E 'test(=memstore_hang_on_exists::keyvalue_basic::exists_non_existent)'
//!              cargo test -p prism-suites --test compliance -- --exact memstore_hang_on_exists::keyvalue_basic::exists_non_existent
//! ```

use std::fmt::Write as _;

use super::{RunReport, Verdict};
use crate::outcome::{Failure, FailureKind, Outcome, OutputScope, PendingRpc};
use crate::runner::TIMEOUT_ENV;

/// Indent of continuation lines under a `label:` line.
pub(crate) const CONT: &str = "             ";

/// The message of a failed case; `case <id> passed` for a passed one.
pub fn failure(o: &Outcome) -> String {
    let Some(failure) = &o.failure else {
        return format!("case {} passed\n", o.id);
    };
    let mut s = format!("case {} failed\n", o.id);
    if let Failure::PluginUnavailable { reason } = failure {
        // One message for every case of the backend: what is wrong and how to fix it.
        field(&mut s, "plugin", reason);
        field(&mut s, "backend", &o.id.backend);
        rerun(&mut s, o);
        return s;
    }
    if !o.rule.is_empty() {
        field(&mut s, "rule", &o.rule);
    }
    field(&mut s, "error", &failure.headline());
    match failure {
        Failure::Rpc {
            hint: Some(hint), ..
        } => {
            let _ = writeln!(s, "{CONT}({hint})");
        }
        Failure::Timeout {
            pending, plugin, ..
        } => {
            let _ = writeln!(
                s,
                "{CONT}(set {TIMEOUT_ENV} or the suite's timeout_ms to change it)"
            );
            rpc_list(&mut s, "pending", pending);
            if let Some(plugin) = plugin {
                field(&mut s, "plugin", plugin);
            }
        }
        Failure::PluginCrash {
            in_flight, seen, ..
        } => {
            rpc_list(&mut s, "in flight", in_flight);
            if let Some(seen) = seen {
                field(&mut s, "case saw", seen);
            }
            field(&mut s, "plugin", "restarted for the next case");
        }
        _ => {}
    }
    if o.plugin.is_empty() {
        field(&mut s, "backend", &o.id.backend);
    } else {
        field(
            &mut s,
            "backend",
            &format!("{} ({})", o.id.backend, o.plugin),
        );
    }
    if let Some(ns) = &o.namespace {
        field(&mut s, "namespace", ns);
    }
    field(&mut s, "case at", &o.site.to_string());
    field(&mut s, "took", &format!("{} ms", o.duration.as_millis()));
    output(&mut s, o);
    if !o.harness_notes.is_empty() {
        let _ = writeln!(s, "  harness notes:");
        for note in &o.harness_notes {
            let _ = writeln!(s, "    - {note}");
        }
    }
    rerun(&mut s, o);
    s
}

fn field(s: &mut String, label: &str, value: &str) {
    let mut lines = value.lines();
    let first = lines.next().unwrap_or_default();
    let _ = writeln!(s, "  {:<11}{first}", format!("{label}:"));
    for line in lines {
        let _ = writeln!(s, "{CONT}{line}");
    }
}

/// Lists RPCs when there is more than one (one is named on the `error:` line already).
fn rpc_list(s: &mut String, label: &str, rpcs: &[PendingRpc]) {
    if rpcs.len() < 2 {
        return;
    }
    let text: Vec<String> = rpcs.iter().map(ToString::to_string).collect();
    field(s, label, &text.join("\n"));
}

fn output(s: &mut String, o: &Outcome) {
    let n = o.plugin_output.len();
    let lines = if n == 1 { "line" } else { "lines" };
    match (o.output_scope, n) {
        (OutputScope::None, _) => return,
        (OutputScope::Case, 0) => {
            let _ = writeln!(s, "  plugin output during the case: none");
            return;
        }
        (OutputScope::Case, _) => {
            let _ = writeln!(s, "  plugin output during the case ({n} {lines}):");
        }
    }
    for line in &o.plugin_output {
        let _ = writeln!(s, "    | {}", line.text);
    }
}

fn rerun(s: &mut String, o: &Outcome) {
    field(
        s,
        "rerun",
        &format!("{}\n{}", o.rerun.nextest, o.rerun.cargo_test),
    );
}

/// The terminal matrix: one block per backend, one line per interface, then the totals.
///
/// ```text
/// memstore
///   keyvalue_basic             pass 13/13
///   keyvalue_cas               planned
///   keyvalue_scan              FAIL 10/12 (2 check)
///
/// 25 passed, 2 failed
/// ```
pub fn matrix(report: &RunReport) -> String {
    let mut s = String::new();
    for (backend, row) in report.matrix() {
        let _ = writeln!(s, "{backend}");
        for (interface, cell) in row {
            let shown = match cell.verdict() {
                Verdict::Passed { total } => format!("pass {total}/{total}"),
                Verdict::Failed { passed, total } => {
                    format!("FAIL {passed}/{total} ({})", kinds(cell.outcomes()))
                }
                Verdict::Unavailable { total } => format!("UNAVAILABLE 0/{total}"),
                Verdict::Planned => "planned".into(),
                Verdict::NoSuite => "NO SUITE".into(),
                Verdict::Missing => "MISSING (no result reported)".into(),
            };
            let _ = writeln!(s, "  {interface:<26} {shown}");
        }
    }
    let t = report.totals();
    let _ = writeln!(s, "\n{} passed, {} failed", t.passed, t.failed);
    s
}

/// `2 check, 1 timeout`: the failure kinds among outcomes.
pub fn kinds(outcomes: &[Outcome]) -> String {
    let mut counts: std::collections::BTreeMap<FailureKind, usize> = Default::default();
    for kind in outcomes.iter().filter_map(Outcome::kind) {
        *counts.entry(kind).or_default() += 1;
    }
    counts
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The failures of a run, each once; a backend whose plugin is unavailable is one message for
/// all of its cases, not one per case.
pub fn failures(report: &RunReport) -> String {
    let mut s = String::new();
    let mut unavailable: Vec<(&str, &str, usize)> = Vec::new();
    for o in report.failures() {
        if let Some(Failure::PluginUnavailable { reason }) = &o.failure {
            match unavailable
                .iter_mut()
                .find(|(b, r, _)| *b == o.id.backend && *r == reason.as_str())
            {
                Some((_, _, n)) => *n += 1,
                None => unavailable.push((&o.id.backend, reason, 1)),
            }
            continue;
        }
        s += "\n";
        s += &failure(o);
    }
    for (backend, reason, n) in unavailable {
        let cases = if n == 1 { "case" } else { "cases" };
        let _ = write!(s, "\n{backend}: plugin unavailable ({n} {cases} failed)\n");
        field(&mut s, "plugin", reason);
    }
    for cell in &report.cells {
        if cell.verdict() == Verdict::Missing {
            let _ = write!(
                s,
                "\n{}::{}: claimed, but no result for any of its cases was reported\n",
                cell.backend, cell.interface
            );
        }
        if cell.verdict() == Verdict::NoSuite {
            let _ = write!(
                s,
                "\n{}::{}: claimed, but no suite for `{}` is linked in\n",
                cell.backend, cell.interface, cell.interface
            );
        }
    }
    s
}
