//! gRPC types of the Prism interfaces, generated from `proto/` at build time.
//!
//! One module per data model (`keyvalue`, ...), as prost lays out the package
//! `prism.interfaces.<model>`. Every request type implements [`Namespaced`]; [`InterfaceClients`]
//! hands out a typed client per interface; [`INTERFACES`] lists what has a proto.

#![allow(clippy::all, missing_docs)]

/// Largest message a client or the reference plugin accepts (the suites send 1 MiB values).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// A request message that names the namespace it acts in.
pub trait Namespaced {
    /// The namespace the request acts in.
    fn namespace(&self) -> &str;
    /// Points the request at `ns`.
    fn set_namespace(&mut self, ns: &str);
}

/// One interface as its proto defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceProto {
    /// Interface name, e.g. `keyvalue_basic` (the proto file's stem).
    pub name: &'static str,
    /// Data model, e.g. `keyvalue` (the last segment of the package).
    pub model: &'static str,
    /// Fully qualified gRPC service, e.g. `prism.interfaces.keyvalue.KeyValueBasicInterface`.
    pub service: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/prism_glue.rs"));
