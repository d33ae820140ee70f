//! Serves `/health/live` twice from one process, for `bench/middleware.sh`:
//! through the whole application (every middleware, logging included) on
//! the first address, and the same handler with no middleware on the second.
//!
//! Usage: `middleware_bench FULL_ADDR BARE_ADDR` (configuration from the
//! environment, as for `comptoir serve`).

use axum::Router;
use axum::routing::get;
use comptoir_app::config::Config;
use comptoir_server::api::platform::health;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(full), Some(bare)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: middleware_bench FULL_ADDR BARE_ADDR");
    };
    let config = Config::from_env()?;
    let _logs = comptoir_server::telemetry::init_logging(config.log_format, &config.log_level);
    let db = comptoir_server::serve::open_database(&config).await?;
    let state = comptoir_server::serve::state(config, db);
    comptoir_server::serve::spawn_metrics_upkeep(&state);

    let full_app = comptoir_server::app::build(state);
    let bare_app: Router = Router::new().route("/health/live", get(health::live));
    let full_listener = tokio::net::TcpListener::bind(&full).await?;
    let bare_listener = tokio::net::TcpListener::bind(&bare).await?;
    eprintln!("full stack on {full}, bare handler on {bare}");
    tokio::try_join!(async { axum::serve(full_listener, full_app).await }, async {
        axum::serve(bare_listener, bare_app).await
    },)?;
    Ok(())
}
