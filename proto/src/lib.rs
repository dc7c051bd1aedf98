//! gRPC types of the Prism interfaces, generated from `proto/` at build time.
//!
//! One module per data model (`keyvalue`, ...), as prost lays out the package
//! `prism.interfaces.<model>`. Every request type implements [`Namespaced`]; [`InterfaceClients`]
//! hands out a typed client per interface; [`INTERFACES`] lists what has a proto, [`METHODS`] its
//! RPCs; every generated server implements [`InterfaceServer`].

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

/// One RPC of an interface, enough to call it without its typed stubs (the served-interface check
/// of prism-suite calls every method of a claimed interface this way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodProto {
    /// Interface name, e.g. `keyvalue_basic`.
    pub interface: &'static str,
    /// Method name as in the proto, e.g. `Get`.
    pub name: &'static str,
    /// gRPC path, e.g. `/prism.interfaces.keyvalue.KeyValueBasicInterface/Get`.
    pub path: &'static str,
    /// Field number of the request's `string namespace`.
    pub namespace_field: i32,
    /// Whether the method answers with a stream.
    pub server_streaming: bool,
}

/// A generated gRPC server of one Prism interface (implemented for every `<Interface>Server<T>`).
pub trait InterfaceServer {
    /// The interface it serves, e.g. `keyvalue_basic`.
    const INTERFACE: &'static str;
    /// The server with its decoding and encoding limits set to `bytes`.
    fn with_message_limit(self, bytes: usize) -> Self;
}

include!(concat!(env!("OUT_DIR"), "/prism_glue.rs"));
