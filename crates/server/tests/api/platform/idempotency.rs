//! `Idempotency-Key`: replay, a different body, concurrent duplicates,
//! scoping, and retention.

use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::post;
use comptoir_app::platform::idempotency::CallerScope;
use comptoir_db::platform::{audit, outbox};
use comptoir_server::app::AppState;
use comptoir_server::error::ApiError;
use comptoir_server::platform::idempotency::Idempotent;
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;

use crate::harness::{TestApp, problem};

#[derive(Debug, Deserialize)]
struct Adjustment {
    sku: String,
    delta: i64,
    /// Keeps the request in flight this long, after its effect is written.
    #[serde(default)]
    hold_ms: u64,
    /// Fails after writing the effect, which must then vanish.
    #[serde(default)]
    fail: bool,
}

/// Stands for a stock adjustment: an effect, its outbox event, then the answer.
async fn adjust(mut request: Idempotent<Adjustment>) -> Result<Response, ApiError> {
    let body = &request.body;
    let entry = audit::NewEntry {
        actor: audit::Actor::System,
        action: "test.adjusted",
        subject_type: Some("sku"),
        subject_id: Some(&body.sku),
        request_id: None,
        ip: None,
        details: json!({"delta": body.delta}),
    };
    let id = audit::record(&mut request.tx, &entry).await?;
    outbox::enqueue(&mut request.tx, "test.adjusted", &json!({"audit_id": id})).await?;
    if body.hold_ms > 0 {
        tokio::time::sleep(Duration::from_millis(body.hold_ms)).await;
    }
    if body.fail {
        return Err(ApiError::conflict("stock.insufficient", "Not enough stock."));
    }
    let answer = json!({"id": id, "sku": body.sku, "delta": body.delta});
    request.complete(StatusCode::CREATED, &answer).await
}

/// Stands in for authentication: the caller is named by a test header.
async fn caller_from_header(mut request: Request, next: Next) -> Response {
    if let Some(caller) = request.headers().get("x-test-caller").and_then(|v| v.to_str().ok()) {
        let scope = CallerScope(format!("user:{caller}"));
        request.extensions_mut().insert(scope);
    }
    next.run(request).await
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/test/adjustments", post(adjust))
        .route("/test/other-adjustments", post(adjust))
        .layer(middleware::from_fn(caller_from_header))
}

async fn app() -> TestApp {
    TestApp::builder().routes(routes()).spawn().await
}

