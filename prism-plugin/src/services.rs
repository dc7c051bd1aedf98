//! [`Services`]: the interfaces a plugin serves, declared once by adding their servers, and how
//! they are served (health, `TCP_NODELAY`, message limits, bounded graceful stop).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use prism_proto::{InterfaceServer, MAX_MESSAGE_BYTES};
use tokio::net::TcpListener;
use tonic::body::Body;
use tonic::codegen::{http, Service};
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;
use tonic_health::ServingStatus;

/// How long a stopping plugin lets open calls finish (the harness sends SIGKILL 1.5 s after
/// SIGTERM; a plugin that stops by itself first exits 0 and says so).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(1);

/// One interface a plugin serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Served {
    /// Interface name, e.g. `keyvalue_basic`.
    pub interface: &'static str,
    /// Fully qualified gRPC service, e.g. `prism.interfaces.keyvalue.KeyValueBasicInterface`:
    /// the name health reports SERVING for.
    pub service: &'static str,
}

/// Serving failed (the listener broke, or a connection could not be set up).
#[derive(Debug, thiserror::Error)]
#[error("the gRPC server failed: {0}")]
pub struct ServeError(#[from] tonic::transport::Error);

/// How [`Services::serve_until`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Every open call finished within the grace period.
    Drained,
    /// Calls were still open when the grace period ran out (a subscription, a blocked call); they
    /// were dropped.
    GraceExpired,
}

/// The interfaces a plugin serves: each added server is recorded, so what is served is declared
/// once, by what is added. Served with `grpc.health.v1` reporting SERVING for `""` and for each
/// service, `TCP_NODELAY` on accepted sockets and [`MAX_MESSAGE_BYTES`] in both directions.
///
/// ```
/// # mod kv { include!("../examples/kv/store.rs"); }
/// use prism_plugin::Services;
/// use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterfaceServer;
///
/// let services = Services::new().add(KeyValueBasicInterfaceServer::new(kv::Kv::default()));
/// assert_eq!(services.interfaces().collect::<Vec<_>>(), ["keyvalue_basic"]);
/// assert_eq!(services.served()[0].service, "prism.interfaces.keyvalue.KeyValueBasicInterface");
/// ```
#[derive(Debug)]
pub struct Services {
    routes: Routes,
    served: Vec<Served>,
    notes: Vec<String>,
    grace: Duration,
}

impl Default for Services {
    fn default() -> Self {
        Self::new()
    }
}

impl Services {
    /// No interfaces yet.
    pub fn new() -> Self {
        Services {
            routes: Routes::default(),
            served: Vec::new(),
            notes: Vec::new(),
            grace: DEFAULT_GRACE,
        }
    }

    /// Adds the generated server of one interface (`KeyValueBasicInterfaceServer::new(svc)`), with
    /// the message limits set.
    ///
    /// # Panics
    ///
    /// When the same interface is added twice: a plugin serves one implementation per interface.
    // A builder method, as in the contract's `Services::new().add(..)`; not `std::ops::Add`.
    #[allow(clippy::should_implement_trait)]
    pub fn add<S>(mut self, server: S) -> Self
    where
        S: InterfaceServer
            + NamedService
            + Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        assert!(
            !self.served.iter().any(|s| s.service == S::NAME),
            "{} is added twice to the plugin's Services",
            S::INTERFACE
        );
        self.served.push(Served {
            interface: S::INTERFACE,
            service: S::NAME,
        });
        self.served.sort();
        self.routes = self
            .routes
            .add_service(server.with_message_limit(MAX_MESSAGE_BYTES));
        self
    }

    /// A line [`crate::run`] prints after its `listening on` line (injected faults, the backend it
    /// serves from): what a reader of the plugin's log should know.
    pub fn note(mut self, line: impl Into<String>) -> Self {
        self.notes.push(line.into());
        self
    }

    /// How long [`Services::serve_until`] lets open calls finish (default [`DEFAULT_GRACE`]).
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// What is served, sorted by interface name.
    pub fn served(&self) -> &[Served] {
        &self.served
    }

    /// The names of the served interfaces, sorted.
    pub fn interfaces(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.served.iter().map(|s| s.interface)
    }

    /// The lines added with [`Services::note`].
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Serves on an already-bound listener until the future is dropped (in-process plugins: the
    /// harness drops it with its runtime).
    ///
    /// ```
    /// # mod kv { include!("../examples/kv/store.rs"); }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterfaceServer;
    ///
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let services = prism_plugin::Services::new().add(KeyValueBasicInterfaceServer::new(kv::Kv::default()));
    /// tokio::spawn(services.serve(listener));
    /// # Ok(()) }
    /// ```
    pub async fn serve(self, listener: TcpListener) -> Result<(), ServeError> {
        self.serve_until(listener, std::future::pending()).await?;
        Ok(())
    }

    /// Serves on `listener` until `stop` completes, then reports NOT_SERVING, stops accepting and
    /// lets open calls finish for at most the grace period: a hung call never keeps the plugin
    /// alive.
    pub async fn serve_until(
        self,
        listener: TcpListener,
        stop: impl Future<Output = ()>,
    ) -> Result<Stop, ServeError> {
        let (reporter, health) = tonic_health::server::health_reporter();
        let names: Vec<&str> = std::iter::once("")
            .chain(self.served.iter().map(|s| s.service))
            .collect();
        for name in &names {
            reporter
                .set_service_status(name, ServingStatus::Serving)
                .await;
        }
        // tonic leaves accepted sockets with Nagle on: the first calls on a fresh channel would
        // stall about 40 ms on delayed ACKs.
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let stopping = Arc::new(tokio::sync::Notify::new());
        let signal = {
            let stopping = stopping.clone();
            async move {
                stop.await;
                for name in &names {
                    reporter
                        .set_service_status(name, ServingStatus::NotServing)
                        .await;
                }
                stopping.notify_one();
            }
        };
        let server = Server::builder()
            .add_routes(self.routes.add_service(health))
            .serve_with_incoming_shutdown(incoming, signal);
        let grace = self.grace;
        tokio::select! {
            served = server => served.map(|()| Stop::Drained).map_err(ServeError::from),
            () = async { stopping.notified().await; tokio::time::sleep(grace).await } => Ok(Stop::GraceExpired),
        }
    }
}
