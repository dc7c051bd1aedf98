//! The registry compiled into a test binary.
//!
//! `compliance_matrix!()` embeds the exact text of every registry file it read in a `static`
//! [`EmbeddedRegistry`]; at run time the same loader parses that text, once per process. Nothing
//! at run time reads `registry/backends/`, so the YAML the tests were generated from is the YAML
//! they run with, and a test binary moved to another directory or machine (a nextest archive, a
//! CI shard) runs the same cases.
//!
//! What still depends on the checkout: [`EmbeddedRegistry::root`] (`PRISM_ROOT`), the directory
//! a process plugin's `build` step runs in and its relative `command` resolves against. Built-in
//! plugins need nothing from it; a process plugin given by an absolute path or `${PRISM_BIN_DIR}`
//! with no `build` step needs only its binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use prism_registry::{Backend, Registry, RegistryError, Source};

/// Overrides [`EmbeddedRegistry::root`]: where a moved test binary finds the checkout.
pub const ROOT_ENV: &str = "PRISM_ROOT";

/// A registry compiled in by `compliance_matrix!()`, parsed on first use.
///
/// ```
/// use prism_suite::{EmbeddedFile, EmbeddedRegistry};
///
/// static REGISTRY: EmbeddedRegistry = EmbeddedRegistry::new(
///     "/src/project/registry/backends",
///     "/src/project",
///     &[EmbeddedFile {
///         path: "registry/backends/memstore.yaml",
///         text: "backend: memstore\nplugin: built-in\nimplements: [keyvalue_basic]\n",
///     }],
/// );
///
/// let memstore = REGISTRY.backend("memstore").unwrap();
/// assert_eq!(memstore.claims[0].interface, "keyvalue_basic");
/// assert!(REGISTRY.backend("redis").is_err());
/// ```
pub struct EmbeddedRegistry {
    dir: &'static str,
    root: &'static str,
    files: &'static [EmbeddedFile],
    parsed: OnceLock<Result<Registry, Vec<RegistryError>>>,
}

/// One embedded registry file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedFile {
    /// The file as messages name it, relative to the package or workspace
    /// (`registry/backends/redis.yaml`).
    pub path: &'static str,
    /// Its text, byte for byte as the macro read it.
    pub text: &'static str,
}

/// The embedded registry cannot serve a backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbeddedError {
    /// The embedded text does not load. The macro loaded the same text, so this means the loader
    /// of this binary differs from the macro's (mixed builds).
    #[error("the registry compiled into this test binary (from {dir}) does not load:\n{}", list(.errors))]
    Invalid {
        /// The directory it was compiled from.
        dir: String,
        /// Every mistake.
        errors: Vec<RegistryError>,
    },
    /// No backend of that name was compiled in.
    #[error("backend `{backend}` is not in the registry compiled into this test binary (from {dir}; it has {})", .known.join(", "))]
    NoBackend {
        /// The name asked for.
        backend: String,
        /// The directory it was compiled from.
        dir: String,
        /// The backends it has.
        known: Vec<String>,
    },
}

