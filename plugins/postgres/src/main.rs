//! `prism-postgres-plugin`: serves the Prism interfaces over the PostgreSQL at
//! `PRISM_BACKEND_URL`, on `PRISM_PLUGIN_ADDR`, until SIGTERM or SIGINT (the plugin protocol of
//! prism-suite, through prism-plugin).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    prism_plugin::run(
        "prism-postgres-plugin",
        |cfg: prism_plugin::Config| async move {
            let backend = prism_postgres::Backend::connect(cfg.backend_url()?).await?;
            Ok::<_, prism_plugin::BoxError>(prism_postgres::services(backend))
        },
    )
    .await
}
