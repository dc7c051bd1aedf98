//! What one case yields: a typed [`Outcome`], from which every rendering (the test's failure text,
//! the matrix, Markdown, JSON, JUnit; see [`crate::report`]) is derived, so no reporter parses prose.
//!
//! A case either passed or failed with one [`Failure`]; each failure has a [`FailureKind`]:
//!
//! | kind | when |
//! |---|---|
//! | `check` | a `check!`/`check_eq!`/... in the case did not hold |
//! | `rpc` | an RPC answered a status the case did not expect (`?` on it) |
//! | `timeout` | the case did not finish within its timeout; names the RPCs it was waiting on |
//! | `plugin_crash` | the plugin process ended during the case; names the requests in flight |
//! | `plugin_unavailable` | the plugin (or its backend instance) could not be provided at all |
//! | `panic` | the case (or the harness) panicked |
//! | `lost` | the case never reported (its task was cancelled): counted as failed, never dropped |

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// `backend::interface::case`: the name of the generated test, and of the case everywhere else.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CaseId {
    /// Backend name, as the registry spells it.
    pub backend: String,
    /// Interface name.
    pub interface: String,
    /// Case name (the suite function).
    pub case: String,
}

impl CaseId {
    /// The id of `case` of `interface` run against `backend`.
    pub fn new(
        backend: impl Into<String>,
        interface: impl Into<String>,
        case: impl Into<String>,
    ) -> Self {
        CaseId {
            backend: backend.into(),
            interface: interface.into(),
            case: case.into(),
        }
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}::{}", self.backend, self.interface, self.case)
    }
}

/// A place in a suite's source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSite {
    /// Source file, as the compiler names it (relative to the workspace).
    pub file: String,
    /// Line in that file.
    pub line: u32,
}

impl From<crate::Site> for SourceSite {
    fn from(s: crate::Site) -> Self {
        SourceSite {
            file: s.file.to_owned(),
            line: s.line,
        }
    }
}

impl fmt::Display for SourceSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The verdict on one case, with everything a reader of the failure needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Which case ran against which backend.
    pub id: CaseId,
    /// The rule the case pins: the first line of its doc comment (may be empty).
    pub rule: String,
    /// Where the case function is.
    pub site: SourceSite,
    /// The namespace the case acted in (`None` when it never reached the plugin).
    pub namespace: Option<String>,
    /// One line saying what served the case (`built-in memstore on ...`, `process ...`).
    pub plugin: String,
    /// When the case started.
    #[serde(with = "unix_ms")]
    pub started_at: SystemTime,
    /// Wall time of the case (without the plugin's start-up).
    #[serde(with = "millis")]
    pub duration: Duration,
    /// `None` when the case passed.
    pub failure: Option<Failure>,
    /// What the plugin wrote on stdout and stderr while the case ran (kept for failures only).
    pub plugin_output: Vec<OutputLine>,
    /// Whether the plugin's output was captured (a process) or is the test's own (in-process).
    pub output_scope: OutputScope,
    /// The harness's own notes about the plugin during the case (restarts, diagnoses).
    pub harness_notes: Vec<String>,
    /// Commands that rerun just this case.
    pub rerun: Rerun,
}

impl Outcome {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// The failure's kind, `None` when it passed.
    pub fn kind(&self) -> Option<FailureKind> {
        self.failure.as_ref().map(Failure::kind)
    }
}

/// Why a case failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// A check did not hold.
    Check {
        /// What was expected and what was seen.
        message: String,
        /// Where the check is.
        at: SourceSite,
    },
    /// An RPC answered a status the case did not expect.
    Rpc {
        /// The gRPC status code, as gRPC spells it (`NOT_FOUND`).
        code: RpcCode,
        /// The status message the plugin sent.
        message: String,
        /// Where in the suite the call was made.
        at: SourceSite,
        /// What the code usually means here (UNIMPLEMENTED: the registry claims what the plugin
        /// does not serve).
        hint: Option<String>,
    },
    /// The case did not finish in time.
    Timeout {
        /// The timeout that elapsed.
        #[serde(with = "millis")]
        after: Duration,
        /// The RPCs still waiting for an answer when it elapsed.
        pending: Vec<PendingRpc>,
        /// What the harness found about the plugin afterwards (it hangs: killed and restarted).
        plugin: Option<String>,
    },
    /// The plugin process ended during the case.
    PluginCrash {
        /// How it ended: `was killed by signal 6 (SIGABRT)`, `exited with status 3`.
        exit: String,
        /// The requests that were in flight when it ended.
        in_flight: Vec<PendingRpc>,
        /// What the case itself saw (usually an UNAVAILABLE RPC or a timeout).
        seen: Option<String>,
    },
    /// The plugin could not be provided: not built, not startable, no backend instance.
    PluginUnavailable {
        /// Why, with what to do about it.
        reason: String,
    },
    /// The case panicked.
    Panic {
        /// The panic's message.
        message: String,
    },
    /// The case never reported an outcome.
    Lost {
        /// What is known about why.
        reason: String,
    },
}

