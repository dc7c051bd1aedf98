//! `prism-redis-plugin`: serves the Prism interfaces over the Redis at `PRISM_BACKEND_URL` (the
//! plugin protocol is `prism_plugin::run`'s).

use prism_plugin::{BoxError, Config};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    prism_plugin::run("prism-redis-plugin", |cfg: Config| async move {
        let url = cfg.backend_url()?;
        let backend = prism_redis::Backend::connect(url)
            .await
            .map_err(|e| format!("cannot connect to Redis at {url}: {e}"))?;
        Ok::<_, BoxError>(prism_redis::services(backend).note(format!("Redis at {url}")))
    })
    .await
}
