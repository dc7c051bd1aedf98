//! The backend registry: which backend claims which interface, and how to start its plugin.
//!
//! One YAML file per backend in `registry/backends/`. The core fields are the RFC's (`backend`,
//! `description`, `plugin`, `implements`); Prism's grouped form (`name`, `interfaces: { <model>:
//! [ { interface, status } ] }`) is read too. Unknown top-level fields are allowed (real registry
//! files carry capabilities and notes); unknown fields inside `plugin` and
//! `instance` are mistakes and rejected.
//!
//! Both `compliance_matrix!()` (at compile time) and the harness (at run time) load the registry
//! through this crate, so they cannot disagree on what a file means. Every error names the file,
//! line and column, and the nearest valid name where one exists.
//!
//! An optional `instance:` section says how to start a real backend instance for the plugin:
//!
//! ```yaml
//! instance:
//!   url: "redis://${HOST}:${PORT}"       # what the plugin gets as PRISM_BACKEND_URL
//!   docker: { image: "redis:7", port: 6379, ready_log: "Ready to accept connections" }
//!   native:
//!     command: ["redis-server", "--port", "${PORT}", "--dir", "${DIR}"]
//!     ready_log: "Ready to accept connections"
//!   startup_timeout_ms: 30000
//! ```
//!
//! ```yaml
//! backend: memstore_process
//! description: The memstore plugin run as its own process.
//! plugin:
//!   command: ["${PRISM_BIN_DIR}/prism-memstore-plugin"]
//!   build: ["cargo", "build", "--quiet", "--workspace", "--bins"]
//! implements:
//!   - keyvalue_basic
//!   - interface: keyvalue_cas
//!     status: planned
//!     reason: waiting for the CAS proto to settle
//! ```

mod catalogue;
mod error;
mod load;
mod model;

pub use catalogue::{is_interface, model_of, nearest, nearest_interface, INTERFACES};
pub use error::RegistryError;
pub use load::{load_dir, load_file, locate};
pub use model::{
    Backend, Claim, ClaimStatus, ContainerPort, DockerSpec, InstanceSpec, MetaValue, Metadata,
    NativeSpec, PluginSpec, PortSpec, ProcessSpec, Registry, WaitFor, DEFAULT_INSTANCE_TIMEOUT_MS,
    DEFAULT_STARTUP_TIMEOUT_MS,
};
