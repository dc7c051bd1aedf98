//! `prism-kafka-plugin`: serves the Prism stream and pubsub interfaces over the Kafka-API broker at
//! `PRISM_BACKEND_URL` (`host:port`), on `PRISM_PLUGIN_ADDR`, until SIGTERM or SIGINT (the plugin
//! protocol of prism-suite).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    prism_plugin::run(
        "prism-kafka-plugin",
        |cfg: prism_plugin::Config| async move {
            let broker = prism_kafka::Broker::connect(cfg.backend_url()?).await?;
            Ok::<_, prism_plugin::BoxError>(prism_kafka::services(broker))
        },
    )
    .await
}
