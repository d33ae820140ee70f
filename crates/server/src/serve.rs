//! Running the program: opening the database, the HTTP server with graceful
//! shutdown, and the background workers.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use comptoir_db::PgPool;
use comptoir_db::pool::PoolSettings;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::AppState;
use comptoir_app::cache::Cache;
use comptoir_app::config::Config;
use comptoir_app::platform::outbox::{Handlers, OutboxWorker, WorkerSettings};

/// Connects (creating the database if needed) and applies migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<PgPool> {
    let settings = PoolSettings {
        max_connections: config.database_max_connections,
        acquire_timeout: config.database_acquire_timeout,
    };
    let pool = comptoir_db::pool::connect(config.database_url.expose_secret(), &settings)
        .await
        .with_context(|| format!("cannot open the database at {}", config.database_url_redacted()))?;
    comptoir_db::pool::migrate(&pool)
        .await
        .context("cannot apply the migrations")?;
    Ok(pool)
}

pub fn state(config: Config, db: PgPool) -> AppState {
    let cache = Cache::from_config(&config);
    AppState::new(comptoir_app::Services {
        auth: comptoir_app::identity::Auth::new(&config, cache.clone()),
        cipher: comptoir_app::crypto::FieldCipher::new(&config.data_keys),
        catalog_rules: Default::default(),
        stock: Default::default(),
        gateways: comptoir_app::payments::Gateways::from_config(
            &config,
            &db,
            crate::stripe_client::transport_for(&config),
        ),
        cache,
        config,
        db,
        metrics: crate::telemetry::metrics_handle(),
    })
}

/// Says at start what a development setup leaves out, so nobody deploys it by accident.
pub fn warn_about_defaults(config: &Config) {
    if config.jwt_secret_generated {
        tracing::warn!(
            "JWT_SECRET is not set: a random signing key was generated. Sessions will not survive a restart \
             and other instances will refuse this one's tokens. Set JWT_SECRET for anything but development."
        );
    }
    if config.data_keys_development {
        tracing::warn!(
            "DATA_KEYS is not set: personal data is encrypted with the public development key. Set DATA_KEYS for real data."
        );
    }
    if config.stripe_secret_key.is_some() && config.stripe_publishable_key.is_none() {
        tracing::warn!(
            "STRIPE_SECRET_KEY is set without STRIPE_PUBLISHABLE_KEY: the shop's pages cannot take cards (the API still can)."
        );
    }
    if config.redis_url.is_none() {
        tracing::warn!("REDIS_URL is not set: cache and rate limits live in this process. Run a single instance only.");
    }
}

/// `comptoir serve`: HTTP and, unless disabled, the workers, until SIGTERM or SIGINT.
pub async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    warn_about_defaults(&config);
    let db = open_database(&config).await?;
    if demo {
        crate::seed::demo(&db).await?;
    }
    let state = state(config, db);
    let listener = TcpListener::bind(state.config.bind)
        .await
        .with_context(|| format!("cannot listen on BIND={}", state.config.bind))?;

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let workers = if state.config.run_workers {
        spawn_workers(&state, shutdown_rx.clone())
    } else {
        Vec::new()
    };
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested: finishing in-flight requests, workers stop claiming jobs");
        let _ = shutdown_tx.send(true);
    });

    tracing::info!(
        bind = %state.config.bind,
        instance_id = %state.config.instance_id,
        database = %state.config.database_url_redacted(),
        cache = state.cache.backend_name(),
        workers = state.config.run_workers,
        startup_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "comptoir is listening"
    );
    spawn_metrics_upkeep(&state);
    // Caches off (CATALOG_CACHE_SECONDS=0): stock is read fresh too.
    if !state.config.catalog_cache_ttl.is_zero() {
        tokio::spawn(state.stock.clone().listen(state.db.clone(), shutdown_rx.clone()));
    }
    let grace = state.config.shutdown_grace;
    let router = crate::app::build(state);
    serve_until(listener, router, shutdown_rx, grace).await?;
    join_workers(workers, grace).await;
    tracing::info!("comptoir stopped");
    Ok(())
}

/// `comptoir worker`: the workers alone, until SIGTERM or SIGINT.
pub async fn work(config: Config) -> anyhow::Result<()> {
    let db = open_database(&config).await?;
    let state = state(config, db);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let workers = spawn_workers(&state, shutdown_rx);
    tracing::info!(instance_id = %state.config.instance_id, "comptoir worker started");
    wait_for_signal().await;
    tracing::info!("shutdown requested: workers finish the batch in hand");
    let _ = shutdown_tx.send(true);
    join_workers(workers, state.config.shutdown_grace).await;
    Ok(())
}

/// Serves until `shutdown` turns true, then stops accepting connections and
/// lets in-flight requests finish for at most `grace`.
pub async fn serve_until(
    listener: TcpListener,
    router: Router,
    shutdown: watch::Receiver<bool>,
    grace: Duration,
) -> std::io::Result<()> {
    let mut stop = shutdown.clone();
    let server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        });
    let mut deadline = shutdown;
    tokio::select! {
        result = server.into_future() => result,
        () = async move {
            let _ = deadline.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_seconds = grace.as_secs(), "grace period over: abandoning requests still in flight");
            Ok(())
        }
    }
}

pub fn spawn_workers(state: &AppState, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let settings = WorkerSettings {
        poll_interval: state.config.outbox_poll_interval,
        ..WorkerSettings::default()
    };
    let outbox = OutboxWorker::new(state.db.clone(), Handlers::for_app(state), settings);
    vec![
        tokio::spawn(outbox.run(shutdown.clone())),
        tokio::spawn(comptoir_app::platform::maintenance::run(
            state.db.clone(),
            shutdown.clone(),
        )),
        tokio::spawn(comptoir_app::inventory::run_expiry(state.db.clone(), shutdown.clone())),
        tokio::spawn(comptoir_app::orders::run_overdue(state.clone(), shutdown.clone())),
        tokio::spawn(comptoir_app::payments::run_reconciliation(state.clone(), shutdown)),
    ]
}

/// Histogram samples wait in buckets until drained; an instance nobody
/// scrapes must not grow without end.
pub fn spawn_metrics_upkeep(state: &AppState) {
    let metrics = state.metrics.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            metrics.run_upkeep();
        }
    });
}

async fn join_workers(workers: Vec<JoinHandle<()>>, grace: Duration) {
    let all = futures_util::future::join_all(workers);
    if tokio::time::timeout(grace, all).await.is_err() {
        tracing::warn!("workers did not stop within the grace period");
    }
}

async fn wait_for_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM; only SIGINT stops the server");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
