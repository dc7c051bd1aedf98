//! The YAML layer: saphyr's parser, with every node's position, turned into a small owned tree the
//! loader walks.
//!
//! saphyr (the maintained successor of yaml-rust) is YAML 1.2 compliant, gives every node and every
//! mapping key a span, resolves scalars by the core schema (so `status: true` stays a boolean and
//! can be rejected as one), rejects duplicate keys and bounds alias expansion.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// 1-based line and column of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    fn of(marker: &saphyr::Marker) -> Pos {
        Pos {
            line: marker.line(),
            column: marker.col() + 1,
        }
    }

    /// The start of the file, for mistakes about the file as a whole.
    pub const START: Pos = Pos { line: 1, column: 1 };
}

/// A node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub at: Pos,
}

/// A YAML value, scalars resolved by the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in file order (duplicate keys are a syntax error).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// What kind of value this is, for "expected a list, found a number" messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(s) if s.is_empty() => "an empty string",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error and where the parser stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub at: Pos,
    pub message: String,
}

/// Parses one YAML document; `Ok(None)` for a file with no document (empty or only comments).
pub(crate) fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| SyntaxError {
        at: Pos::of(e.marker()),
        message: e.info().to_owned(),
    })?;
    let mut docs = docs.into_iter();
    let Some(first) = docs.next() else {
        return Ok(None);
    };
    if let Some(second) = docs.next() {
        return Err(SyntaxError {
            at: Pos::of(&second.span.start),
            message: "a registry file holds one YAML document; this is a second one (`---`)"
                .to_owned(),
        });
    }
    convert(first).map(Some)
}

fn convert(node: MarkedYaml<'_>) -> Result<Node, SyntaxError> {
    let at = Pos::of(&node.span.start);
    let value =
        match node.data {
            YamlData::Value(scalar) => scalar_value(scalar),
            YamlData::Sequence(items) => {
                Value::Seq(items.into_iter().map(convert).collect::<Result<_, _>>()?)
            }
            YamlData::Mapping(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| Ok((convert(k)?, convert(v)?)))
                    .collect::<Result<_, _>>()?,
            ),
            // A tag (`!!str 1`, `!custom x`) changes nothing the loader reads: the value is kept.
            YamlData::Tagged(_, inner) => return convert(*inner).map(|n| Node { at, ..n }),
            YamlData::Representation(text, _, _) => Value::Str(text.into_owned()),
            YamlData::Alias(_) | YamlData::BadValue => return Err(SyntaxError {
                at,
                message:
                    "a value that does not fit its tag (e.g. `!!int abc`) or an unresolved alias"
                        .to_owned(),
            }),
        };
    Ok(Node { value, at })
}

fn scalar_value(scalar: Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(b),
        Scalar::Integer(i) => Value::Int(i),
        Scalar::FloatingPoint(f) => Value::Float(f.into_inner()),
        Scalar::String(s) => Value::Str(s.into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn positions_of_keys_and_values() {
        let doc = parse("a: 1\nb:\n  - x\n  - { c: [y] }\n").unwrap().unwrap();
        let map = doc.as_map().unwrap();
        assert_eq!(map[0].0.at, pos(1, 1));
        assert_eq!(
            map[0].1,
            Node {
                value: Value::Int(1),
                at: pos(1, 4)
            }
        );
        assert_eq!(map[1].0.at, pos(2, 1));
        let items = map[1].1.as_seq().unwrap();
        assert_eq!(items[0].at, pos(3, 5));
        let inner = items[1].as_map().unwrap();
        assert_eq!(inner[0].0.at, pos(4, 7));
        assert_eq!(inner[0].1.as_seq().unwrap()[0].at, pos(4, 11));
    }

    #[test]
    fn scalars_keep_their_types() {
        let doc = parse("a: true\nb: ~\nc:\nd: '1'\ne: 1.5\nf: 1\n")
            .unwrap()
            .unwrap();
        let values: Vec<_> = doc
            .as_map()
            .unwrap()
            .iter()
            .map(|(_, v)| v.value.clone())
            .collect();
        assert_eq!(
            values,
            [
                Value::Bool(true),
                Value::Null,
                Value::Null,
                Value::Str("1".into()),
                Value::Float(1.5),
                Value::Int(1)
            ]
        );
    }

    #[test]
    fn duplicate_keys_and_second_documents_are_syntax_errors() {
        let e = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.at.line, 3, "{e:?}");
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.at.line, 3, "{e:?}");
        assert!(e.message.contains("one YAML document"), "{e:?}");
        assert_eq!(parse("# nothing\n").unwrap(), None);
    }
}
