//! Kafka names of the Prism objects: every topic and group id the plugin touches is built here.
//!
//! A name is `prism.<namespace>.<kind>.<name>[.<name>]`, each part escaped so that the mapping is
//! injective and the result is a legal Kafka topic name (`[a-zA-Z0-9._-]`, at most 249 bytes):
//! ASCII letters, digits and `-` stay, every other byte of the UTF-8 text (`.` and `_` included)
//! becomes `_` and two lowercase hex digits. `.` therefore only ever separates parts, so two
//! different (namespace, kind, name) triples never share a topic, and namespaces are kept apart by
//! the broker itself. Group ids use the same form (Kafka allows any string there; one scheme keeps
//! them readable next to their topics).

use std::fmt::Write as _;

use tonic::Status;

/// Longest topic name Kafka accepts.
pub const MAX_TOPIC_LEN: usize = 249;

/// What a Kafka name holds; the kind part of the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The single log of a stream (stream_basic, replay, retention, consumer groups).
    Stream,
    /// The partitioned log of a stream (stream_partitioning), apart from its single log.
    Partitioned,
    /// A pubsub topic: plain and ordered publishes.
    Topic,
    /// The persistent publishes of a pubsub topic.
    Durable,
    /// A consumer group of a stream (group id).
    Group,
    /// The record-count policy and compaction position of a stream (a state key).
    Retention,
    /// The position of a durable subscription (group id).
    Subscription,
    /// The plugin's own state of a namespace (a compacted topic, see [`crate::state`]).
    State,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Stream => "s",
            Kind::Partitioned => "p",
            Kind::Topic => "t",
            Kind::Durable => "d",
            Kind::Group => "g",
            Kind::Retention => "r",
            Kind::Subscription => "u",
            Kind::State => "k",
        }
    }
}

fn escape(out: &mut String, part: &str) {
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "_{b:02x}");
        }
    }
}

/// The Kafka name of `parts` of `kind` in `namespace`; INVALID_ARGUMENT when it would exceed
/// [`MAX_TOPIC_LEN`].
pub fn name(namespace: &str, kind: Kind, parts: &[&str]) -> Result<String, Status> {
    let mut out = String::from("prism.");
    escape(&mut out, namespace);
    out.push('.');
    out.push_str(kind.tag());
    for part in parts {
        out.push('.');
        escape(&mut out, part);
    }
    if out.len() > MAX_TOPIC_LEN {
        return Err(Status::invalid_argument(format!(
            "namespace and name are too long for a Kafka topic: escaped they take {} bytes, \
             Kafka allows {MAX_TOPIC_LEN}",
            out.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_safe_characters_and_escapes_the_rest() {
        assert_eq!(
            name("ns-1", Kind::Stream, &["orders"]).unwrap(),
            "prism.ns-1.s.orders"
        );
        assert_eq!(
            name("a_b", Kind::Topic, &["news.local", "*"]).unwrap(),
            "prism.a_5fb.t.news_2elocal._2a"
        );
        assert_eq!(
            name("n", Kind::Topic, &["news "]).unwrap(),
            "prism.n.t.news_20"
        );
    }

    #[test]
    fn distinct_inputs_never_share_a_name() {
        let cases = [
            ("a.b", Kind::Stream, vec!["c"]),
            ("a", Kind::Stream, vec!["b.c"]),
            ("a", Kind::Group, vec!["b", "c"]),
            ("a", Kind::Group, vec!["b.c"]),
            ("a", Kind::Topic, vec!["News"]),
            ("a", Kind::Topic, vec!["news"]),
            ("a", Kind::Topic, vec!["_2e"]),
            ("a", Kind::Topic, vec!["."]),
        ];
        let names: std::collections::BTreeSet<String> = cases
            .iter()
            .map(|(ns, kind, parts)| name(ns, *kind, parts).unwrap())
            .collect();
        assert_eq!(names.len(), cases.len(), "{names:?}");
    }

    #[test]
    fn too_long_is_invalid_argument() {
        let long = "x".repeat(300);
        let err = name("ns", Kind::Stream, &[&long]).unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
    }
}
