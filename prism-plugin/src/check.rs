//! Argument checks every plugin makes the same way, answering INVALID_ARGUMENT with the messages
//! the suites and plugin authors read (`key must not be empty`, ...).
//!
//! They are the rules of the interfaces (see `docs/interfaces.md`), not of a backend, so that every
//! plugin written with this crate rejects the same requests with the same words.
//!
//! ```
//! use prism_plugin::check;
//! use tonic::Code;
//!
//! assert!(check::key("user:1").is_ok());
//! let err = check::key("").unwrap_err();
//! assert_eq!((err.code(), err.message()), (Code::InvalidArgument, "key must not be empty"));
//! assert_eq!(check::positive("ttl_ms", 0).unwrap_err().message(), "ttl_ms must be positive, got 0");
//! ```

use prism_proto::sortedset::GetRangeByScoreRequest;
use prism_proto::stream::{
    AckRequest, AppendRequest, CompactRequest, GetPartitionsRequest, GetRetentionRequest,
    ReplayRangeRequest, SetRetentionRequest,
};
use tonic::Status;

/// A request whose arguments its interface constrains: [`valid`] checks all of them at once.
///
/// Implemented for the requests whose rules are the same in every plugin; a plugin checks other
/// requests with the functions of this module.
pub trait Valid {
    /// INVALID_ARGUMENT for the first argument the interface rejects.
    fn check(&self) -> Result<(), Status>;
}

/// Checks every argument of `request` (see [`Valid`]).
///
/// ```
/// use prism_proto::stream::SetRetentionRequest;
///
/// let bad = SetRetentionRequest { stream: "s".into(), max_age_ms: -1, ..Default::default() };
/// assert_eq!(
///     prism_plugin::check::valid(&bad).unwrap_err().message(),
///     "max_age_ms must not be negative, got -1"
/// );
/// ```
pub fn valid<R: Valid>(request: &R) -> Result<(), Status> {
    request.check()
}

impl Valid for GetRangeByScoreRequest {
    fn check(&self) -> Result<(), Status> {
        key(&self.key)?;
        score_bounds(self.min, self.max)
    }
}

impl Valid for AppendRequest {
    fn check(&self) -> Result<(), Status> {
        non_empty("stream", &self.stream)
    }
}

impl Valid for AckRequest {
    fn check(&self) -> Result<(), Status> {
        non_empty("stream", &self.stream)?;
        non_empty("group", &self.group)
    }
}

impl Valid for ReplayRangeRequest {
    fn check(&self) -> Result<(), Status> {
        offset_range(self.start_offset, self.end_offset)
    }
}

impl Valid for SetRetentionRequest {
    fn check(&self) -> Result<(), Status> {
        non_empty("stream", &self.stream)?;
        non_negative("max_age_ms", self.max_age_ms)
    }
}

impl Valid for GetRetentionRequest {
    fn check(&self) -> Result<(), Status> {
        non_empty("stream", &self.stream)
    }
}

impl Valid for CompactRequest {
    fn check(&self) -> Result<(), Status> {
        non_empty("stream", &self.stream)
    }
}

impl Valid for GetPartitionsRequest {
    fn check(&self) -> Result<(), Status> {
        non_empty("stream", &self.stream)
    }
}

/// `<field> must not be empty` for an empty `value`.
pub fn non_empty(field: &str, value: &str) -> Result<(), Status> {
    if value.is_empty() {
        return Err(Status::invalid_argument(format!(
            "{field} must not be empty"
        )));
    }
    Ok(())
}

/// `key must not be empty`.
pub fn key(key: &str) -> Result<(), Status> {
    non_empty("key", key)
}

/// Every key non-empty (`key must not be empty`).
pub fn keys<K: AsRef<str>>(keys: &[K]) -> Result<(), Status> {
    keys.iter().try_for_each(|k| key(k.as_ref()))
}

/// At least one key, each non-empty: the operands of a set or sorted-set operation
/// (`keys must name at least one set`).
pub fn operands<K: AsRef<str>>(names: &[K]) -> Result<(), Status> {
    if names.is_empty() {
        return Err(Status::invalid_argument("keys must name at least one set"));
    }
    keys(names)
}

/// `topic must not be empty`.
pub fn topic(topic: &str) -> Result<(), Status> {
    non_empty("topic", topic)
}