async fn send(
    app: &TestApp,
    path: &str,
    key: Option<&str>,
    caller: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header("x-test-caller", caller)
        .json(&body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

async fn effects(app: &TestApp) -> (i64, i64) {
    let audits: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'test.adjusted'")
        .fetch_one(app.db())
        .await
        .unwrap();
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox_events WHERE topic = 'test.adjusted'")
        .fetch_one(app.db())
        .await
        .unwrap();
    (audits, events)
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_stored_answer_without_running_again() {
    let app = app().await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({"sku": "VELO-1", "delta": -2});

    let first = send(&app, "/test/adjustments", Some(&key), "a", body.clone()).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: serde_json::Value = first.json().await.unwrap();

    let second = send(&app, "/test/adjustments", Some(&key), "a", body).await;
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.headers()["content-type"], "application/json");
    let second: serde_json::Value = second.json().await.unwrap();
    assert_eq!(first, second, "the replay is the stored answer");
    assert_eq!(effects(&app).await, (1, 1), "the effect happened once");
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_422_and_changes_nothing() {
    let app = app().await;
    let key = uuid::Uuid::new_v4().to_string();
    let first = send(
        &app,
        "/test/adjustments",
        Some(&key),
        "a",
        json!({"sku": "VELO-1", "delta": -2}),
    )
    .await;
    assert_eq!(first.status(), 201);
    let other = send(
        &app,
        "/test/adjustments",
        Some(&key),
        "a",
        json!({"sku": "VELO-1", "delta": -3}),
    )
    .await;
    assert_eq!(other.status(), 422);
    assert_eq!(problem(other).await["code"], "idempotency.key_reused");
    assert_eq!(effects(&app).await, (1, 1));
}

#[tokio::test]
async fn concurrent_requests_with_one_key_run_once_and_the_others_are_told_it_is_in_flight() {
    let app = app().await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({"sku": "VELO-1", "delta": -1, "hold_ms": 400});
    let requests = (0..20).map(|_| send(&app, "/test/adjustments", Some(&key), "a", body.clone()));
    let answers = futures_util::future::join_all(requests).await;

    let mut created_ids = Vec::new();
    let mut in_flight = 0;
    for answer in answers {
        match answer.status().as_u16() {
            201 => created_ids.push(answer.json::<serde_json::Value>().await.unwrap()["id"].clone()),
            409 => {
                assert_eq!(answer.headers()["retry-after"], "1");
                assert_eq!(problem(answer).await["code"], "idempotency.in_flight");
                in_flight += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(!created_ids.is_empty());
    assert!(
        created_ids.windows(2).all(|pair| pair[0] == pair[1]),
        "one effect, one id: {created_ids:?}"
    );
    assert_eq!(created_ids.len() + in_flight, 20);
    assert_eq!(effects(&app).await, (1, 1), "twenty requests, one effect");

    // Once the first has finished, the key replays it.
    let after = send(&app, "/test/adjustments", Some(&key), "a", body).await;
    assert_eq!(after.status(), 201);
    assert_eq!(after.json::<serde_json::Value>().await.unwrap()["id"], created_ids[0]);
}

#[tokio::test]
async fn a_missing_or_malformed_key_is_a_400_and_changes_nothing() {
    let app = app().await;
    let body = json!({"sku": "VELO-1", "delta": 1});
    let missing = send(&app, "/test/adjustments", None, "a", body.clone()).await;
    assert_eq!(missing.status(), 400);
    assert_eq!(problem(missing).await["code"], "idempotency.key_required");

    let long = "k".repeat(256);
    for key in ["with space", long.as_str()] {
        let bad = send(&app, "/test/adjustments", Some(key), "a", body.clone()).await;
        assert_eq!(bad.status(), 400, "{key}");
        assert_eq!(problem(bad).await["code"], "idempotency.key_invalid");
    }
    assert_eq!(effects(&app).await, (0, 0));
}

#[tokio::test]
async fn keys_are_scoped_to_the_caller_and_the_route() {
    let app = app().await;
    let key = "shared-key-123";
    let body = json!({"sku": "VELO-1", "delta": 1});
    let alice = send(&app, "/test/adjustments", Some(key), "alice", body.clone()).await;
    let bob = send(&app, "/test/adjustments", Some(key), "bob", body.clone()).await;
    assert_eq!(alice.status(), 201);
    assert_eq!(bob.status(), 201);
    assert!(
        bob.headers().get("idempotent-replayed").is_none(),
        "bob must not get alice's answer"
    );
    let other_route = send(&app, "/test/other-adjustments", Some(key), "alice", body).await;
    assert_eq!(other_route.status(), 201);
    assert!(other_route.headers().get("idempotent-replayed").is_none());
    assert_eq!(effects(&app).await, (3, 3));
}

#[tokio::test]
async fn a_failed_request_leaves_no_effect_and_no_key_so_it_can_be_retried() {
    let app = app().await;
    let key = uuid::Uuid::new_v4().to_string();
    let failed = send(
        &app,
        "/test/adjustments",
        Some(&key),
        "a",
        json!({"sku": "V", "delta": -5, "fail": true}),
    )
    .await;
    assert_eq!(failed.status(), 409);
    assert_eq!(
        effects(&app).await,
        (0, 0),
        "the effect written before the failure is rolled back"
    );

    let invalid = send(&app, "/test/adjustments", Some(&key), "a", json!({"sku": "V"})).await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(problem(invalid).await["code"], "validation.failed");

    let retried = send(
        &app,
        "/test/adjustments",
        Some(&key),
        "a",
        json!({"sku": "V", "delta": -5}),
    )
    .await;
    assert_eq!(retried.status(), 201);
    assert!(retried.headers().get("idempotent-replayed").is_none());
    assert_eq!(effects(&app).await, (1, 1));
}

#[tokio::test]
async fn stored_keys_are_kept_a_day_at_least_and_purged_later() {
    let app = app().await;
    for (key, age_hours) in [("recent", 1), ("yesterday", 25), ("old", 49)] {
        sqlx::query(
            "INSERT INTO idempotency_keys (scope, route, key, request_hash, response_status, response_body, created_at)
             VALUES ('anonymous', 'POST /x', $1, '\\x00', 201, '\\x7b7d', now() - make_interval(hours => $2))",
        )
        .bind(key)
        .bind(age_hours)
        .execute(app.db())
        .await
        .unwrap();
    }
    comptoir_app::platform::maintenance::purge_once(app.db()).await.unwrap();
    let kept: Vec<String> = sqlx::query_scalar("SELECT key FROM idempotency_keys ORDER BY key")
        .fetch_all(app.db())
        .await
        .unwrap();
    assert_eq!(kept, vec!["recent".to_owned(), "yesterday".to_owned()]);
}
