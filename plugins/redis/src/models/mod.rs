//! One module per data model: its services over Redis.

mod common;
pub(crate) mod keyvalue;
pub(crate) mod list;
pub(crate) mod pubsub;
pub(crate) mod set;
pub(crate) mod sortedset;
pub(crate) mod stream;
