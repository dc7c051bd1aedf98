//! Helpers every model shares: the SDK's reply types and checks, and counts.

pub use prism_plugin::check::non_empty;
pub use prism_plugin::{stream, ItemStream, Reply};

/// A count from the database (never negative) as u64.
pub fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
