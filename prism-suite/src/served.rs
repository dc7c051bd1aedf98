//! Declared <=> served: what a backend's registry file claims against what its plugin serves.
//!
//! "Served" is observed from outside, so it holds for a plugin in any language:
//!
//! 1. **A call per method.** Every method of every interface the file claims as implemented is
//!    called once with an otherwise empty request in a fresh namespace (`served-check-<uuid>`),
//!    built from the proto's descriptors ([`prism_proto::METHODS`]), without typed stubs. Any answer
//!    but UNIMPLEMENTED (OK, INVALID_ARGUMENT for the empty key, NOT_FOUND, or no answer within
//!    [`PROBE_DEADLINE`] from a call that blocks) shows that the method is served: a gRPC server
//!    answers UNIMPLEMENTED at once for a service or method it does not have. A claimed interface
//!    none of whose methods answers anything but UNIMPLEMENTED is not served, and fails the check,
//!    naming the registry file and the claim's line. Single methods answering UNIMPLEMENTED in a
//!    served interface are listed in the report but do not fail it: some rules ask for exactly
//!    that (graph_query's undeclared languages), and the suite's cases catch the others.
//! 2. **One call per other interface.** The first method of each interface the file does not
//!    claim (or claims as planned) is called the same way; one that is served is reported as
//!    served but undeclared, which is not a failure.
//! 3. **Health, as a witness.** `grpc.health.v1` is asked about every claimed service; a plugin
//!    whose health reports SERVING for a service whose methods answer UNIMPLEMENTED (or the
//!    reverse) gets a note. Health is not the ground truth: the protocol only requires `""`.
//!
//! gRPC reflection is not used: few plugins serve it, and where it is served it lists what the
//! server registered, which the calls above observe directly.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use prism_proto::{MethodProto, INTERFACES, METHODS};
use prism_registry::{Backend, ClaimStatus};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// How long a probe waits for an answer; a call still open then is served (it blocks).
pub const PROBE_DEADLINE: Duration = Duration::from_secs(2);

/// What one probe call answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A status (OK included): the method exists.
    Status(Code),
    /// No answer within [`PROBE_DEADLINE`]: the method exists and blocks.
    Open,
    /// UNIMPLEMENTED: the plugin does not serve the method.
    Unimplemented(String),
    /// The call failed before the plugin answered (connection refused or reset).
    Unreachable(String),
}

impl Answer {
    fn served(&self) -> bool {
        matches!(self, Answer::Status(_) | Answer::Open)
    }
}

/// A claimed interface with methods the plugin does not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unserved {
    /// Interface name.
    pub interface: String,
    /// Line of the claim in the registry file.
    pub line: usize,
    /// The methods and what they answered.
    pub methods: Vec<(&'static str, Answer)>,
}

/// The comparison of one backend's claims with its plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedReport {
    /// Backend name.
    pub backend: String,
    /// The registry file that declares it.
    pub file: PathBuf,
    /// Claimed as implemented, with methods answering UNIMPLEMENTED (or unreachable): failures.
    pub unserved: Vec<Unserved>,
    /// Methods answering UNIMPLEMENTED in claimed interfaces that are served: listed, not failed.
    pub partial: Vec<(String, &'static str)>,
    /// Served, but not claimed as implemented: reported, not a failure.
    pub undeclared: Vec<&'static str>,
    /// Where health disagrees with the calls: notes.
    pub health_notes: Vec<String>,
    /// How many interfaces the plugin was found to serve of those it claims.
    pub claimed_served: usize,
}

impl ServedReport {
    /// Whether a claimed interface is not served.
    pub fn failed(&self) -> bool {
        !self.unserved.is_empty()
    }

    /// The lines reported whether or not it failed (undeclared interfaces, health notes).
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if !self.undeclared.is_empty() {
            notes.push(format!(
                "{}: served but not declared in {}: {} (add them to `implements:` to test them)",
                self.backend,
                self.file.display(),
                self.undeclared.join(", ")
            ));
        }
        notes.extend(
            self.health_notes
                .iter()
                .map(|n| format!("{}: {n}", self.backend)),
        );
        notes
    }
}

