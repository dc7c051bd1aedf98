//! The compliance matrix as people read it: per backend, per interface, passed / failed / planned,
//! as terminal text and as Markdown for a CI summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::harness::Outcome;

/// The verdict on one backend x interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Every case ran: how many passed out of how many.
    Ran {
        /// Cases that passed.
        passed: usize,
        /// Cases run.
        total: usize,
    },
    /// Declared `planned` in the registry.
    Planned,
    /// Claimed, but no suite for the interface is linked in.
    NoSuite,
    /// The backend's plugin could not be provided; the message says why.
    Unavailable(String),
}

impl Cell {
    /// Whether the cell counts against the backend.
    pub fn is_failure(&self) -> bool {
        match self {
            Cell::Ran { passed, total } => passed != total,
            Cell::Planned => false,
            Cell::NoSuite | Cell::Unavailable(_) => true,
        }
    }

    fn short(&self) -> String {
        match self {
            Cell::Ran { passed, total } if passed == total => format!("pass {passed}/{total}"),
            Cell::Ran { passed, total } => format!("FAIL {passed}/{total}"),
            Cell::Planned => "planned".into(),
            Cell::NoSuite => "NO SUITE".into(),
            Cell::Unavailable(_) => "UNAVAILABLE".into(),
        }
    }
}

/// Every verdict of a run, with the failure messages.
#[derive(Debug, Default)]
pub struct Report {
    cells: BTreeMap<String, BTreeMap<String, Cell>>,
    failures: Vec<String>,
}

impl Report {
    /// Records the outcomes of one backend x interface.
    pub fn ran(&mut self, backend: &str, interface: &str, outcomes: &[Outcome]) {
        let passed = outcomes.iter().filter(|o| o.passed()).count();
        self.failures
            .extend(outcomes.iter().filter_map(|o| o.failure.clone()));
        self.set(
            backend,
            interface,
            Cell::Ran {
                passed,
                total: outcomes.len(),
            },
        );
    }

    /// Records a verdict that involved no case.
    pub fn set(&mut self, backend: &str, interface: &str, cell: Cell) {
        if let Cell::Unavailable(why) = &cell {
            self.failures
                .push(format!("{backend}::{interface}: plugin unavailable: {why}"));
        }
        if cell == Cell::NoSuite {
            self.failures.push(format!(
                "{backend}::{interface}: claimed, but no suite for `{interface}` is linked in"
            ));
        }
        self.cells
            .entry(backend.to_owned())
            .or_default()
            .insert(interface.to_owned(), cell);
    }

    /// Whether any claimed interface failed.
    pub fn failed(&self) -> bool {
        self.cells
            .values()
            .flat_map(BTreeMap::values)
            .any(Cell::is_failure)
    }

    /// Totals: (cases passed, cases run).
    pub fn totals(&self) -> (usize, usize) {
        self.cells
            .values()
            .flat_map(BTreeMap::values)
            .fold((0, 0), |(p, t), cell| match cell {
                Cell::Ran { passed, total } => (p + passed, t + total),
                _ => (p, t),
            })
    }

    /// The failure messages, in the order they were recorded.
    pub fn failures(&self) -> &[String] {
        &self.failures
    }

    /// Terminal form: one block per backend, one line per interface.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (backend, row) in &self.cells {
            let _ = writeln!(s, "{backend}");
            for (interface, cell) in row {
                let _ = writeln!(s, "  {interface:<26} {}", cell.short());
            }
        }
        let (passed, total) = self.totals();
        let _ = writeln!(s, "\n{passed} passed, {} failed", total - passed);
        s
    }

    /// Markdown form: backends as rows, interfaces as columns.
    pub fn markdown(&self) -> String {
        let mut interfaces: Vec<&String> = self.cells.values().flat_map(BTreeMap::keys).collect();
        interfaces.sort();
        interfaces.dedup();
        let mut s = String::from("## Interface compliance\n\n| backend |");
        for i in &interfaces {
            let _ = write!(s, " {i} |");
        }
        s += "\n|---|";
        s += &"---|".repeat(interfaces.len());
        s += "\n";
        for (backend, row) in &self.cells {
            let _ = write!(s, "| {backend} |");
            for i in &interfaces {
                let mark = match row.get(*i) {
                    None => String::new(),
                    Some(Cell::Ran { passed, total }) if passed == total => {
                        format!("✅ {passed}/{total}")
                    }
                    Some(Cell::Ran { passed, total }) => format!("❌ {passed}/{total}"),
                    Some(Cell::Planned) => "🕓 planned".into(),
                    Some(Cell::NoSuite) => "❌ no suite".into(),
                    Some(Cell::Unavailable(_)) => "❌ unavailable".into(),
                };
                let _ = write!(s, " {mark} |");
            }
            s += "\n";
        }
        let (passed, total) = self.totals();
        let _ = writeln!(s, "\n{passed} of {total} cases passed.");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_totals() {
        let mut r = Report::default();
        r.set("redis", "keyvalue_cas", Cell::Planned);
        r.set(
            "redis",
            "keyvalue_basic",
            Cell::Ran {
                passed: 3,
                total: 3,
            },
        );
        assert!(!r.failed());
        r.set(
            "pg",
            "keyvalue_basic",
            Cell::Ran {
                passed: 1,
                total: 2,
            },
        );
        assert!(r.failed());
        assert_eq!(r.totals(), (4, 5));
        assert!(r.text().contains("  keyvalue_basic             FAIL 1/2"));
        assert!(
            r.markdown().contains("| pg | ❌ 1/2 |  |"),
            "{}",
            r.markdown()
        );
    }
}
