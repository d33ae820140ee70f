//! Serves the whole application for `bench/auth.sh`, plus two routes that
//! differ only in authentication, to measure what validating an access
//! token costs: `/bench/plain` and `/bench/authenticated` (the `Caller`
//! extractor, no database). Prints an access token for the latter on its
//! first line of stdout.
//!
//! Usage: `auth_bench ADDR` (configuration from the environment).

use comptoir_app::config::Config;
use comptoir_server::auth::Caller;
use utoipa_axum::router::OpenApiRouter;

async fn plain() -> &'static str {
    "ok"
}

async fn authenticated(Caller(_caller): Caller) -> &'static str {
    "ok"
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(address) = std::env::args().nth(1) else {
        anyhow::bail!("usage: auth_bench ADDR");
    };
    let config = Config::from_env()?;
    let _logs = comptoir_server::telemetry::init_logging(config.log_format, &config.log_level);
    let db = comptoir_server::serve::open_database(&config).await?;
    let state = comptoir_server::serve::state(config, db);
    comptoir_server::serve::spawn_metrics_upkeep(&state);
    let token = state
        .auth
        .tokens
        .issue(uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), &[])?;
    println!("{token}");
    let extra = OpenApiRouter::new()
        .route("/bench/plain", axum::routing::get(plain))
        .route("/bench/authenticated", axum::routing::get(authenticated));
    let app = comptoir_server::app::build_with(state, extra);
    let listener = tokio::net::TcpListener::bind(&address).await?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}
