//! `prism-memstore-plugin`: the in-memory reference backend as a standalone Prism plugin.
//!
//! Plugin protocol: listen on `PRISM_PLUGIN_ADDR`, ignore `PRISM_BACKEND_URL` (nothing to connect
//! to), take deliberate faults from `PRISM_MEMSTORE_FAULTS`, stop on SIGTERM or SIGINT with exit 0.

use std::net::SocketAddr;
use std::process::ExitCode;

use prism_memstore::{serve, Faults};
use tokio::net::TcpListener;

const NAME: &str = "prism-memstore-plugin";
const ADDR_ENV: &str = "PRISM_PLUGIN_ADDR";

/// Exit code for a bad configuration, as opposed to a runtime failure (1).
const USAGE: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let addr = match listen_addr() {
        Ok(addr) => addr,
        Err(message) => return fail(USAGE, &message),
    };
    let faults = match Faults::from_env() {
        Ok(faults) => faults,
        Err(err) => return fail(USAGE, &err.to_string()),
    };
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => return fail(1, &format!("cannot listen on {addr}: {err}")),
    };
    let local = listener.local_addr().unwrap_or(addr);
    eprintln!("{NAME} listening on {local}");
    if !faults.enabled().is_empty() {
        eprintln!(
            "{NAME}: injected faults on: {}",
            faults.enabled().join(", ")
        );
    }

    // Not a graceful shutdown: the hang_on_exists fault keeps calls open forever, and an in-memory
    // store has nothing to flush.
    tokio::select! {
        served = serve(listener, faults) => match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(1, &format!("server failed: {err}")),
        },
        signal = shutdown_signal() => match signal {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(1, &format!("cannot wait for signals: {err}")),
        },
    }
}

fn listen_addr() -> Result<SocketAddr, String> {
    let raw = std::env::var(ADDR_ENV).map_err(|_| {
        format!("{ADDR_ENV} is not set; expected the address to listen on, e.g. 127.0.0.1:4567")
    })?;
    raw.parse().map_err(|err| {
        format!("{ADDR_ENV}={raw:?} is not an ip:port address ({err}), e.g. 127.0.0.1:4567")
    })
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("{NAME}: {message}");
    ExitCode::from(code)
}

#[cfg(unix)]
async fn shutdown_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};

    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = terminate.recv() => {},
        _ = interrupt.recv() => {},
    }
    Ok(())
}

#[cfg(not(unix))]
async fn shutdown_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}
