//! Helpers every model shares: the SDK's reply types and checks, and counts.

pub use prism_plugin::check::non_empty;
pub use prism_plugin::{stream, ItemStream, Reply};

/// A count from the database (never negative) as u64.
pub fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// `s` as an SQL string literal (E'...', so backslashes mean the same whatever
/// `standard_conforming_strings` says), for statements that take no parameters (DDL, and
/// several statements sent in one round trip). `s` must not contain U+0000 (text cannot).
pub fn literal(s: &str) -> String {
    format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn literal_escapes_quotes_and_backslashes() {
        assert_eq!(super::literal(r"it's a \ path"), r"E'it''s a \\ path'");
    }
}
