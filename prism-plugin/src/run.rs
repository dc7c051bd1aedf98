//! [`run`]: the whole plugin protocol for a binary, in one call.

use std::error::Error;
use std::future::Future;
use std::process::ExitCode;

use crate::{Config, ConfigError, Services, Stop};

/// Any error a plugin's set-up returns.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// Exit status for a configuration error (a variable unset or malformed): the plugin cannot start
/// as configured, and restarting it will not help.
pub const EXIT_CONFIG: u8 = 2;
/// Exit status for any other failure (the backend is unreachable, the port is taken, ...).
pub const EXIT_FAILURE: u8 = 1;

/// Runs a plugin binary: reads the [`Config`] from the environment, calls `setup` with it (connect
/// to the backend, build the [`Services`]), listens on `PRISM_PLUGIN_ADDR`, prints
/// `<name> listening on <addr>` and the services' notes on stderr, and serves until SIGTERM or
/// SIGINT, then stops within the grace period and exits 0.
///
/// A configuration error exits [`EXIT_CONFIG`] (also when `setup` returns a [`ConfigError`]),
/// any other failure [`EXIT_FAILURE`], each with one line `<name>: <error>` on stderr.
///
/// ```no_run
/// # mod kv { include!("../examples/kv/store.rs"); }
/// use prism_proto::keyvalue::key_value_basic_interface_server::KeyValueBasicInterfaceServer;
///
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     prism_plugin::run("prism-example-plugin", |_cfg: prism_plugin::Config| async move {
///         // A plugin over a real backend connects here, to `cfg.backend_url()?`.
///         Ok::<_, prism_plugin::BoxError>(
///             prism_plugin::Services::new().add(KeyValueBasicInterfaceServer::new(kv::Kv::default())),
///         )
///     })
///     .await
/// }
/// ```
pub async fn run<F, Fut, E>(name: &str, setup: F) -> ExitCode
where
    F: FnOnce(Config) -> Fut,
    Fut: Future<Output = Result<Services, E>>,
    E: Into<BoxError>,
{
    match serve_plugin(name, setup).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{name}: {}", chain(err.as_ref()));
            let config = err.downcast_ref::<ConfigError>().is_some();
            ExitCode::from(if config { EXIT_CONFIG } else { EXIT_FAILURE })
        }
    }
}

async fn serve_plugin<F, Fut, E>(name: &str, setup: F) -> Result<(), BoxError>
where
    F: FnOnce(Config) -> Fut,
    Fut: Future<Output = Result<Services, E>>,
    E: Into<BoxError>,
{
    let cfg = Config::from_env()?;
    // Listening for signals from the start: a SIGTERM during a slow set-up ends it cleanly too.
    let mut stop = Box::pin(crate::signal::shutdown());
    let services = tokio::select! {
        services = setup(cfg.clone()) => services.map_err(Into::into)?,
        stopped = &mut stop => return stopped.map_err(Into::into),
    };
    let addr = cfg.addr();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    eprintln!(
        "{name} listening on {}",
        listener.local_addr().unwrap_or(addr)
    );
    for note in services.notes() {
        eprintln!("{name}: {note}");
    }
    let mut signal_error = None;
    let stopped = services
        .serve_until(listener, async {
            if let Err(e) = (&mut stop).await {
                signal_error = Some(e);
            }
        })
        .await?;
    if let Some(e) = signal_error {
        return Err(format!("cannot wait for signals: {e}").into());
    }
    if stopped == Stop::GraceExpired {
        eprintln!("{name}: stopped; calls still open after the grace period were dropped");
    }
    Ok(())
}

/// The error and its sources, `: `-separated.
fn chain(err: &(dyn Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out = format!("{out}: {text}");
        }
        source = s.source();
    }
    out
}
