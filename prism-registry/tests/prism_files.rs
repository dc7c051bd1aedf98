//! Prism's own registry files, as Prism writes them (`tests/fixtures/prism-data-layer/`).

use std::path::{Path, PathBuf};

use prism_registry::{ClaimStatus, ErrorKind, MetaValue, PluginSpec};

fn original(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/prism-data-layer")
        .join(name)
}

/// The copies `suites/tests/prism_files.rs` compiles into tests.
fn compiled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites/tests/fixtures/prism")
}

#[test]
fn postgres_as_prism_writes_it_lacks_only_the_plugin() {
    let e = prism_registry::load_file(&original("postgres.yaml")).expect_err("no plugin line");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].kind, ErrorKind::NoPlugin);
    assert_eq!((e[0].line, e[0].column), (5, 1), "{e:?}");
}

#[test]
fn meilisearch_names_its_plugin_by_a_bare_string() {
    let e =
        prism_registry::load_file(&original("meilisearch.yaml")).expect_err("bare plugin string");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].kind, ErrorKind::NoPlugin);
    assert_eq!((e[0].line, e[0].column), (3, 9));
    assert!(e[0].message.starts_with("`plugin: prism-meilisearch:v1.0.0` names no way to start the plugin (it reads like an image or package reference"), "{e:?}");
}

#[test]
fn memstore_loads_as_it_is() {
    let b = prism_registry::load_file(&original("memstore.yaml")).expect("Prism's memstore.yaml");
    assert_eq!(b.name, "memstore");
    let claims: Vec<_> = b.claims.iter().map(|c| c.interface.as_str()).collect();
    assert_eq!(
        claims,
        [
            "keyvalue_basic",
            "keyvalue_ttl",
            "list_basic",
            "list_indexing",
            "list_range",
            "list_blocking"
        ]
    );
    assert!(b.metadata.contains_key("capabilities") && b.metadata.contains_key("performance"));
}

#[test]
fn the_compiled_copies_load_with_their_metadata_and_reasons() {
    let reg = prism_registry::load_dir(&compiled_dir()).unwrap_or_else(|e| panic!("{e:#?}"));
    let names: Vec<_> = reg.backends.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["memstore_go", "postgres"]);
    let pg = reg.backend("postgres").expect("postgres");
    assert_eq!(
        pg.plugin,
        PluginSpec::BuiltIn {
            name: "memstore".into()
        }
    );
    let implemented: Vec<_> = pg.implemented().map(|c| c.interface.as_str()).collect();
    assert_eq!(implemented, ["keyvalue_basic", "keyvalue_scan"]);
    let planned: Vec<_> = pg
        .claims
        .iter()
        .filter(|c| c.status == ClaimStatus::Planned)
        .collect();
    assert_eq!(planned.len(), 14);
    assert!(
        planned.iter().all(|c| c
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("Implementation pending"))),
        "{planned:#?}"
    );
    let basic = &pg.claims[0];
    assert_eq!((basic.line, basic.column), (33, 18));
    assert_eq!(
        basic.metadata.get("version"),
        Some(&MetaValue::String("1.0.0".into()))
    );
    assert_eq!(
        basic.metadata.get("test_coverage"),
        Some(&MetaValue::String("100%".into()))
    );
    assert_eq!(
        pg.metadata.get("version"),
        Some(&MetaValue::String("0.1.0".into()))
    );
}

#[test]
fn mistakes_in_a_real_file_are_placed_at_their_node() {
    let text = std::fs::read_to_string(compiled_dir().join("postgres.yaml")).expect("fixture");
    let bad = text
        .replacen("status: implemented", "status: implemnted", 1)
        .replacen(
            "- interface: keyvalue_scan",
            "- interface: keyvalue_sacn",
            1,
        );
    let e = prism_registry::parse_str(Path::new("postgres.yaml"), &bad).expect_err("two mistakes");
    let shown: Vec<String> = e.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "postgres.yaml:35:15: unknown status `implemnted` of `keyvalue_basic`; did you mean `implemented`?",
            "postgres.yaml:48:18: unknown interface `keyvalue_sacn`; did you mean `keyvalue_scan`?",
        ]
    );
}

#[test]
fn the_compiled_copies_differ_only_by_plugin_and_name_lines() {
    for (copy, from, changed) in [
        ("postgres.yaml", "postgres.yaml", &["plugin:"][..]),
        (
            "memstore_go.yaml",
            "memstore.yaml",
            &["plugin:", "backend:"][..],
        ),
    ] {
        let copy_text = std::fs::read_to_string(compiled_dir().join(copy)).expect("copy");
        let orig_text = std::fs::read_to_string(original(from)).expect("original");
        let kept: Vec<&str> = copy_text
            .lines()
            .filter(|l| !changed.iter().any(|c| l.starts_with(c)))
            .collect();
        let orig: Vec<&str> = orig_text
            .lines()
            .filter(|l| !changed.iter().any(|c| l.starts_with(c)))
            .collect();
        assert_eq!(
            kept, orig,
            "{copy} differs from Prism's {from} beyond {changed:?} lines"
        );
    }
}
