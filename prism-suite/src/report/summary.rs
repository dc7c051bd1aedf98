//! The RFC's text summary: one block per backend, counting interfaces, then the total.
//!
//! ```text
//! Interface Compliance Matrix
//! ===========================
//!
//! Backend: memstore (2/3 interfaces PASS, 1 planned)
//!   ✓ keyvalue_basic
//!   ✗ keyvalue_scan       FAIL 10/12 (2 check)
//!   - keyvalue_cas        planned
//!   ✓ keyvalue_ttl
//!
//! Total: 2/3 interfaces PASS across 1 backends
//! ```
//!
//! An interface passes when every case of it passed; planned interfaces are listed but not
//! counted; a claimed interface with no result (missing) or no suite counts as not passing.

use std::fmt::Write as _;

use super::{text, RunReport, Verdict};

/// The summary of a run.
pub fn render(report: &RunReport) -> String {
    let mut s = String::from("Interface Compliance Matrix\n===========================\n");
    let (mut passed_all, mut claimed_all, mut backends) = (0, 0, 0);
    for (backend, row) in report.matrix() {
        backends += 1;
        let claimed = row
            .values()
            .filter(|c| c.verdict() != Verdict::Planned)
            .count();
        let passed = row
            .values()
            .filter(|c| matches!(c.verdict(), Verdict::Passed { .. }))
            .count();
        let planned = row.len() - claimed;
        passed_all += passed;
        claimed_all += claimed;
        let planned_note = match planned {
            0 => String::new(),
            n => format!(", {n} planned"),
        };
        let _ = writeln!(
            s,
            "\nBackend: {backend} ({passed}/{claimed} interfaces PASS{planned_note})"
        );
        for (interface, cell) in row {
            let line = match cell.verdict() {
                Verdict::Passed { .. } => format!("✓ {interface}"),
                Verdict::Planned => format!("- {interface:<26} planned"),
                Verdict::Failed { passed, total } => format!(
                    "✗ {interface:<26} FAIL {passed}/{total} ({})",
                    text::kinds(cell.outcomes())
                ),
                Verdict::Unavailable { total } => {
                    format!("✗ {interface:<26} UNAVAILABLE 0/{total}")
                }
                Verdict::NoSuite => format!("✗ {interface:<26} NO SUITE"),
                Verdict::Missing => format!("✗ {interface:<26} MISSING (no result reported)"),
            };
            let _ = writeln!(s, "  {}", line.trim_end());
        }
    }
    let _ = writeln!(
        s,
        "\nTotal: {passed_all}/{claimed_all} interfaces PASS across {backends} backends"
    );
    s
}
