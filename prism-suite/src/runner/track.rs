//! In-flight RPCs of one case: a tower service over the case's channel that records each call's
//! method path and start, so that a timeout names what it was waiting on and a crash names the
//! request in flight. The typed clients (`cx.keyvalue_basic()`) are built on it unchanged.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::Frame;
use tonic::body::Body;
use tonic::transport::Channel;
use tower_service::Service;

use crate::outcome::{PendingRpc, RpcState};

/// The RPCs of one case that have not finished, shared by every clone of its channel.
#[derive(Clone, Default)]
pub struct RpcTracker {
    calls: Arc<Mutex<Calls>>,
}

#[derive(Default)]
struct Calls {
    next: u64,
    open: Vec<Call>,
}

struct Call {
    id: u64,
    method: String,
    started: Instant,
    state: RpcState,
}

impl RpcTracker {
    fn calls(&self) -> MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn open(&self, method: &str) -> u64 {
        let mut calls = self.calls();
        calls.next += 1;
        let id = calls.next;
        calls.open.push(Call {
            id,
            method: method.to_owned(),
            started: Instant::now(),
            state: RpcState::AwaitingResponse,
        });
        id
    }

    fn set(&self, id: u64, state: RpcState) {
        if let Some(call) = self.calls().open.iter_mut().find(|c| c.id == id) {
            call.state = state;
        }
    }

    fn close(&self, id: u64) {
        self.calls().open.retain(|c| c.id != id);
    }

    /// The calls not finished now, oldest first, with how long each has run.
    pub fn pending(&self) -> Vec<PendingRpc> {
        let now = Instant::now();
        self.calls()
            .open
            .iter()
            .map(|c| PendingRpc {
                method: c.method.clone(),
                waited: now.saturating_duration_since(c.started),
                state: c.state.clone(),
            })
            .collect()
    }
}

/// The channel a case's clients are built on: the plugin's channel, with every call tracked.
#[derive(Clone)]
pub struct CaseChannel {
    inner: Channel,
    tracker: RpcTracker,
}

impl CaseChannel {
    /// Tracks the calls made on `inner` in `tracker`.
    pub fn new(inner: Channel, tracker: RpcTracker) -> Self {
        CaseChannel { inner, tracker }
    }
}

impl Service<http::Request<Body>> for CaseChannel {
    type Response = http::Response<Body>;
    type Error = tonic::transport::Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let id = self.tracker.open(req.uri().path());
        ResponseFuture {
            inner: self.inner.call(req),
            guard: Some(Guard {
                tracker: self.tracker.clone(),
                id,
                broken: false,
            }),
        }
    }
}

/// Closes a call when dropped: the case stopped waiting for it (a finished stream, a cancelled
/// wait inside the case) unless the call was kept open on purpose.
struct Guard {
    tracker: RpcTracker,
    id: u64,
    /// The transport broke under the call: keep it listed, so a crash names it.
    broken: bool,
}

impl Guard {
    fn broke(&mut self, error: String) {
        self.tracker.set(self.id, RpcState::Broken { error });
        self.broken = true;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.broken {
            self.tracker.close(self.id);
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of a tracked call.
    pub struct ResponseFuture {
        #[pin]
        inner: <Channel as Service<http::Request<Body>>>::Future,
        guard: Option<Guard>,
    }
}

impl std::future::Future for ResponseFuture {
    type Output = Result<http::Response<Body>, tonic::transport::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let guard = this.guard.take();
        Poll::Ready(match result {
            Ok(response) => {
                let Some(guard) = guard else {
                    return Poll::Ready(Ok(response));
                };
                guard.tracker.set(guard.id, RpcState::Streaming);
                let (parts, body) = response.into_parts();
                Ok(http::Response::from_parts(
                    parts,
                    Body::new(TrackedBody { inner: body, guard }),
                ))
            }
            Err(e) => {
                if let Some(mut guard) = guard {
                    guard.broke(error_chain(&e));
                }
                Err(e)
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that closes its call when it ends or is dropped.
    struct TrackedBody {
        #[pin]
        inner: Body,
        guard: Guard,
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        if let Some(Err(status)) = &frame {
            this.guard.broke(status.message().to_owned());
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// An error and its sources on one line (`transport error: connection reset by peer`).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !s.contains(&text) {
            s += ": ";
            s += &text;
        }
        source = cause.source();
    }
    s
}
