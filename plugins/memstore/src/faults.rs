//! Deliberately broken behaviours, which exist only for prism-suite's self-tests: they prove that the
//! suites catch a broken plugin. A plugin serving real users never turns any of them on.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::ops::Index;

/// Environment variable holding a comma-separated list of fault names.
pub const FAULTS_ENV: &str = "PRISM_MEMSTORE_FAULTS";

/// Every fault the plugin knows, with what it breaks: one table per data model, kept beside the
/// code it breaks, so that adding a model's faults touches only that model's module.
const CATALOGUE: &[&[(&str, &str)]] = &[
    crate::keyvalue::FAULTS,
    crate::models::pubsub::FAULTS,
    crate::models::stream::FAULTS,
    crate::models::queue::FAULTS,
    crate::models::list::FAULTS,
    crate::models::set::FAULTS,
    crate::models::sortedset::FAULTS,
    crate::models::timeseries::FAULTS,
    crate::models::graph::FAULTS,
    crate::models::document::FAULTS,
];

/// Deliberately broken behaviours, only for prism-suite's self-tests; [`Faults::default`] is none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    enabled: BTreeSet<&'static str>,
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
            let known = Self::names()
                .into_iter()
                .find(|known| *known == name)
                .ok_or_else(|| UnknownFault {
                    name: name.to_owned(),
                })?;
            faults.enabled.insert(known);
        }
        Ok(faults)
    }

    /// Every fault name, model by model, in declaration order.
    pub fn names() -> Vec<&'static str> {
        Self::described()
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    /// Every fault name with the one-line description of what it breaks.
    pub fn described() -> Vec<(&'static str, &'static str)> {
        CATALOGUE
            .iter()
            .flat_map(|model| model.iter().copied())
            .collect()
    }

    /// Names of the faults that are on, in catalogue order.
    pub fn enabled(&self) -> Vec<&'static str> {
        Self::names()
            .into_iter()
            .filter(|name| self.enabled.contains(name))
            .collect()
    }

    /// Whether the fault `name` is on. `name` must be in the catalogue.
    pub fn has(&self, name: &str) -> bool {
        debug_assert!(
            Self::names().contains(&name),
            "fault `{name}` is not in the catalogue"
        );
        self.enabled.contains(name)
    }
}

/// What namespaces end with that a model's `<model>_namespace_prefix_leak` fault ignores.
const LEAKY_ENDINGS: &[char] = &[':', '%', '_', '*', '}'];

/// A model's data by namespace. With the model's namespace-leak fault on, namespaces that differ
/// only in trailing `:`, `%`, `_`, `*` or `}` share one entry (as in a plugin that joins
/// `namespace:name` unescaped, or matches namespaces with an unescaped `LIKE` or glob pattern);
/// otherwise it is a plain map, and every model files its namespaces through it.
#[derive(Debug)]
pub(crate) struct Spaces<V> {
    map: HashMap<String, V>,
    leaky: bool,
}

impl<V> Default for Spaces<V> {
    fn default() -> Self {
        Self {
            map: HashMap::new(),
            leaky: false,
        }
    }
}

impl<V> Spaces<V> {
    /// An empty map; leaky when `fault` (a namespace-leak fault of the catalogue) is on.
    pub(crate) fn new(faults: &Faults, fault: &str) -> Self {
        Self {
            map: HashMap::new(),
            leaky: faults.has(fault),
        }
    }

    fn key<'a>(&self, ns: &'a str) -> &'a str {
        if self.leaky {
            ns.trim_end_matches(LEAKY_ENDINGS)
        } else {
            ns
        }
    }

    pub(crate) fn get(&self, ns: &str) -> Option<&V> {
        self.map.get(self.key(ns))
    }

    pub(crate) fn get_mut(&mut self, ns: &str) -> Option<&mut V> {
        let key = self.key(ns);
        self.map.get_mut(key)
    }

    pub(crate) fn entry(&mut self, ns: String) -> Entry<'_, String, V> {
        let key = self.key(&ns).to_owned();
        self.map.entry(key)
    }

    pub(crate) fn remove(&mut self, ns: &str) -> Option<V> {
        let key = self.key(ns);
        self.map.remove(key)
    }

    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl<V> Index<&str> for Spaces<V> {
    type Output = V;

    fn index(&self, ns: &str) -> &V {
        &self.map[self.key(ns)]
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
        assert!(faults.has("scan_ignores_limit") && faults.has("crash_on_get"));
        assert!(!faults.has("delete_always_found"));
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
    fn names_are_unique() {
        let mut names = Faults::names();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len(), "a fault name is declared twice");
    }

    #[test]
    fn leaky_spaces_share_namespaces_that_differ_in_trailing_separators() {
        let faults = Faults::parse("list_namespace_prefix_leak").expect("known fault");
        let mut leaky: Spaces<u32> = Spaces::new(&faults, "list_namespace_prefix_leak");
        *leaky.entry("ns".into()).or_default() += 1;
        *leaky.entry("ns:".into()).or_default() += 1;
        assert_eq!(leaky.get("ns%"), Some(&2));
        assert_eq!(leaky.get("nsb"), None);
        let mut apart: Spaces<u32> = Spaces::new(&faults, "set_namespace_prefix_leak");
        *apart.entry("ns".into()).or_default() += 1;
        assert_eq!(apart.get("ns:"), None);
        assert_eq!(apart["ns"], 1);
    }

    #[test]
    fn names_are_case_sensitive() {
        assert!(Faults::parse("Crash_On_Get").is_err());
    }
}
