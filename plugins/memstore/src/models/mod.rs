//! The data models beyond keyvalue, one module each: its state, its gRPC services and its
//! deliberately broken behaviours. Each module is self-contained so that models evolve apart.

pub(crate) mod document;
pub(crate) mod graph;
pub(crate) mod list;
pub(crate) mod pubsub;
pub(crate) mod queue;
pub(crate) mod set;
pub(crate) mod sortedset;
pub(crate) mod stream;
pub(crate) mod timeseries;
