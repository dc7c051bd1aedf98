//! The shapes of service method results, for methods written with [`crate::service`].

use tonic::Status;

/// The result of a service method: the response message (or, for a streaming method, the stream)
/// or a status. [`crate::service`] wraps it in the `tonic::Response` the generated trait wants.
pub type Reply<T> = Result<T, Status>;

/// A server stream of items computed up front (no lock or connection held while it streams).
pub type ItemStream<T> = tokio_stream::Iter<std::vec::IntoIter<Result<T, Status>>>;

/// A server stream over `items`, as the answer of a streaming method.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use tokio_stream::StreamExt;
///
/// let reply: prism_plugin::Reply<prism_plugin::ItemStream<u32>> = prism_plugin::stream([1, 2]);
/// let items: Vec<u32> = reply.unwrap().map(Result::unwrap).collect().await;
/// assert_eq!(items, [1, 2]);
/// # }
/// ```
pub fn stream<T>(items: impl IntoIterator<Item = T>) -> Reply<ItemStream<T>> {
    let items: Vec<_> = items.into_iter().map(Ok).collect();
    Ok(tokio_stream::iter(items))
}
