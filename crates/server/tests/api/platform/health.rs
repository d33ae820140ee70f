//! Liveness and readiness as a load balancer sees them.

use comptoir_server::app;
use serde_json::json;

use crate::harness::{RedisChoice, TestApp, free_port};

#[tokio::test]
async fn live_answers_ok() {
    let app = TestApp::spawn().await;
    let response = app.get("/health/live").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn ready_checks_the_database_and_migrations() {
    let app = TestApp::builder().redis(RedisChoice::InProcess).spawn().await;
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ok", "checks": [
            {"name": "database", "status": "up"},
            {"name": "migrations", "status": "up"},
        ]})
    );
}

#[tokio::test]
async fn ready_is_503_naming_migrations_that_are_not_applied() {
    let app = TestApp::builder().redis(RedisChoice::InProcess).spawn().await;
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)")
        .execute(app.db())
        .await
        .unwrap();
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"][1]["name"], "migrations");
    assert_eq!(body["checks"][1]["status"], "pending");
}

#[tokio::test]
async fn ready_is_503_when_redis_is_configured_but_down() {
    let nobody = format!("redis://127.0.0.1:{}", free_port());
    let app = TestApp::builder().redis(RedisChoice::Url(nobody)).spawn().await;
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["checks"][2],
        json!({"name": "redis", "status": "down", "detail": "does not answer"})
    );
    // The process itself is alive.
    assert_eq!(app.get("/health/live").await.status(), 200);
}

#[tokio::test]
async fn ready_is_503_when_the_database_does_not_answer() {
    let app = TestApp::builder().redis(RedisChoice::InProcess).spawn().await;
    // The same application, pointed at a port where no PostgreSQL listens.
    let state = app::AppState::new(comptoir_app::Services {
        db: sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(std::time::Duration::from_millis(500))
            .connect_lazy(&format!("postgres://postgres@127.0.0.1:{}/nothing", free_port()))
            .unwrap(),
        auth: comptoir_app::identity::Auth::new(&app.state.config, app.state.cache.clone()),
        cipher: comptoir_app::crypto::FieldCipher::new(&app.state.config.data_keys),
        catalog_rules: Default::default(),
        stock: Default::default(),
        gateways: app.state.gateways.clone(),
        cache: app.state.cache.clone(),
        config: app.state.config.clone(),
        metrics: app.state.metrics.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = app::build(state);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let response = app
        .client
        .get(format!("http://{address}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["checks"][0]["name"], "database");
    assert_eq!(body["checks"][0]["status"], "down");
}
