//! The shapes of service method results.

use tonic::{Response, Status};

/// The answer of a unary call (or the opening of a server stream).
pub type Reply<T> = Result<Response<T>, Status>;

/// A server stream of items computed up front (no lock or connection held while it streams).
pub type ItemStream<T> = tokio_stream::Iter<std::vec::IntoIter<Result<T, Status>>>;

/// A server stream over `items`, as the answer of a streaming call.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use tokio_stream::StreamExt;
///
/// let reply: prism_plugin::Reply<prism_plugin::ItemStream<u32>> = prism_plugin::stream([1, 2]);
/// let items: Vec<u32> = reply.unwrap().into_inner().map(Result::unwrap).collect().await;
/// assert_eq!(items, [1, 2]);
/// # }
/// ```
pub fn stream<T>(items: impl IntoIterator<Item = T>) -> Reply<ItemStream<T>> {
    let items: Vec<_> = items.into_iter().map(Ok).collect();
    Ok(Response::new(tokio_stream::iter(items)))
}

/// `Ok(Response::new(message))`: the answer of a unary call.
pub fn reply<T>(message: T) -> Reply<T> {
    Ok(Response::new(message))
}