impl Failure {
    /// The failure's kind.
    pub fn kind(&self) -> FailureKind {
        match self {
            Failure::Check { .. } => FailureKind::Check,
            Failure::Rpc { .. } => FailureKind::Rpc,
            Failure::Timeout { .. } => FailureKind::Timeout,
            Failure::PluginCrash { .. } => FailureKind::PluginCrash,
            Failure::PluginUnavailable { .. } => FailureKind::PluginUnavailable,
            Failure::Panic { .. } => FailureKind::Panic,
            Failure::Lost { .. } => FailureKind::Lost,
        }
    }

    /// One line saying what went wrong (the `error:` line of the text rendering).
    pub fn headline(&self) -> String {
        match self {
            Failure::Check { message, at } => format!("check failed at {at}: {message}"),
            Failure::Rpc {
                code, message, at, ..
            } => format!("RPC at {at} failed with {}: {message}", code.name()),
            Failure::Timeout { after, pending, .. } => {
                let mut s = format!("timed out after {} ms", after.as_millis());
                match pending.as_slice() {
                    [] => s += " with no RPC in flight (the case itself was waiting)",
                    [one] => s += &format!(", waiting on {one}"),
                    many => s += &format!(", waiting on {} RPCs", many.len()),
                }
                s
            }
            Failure::PluginCrash {
                exit, in_flight, ..
            } => {
                let mut s = format!("plugin process {exit} during the case");
                match in_flight.as_slice() {
                    [] => {}
                    [one] => s += &format!(", while {one} was in flight"),
                    many => s += &format!(", while {} requests were in flight", many.len()),
                }
                s
            }
            Failure::PluginUnavailable { reason } => reason.clone(),
            Failure::Panic { message } => format!("the case panicked: {message}"),
            Failure::Lost { reason } => format!("the case never reported an outcome: {reason}"),
        }
    }
}

/// The kinds of [`Failure`], for counting and for reports' `type` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// See [`Failure::Check`].
    Check,
    /// See [`Failure::Rpc`].
    Rpc,
    /// See [`Failure::Timeout`].
    Timeout,
    /// See [`Failure::PluginCrash`].
    PluginCrash,
    /// See [`Failure::PluginUnavailable`].
    PluginUnavailable,
    /// See [`Failure::Panic`].
    Panic,
    /// See [`Failure::Lost`].
    Lost,
}