impl fmt::Display for ServedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.failed() {
            return write!(
                f,
                "{}: the {} interfaces claimed in {} are served",
                self.backend,
                self.claimed_served,
                self.file.display()
            );
        }
        writeln!(
            f,
            "{}: {} claims interfaces its plugin does not serve:",
            self.backend,
            self.file.display()
        )?;
        for u in &self.unserved {
            writeln!(
                f,
                "  {}:{}: {} is claimed, but the plugin answers:",
                self.file.display(),
                u.line,
                u.interface
            )?;
            for (method, answer) in &u.methods {
                let said = match answer {
                    Answer::Unimplemented(m) if m.is_empty() => "UNIMPLEMENTED".to_owned(),
                    Answer::Unimplemented(m) => format!("UNIMPLEMENTED ({m})"),
                    Answer::Unreachable(m) => format!("no answer: {m}"),
                    other => format!("{other:?}"),
                };
                writeln!(f, "    {method}: {said}")?;
            }
        }
        write!(
            f,
            "  Serve them (a Rust plugin: add the server to its prism_plugin::Services) or mark the \
             claims `status: planned` with a reason."
        )
    }
}

/// Compares what `backend` claims with what the plugin behind `channel` serves.
pub async fn observe(channel: Channel, backend: &Backend) -> ServedReport {
    let namespace = format!("served-check-{}", uuid::Uuid::new_v4().simple());
    let claimed: Vec<_> = backend.implemented().collect();
    let mut probes = tokio::task::JoinSet::new();
    for proto in INTERFACES {
        let is_claimed = claimed.iter().any(|c| c.interface == proto.name);
        let methods = METHODS.iter().filter(|m| m.interface == proto.name);
        // A claimed interface: every method must be there; another: one call tells.
        let methods: Vec<&'static MethodProto> = if is_claimed {
            methods.collect()
        } else {
            methods.take(1).collect()
        };
        for method in methods {
            let (channel, namespace) = (channel.clone(), namespace.clone());
            probes.spawn(async move { (method, probe(channel, method, &namespace).await) });
        }
    }
    let mut answers: Vec<(&'static MethodProto, Answer)> = Vec::new();
    while let Some(joined) = probes.join_next().await {
        if let Ok(answer) = joined {
            answers.push(answer);
        }
    }

    let mut report = ServedReport {
        backend: backend.name.clone(),
        file: backend.file.clone(),
        unserved: Vec::new(),
        undeclared: Vec::new(),
        health_notes: Vec::new(),
        claimed_served: 0,
        partial: Vec::new(),
    };
    let mut health = HealthClient::new(channel);
    for proto in INTERFACES {
        let mine: Vec<(&'static str, Answer)> = METHODS
            .iter()
            .filter(|m| m.interface == proto.name)
            .filter_map(|m| {
                answers
                    .iter()
                    .find(|(p, _)| p.path == m.path)
                    .map(|(_, a)| (m.name, a.clone()))
            })
            .collect();
        let served = mine.iter().any(|(_, a)| a.served());
        match claimed.iter().find(|c| c.interface == proto.name) {
            Some(claim) => {
                if served {
                    report.claimed_served += 1;
                    report.partial.extend(
                        mine.iter()
                            .filter(|(_, a)| !a.served())
                            .map(|(m, _)| (proto.name.to_owned(), *m)),
                    );
                } else {
                    report.unserved.push(Unserved {
                        interface: proto.name.to_owned(),
                        line: claim.line,
                        methods: mine,
                    });
                }
                let status = health
                    .check(HealthCheckRequest {
                        service: proto.service.to_owned(),
                    })
                    .await;
                if let Some(note) = health_note(proto.service, served, status) {
                    report.health_notes.push(note);
                }
            }
            None if served && !mine.is_empty() => report.undeclared.push(proto.name),
            None => {}
        }
    }
    let planned: Vec<&str> = backend
        .claims
        .iter()
        .filter(|c| c.status == ClaimStatus::Planned)
        .map(|c| c.interface.as_str())
        .collect();
    if !planned.is_empty() {
        report.undeclared.retain(|i| !planned.contains(i));
        let served_planned: Vec<&str> = answers
            .iter()
            .filter(|(m, a)| planned.contains(&m.interface) && a.served())
            .map(|(m, _)| m.interface)
            .collect();
        if !served_planned.is_empty() {
            report.health_notes.push(format!(
                "served though planned in {}: {} (claim them as implemented to test them)",
                report.file.display(),
                served_planned.join(", ")
            ));
        }
    }
    report
}

fn health_note(
    service: &str,
    served: bool,
    status: Result<tonic::Response<tonic_health::pb::HealthCheckResponse>, Status>,
) -> Option<String> {
    use tonic_health::pb::health_check_response::ServingStatus;
    let serving = matches!(&status, Ok(r) if r.get_ref().status == ServingStatus::Serving as i32);
    match (served, serving) {
        (false, true) => Some(format!(
            "health reports {service} SERVING, but its methods answer UNIMPLEMENTED"
        )),
        // Health knowing only "" is allowed by the protocol; saying NOT_SERVING for a served
        // service is worth a line.
        (true, false) => match status {
            Ok(r) => Some(format!(
                "health reports {service} as {:?} although it is served",
                ServingStatus::try_from(r.get_ref().status).unwrap_or(ServingStatus::Unknown)
            )),
            Err(_) => None,
        },
        _ => None,
    }
}

/// Calls `method` with a request holding only `namespace`.
async fn probe(channel: Channel, method: &'static MethodProto, namespace: &str) -> Answer {
    let mut grpc = tonic::client::Grpc::new(channel);
    if let Err(e) = grpc.ready().await {
        return Answer::Unreachable(e.to_string());
    }
    let mut request = tonic::Request::new(namespace_only(method.namespace_field, namespace));
    request.set_timeout(PROBE_DEADLINE);
    let path = PathAndQuery::from_static(method.path);
    let call = async {
        if method.server_streaming {
            grpc.server_streaming(request, path, Raw).await.map(|_| ())
        } else {
            grpc.unary(request, path, Raw).await.map(|_| ())
        }
    };
    match tokio::time::timeout(PROBE_DEADLINE, call).await {
        Err(_) => Answer::Open,
        Ok(Ok(())) => Answer::Status(Code::Ok),
        Ok(Err(s)) => match s.code() {
            Code::Unimplemented => Answer::Unimplemented(s.message().to_owned()),
            // The client's own deadline: the method exists and blocked.
            Code::DeadlineExceeded | Code::Cancelled => Answer::Open,
            // tonic reports a refused or reset connection as UNAVAILABLE with a transport source.
            Code::Unavailable if std::error::Error::source(&s).is_some() => {
                Answer::Unreachable(s.to_string())
            }
            code => Answer::Status(code),
        },
    }
}

/// The protobuf encoding of a message whose only field set is string field `field` = `value`.
fn namespace_only(field: i32, value: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    let field = u64::try_from(field).unwrap_or(1);
    varint(&mut out, (field << 3) | 2);
    varint(&mut out, value.len() as u64);
    out.extend_from_slice(value.as_bytes());
    out
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Sends bytes as they are and reads any answer as nothing: the probe needs only the status.
#[derive(Debug, Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = ();
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = ();
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, Status> {
        use bytes::Buf;
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

/// What the generated `<backend>::declared_matches_served` test calls, with the registry compiled
/// into the test binary.
pub async fn check_generated(
    registry: &'static crate::EmbeddedRegistry,
    backend: &str,
) -> Result<(), crate::runner::TestFailure> {
    match crate::runner::runner_of(registry) {
        Ok(runner) => check_backend(&runner, backend).await,
        Err(e) => Err(crate::runner::TestFailure(e.to_string())),
    }
}

/// Starts `backend`'s plugin through `runner` and fails, naming the registry file and line, if
/// what it claims and what it serves differ.
pub async fn check_backend(
    runner: &crate::runner::Runner,
    backend: &str,
) -> Result<(), crate::runner::TestFailure> {
    let fail = |msg: String| Err(crate::runner::TestFailure(msg));
    let Some(handle) = runner.backend(backend) else {
        return fail(format!(
            "backend `{backend}` is not in the runner's registry"
        ));
    };
    let Some(spec) = handle.spec() else {
        return fail(format!("backend `{backend}` has no registry entry"));
    };
    let plugin = match runner.plugin(handle).await {
        Ok(p) => p,
        Err(e) => {
            return fail(format!(
                "{backend}::declared_matches_served failed\n  plugin:    {e}\n"
            ))
        }
    };
    let channel = match plugin.connect().await {
        Ok(c) => c,
        Err(e) => return fail(format!("{backend}::declared_matches_served failed\n  plugin:    cannot reach the plugin: {e}\n")),
    };
    let mut report = observe(channel, spec).await;
    // Shown relative to the project, as in compile errors: the same on every machine.
    let root = runner.root().to_path_buf();
    if let Ok(relative) = report.file.strip_prefix(&root) {
        report.file = relative.to_path_buf();
    }
    for note in report.notes() {
        crate::run::announce(&format!("prism-suite: {note}"));
    }
    if report.failed() {
        return fail(report.to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_only_request_is_one_length_delimited_field() {
        assert_eq!(namespace_only(1, "ns"), [0x0a, 2, b'n', b's']);
        // Field 16 needs a two-byte tag.
        assert_eq!(namespace_only(16, "a"), [0x82, 0x01, 1, b'a']);
        let long = "x".repeat(200);
        assert_eq!(&namespace_only(1, &long)[..3], [0x0a, 0xc8, 0x01]);
    }
}
