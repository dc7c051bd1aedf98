//! Deliberately broken behaviours, which exist only for prism-suite's self-tests
//! (`suites/tests/broken_redis.rs`): they prove that the suites catch a broken plugin over a real
//! Redis, not only a broken memstore. A plugin serving real users never turns any of them on.

/// Environment variable holding a comma-separated list of fault names.
pub const FAULTS_ENV: &str = "PRISM_REDIS_FAULTS";

/// Every fault the plugin knows, with what it breaks.
pub const FAULTS: &[(&str, &str)] = &[
    (
        "scan_leaks_longer_namespace",
        "Scan, ScanKeys and Count of namespace `a` also see the keys of every namespace whose \
         name starts with `a` (`ab`, `a:`): the glob ends the namespace with `*` instead of at \
         its brace",
    ),
    (
        "set_drops_empty_value",
        "Set of an empty value is acknowledged but not stored, as if empty meant absent",
    ),
];

/// The faults that are on; [`Faults::default`] is none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    scan_leaks_longer_namespace: bool,
    set_drops_empty_value: bool,
}

/// A fault name the plugin does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault `{name}` (known: {})", FAULTS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "))]
pub struct UnknownFault {
    /// The name given.
    pub name: String,
}

impl Faults {
    /// Reads [`FAULTS_ENV`]; unset or empty means no faults.
    pub fn from_env() -> Result<Self, UnknownFault> {
        std::env::var_os(FAULTS_ENV).map_or(Ok(Self::default()), |list| {
            Self::parse(&list.to_string_lossy())
        })
    }

    /// Parses a comma-separated list of fault names (blanks and empty items are ignored).
    pub fn parse(list: &str) -> Result<Self, UnknownFault> {
        let mut faults = Self::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "scan_leaks_longer_namespace" => faults.scan_leaks_longer_namespace = true,
                "set_drops_empty_value" => faults.set_drops_empty_value = true,
                _ => {
                    return Err(UnknownFault {
                        name: name.to_owned(),
                    })
                }
            }
        }
        Ok(faults)
    }

    /// Whether a namespace's scans also see the namespaces its name is a prefix of.
    pub fn scan_leaks_longer_namespace(&self) -> bool {
        self.scan_leaks_longer_namespace
    }

    /// Whether a Set of an empty value is acknowledged without being stored.
    pub fn set_drops_empty_value(&self) -> bool {
        self.set_drops_empty_value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_fault_parses_and_an_unknown_one_is_named() {
        for (name, _) in FAULTS {
            assert_ne!(Faults::parse(name), Ok(Faults::default()), "{name}");
        }
        assert_eq!(Faults::parse(" , "), Ok(Faults::default()));
        let e = Faults::parse("scan_leaks_longer_namespace,no_such").unwrap_err();
        assert_eq!(e.name, "no_such");
        assert!(
            e.to_string().contains("known: scan_leaks_longer_namespace"),
            "{e}"
        );
    }
}
