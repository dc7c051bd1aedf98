//! `prism-kafka-plugin`: serves the Prism stream and pubsub interfaces over the Kafka-API broker at
//! `PRISM_BACKEND_URL` (`host:port`), on `PRISM_PLUGIN_ADDR`, until SIGTERM or SIGINT (the plugin
//! protocol of prism-suite).

use std::net::SocketAddr;
use std::process::ExitCode;

use tokio::signal::unix::{signal, SignalKind};

fn var(name: &str) -> Result<String, String> {
    std::env::var(name)
        .map_err(|_| format!("{name} is not set (the harness sets it; see the plugin protocol)"))
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prism-kafka-plugin: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), String> {
    let addr: SocketAddr = var("PRISM_PLUGIN_ADDR")?
        .parse()
        .map_err(|e| format!("PRISM_PLUGIN_ADDR: {e}"))?;
    let url = var("PRISM_BACKEND_URL")?;
    let broker = prism_kafka::Broker::connect(&url)
        .await
        .map_err(|e| format!("cannot reach the Kafka broker at {url}: {}", e.message()))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    eprintln!("prism-kafka-plugin listening on {addr}, broker at {url}");
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    tokio::select! {
        served = prism_kafka::serve(listener, broker) => served.map_err(|e| e.to_string()),
        _ = term.recv() => Ok(()),
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}
