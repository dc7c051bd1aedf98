//! Helpers every model shares: Redis errors as gRPC statuses, counts.

use tonic::Status;

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
