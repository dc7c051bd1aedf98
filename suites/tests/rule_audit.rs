//! Keeps `docs/rule-audit.md` true: every rule a proto header states has a row, in order, and every
//! case a row names is in the catalogue (see the document's introduction for how rules are cut).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use prism_suite::catalogue;

/// Keeps the suites linked in, so that their cases are in the catalogue.
use prism_suites as _;

/// Phrases that introduce rules without being one.
const PREFIXES: &[&str] = &[
    "Rules the suite pins, on small graphs with known answers:",
    "Rules the suite pins:",
    "Choices shared by the other queue interfaces:",
    "Choices:",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("suites/ has a parent")
        .to_path_buf()
}

/// The comment lines a proto starts with, without `//`.
fn header(text: &str) -> Vec<&str> {
    text.lines()
        .take_while(|l| l.starts_with("//"))
        .map(|l| l[2..].trim_end())
        .collect()
}

/// Splits a paragraph into rules: after `.` or `;` followed by a blank and a letter or quote,
/// outside parentheses, brackets and backticks (a `;` ends a rule before anything).
fn sentences(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let (mut parts, mut depth, mut start, mut code) = (Vec::new(), 0usize, 0usize, false);
    for i in 0..chars.len() {
        let c = chars[i];
        if c == '`' {
            code = !code;
        } else if code {
            continue;
        } else if c == '(' || c == '[' {
            depth += 1;
        } else if c == ')' || c == ']' {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && (c == '.' || c == ';') && i + 2 < chars.len() && chars[i + 1] == ' '
        {
            let next = chars[i + 2];
            if c == ';' || next.is_alphabetic() || matches!(next, '`' | '"' | '\'') {
                parts.push(
                    chars[start..=i]
                        .iter()
                        .collect::<String>()
                        .trim()
                        .to_owned(),
                );
                start = i + 2;
            }
        }
    }
    parts.push(chars[start..].iter().collect::<String>().trim().to_owned());
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// The rules of a header, in order: every sentence but the first (which names the interface and
/// its calls), a `- ` item starting a paragraph of its own, `requires:` and `uses:` lines skipped.
fn rules(lines: &[&str]) -> Vec<String> {
    let mut paragraphs: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("requires:") || trimmed.starts_with("uses:") {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(item) = line.trim_start_matches(' ').strip_prefix("- ") {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            current.push(item.trim().to_owned());
            continue;
        }
        current.push(trimmed.to_owned());
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    let mut out = Vec::new();
    for (n, paragraph) in paragraphs.iter().enumerate() {
        let mut sentences = sentences(&paragraph.join(" "));
        if n == 0 && !sentences.is_empty() {
            sentences.remove(0);
        }
        for mut rule in sentences {
            for prefix in PREFIXES {
                if let Some(rest) = rule.strip_prefix(prefix) {
                    rule = rest.trim().to_owned();
                }
            }
            if !rule.is_empty() {
                out.push(normalize(&rule));
            }
        }
    }
    out
}

fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One row of the audit: the rule and its cases cell.
struct Row {
    line: usize,
    rule: String,
    cases: String,
}

/// The audit's rows by interface.
fn audit(text: &str) -> BTreeMap<String, Vec<Row>> {
    let mut out: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let mut section: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix("## ") {
            section = Some(name.trim().to_owned());
            out.entry(name.trim().to_owned()).or_default();
            continue;
        }
        if !line.starts_with("| ") || line.starts_with("| rule |") {
            continue;
        }
        let Some(section) = &section else { continue };
        // Split on `|` not escaped as `\|`.
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut chars = line.trim().trim_start_matches('|').chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'|') => {
                    cell.push('|');
                    chars.next();
                }
                '|' => cells.push(std::mem::take(&mut cell)),
                c => cell.push(c),
            }
        }
        assert_eq!(
            cells.len(),
            2,
            "docs/rule-audit.md:{}: a row has two cells",
            i + 1
        );
        out.entry(section.clone()).or_default().push(Row {
            line: i + 1,
            rule: normalize(&cells[0]),
            cases: cells[1].trim().to_owned(),
        });
    }
    out
}

/// Every interface's proto, by interface name.
fn protos() -> BTreeMap<String, PathBuf> {
    let dir = root().join("proto/proto/prism/interfaces");
    let mut out = BTreeMap::new();
    for model in std::fs::read_dir(&dir).expect("interfaces directory") {
        let model = model.expect("directory entry").path();
        for file in std::fs::read_dir(&model).expect("model directory") {
            let path = file.expect("directory entry").path();
            if path.extension().is_some_and(|e| e == "proto") {
                let name = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .expect("UTF-8 file name")
                    .to_owned();
                out.insert(name, path);
            }
        }
    }
    out
}

#[test]
fn every_proto_rule_has_a_row_naming_cases_that_exist() {
    let text =
        std::fs::read_to_string(root().join("docs/rule-audit.md")).expect("docs/rule-audit.md");
    let table = audit(&text);
    let protos = protos();
    assert_eq!(protos.len(), 45, "the 45 interfaces have a proto each");
    let mut problems = Vec::new();
    for (interface, path) in &protos {
        let source = std::fs::read_to_string(path).expect("proto");
        let stated = rules(&header(&source));
        let Some(rows) = table.get(interface) else {
            problems.push(format!("{interface}: no `## {interface}` section"));
            continue;
        };
        for (i, rule) in stated.iter().enumerate() {
            match rows.get(i) {
                Some(row) if row.rule == *rule => {}
                Some(row) => problems.push(format!(
                    "{interface}: rule {} of {} is\n    {rule}\n  but row docs/rule-audit.md:{} says\n    {}",
                    i + 1,
                    path.display(),
                    row.line,
                    row.rule
                )),
                None => problems.push(format!(
                    "{interface}: rule {} of {} has no row:\n    {rule}",
                    i + 1,
                    path.display()
                )),
            }
        }
        for row in rows.iter().skip(stated.len()) {
            problems.push(format!(
                "docs/rule-audit.md:{}: {interface} states no such rule any more: {}",
                row.line, row.rule
            ));
        }
        for row in rows {
            if let Some(reason) = row.cases.strip_prefix('—') {
                if reason.trim().is_empty() {
                    problems.push(format!(
                        "docs/rule-audit.md:{}: a row without cases must say why",
                        row.line
                    ));
                }
                continue;
            }
            let names: Vec<&str> = row.cases.split('`').skip(1).step_by(2).collect();
            if names.is_empty() {
                problems.push(format!("docs/rule-audit.md:{}: no case named", row.line));
            }
            for name in names {
                let (owner, case) = name.split_once("::").unwrap_or((interface, name));
                if catalogue::find(owner, case).is_none() {
                    problems.push(format!(
                        "docs/rule-audit.md:{}: {owner} has no case `{case}`",
                        row.line
                    ));
                }
            }
        }
    }
    for interface in table.keys() {
        if !protos.contains_key(interface) {
            problems.push(format!(
                "docs/rule-audit.md: `## {interface}` names no interface"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/rule-audit.md is out of date:\n{}",
        problems.join("\n")
    );
}

#[test]
fn rules_are_cut_at_sentences_and_semicolons_outside_brackets_and_code() {
    let header = [
        " demo: A, B.",
        "",
        " Rules the suite pins: A is x; B is y (one; two). Then `(z` holds.",
        "   - An item. Another: it",
        " requires: keyvalue_basic",
    ];
    assert_eq!(
        rules(&header),
        [
            "A is x;",
            "B is y (one; two).",
            "Then `(z` holds.",
            "An item.",
            "Another: it"
        ]
    );
}
