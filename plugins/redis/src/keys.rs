//! Key naming: every Redis key, channel and stream name starts with the namespace in a hash tag,
//! `{ns}:<kind>:<name>`, so that namespaces never collide and one namespace stays on one slot.

/// The key of `name` of `kind` (e.g. "kv", "list", "set") in namespace `ns`.
pub fn key(ns: &str, kind: &str, name: &str) -> String {
    format!("{{{ns}}}:{kind}:{name}")
}

/// The prefix all keys of `kind` in `ns` share (for SCAN MATCH, with the name escaped by the caller).
pub fn prefix(ns: &str, kind: &str) -> String {
    format!("{{{ns}}}:{kind}:")
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
}
