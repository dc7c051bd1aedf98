//! Deliberately broken behaviours, which exist only for prism-suite's self-tests: they prove that the
//! suites catch a broken plugin. A plugin serving real users never turns any of them on.

use std::fmt;

/// Environment variable holding a comma-separated list of fault names.
pub const FAULTS_ENV: &str = "PRISM_MEMSTORE_FAULTS";

/// Deliberately broken behaviours, only for prism-suite's self-tests; [`Faults::default`] is none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// `delete_always_found`: Delete reports found = true even for a missing key.
    pub delete_always_found: bool,
    /// `scan_ignores_limit`: Scan and ScanKeys ignore `limit`.
    pub scan_ignores_limit: bool,
    /// `accept_empty_key`: an empty key is accepted everywhere instead of INVALID_ARGUMENT.
    pub accept_empty_key: bool,
    /// `ttl_never_expires`: Expire reports found but keys never expire; GetTTL stays positive.
    pub ttl_never_expires: bool,
    /// `cas_always_swaps`: CompareAndSwap ignores `expected` and always swaps.
    pub cas_always_swaps: bool,
    /// `crash_on_get`: Get writes a line to stderr and aborts the process.
    pub crash_on_get: bool,
    /// `hang_on_exists`: Exists writes a line to stderr and never answers.
    pub hang_on_exists: bool,
}

impl Faults {
    /// Reads [`FAULTS_ENV`]; unset or empty means no faults.
    pub fn from_env() -> Result<Self, UnknownFault> {
        // Lossy, so that a non-UTF-8 value is reported as an unknown name rather than ignored.
        std::env::var_os(FAULTS_ENV).map_or(Ok(Self::default()), |list| {
            Self::parse(&list.to_string_lossy())
        })
    }

    /// Parses a comma-separated list of fault names (blanks around names and empty items are ignored).
    pub fn parse(list: &str) -> Result<Self, UnknownFault> {
        let mut faults = Self::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let flag = faults
                .flags()
                .into_iter()
                .find_map(|(known, flag)| (known == name).then_some(flag))
                .ok_or_else(|| UnknownFault {
                    name: name.to_owned(),
                })?;
            *flag = true;
        }
        Ok(faults)
    }

    /// Every fault name, in declaration order.
    pub fn names() -> [&'static str; 7] {
        Self::default().flags().map(|(name, _)| name)
    }

    /// Names of the faults that are on.
    pub fn enabled(&self) -> Vec<&'static str> {
        let mut copy = *self;
        copy.flags()
            .into_iter()
            .filter(|(_, on)| **on)
            .map(|(name, _)| name)
            .collect()
    }

    // The one table that ties names to fields, so parsing, listing and naming cannot drift apart.
    fn flags(&mut self) -> [(&'static str, &mut bool); 7] {
        [
            ("delete_always_found", &mut self.delete_always_found),
            ("scan_ignores_limit", &mut self.scan_ignores_limit),
            ("accept_empty_key", &mut self.accept_empty_key),
            ("ttl_never_expires", &mut self.ttl_never_expires),
            ("cas_always_swaps", &mut self.cas_always_swaps),
            ("crash_on_get", &mut self.crash_on_get),
            ("hang_on_exists", &mut self.hang_on_exists),
        ]
    }
}

/// A fault name that [`Faults::parse`] does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFault {
    /// The name as given.
    pub name: String,
}

impl fmt::Display for UnknownFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown fault {:?} in {FAULTS_ENV}; valid names: {}",
            self.name,
            Faults::names().join(", ")
        )
    }
}

impl std::error::Error for UnknownFault {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_list_means_no_faults() {
        assert_eq!(Faults::parse(""), Ok(Faults::default()));
        assert_eq!(Faults::parse(" , ,"), Ok(Faults::default()));
    }

    #[test]
    fn parses_names_with_blanks() {
        let faults = Faults::parse(" scan_ignores_limit ,crash_on_get,").expect("valid list");
        assert_eq!(
            faults,
            Faults {
                scan_ignores_limit: true,
                crash_on_get: true,
                ..Faults::default()
            }
        );
        assert_eq!(faults.enabled(), ["scan_ignores_limit", "crash_on_get"]);
    }

    #[test]
    fn every_name_turns_on_exactly_one_fault() {
        for name in Faults::names() {
            let faults = Faults::parse(name).expect("known name");
            assert_eq!(faults.enabled(), [name]);
        }
    }

    #[test]
    fn unknown_name_is_an_error_listing_valid_names() {
        let err = Faults::parse("delete_always_found,crash_on_set").expect_err("unknown name");
        assert_eq!(err.name, "crash_on_set");
        let message = err.to_string();
        assert!(message.contains("\"crash_on_set\""), "{message}");
        for name in Faults::names() {
            assert!(message.contains(name), "{message} lacks {name}");
        }
    }

    #[test]
    fn names_are_case_sensitive() {
        assert!(Faults::parse("Crash_On_Get").is_err());
    }
}
