//! Key naming: every Redis key, channel and stream name starts with the namespace in a hash tag,
//! `{ns}:<kind>:<name>`, so that namespaces never collide and one namespace stays on one slot.
//!
//! The namespace is percent-encoded (`%` and `}` only) so that it never holds a `}`: the first `}`
//! of a key always ends its namespace, which makes the naming injective whatever the namespace
//! and name contain. Kinds are fixed words without `:`.

/// The namespace as it appears between the braces: `%` and `}` percent-encoded.
fn encode_ns(ns: &str) -> String {
    let mut out = String::with_capacity(ns.len());
    for c in ns.chars() {
        match c {
            '%' => out.push_str("%25"),
            '}' => out.push_str("%7D"),
            c => out.push(c),
        }
    }
    out
}

/// The key of `name` of `kind` (e.g. "kv", "list", "set") in namespace `ns`.
pub fn key(ns: &str, kind: &str, name: &str) -> String {
    format!("{}{name}", prefix(ns, kind))
}

/// The prefix all keys of `kind` in `ns` share (for SCAN MATCH, with the name escaped by the caller).
pub fn prefix(ns: &str, kind: &str) -> String {
    format!("{{{}}}:{kind}:", encode_ns(ns))
}

/// Escapes glob metacharacters so that `s` matches literally in SCAN MATCH / PSUBSCRIBE.
pub fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '^' | '-') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_and_kinds_never_share_keys() {
        assert_ne!(key("a", "kv", "b:c"), key("a:kv:b", "kv", "c"));
        assert_eq!(key("ns", "kv", "k"), "{ns}:kv:k");
        assert_eq!(glob_escape("a*b?[c]"), "a\\*b\\?\\[c\\]");
    }

    #[test]
    fn a_brace_in_the_namespace_cannot_forge_another_namespace() {
        assert_ne!(key("a", "kv", "b}:kv:c"), key("a}:kv:b", "kv", "c"));
        assert_ne!(key("a%7D", "kv", "x"), key("a}", "kv", "x"));
        assert_eq!(key("a}b%", "kv", "k"), "{a%7Db%25}:kv:k");
        assert!(key("a}", "kv", "k").starts_with(&prefix("a}", "kv")));
    }
}
