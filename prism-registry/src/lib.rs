//! The backend registry: which backend claims which interface, and how to start its plugin and
//! its backend instance; and the interface catalogue.
//!
//! `compliance_matrix!()` loads the registry at compile time through this crate and embeds the
//! text it read; the runtime parses that same text with the same loader (`load_sources`), so the
//! two cannot disagree on what a file means.
//!
//! # Discovery
//!
//! [`registry_files`]: every entry of the directory (`registry/backends/`, found upward from the
//! package by [`locate`]) whose name ends in `.yaml` or `.yml`, in any case (`redis.YAML` is read),
//! sorted by name. Names starting with `.` are skipped (editor swap files, `.gitkeep`). Anything
//! else, a subdirectory or another extension (`redis.yaml.bak`, `README.md`), is an
//! [`ErrorKind::UnexpectedFile`]: a file is read or rejected, never skipped in silence.
//!
//! # The file format
//!
//! ```yaml
//! backend: postgres            # or `name:` (Prism's form), not both: a snake_case identifier
//! description: ...             # free text
//! plugin: built-in             # the built-in plugin registered under the backend's name
//! # plugin: { builtin: memstore }   # ... or under another name
//! # plugin:
//! #   command: ["${PRISM_BIN_DIR}/prism-postgres-plugin"]   # a list, or a string split on spaces
//! #   build: ["cargo", "build", "--quiet", "--workspace", "--bins"]
//! #   env: { RUST_LOG: info }
//! #   startup_timeout_ms: 15000
//! implements:                  # the RFC's form ...
//!   - keyvalue_basic
//!   - { interface: keyvalue_cas, status: planned, reason: "..." }
//! interfaces:                  # ... and/or Prism's grouped form
//!   keyvalue:
//!     - interface: keyvalue_scan
//!       status: implemented    # `implemented` (the default) or `planned`, nothing else
//!       version: 1.0.0         # other fields are kept as the claim's metadata
//!       notes: "..."           # a planned entry's reason when it gives no `reason`
//! capabilities: { ... }        # other top-level fields are kept as the backend's metadata
//! instance:                    # optional; see InstanceSpec and the README's "Real backends"
//!   url: "postgres://postgres@${HOST}:${PORT}/postgres"
//!   ports: { main: 5432 }      # or `same`; without `ports`, `docker.port` or one port `main`
//!   ready: [{ log: "..." }, { port: main }, { command: [...] }, { probe: { port, send, expect } }]
//!   setup: [["psql", "-c", "..."]]
//!   startup_timeout_ms: 30000
//!   docker: { image: "postgres:16", args: [...], env: {...}, ready: [...], setup: [...] }
//!   native: { init: [[...]], command: [...], env: {...}, ready: [...], setup: [...] }
//! ```
//!
//! Shorthands: `docker.port: 6379` is `ports: { main: 6379 }`; `ready_log: "..."` (in `instance`,
//! `docker` or `native`) is `ready: [{ log: "..." }]` there. `plugin`, `instance`, `docker`,
//! `native` and `probe` are closed: any other field in them is an error. Everything that decides
//! the test set is typed strictly: a `status` that is empty, a list, a boolean or a number is an
//! error, not "implemented"; a grouped-model key that is not a model (`~`, `1`) is an error, not
//! skipped; a field within a small edit distance of a known one (`implement:`, `reasons:`) is an
//! error even when the known field is present too.
//!
//! # Errors
//!
//! Every [`RegistryError`] names the file, the 1-based line and column of the offending node as
//! the YAML parser saw it (saphyr: YAML 1.2, a span on every node and key), an [`ErrorKind`], and
//! what to write instead, with the nearest valid name where one exists:
//!
//! | kind | example |
//! |---|---|
//! | `Io` | the directory or a file cannot be read, or is not UTF-8 |
//! | `UnexpectedFile` | `registry/backends/old/` (a subdirectory), `redis.yaml.bak` |
//! | `Syntax` | `implements: [a` ; a key given twice; a second document after `---` |
//! | `UnknownField` | `docker: { prot: 6379 }`, `ready: [{ prot: main }]` |
//! | `MisspeltField` | `implemnts:`, `implement:` beside `implements:`, `reasons:` in an entry |
//! | `MissingField` | an empty file; no `backend:`; `instance` without `url`; `docker` without `image` |
//! | `WrongType` | `status: true`, `status:`, `implements: keyvalue_basic`, `ports: 5432` |
//! | `InvalidValue` | `status: done`, `port: 0`, `command: []`, `backend:` and `name:` both |
//! | `UnknownInterface` | `keyvalue_sacn` (did you mean `keyvalue_scan`?) |
//! | `UnknownModel` | `interfaces: { keyvalues: [...] }`, `~:`, `1:` |
//! | `WrongModel` | `list_basic` under `keyvalue:` |
//! | `DuplicateInterface` | an interface claimed twice in one file |
//! | `MissingRequirement` | `keyvalue_scan` implemented without `keyvalue_basic` (`// requires:`) |
//! | `BadName` | `backend: My-Redis`, `backend: type` |
//! | `ReservedName` | `backend: prism_suite` (see [`RESERVED_NAMES`]) |
//! | `DuplicateBackend` | two files declaring `backend: redis` |
//! | `NoPlugin` | no `plugin:`; `plugin: prism-meilisearch:v1.0.0` (a bare string is not a command) |
//! | `NoInterfaces` | neither `implements` nor `interfaces` |
//!
//! # The catalogue
//!
//! [`INTERFACES`] is generated by this crate's build script from
//! `proto/proto/prism/interfaces/<model>/<interface>.proto`: one interface per proto, its model
//! from the directory, and [`Interface::requires`] from `// requires: <interface>, ...` header
//! lines, which say which other interfaces the interface's suite calls (to seed or read back).
//! A backend that implements an interface must implement what it requires. Adding an interface
//! is adding its proto and its suite; nothing lists the interfaces by hand.
//!
//! ```
//! let scan = prism_registry::interface("keyvalue_scan").unwrap();
//! assert_eq!((scan.model, scan.requires), ("keyvalue", &["keyvalue_basic"][..]));
//!
//! let e = prism_registry::parse_str(
//!     "redis.yaml".as_ref(),
//!     "backend: redis\nplugin: built-in\nimplements:\n  - interface: keyvalue_basic\n    status: true\n",
//! )
//! .unwrap_err();
//! assert_eq!(e[0].kind, prism_registry::ErrorKind::WrongType);
//! assert_eq!(e[0].to_string(), "redis.yaml:5:13: `status` of `keyvalue_basic` is a boolean (`true`); write `implemented` or `planned`");
//! ```

mod catalogue;
mod error;
mod load;
mod model;
mod parse;
mod yaml;

pub use catalogue::{
    interface, is_interface, model_of, nearest, nearest_interface, Interface, INTERFACES, MODELS,
};
pub use error::{ErrorKind, RegistryError};
pub use load::{
    load_dir, load_file, load_sources, locate, parse_str, project_root, registry_files,
};
pub use model::{
    Backend, Claim, ClaimStatus, ContainerPort, DockerSpec, InstanceSpec, MetaValue, Metadata,
    NativeSpec, PluginSpec, PortSpec, ProcessSpec, Registry, Source, WaitFor,
    DEFAULT_INSTANCE_TIMEOUT_MS, DEFAULT_STARTUP_TIMEOUT_MS,
};
pub use parse::RESERVED_NAMES;
