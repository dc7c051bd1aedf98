//! `prism-redis-plugin`: serves the Prism interfaces over the Redis at `PRISM_BACKEND_URL` (the
//! plugin protocol is `prism_plugin::run`'s); deliberate faults come from `PRISM_REDIS_FAULTS`
//! (an unknown name exits 2).

use prism_plugin::{BoxError, Config, ConfigError};
use prism_redis::{Faults, FAULTS_ENV};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    prism_plugin::run("prism-redis-plugin", |cfg: Config| async move {
        let faults = Faults::from_env().map_err(|e| {
            let value = std::env::var(FAULTS_ENV).unwrap_or_default();
            ConfigError::invalid(FAULTS_ENV, &value, e)
        })?;
        let url = cfg.backend_url()?;
        let backend = prism_redis::Backend::connect(url)
            .await
            .map_err(|e| format!("cannot connect to Redis at {url}: {e}"))?
            .with_faults(faults);
        Ok::<_, BoxError>(prism_redis::services(backend).note(format!("Redis at {url}")))
    })
    .await
}