/// The tokens of a pubsub_wildcards pattern: `.`-separated, `*` one token, `>` one or more trailing
/// tokens (last only), anything else itself; INVALID_ARGUMENT (`pattern "..": why`) otherwise.
///
/// ```
/// use prism_plugin::check;
///
/// assert_eq!(check::pattern("orders.*.>").unwrap(), ["orders", "*", ">"]);
/// assert!(check::pattern("a.>.b").is_err());
/// assert!(check::pattern("a*").is_err());
/// ```
pub fn pattern(pattern: &str) -> Result<Vec<String>, Status> {
    let invalid = |why: &str| Status::invalid_argument(format!("pattern {pattern:?}: {why}"));
    if pattern.is_empty() {
        return Err(invalid("must not be empty"));
    }
    let tokens: Vec<String> = pattern.split('.').map(str::to_owned).collect();
    for (i, token) in tokens.iter().enumerate() {
        if token.is_empty() {
            return Err(invalid("empty token"));
        }
        if token == ">" && i + 1 != tokens.len() {
            return Err(invalid("`>` must be the last token"));
        }
        if token.len() > 1 && (token.contains('*') || token.contains('>')) {
            return Err(invalid("`*` and `>` must be whole tokens"));
        }
    }
    Ok(tokens)
}

/// `<field> must be positive, got <n>` unless `value > 0`.
pub fn positive(field: &str, value: i64) -> Result<(), Status> {
    if value <= 0 {
        return Err(Status::invalid_argument(format!(
            "{field} must be positive, got {value}"
        )));
    }
    Ok(())
}

/// `<field> must not be negative, got <n>` when `value < 0`.
pub fn non_negative(field: &str, value: i64) -> Result<(), Status> {
    if value < 0 {
        return Err(Status::invalid_argument(format!(
            "{field} must not be negative, got {value}"
        )));
    }
    Ok(())
}

/// `<field> must not be NaN`.
pub fn not_nan(field: &str, value: f64) -> Result<(), Status> {
    if value.is_nan() {
        return Err(Status::invalid_argument(format!("{field} must not be NaN")));
    }
    Ok(())
}

/// Score bounds of a range query: neither NaN (`score bounds must not be NaN`); infinities are
/// bounds.
pub fn score_bounds(min: f64, max: f64) -> Result<(), Status> {
    if min.is_nan() || max.is_nan() {
        return Err(Status::invalid_argument("score bounds must not be NaN"));
    }
    Ok(())
}

/// An inclusive offset range of a stream replay: both non-negative, `end >= start`.
pub fn offset_range(start: i64, end: i64) -> Result<(), Status> {
    if start < 0 || end < 0 {
        return Err(Status::invalid_argument("offsets must not be negative"));
    }
    if end < start {
        return Err(Status::invalid_argument(format!(
            "end_offset {end} is before start_offset {start}"
        )));
    }
    Ok(())
}

/// Weights of a weighted set operation: none (every weight 1), or one per key, none NaN.
pub fn weights(weights: &[f64], keys: usize) -> Result<(), Status> {
    if !weights.is_empty() && weights.len() != keys {
        return Err(Status::invalid_argument(format!(
            "{} weights for {keys} keys",
            weights.len()
        )));
    }
    if weights.iter().any(|w| w.is_nan()) {
        return Err(Status::invalid_argument("a weight is NaN"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    fn message(r: Result<(), Status>) -> String {
        let e = r.expect_err("rejected");
        assert_eq!(e.code(), Code::InvalidArgument);
        e.message().to_owned()
    }

    #[test]
    fn accepts_what_the_interfaces_allow() {
        assert!(keys(&["a", "b"]).is_ok());
        assert!(keys::<&str>(&[]).is_ok());
        assert!(operands(&["a"]).is_ok());
        assert!(positive("n", 1).is_ok());
        assert!(non_negative("n", 0).is_ok());
        assert!(offset_range(3, 3).is_ok());
        assert!(weights(&[], 3).is_ok());
        assert!(weights(&[1.0, 2.0], 2).is_ok());
        assert!(score_bounds(f64::NEG_INFINITY, f64::INFINITY).is_ok());
    }

    #[test]
    fn rejects_with_the_documented_messages() {
        assert_eq!(message(keys(&["a", ""])), "key must not be empty");
        assert_eq!(
            message(operands::<&str>(&[])),
            "keys must name at least one set"
        );
        assert_eq!(message(topic("")), "topic must not be empty");
        assert_eq!(
            message(non_negative("max_age_ms", -1)),
            "max_age_ms must not be negative, got -1"
        );
        assert_eq!(message(not_nan("score", f64::NAN)), "score must not be NaN");
        assert_eq!(message(offset_range(-1, 2)), "offsets must not be negative");
        assert_eq!(
            message(offset_range(5, 2)),
            "end_offset 2 is before start_offset 5"
        );
        assert_eq!(message(weights(&[1.0], 2)), "1 weights for 2 keys");
        assert_eq!(message(weights(&[f64::NAN], 1)), "a weight is NaN");
        assert_eq!(
            message(score_bounds(0.0, f64::NAN)),
            "score bounds must not be NaN"
        );
    }
}