impl FailureKind {
    /// The kind's name: `check`, `rpc`, `timeout`, `plugin_crash`, `plugin_unavailable`, `panic`, `lost`.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Check => "check",
            FailureKind::Rpc => "rpc",
            FailureKind::Timeout => "timeout",
            FailureKind::PluginCrash => "plugin_crash",
            FailureKind::PluginUnavailable => "plugin_unavailable",
            FailureKind::Panic => "panic",
            FailureKind::Lost => "lost",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A gRPC status code, serialized as gRPC spells it (`NOT_FOUND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RpcCode(pub tonic::Code);

impl RpcCode {
    /// The canonical name: `OK`, `NOT_FOUND`, `UNIMPLEMENTED`, ...
    pub fn name(self) -> &'static str {
        use tonic::Code::*;
        match self.0 {
            Ok => "OK",
            Cancelled => "CANCELLED",
            Unknown => "UNKNOWN",
            InvalidArgument => "INVALID_ARGUMENT",
            DeadlineExceeded => "DEADLINE_EXCEEDED",
            NotFound => "NOT_FOUND",
            AlreadyExists => "ALREADY_EXISTS",
            PermissionDenied => "PERMISSION_DENIED",
            ResourceExhausted => "RESOURCE_EXHAUSTED",
            FailedPrecondition => "FAILED_PRECONDITION",
            Aborted => "ABORTED",
            OutOfRange => "OUT_OF_RANGE",
            Unimplemented => "UNIMPLEMENTED",
            Internal => "INTERNAL",
            Unavailable => "UNAVAILABLE",
            DataLoss => "DATA_LOSS",
            Unauthenticated => "UNAUTHENTICATED",
        }
    }

    fn from_name(name: &str) -> Option<RpcCode> {
        (0..=16)
            .map(|n| RpcCode(tonic::Code::from_i32(n)))
            .find(|c| c.name() == name)
    }
}

impl Serialize for RpcCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for RpcCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        RpcCode::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown gRPC code `{name}`")))
    }
}

/// An RPC of the case that had not finished when the case failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRpc {
    /// The method path, e.g. `/prism.interfaces.keyvalue.KeyValueBasicInterface/Exists`.
    pub method: String,
    /// How long it had been running.
    #[serde(with = "millis")]
    pub waited: Duration,
    /// Where it was.
    pub state: RpcState,
}

impl PendingRpc {
    /// The method without its package: `KeyValueBasicInterface/Exists`.
    pub fn short_method(&self) -> &str {
        let path = self.method.trim_start_matches('/');
        match path.split_once('/') {
            Some((service, _)) => {
                let start = service.rfind('.').map_or(0, |i| i + 1);
                &path[start..]
            }
            None => path,
        }
    }
}

impl fmt::Display for PendingRpc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} ms, ",
            self.short_method(),
            self.waited.as_millis()
        )?;
        match &self.state {
            RpcState::AwaitingResponse => f.write_str("no response yet)"),
            RpcState::Streaming => f.write_str("response stream open)"),
            RpcState::Broken { error } => write!(f, "connection broken: {error})"),
        }
    }
}

/// Where a [`PendingRpc`] was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RpcState {
    /// Sent; no response headers yet.
    AwaitingResponse,
    /// Response headers arrived; the response stream was still open.
    Streaming,
    /// The transport failed under it (the plugin went away).
    Broken {
        /// The transport's error.
        error: String,
    },
}

/// One line of plugin output, with when it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputLine {
    /// When the line was written.
    #[serde(with = "unix_ms")]
    pub at: SystemTime,
    /// Which stream it came from.
    pub stream: OutputStream,
    /// The line, without its newline.
    pub text: String,
}

/// Where a plugin's output line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputStream {
    /// The plugin's stdout.
    Stdout,
    /// The plugin's stderr.
    Stderr,
}

/// How much of the plugin's output an outcome holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputScope {
    /// Exactly the lines written while the case ran.
    Case,
    /// The plugin runs in-process (its output is the test's own), or the case passed.
    #[default]
    None,
}

/// Commands that rerun exactly one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rerun {
    /// `cargo nextest run -p <package> --test <target> -E 'test(=<id>)'`.
    pub nextest: String,
    /// `cargo test -p <package> --test <target> -- --exact <id>`.
    pub cargo_test: String,
}

impl Rerun {
    /// The commands for `id` in test target `target` of `package`.
    pub fn new(package: &str, target: &str, id: &CaseId) -> Rerun {
        Rerun {
            nextest: format!("cargo nextest run -p {package} --test {target} -E 'test(={id})'"),
            cargo_test: format!("cargo test -p {package} --test {target} -- --exact {id}"),
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1e3)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(d)?;
        Duration::try_from_secs_f64(ms / 1e3).map_err(serde::de::Error::custom)
    }
}

fn to_unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

mod unix_ms {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(super::to_unix_ms(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        Ok(UNIX_EPOCH + Duration::from_millis(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_by_their_grpc_names() {
        for n in 0..=16 {
            let code = RpcCode(tonic::Code::from_i32(n));
            let json = serde_json::to_string(&code).expect("serialize");
            let back: RpcCode = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, code, "{json}");
        }
        assert_eq!(
            serde_json::to_string(&RpcCode(tonic::Code::NotFound)).expect("json"),
            "\"NOT_FOUND\""
        );
        assert!(serde_json::from_str::<RpcCode>("\"NOPE\"").is_err());
    }

    #[test]
    fn pending_rpcs_name_the_service_and_method() {
        let p = PendingRpc {
            method: "/prism.interfaces.keyvalue.KeyValueBasicInterface/Exists".into(),
            waited: Duration::from_millis(1499),
            state: RpcState::AwaitingResponse,
        };
        assert_eq!(p.short_method(), "KeyValueBasicInterface/Exists");
        assert_eq!(
            p.to_string(),
            "KeyValueBasicInterface/Exists (1499 ms, no response yet)"
        );
    }

    #[test]
    fn rerun_commands_select_exactly_one_test() {
        let r = Rerun::new(
            "prism-suites",
            "compliance",
            &CaseId::new("redis", "keyvalue_scan", "scan_limit"),
        );
        assert_eq!(
            r.nextest,
            "cargo nextest run -p prism-suites --test compliance -E 'test(=redis::keyvalue_scan::scan_limit)'"
        );
        assert_eq!(
            r.cargo_test,
            "cargo test -p prism-suites --test compliance -- --exact redis::keyvalue_scan::scan_limit"
        );
    }
}
