//! One self-contained HTML page: a colour grid of interfaces (rows) x backends (columns); a
//! cell that did not pass opens, with `<details>` (no script), the failures of its cases, each
//! with its message, the test's full text and the commands that rerun it.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{text, Cell, RunReport, Verdict};

const STYLE: &str = r#"
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1f2328; }
h1 { font-size: 1.4em; }
table.matrix { border-collapse: collapse; }
table.matrix th, table.matrix td { border: 1px solid #d0d7de; padding: 3px 8px; vertical-align: top; }
table.matrix thead th { background: #f6f8fa; }
table.matrix tbody th { text-align: left; font-family: ui-monospace, monospace; font-weight: normal; }
td.pass { background: #dafbe1; }
td.fail { background: #ffd7d5; }
td.planned { background: #eaeef2; color: #57606a; }
td.missing { background: #fff1c2; }
td.none { background: #fff; }
td { white-space: nowrap; }
td .failure { white-space: normal; }
p.message { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; }
summary { cursor: pointer; }
details .failure { margin: 0.5em 0; padding: 0.5em; background: #fff; border-left: 3px solid #cf222e; max-width: 70em; }
pre { white-space: pre-wrap; font-size: 12px; margin: 0.3em 0; }
code { font-size: 12px; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border: 1px solid #d0d7de; }
"#;

/// The page for `report`, titled `title`.
pub fn page(report: &RunReport, title: &str) -> String {
    let matrix = report.matrix();
    let interfaces: BTreeSet<&str> = matrix
        .values()
        .flat_map(|row| row.keys().copied())
        .collect();
    let t = report.totals();
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(title),
        escape(title)
    );
    let _ = writeln!(
        s,
        "<p id=\"totals\">{} of {} cases passed; {} planned, {} missing, {} without a suite. Verdict: <strong>{}</strong>.</p>",
        t.passed,
        t.passed + t.failed,
        t.planned,
        t.missing,
        t.no_suite,
        if report.passed() { "PASS" } else { "FAIL" }
    );
    s += "<p class=\"legend\"><span class=\"pass\" style=\"background:#dafbe1\">pass</span><span style=\"background:#ffd7d5\">fail</span><span style=\"background:#eaeef2\">planned</span><span style=\"background:#fff1c2\">missing</span></p>\n";
    s += "<table class=\"matrix\" id=\"matrix\">\n<thead><tr><th>interface</th>";
    for backend in matrix.keys() {
        let _ = write!(s, "<th>{}</th>", escape(backend));
    }
    s += "</tr></thead>\n<tbody>\n";
    for interface in &interfaces {
        let _ = write!(s, "<tr><th>{}</th>", escape(interface));
        for row in matrix.values() {
            match row.get(interface) {
                Some(cell) => cell_html(&mut s, cell),
                None => s += "<td class=\"none\"></td>",
            }
        }
        s += "</tr>\n";
    }
    s += "</tbody>\n</table>\n</body>\n</html>\n";
    s
}

fn cell_html(s: &mut String, cell: &Cell) {
    let (class, label) = match cell.verdict() {
        Verdict::Passed { total } => ("pass", format!("✓ {total}/{total}")),
        Verdict::Failed { passed, total } => ("fail", format!("✗ {passed}/{total}")),
        Verdict::Unavailable { total } => ("fail", format!("✗ unavailable 0/{total}")),
        Verdict::Planned => ("planned", "planned".to_owned()),
        Verdict::NoSuite => ("fail", "✗ no suite".to_owned()),
        Verdict::Missing => ("missing", "? missing".to_owned()),
    };
    let id = format!("{}::{}", cell.backend, cell.interface);
    let _ = write!(
        s,
        "<td class=\"{class}\" data-cell=\"{}\" data-verdict=\"{class}\">",
        escape(&id)
    );
    let failures: Vec<_> = cell.outcomes().iter().filter(|o| !o.passed()).collect();
    match cell.verdict() {
        Verdict::Missing => {
            let _ = write!(
                s,
                "<details><summary>{label}</summary><p>claimed, but no result for any of its cases was reported (its job did not run or its results were not uploaded)</p></details>"
            );
        }
        Verdict::Planned => {
            let reason = match &cell.result {
                super::CellResult::Planned { reason: Some(r) } => r.as_str(),
                _ => "",
            };
            if reason.is_empty() {
                *s += &label;
            } else {
                let _ = write!(s, "<span title=\"{}\">{label}</span>", escape(reason));
            }
        }
        _ if failures.is_empty() => *s += &label,
        _ => {
            let _ = write!(s, "<details><summary>{label}</summary>");
            for o in failures {
                let Some(failure) = &o.failure else { continue };
                let _ = write!(
                    s,
                    "<div class=\"failure\" data-case=\"{}\"><strong>{}</strong> ({})<p class=\"message\">{}</p><pre>{}</pre><p>rerun:<br><code class=\"rerun\">{}</code><br><code class=\"rerun\">{}</code></p></div>",
                    escape(&o.id.to_string()),
                    escape(&o.id.case),
                    failure.kind(),
                    escape(&failure.headline()),
                    escape(&text::failure(o)),
                    escape(&o.rerun.nextest),
                    escape(&o.rerun.cargo_test),
                );
            }
            *s += "</details>";
        }
    }
    *s += "</td>";
}

/// Text made safe for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&#39;",
            c => out.push(c),
        }
    }
    out
}