fn list(errors: &[RegistryError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl EmbeddedRegistry {
    /// A registry of `files`, compiled from `dir` in the checkout at `root`.
    pub const fn new(
        dir: &'static str,
        root: &'static str,
        files: &'static [EmbeddedFile],
    ) -> Self {
        EmbeddedRegistry {
            dir,
            root,
            files,
            parsed: OnceLock::new(),
        }
    }

    /// The directory the files were read from at compile time; it need not exist at run time.
    pub fn dir(&self) -> &'static Path {
        Path::new(self.dir)
    }

    /// The checkout's root: `PRISM_ROOT` when set, else where the test binary was compiled (the
    /// nearest ancestor of the registry holding `Cargo.lock` or `.git`).
    pub fn root(&self) -> PathBuf {
        std::env::var_os(ROOT_ENV)
            .filter(|r| !r.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(self.root))
    }

    /// The embedded files, in file name order.
    pub fn files(&self) -> &'static [EmbeddedFile] {
        self.files
    }

    /// The parsed registry (parsed on the first call of the process).
    pub fn registry(&self) -> Result<&Registry, EmbeddedError> {
        let parsed = self.parsed.get_or_init(|| {
            let sources = self
                .files
                .iter()
                .map(|f| Source {
                    path: PathBuf::from(f.path),
                    text: f.text.to_owned(),
                })
                .collect();
            prism_registry::load_sources(self.dir(), sources)
        });
        parsed.as_ref().map_err(|errors| EmbeddedError::Invalid {
            dir: self.dir.to_owned(),
            errors: errors.clone(),
        })
    }

    /// The backend called `name`.
    pub fn backend(&self, name: &str) -> Result<&Backend, EmbeddedError> {
        let registry = self.registry()?;
        registry
            .backend(name)
            .ok_or_else(|| EmbeddedError::NoBackend {
                backend: name.to_owned(),
                dir: self.dir.to_owned(),
                known: registry.backends.iter().map(|b| b.name.clone()).collect(),
            })
    }
}

impl std::fmt::Debug for EmbeddedRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedRegistry")
            .field("dir", &self.dir)
            .field("root", &self.root)
            .field(
                "files",
                &self.files.iter().map(|f| f.path).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static TWO: EmbeddedRegistry = EmbeddedRegistry::new(
        "/nowhere/registry/backends",
        "/nowhere",
        &[
            EmbeddedFile {
                path: "registry/backends/b.yaml",
                text: "backend: b\nplugin: built-in\nimplements: [keyvalue_basic]\n",
            },
            EmbeddedFile {
                path: "registry/backends/a.yaml",
                text: "backend: a\nplugin: { builtin: b }\nimplements: [keyvalue_basic, keyvalue_ttl]\n",
            },
        ],
    );

    static BROKEN: EmbeddedRegistry = EmbeddedRegistry::new(
        "/nowhere/registry/backends",
        "/nowhere",
        &[EmbeddedFile {
            path: "registry/backends/x.yaml",
            text: "backend: x\nimplements: [keyvalue_basic]\n",
        }],
    );

    #[test]
    fn parses_the_embedded_text_without_the_directory() {
        assert!(!TWO.dir().exists());
        let names: Vec<_> = TWO
            .registry()
            .expect("loads")
            .backends
            .iter()
            .map(|b| b.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let a = TWO.backend("a").expect("a");
        assert_eq!(a.file, Path::new("registry/backends/a.yaml"));
        assert_eq!(a.claims.len(), 2);
        assert!(
            std::ptr::eq(
                TWO.registry().expect("loads"),
                TWO.registry().expect("loads")
            ),
            "parsed once"
        );
    }

    #[test]
    fn a_missing_backend_or_a_broken_text_says_so() {
        assert_eq!(
            TWO.backend("c").expect_err("no c").to_string(),
            "backend `c` is not in the registry compiled into this test binary (from /nowhere/registry/backends; it has a, b)"
        );
        let e = BROKEN.backend("x").expect_err("no plugin");
        assert!(
            matches!(&e, EmbeddedError::Invalid { errors, .. } if errors.len() == 1),
            "{e:?}"
        );
        assert!(
            e.to_string().contains(
                "registry/backends/x.yaml:1:1: backend `x` has no way to start its plugin"
            ),
            "{e}"
        );
    }

    /// prism-proto generates its interface table from the same protos the registry's catalogue
    /// is generated from: both must name the same interfaces in the same models.
    #[test]
    fn the_proto_and_registry_catalogues_agree() {
        let mut proto: Vec<(&str, &str)> = prism_proto::INTERFACES
            .iter()
            .map(|i| (i.name, i.model))
            .collect();
        let mut registry: Vec<(&str, &str)> = prism_registry::INTERFACES
            .iter()
            .map(|i| (i.name, i.model))
            .collect();
        proto.sort_unstable();
        registry.sort_unstable();
        assert_eq!(proto, registry);
    }
}
