use std::sync::atomic::{AtomicU64, Ordering};

use prism_proto::{InterfaceClients, Namespaced};

use crate::runner::CaseChannel;

/// What a case gets: a fresh namespace and typed clients on the plugin under test.
///
/// Clients come from [`InterfaceClients`] (`cx.keyvalue_basic()`, ...); every request goes through
/// [`Case::req`], which puts it in the case's namespace. The clients share one channel on which
/// the runner tracks the RPCs in flight (see [`CaseChannel`]).
pub struct Case {
    backend: String,
    interface: &'static str,
    case: &'static str,
    namespace: String,
    channel: CaseChannel,
}

static NAMESPACES: AtomicU64 = AtomicU64::new(0);

/// A namespace no other case of any process of this run uses: a random run tag plus a counter.
pub(crate) fn fresh_namespace(hint: &str) -> String {
    let n = NAMESPACES.fetch_add(1, Ordering::Relaxed);
    let tag = uuid::Uuid::new_v4().simple().to_string();
    format!("{hint}-{}-{n}", &tag[..12])
}

impl Case {
    pub(crate) fn new(
        backend: &str,
        interface: &'static str,
        case: &'static str,
        channel: CaseChannel,
    ) -> Self {
        Case {
            backend: backend.to_owned(),
            interface,
            case,
            namespace: fresh_namespace(case),
            channel,
        }
    }

    /// The backend under test, as the registry names it.
    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// The interface whose suite this case belongs to.
    pub fn interface(&self) -> &'static str {
        self.interface
    }

    /// The case's name.
    pub fn name(&self) -> &'static str {
        self.case
    }

    /// The namespace every [`Case::req`] request acts in; no other case shares it.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Another namespace no case uses, for cases that check that namespaces are kept apart.
    pub fn other_namespace(&self) -> String {
        fresh_namespace(self.case)
    }

    /// Wraps `msg` in a request that acts in this case's namespace.
    pub fn req<T: Namespaced>(&self, msg: T) -> tonic::Request<T> {
        self.req_in(&self.namespace, msg)
    }

    /// Wraps `msg` in a request that acts in namespace `ns`.
    pub fn req_in<T: Namespaced>(&self, ns: &str, mut msg: T) -> tonic::Request<T> {
        msg.set_namespace(ns);
        tonic::Request::new(msg)
    }
}

impl InterfaceClients for Case {
    type Channel = CaseChannel;

    fn channel(&self) -> CaseChannel {
        self.channel.clone()
    }
}
