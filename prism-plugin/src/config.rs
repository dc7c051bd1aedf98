//! The plugin's configuration, as the harness passes it: environment variables.

use std::net::SocketAddr;

/// The address the plugin listens on (`127.0.0.1:<port>`), set by the harness.
pub const PLUGIN_ADDR_ENV: &str = "PRISM_PLUGIN_ADDR";
/// The URL of the backend instance the plugin serves from, set by the harness when it has one.
pub const BACKEND_URL_ENV: &str = "PRISM_BACKEND_URL";

/// A configuration variable that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{var} is not set; expected {expected} (the prism-suite harness sets it, see the plugin protocol)")]
    Unset {
        /// The variable.
        var: String,
        /// What it should hold, with an example.
        expected: String,
    },
    /// A variable is set to something the plugin cannot use.
    #[error("{var}={value:?} is not valid: {problem}")]
    Invalid {
        /// The variable.
        var: String,
        /// Its value (lossy for a non-UTF-8 one).
        value: String,
        /// What is wrong and what would be right.
        problem: String,
    },
}

impl ConfigError {
    /// A variable set to a value the plugin cannot use (for a plugin's own variables).
    pub fn invalid(var: &str, value: &str, problem: impl std::fmt::Display) -> Self {
        ConfigError::Invalid {
            var: var.to_owned(),
            value: value.to_owned(),
            problem: problem.to_string(),
        }
    }
}

/// What the harness tells a plugin: where to listen and, when there is one, the backend's URL.
///
/// ```
/// use prism_plugin::Config;
///
/// let cfg = Config::new("127.0.0.1:4567".parse().unwrap()).with_backend_url("redis://127.0.0.1:6379");
/// assert_eq!(cfg.addr().port(), 4567);
/// assert_eq!(cfg.backend_url().unwrap(), "redis://127.0.0.1:6379");
/// assert!(Config::new(cfg.addr()).backend_url().unwrap_err().to_string().contains("PRISM_BACKEND_URL"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    addr: SocketAddr,
    backend_url: Option<String>,
}

impl Config {
    /// A configuration listening on `addr`, without a backend URL.
    pub fn new(addr: SocketAddr) -> Self {
        Config {
            addr,
            backend_url: None,
        }
    }

    /// The same with `url` as the backend URL.
    pub fn with_backend_url(mut self, url: impl Into<String>) -> Self {
        self.backend_url = Some(url.into());
        self
    }

    /// Reads [`PLUGIN_ADDR_ENV`] (required, `ip:port`) and [`BACKEND_URL_ENV`] (optional here;
    /// [`Config::backend_url`] fails when a plugin that needs it finds it unset).
    pub fn from_env() -> Result<Self, ConfigError> {
        let raw = var(PLUGIN_ADDR_ENV)?.ok_or_else(|| ConfigError::Unset {
            var: PLUGIN_ADDR_ENV.to_owned(),
            expected: "the address to listen on, e.g. 127.0.0.1:4567".to_owned(),
        })?;
        let addr = raw.parse().map_err(|e| {
            ConfigError::invalid(
                PLUGIN_ADDR_ENV,
                &raw,
                format_args!("not an ip:port address ({e}), e.g. 127.0.0.1:4567"),
            )
        })?;
        Ok(Config {
            addr,
            backend_url: var(BACKEND_URL_ENV)?.filter(|url| !url.is_empty()),
        })
    }

    /// Where to listen.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The backend instance's URL; an error naming [`BACKEND_URL_ENV`] when the harness gave none
    /// (the registry file has no `instance:` and `PRISM_<BACKEND>_URL` is not set).
    pub fn backend_url(&self) -> Result<&str, ConfigError> {
        self.backend_url
            .as_deref()
            .ok_or_else(|| ConfigError::Unset {
                var: BACKEND_URL_ENV.to_owned(),
                expected: "the URL of the backend instance, e.g. redis://127.0.0.1:6379; give the registry file an `instance:` section or set PRISM_<BACKEND>_URL".to_owned(),
            })
    }
}

/// The variable `name`, `None` when unset; a non-UTF-8 value is an error rather than ignored.
pub fn var(name: &str) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(raw)) => Err(ConfigError::invalid(
            name,
            &raw.to_string_lossy(),
            "not valid UTF-8",
        )),
    }
}
