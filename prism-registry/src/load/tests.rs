//! Which files a registry directory holds, and the checks across files.

use super::*;

/// A fresh directory with `files` (name, text) in it; removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str, files: &[(&str, &str)]) -> Dir {
        let dir = std::env::temp_dir().join(format!(
            "prism-registry-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("create dir");
            std::fs::write(&path, text).expect("write");
        }
        std::fs::create_dir_all(&dir).expect("create dir");
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const A: &str = "backend: a\nplugin: built-in\nimplements: [keyvalue_basic]\n";
const B: &str = "backend: b\nplugin: built-in\nimplements: [keyvalue_basic]\n";

fn names(reg: &Registry) -> Vec<&str> {
    reg.backends.iter().map(|b| b.name.as_str()).collect()
}

#[test]
fn upper_case_extensions_are_read() {
    let dir = Dir::new("ext", &[("a.YAML", A), ("b.Yml", B)]);
    let reg = load_dir(&dir.0).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(names(&reg), ["a", "b"]);
    assert_eq!(reg.sources.len(), 2);
    assert_eq!(reg.sources[0].text, A);
}

#[test]
fn a_subdirectory_is_an_error_not_skipped() {
    let dir = Dir::new("sub", &[("a.yaml", A), ("more/b.yaml", B)]);
    let e = load_dir(&dir.0).expect_err("subdirectory");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].kind, ErrorKind::UnexpectedFile);
    assert!(e[0].file.ends_with("more"), "{e:?}");
    assert!(
        e[0].message
            .starts_with("is a directory; registry files are read from"),
        "{e:?}"
    );
}

#[test]
fn an_odd_extension_is_an_error_not_skipped() {
    let dir = Dir::new(
        "odd",
        &[("a.yaml", A), ("b.yaml.bak", B), ("notes.txt", "x")],
    );
    let e = load_dir(&dir.0).expect_err("odd files");
    let files: Vec<_> = e
        .iter()
        .map(|e| {
            (
                e.kind,
                e.file.file_name().map(|f| f.to_string_lossy().into_owned()),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            (ErrorKind::UnexpectedFile, Some("b.yaml.bak".to_owned())),
            (ErrorKind::UnexpectedFile, Some("notes.txt".to_owned()))
        ]
    );
    assert_eq!(e[0].to_string(), format!("{}: is not a registry file: the directory holds one `<backend>.yaml` per backend; name it `.yaml` to have it read, or move it out", dir.0.join("b.yaml.bak").display()));
}

#[test]
fn hidden_files_are_skipped() {
    let dir = Dir::new(
        "hidden",
        &[
            ("a.yaml", A),
            (".a.yaml.swp", "binary junk: ["),
            (".gitkeep", ""),
        ],
    );
    let reg = load_dir(&dir.0).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(names(&reg), ["a"]);
}

#[test]
fn duplicate_backend_across_files() {
    let dir = Dir::new("dup", &[("a.yaml", A), ("b.yaml", "# the same name\nbackend: a\nplugin: built-in\nimplements: [keyvalue_scan, keyvalue_basic]\n")]);
    let e = load_dir(&dir.0).expect_err("duplicate must fail");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].kind, ErrorKind::DuplicateBackend);
    assert!(
        e[0].file.ends_with("b.yaml") && (e[0].line, e[0].column) == (2, 10),
        "{e:?}"
    );
    assert_eq!(
        e[0].message,
        "backend `a` is already declared in a.yaml; backend names must be unique"
    );
}

#[test]
fn every_mistake_of_every_file_at_once() {
    let dir = Dir::new(
        "all",
        &[
            (
                "a.yaml",
                "backend: a\nplugin: built-in\nimplements: [keyvalue_basik]\n",
            ),
            ("b.yaml", "backend: b\nimplements: [keyvalue_basic]\n"),
        ],
    );
    let e = load_dir(&dir.0).expect_err("two files, two mistakes");
    let kinds: Vec<_> = e.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [ErrorKind::UnknownInterface, ErrorKind::NoPlugin]);
}

#[test]
fn a_missing_directory_or_unreadable_file() {
    let e = load_dir(Path::new("/nonexistent/prism/registry")).expect_err("missing dir");
    assert_eq!(e[0].kind, ErrorKind::Io);
    assert!(
        e[0].message
            .starts_with("cannot read the registry directory: "),
        "{e:?}"
    );
    let dir = Dir::new("utf8", &[("a.yaml", "")]);
    std::fs::write(dir.0.join("a.yaml"), b"backend: \xff\n").expect("write");
    let e = load_dir(&dir.0).expect_err("not UTF-8");
    assert_eq!(e[0].kind, ErrorKind::Io);
}

#[test]
fn sources_load_without_the_file_system() {
    let sources = vec![
        Source {
            path: "registry/backends/b.yaml".into(),
            text: B.into(),
        },
        Source {
            path: "registry/backends/a.yaml".into(),
            text: A.into(),
        },
    ];
    let reg = load_sources(Path::new("/nowhere"), sources).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(names(&reg), ["a", "b"]);
    assert_eq!(
        reg.backend("a").map(|b| b.file.clone()),
        Some(PathBuf::from("registry/backends/a.yaml"))
    );
}
