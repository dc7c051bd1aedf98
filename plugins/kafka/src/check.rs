//! Argument checks and small helpers shared by the services.

use tonic::{Response, Status};

/// The answer of a unary call.
pub type Reply<T> = Result<Response<T>, Status>;

/// A server stream of items computed up front.
pub type ItemStream<T> = tokio_stream::Iter<std::vec::IntoIter<Result<T, Status>>>;

/// A server stream over `items`.
pub fn items<T>(items: impl IntoIterator<Item = T>) -> ItemStream<T> {
    let items: Vec<_> = items.into_iter().map(Ok).collect();
    tokio_stream::iter(items)
}

/// INVALID_ARGUMENT (`<what> must not be empty`) for an empty `value`.
pub fn non_empty(what: &str, value: &str) -> Result<(), Status> {
    if value.is_empty() {
        return Err(Status::invalid_argument(format!(
            "{what} must not be empty"
        )));
    }
    Ok(())
}

/// INVALID_ARGUMENT for a negative offset.
pub fn offset(what: &str, value: i64) -> Result<(), Status> {
    if value < 0 {
        return Err(Status::invalid_argument(format!(
            "{what} must not be negative, got {value}"
        )));
    }
    Ok(())
}
