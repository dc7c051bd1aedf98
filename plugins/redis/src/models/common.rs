//! Helpers every model shares: argument checks, error mapping, streams of precomputed items.

use tonic::{Response, Status};

/// The answer of a unary call.
pub(crate) type Reply<T> = Result<Response<T>, Status>;

/// A server stream of items computed up front.
pub(crate) type ItemStream<T> = tokio_stream::Iter<std::vec::IntoIter<Result<T, Status>>>;

/// A server stream over `items`.
pub(crate) fn stream<T>(items: impl IntoIterator<Item = T>) -> ItemStream<T> {
    let items: Vec<_> = items.into_iter().map(Ok).collect();
    tokio_stream::iter(items)
}

/// INVALID_ARGUMENT for an empty key.
pub(crate) fn check_key(key: &str) -> Result<(), Status> {
    non_empty("key", key)
}

/// INVALID_ARGUMENT (`<what> must not be empty`) for an empty `value`.
pub(crate) fn non_empty(what: &str, value: &str) -> Result<(), Status> {
    if value.is_empty() {
        return Err(Status::invalid_argument(format!(
            "{what} must not be empty"
        )));
    }
    Ok(())
}

/// A Redis failure as UNAVAILABLE (or INTERNAL when Redis answered something unexpected).
pub(crate) fn rerr(e: redis::RedisError) -> Status {
    if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() {
        Status::unavailable(format!("redis: {e}"))
    } else {
        Status::internal(format!("redis: {e}"))
    }
}

/// Converts a Redis result into a gRPC one.
pub(crate) trait OrStatus<T> {
    /// The value, or the error as a [`Status`].
    fn st(self) -> Result<T, Status>;
}

impl<T> OrStatus<T> for redis::RedisResult<T> {
    fn st(self) -> Result<T, Status> {
        self.map_err(rerr)
    }
}

/// A count from Redis (never negative) as u64.
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
