//! Generates the interface catalogue from the protos: one interface per
//! `proto/proto/prism/interfaces/<model>/<interface>.proto`, its data model from the directory, and
//! what its suite also calls from `// requires: <interface>, ...` (always) and
//! `// uses: <interface>, ...` (only when the plugin serves it) header lines. Nothing lists the
//! interfaces by hand, so adding one is adding its proto (and its suite).
//!
//! The proc-macro depends on this crate, so this reads the files as text (no protox, no tonic).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const PROTOS: &str = "../proto/proto/prism/interfaces";

struct Interface {
    name: String,
    model: String,
    requires: Vec<String>,
    uses: Vec<String>,
    proto: String,
}

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join(PROTOS);
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed=build.rs");
    let mut interfaces = read(&root);
    // By model, then each model's `_basic` (the one the others build on) first, then by name.
    interfaces.sort_by(|a, b| {
        (&a.model, !a.name.ends_with("_basic"), &a.name).cmp(&(
            &b.model,
            !b.name.ends_with("_basic"),
            &b.name,
        ))
    });
    check(&interfaces);

    let mut out = String::new();
    writeln!(
        out,
        "/// Every interface, one per proto, by model (`_basic` first), then by name."
    )
    .unwrap();
    writeln!(out, "pub const INTERFACES: &[Interface] = &[").unwrap();
    for i in &interfaces {
        writeln!(
            out,
            "    Interface {{ name: {:?}, model: {:?}, requires: &{:?}, uses: &{:?}, proto: {:?} }},",
            i.name, i.model, i.requires, i.uses, i.proto
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();
    let mut models: Vec<&str> = interfaces.iter().map(|i| i.model.as_str()).collect();
    models.dedup();
    writeln!(out, "/// Every data model, sorted.").unwrap();
    writeln!(out, "pub const MODELS: &[&str] = &{models:?};").unwrap();
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("catalogue.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("write {}: {e}", dest.display()));
}

fn read(root: &Path) -> Vec<Interface> {
    let mut out = Vec::new();
    for model_dir in entries(root) {
        if !model_dir.is_dir() {
            continue;
        }
        let model = file_name(&model_dir);
        for file in entries(&model_dir) {
            if file.extension().is_none_or(|e| e != "proto") {
                continue;
            }
            let name = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let shown = format!("proto/proto/prism/interfaces/{model}/{name}.proto");
            if !name.starts_with(&format!("{model}_")) {
                panic!("{shown}: an interface of the `{model}` model is named `{model}_<flavor>`");
            }
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{shown}: {e}"));
            let requires = header_list(&text, "requires", &shown);
            let uses = header_list(&text, "uses", &shown);
            out.push(Interface {
                name,
                model: model.clone(),
                requires,
                uses,
                proto: shown,
            });
        }
    }
    if out.is_empty() {
        panic!("no interface protos under {}", root.display());
    }
    out
}

/// The interface names of every `// <key>: a, b` line of a proto.
fn header_list(text: &str, key: &str, shown: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("//").map(str::trim_start) else {
            continue;
        };
        let Some(list) = rest.strip_prefix(key).and_then(|r| r.strip_prefix(':')) else {
            continue;
        };
        for r in list.split(',').map(str::trim) {
            if r.is_empty()
                || !r
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                panic!(
                    "{shown}: `// {key}:` lists interface names separated by commas, got `{}`",
                    list.trim()
                );
            }
            names.push(r.to_owned());
        }
    }
    names
}

fn check(interfaces: &[Interface]) {
    for i in interfaces {
        for (key, list) in [("requires", &i.requires), ("uses", &i.uses)] {
            for r in list {
                if r == &i.name || !interfaces.iter().any(|j| &j.name == r) {
                    panic!("{}: `// {key}: {r}` names no other interface", i.proto);
                }
            }
        }
        if let Some(both) = i.uses.iter().find(|u| i.requires.contains(u)) {
            panic!(
                "{}: `{both}` is under both `// requires:` and `// uses:`",
                i.proto
            );
        }
    }
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    v.sort();
    v
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned()
}
