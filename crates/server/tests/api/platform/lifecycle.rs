//! Start-up and shutdown as an operator sees them: the real binary, signals,
//! in-flight requests, configuration mistakes.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;

use crate::harness::{TestApp, TestDatabase, drop_database_blocking, free_port, pg_server_url};

fn slow_routes() -> OpenApiRouter<comptoir_server::app::AppState> {
    OpenApiRouter::new().route(
        "/test/slow/{ms}",
        get(
            |comptoir_server::extract::Path(ms): comptoir_server::extract::Path<u64>| async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                "finished"
            },
        ),
    )
}

#[tokio::test]
async fn in_flight_requests_finish_after_shutdown_is_requested_and_new_ones_are_refused() {
    let mut app = TestApp::builder()
        .routes(slow_routes())
        .var("SHUTDOWN_GRACE_SECONDS", "10")
        .spawn()
        .await;
    let in_flight = tokio::spawn(app.client.get(app.url("/test/slow/700")).send());
    tokio::time::sleep(Duration::from_millis(150)).await;
    app.shutdown.send(true).unwrap();

    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "finished");
    let stopped = tokio::time::timeout(Duration::from_secs(3), app.wait_stopped()).await;
    assert!(stopped.is_ok(), "the server stops once its requests are done");
    let fresh = reqwest::Client::new().get(app.url("/health/live")).send().await;
    assert!(fresh.is_err(), "no new connection is accepted after shutdown");
}

#[tokio::test]
async fn requests_still_running_after_the_grace_period_are_abandoned() {
    let mut app = TestApp::builder()
        .routes(slow_routes())
        .var("SHUTDOWN_GRACE_SECONDS", "1")
        .spawn()
        .await;
    let _stuck = tokio::spawn(app.client.get(app.url("/test/slow/30000")).send());
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = Instant::now();
    app.shutdown.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), app.wait_stopped())
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(3)).contains(&took),
        "stops after the grace period, took {took:?}"
    );
}

/// The binary with a clean environment: only what the test sets.
fn comptoir(args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_comptoir"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LOG_FORMAT", "json")
        .current_dir(std::env::temp_dir());
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn serve_creates_and_migrates_a_missing_database_and_stops_cleanly_on_sigterm() {
    let (database_url, database_name) = TestDatabase::unmigrated_url();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = comptoir(&["serve"], &[("DATABASE_URL", &database_url), ("BIND", &bind)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut ready = false;
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(response) = client.get(format!("http://{bind}/health/ready")).send().await
            && response.status() == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(ready, "serve must become ready on a database it creates");

    terminate(&child);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        status.success(),
        "exit {status:?}; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "comptoir is listening",
        "shutdown requested",
        "outbox worker stopped",
        "comptoir stopped",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in the log:\n{stdout}");
    }
    assert!(
        stdout
            .lines()
            .all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok()),
        "every log line is JSON"
    );
    drop_database_blocking(database_name);
}

#[tokio::test]
async fn migrate_creates_the_database_and_applies_every_migration() {
    let (database_url, database_name) = TestDatabase::unmigrated_url();
    let output = comptoir(&["migrate"], &[("DATABASE_URL", &database_url)])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(applied, i64::try_from(comptoir_db::MIGRATOR.iter().count()).unwrap());
    pool.close().await;
    drop_database_blocking(database_name);
}

#[test]
fn a_bad_configuration_value_stops_start_up_with_one_line_naming_it() {
    let output = comptoir(&["serve"], &[("BIND", "not-an-address")]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("BIND"), "{stderr}");

    let output = comptoir(
        &["serve"],
        &[
            ("COMPTOIR_ENV", "production"),
            ("DATABASE_URL", &format!("{}/x", pg_server_url())),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("JWT_SECRET"),
        "production refuses a generated secret: {stderr}"
    );
}

#[tokio::test]
async fn admin_create_makes_an_administrator_or_promotes_an_existing_account() {
    let app = TestApp::spawn().await;
    let url = app.database.url.clone();
    let create = |email: &str, password: &str| {
        comptoir(
            &["admin", "create", "--email", email],
            &[("DATABASE_URL", &url), ("COMPTOIR_ADMIN_PASSWORD", password)],
        )
        .output()
        .unwrap()
    };
    let roles_of = |pair: serde_json::Value| {
        let app = &app;
        async move {
            let token = pair["access_token"].as_str().unwrap().to_owned();
            let me: serde_json::Value = crate::identity::call(app, &token, reqwest::Method::GET, "/api/v1/me", None)
                .await
                .json()
                .await
                .unwrap();
            me["roles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["role"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };

    let password = "phare du Minou à marée haute";
    let made = create("gwen.admin@exemple.fr", password);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let signed_in = crate::identity::login(&app, "gwen.admin@exemple.fr", password).await;
    assert_eq!(signed_in.status(), 200);
    assert_eq!(roles_of(signed_in.json().await.unwrap()).await, vec!["admin"]);

    // A weak password creates nothing.
    let weak = create("yann.admin@exemple.fr", "short");
    assert!(!weak.status.success());
    assert_eq!(
        crate::identity::login(&app, "yann.admin@exemple.fr", "short")
            .await
            .status(),
        401
    );

    // An existing customer is given the role, and keeps their password.
    let customer = crate::identity::signed_in(&app, "anne.promue@exemple.fr").await;
    assert_eq!(roles_of(customer).await, vec!["customer"]);
    let promoted = create("anne.promue@exemple.fr", "ignored for an existing account");
    assert!(
        promoted.status.success(),
        "{}",
        String::from_utf8_lossy(&promoted.stderr)
    );
    let again = crate::identity::login(&app, "anne.promue@exemple.fr", crate::identity::PASSWORD).await;
    assert_eq!(again.status(), 200);
    let mut roles = roles_of(again.json().await.unwrap()).await;
    roles.sort();
    assert_eq!(roles, vec!["admin", "customer"]);
}
