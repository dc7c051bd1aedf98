//! JSON in JSONB, losslessly: JSONB cannot hold U+0000 in a string or key, which JSON text may.
//!
//! Before a value goes into a JSONB column, every string and object key is rewritten with an
//! order-preserving escape (U+0000 becomes U+0001 U+0001 and U+0001 becomes U+0001 U+0002); on the
//! way out it is undone. The code is prefix-free and monotone, so equality and byte order of
//! strings (what queries compare) are the same before and after, and values without either
//! character (nearly all) are stored exactly as written.

use serde_json::{Map, Value};

const ESC: char = '\u{1}';

fn needs_escape(s: &str) -> bool {
    s.contains(['\u{0}', ESC])
}

/// `s` with U+0000 and U+0001 escaped.
pub fn escape_str(s: &str) -> String {
    if !needs_escape(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '\u{0}' => out.push_str("\u{1}\u{1}"),
            ESC => out.push_str("\u{1}\u{2}"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`escape_str`].
pub fn unescape_str(s: &str) -> String {
    if !s.contains(ESC) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == ESC {
            match chars.next() {
                Some('\u{1}') => out.push('\u{0}'),
                Some('\u{2}') => out.push(ESC),
                Some(other) => {
                    out.push(ESC);
                    out.push(other);
                }
                None => out.push(ESC),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn map_strings(value: Value, f: &impl Fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (f(&k), map_strings(v, f)))
                .collect::<Map<String, Value>>(),
        ),
        other => other,
    }
}

/// `value` ready for a JSONB column.
pub fn escape(value: Value) -> Value {
    map_strings(value, &escape_str)
}

/// A value read from a JSONB column, as it was written.
pub fn unescape(value: Value) -> Value {
    map_strings(value, &unescape_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_nul_and_the_escape_itself() {
        let v = json!({"a\u{0}": ["x\u{0}y", "\u{1}", "\u{1}\u{1}", "plain"], "n": 1});
        assert_eq!(unescape(escape(v.clone())), v);
    }

    #[test]
    fn keeps_byte_order_and_equality() {
        let words = [
            "",
            "\u{0}",
            "\u{0}\u{0}",
            "\u{0}a",
            "\u{1}",
            "\u{1}\u{0}",
            "\u{2}",
            "a",
            "a\u{0}",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    escape_str(a).cmp(&escape_str(b)),
                    a.cmp(b),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }
}
