//! The `// requires:` and `// uses:` lines of the protos say what each suite calls besides its own
//! interface (always, or only when served). This
//! reads the suites (`suites/src/<model>/*.rs`, with the helpers of each model's `mod.rs`) and fails
//! when a proto's lines and the calls disagree, naming the proto and the line to write.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `cx.<interface>()` calls in `text` (any receiver: `cx`, `self`, a helper's argument).
fn calls(text: &str) -> BTreeSet<&'static str> {
    prism_registry::INTERFACES
        .iter()
        .map(|i| i.name)
        .filter(|name| text.contains(&format!(".{name}()")))
        .collect()
}

/// The text without `//` comments (doc comments mention `fn` and interface names in prose).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if l[..i].chars().last().is_none_or(char::is_whitespace) => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `name(` occurs in `text` as a call of that identifier.
fn calls_fn(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().last();
        let after = text[i + name.len()..].trim_start();
        !before.is_some_and(is_ident) && after.starts_with('(')
    })
}

/// Every `fn name ... { body }` of `text`, by name.
fn functions(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (i, _) in text.match_indices("fn ") {
        if text[..i].chars().last().is_some_and(is_ident) {
            continue;
        }
        let rest = &text[i + 3..];
        let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
        let Some(open) = rest.find('{') else { continue };
        if name.is_empty() {
            continue;
        }
        let mut depth = 0;
        let mut end = open;
        for (j, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.insert(name, rest[..=end].to_owned());
    }
    out
}

/// What each helper of a model's `mod.rs` calls, directly or through other helpers.
fn helpers(mod_rs: &str) -> BTreeMap<String, BTreeSet<&'static str>> {
    let fns = functions(mod_rs);
    let mut uses: BTreeMap<String, BTreeSet<&'static str>> = fns
        .iter()
        .map(|(n, body)| (n.clone(), calls(body)))
        .collect();
    loop {
        let mut changed = false;
        for (name, body) in &fns {
            for other in fns.keys().filter(|o| *o != name && calls_fn(body, o)) {
                let add = uses[other].clone();
                let set = uses.get_mut(name).expect("known helper");
                let before = set.len();
                set.extend(add);
                changed |= set.len() != before;
            }
        }
        if !changed {
            return uses;
        }
    }
}

/// The helpers a suite file imports from `crate::<model>::...` and calls.
fn imported(
    suite: &str,
    models: &BTreeMap<String, BTreeMap<String, BTreeSet<&'static str>>>,
) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    for (i, _) in suite.match_indices("crate::") {
        let rest = &suite[i + "crate::".len()..];
        let model: String = rest.chars().take_while(|c| is_ident(*c)).collect();
        let Some(helpers) = models.get(&model) else {
            continue;
        };
        let names = &rest[model.len()..];
        let names = names.strip_prefix("::").unwrap_or_default();
        let names = if let Some(group) = names.strip_prefix('{') {
            &group[..group.find('}').unwrap_or(group.len())]
        } else {
            &names[..names.find(|c: char| !is_ident(c)).unwrap_or(names.len())]
        };
        for name in names.split(',').map(str::trim) {
            if let Some(uses) = helpers.get(name).filter(|_| calls_fn(suite, name)) {
                out.extend(uses.iter().copied());
            }
        }
    }
    out
}

#[test]
fn requires_lines_match_what_the_suites_call() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites/src");
    let mut models = BTreeMap::new();
    for model in prism_registry::MODELS {
        let text = std::fs::read_to_string(src.join(model).join("mod.rs"))
            .unwrap_or_else(|e| panic!("suites/src/{model}/mod.rs: {e}"));
        models.insert((*model).to_owned(), helpers(&code(&text)));
    }
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for model in prism_registry::MODELS {
        let dir = src.join(model);
        for entry in std::fs::read_dir(&dir).expect("suite dir") {
            let path = entry.expect("entry").path();
            if path.file_name().is_some_and(|n| n == "mod.rs") {
                continue;
            }
            let text = code(&std::fs::read_to_string(&path).expect("suite file"));
            let Some(own) = text
                .split("interface_suite(\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
            else {
                continue;
            };
            let def = prism_registry::interface(own)
                .unwrap_or_else(|| panic!("{}: unknown interface {own}", path.display()));
            seen.insert(own.to_owned());
            let mut used = calls(&text);
            used.extend(imported(&text, &models));
            used.remove(own);
            let declared: BTreeSet<&str> = def.requires.iter().chain(def.uses).copied().collect();
            if used != declared {
                let line = used.iter().copied().collect::<Vec<_>>().join(", ");
                problems.push(format!(
                    "{}: its suite ({}) calls {used:?} besides {own}, the proto's requires and uses say {declared:?}: {}",
                    def.proto,
                    path.strip_prefix(src.parent().expect("suites")).unwrap_or(&path).display(),
                    if used.is_empty() { "remove its `// requires:` line".to_owned() } else { format!("list {line} under `// requires:` (always called) or `// uses:` (called only when served) in its header") }
                ));
            }
        }
    }
    assert_eq!(
        seen.len(),
        prism_registry::INTERFACES.len(),
        "a suite per interface: {seen:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_scan_sees_helpers_and_imports() {
    let mod_rs = "fn put(cx: &Case) { put_in(cx) }\nfn put_in(cx: &Case) { let kv = cx.keyvalue_basic(); }\nfn other() {}\n";
    let h = helpers(mod_rs);
    assert_eq!(h["put"], BTreeSet::from(["keyvalue_basic"]));
    assert!(h["other"].is_empty());
    let models = BTreeMap::from([("keyvalue".to_owned(), h)]);
    let suite = "use crate::keyvalue::{at_caller, put};\nasync fn c(cx: &mut Case) { put(cx).await?; cx.keyvalue_scan(); }";
    assert_eq!(imported(suite, &models), BTreeSet::from(["keyvalue_basic"]));
    assert_eq!(calls(suite), BTreeSet::from(["keyvalue_scan"]));
    assert!(
        imported("use crate::keyvalue::put;\n", &models).is_empty(),
        "imported but not called"
    );
}
