//! Liveness and readiness probes for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::extract::Json;

/// The answer of both probes.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when everything needed answers, `unavailable` otherwise.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// Each dependency with its state (`up`, `down`, `pending`), for readiness.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    /// `database`, `migrations` or `redis`.
    pub name: &'static str,
    /// `up`, `down`, or `pending` (migrations not yet applied).
    pub status: &'static str,
    /// Why it is not up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The process is running and answers; says nothing of its dependencies.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "platform",
    responses((status = 200, description = "The process answers.", body = Health)),
)]
pub async fn live() -> Json<Health> {
    Json(Health {
        status: "ok",
        checks: Vec::new(),
    })
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether this instance can serve: PostgreSQL answers, every migration is
/// applied, and Redis answers when it is configured.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "platform",
    responses(
        (status = 200, description = "Ready to serve.", body = Health),
        (status = 503, description = "Something this instance needs is down; `checks` names it.", body = Health),
    ),
)]
pub async fn ready(State(state): State<AppState>) -> Response {
    let mut checks = Vec::with_capacity(3);
    match tokio::time::timeout(CHECK_TIMEOUT, check_database(&state)).await {
        Ok(Ok(pending)) => {
            checks.push(up("database"));
            checks.push(if pending.is_empty() {
                up("migrations")
            } else {
                Check {
                    name: "migrations",
                    status: "pending",
                    detail: Some(format!("not applied: {pending:?}")),
                }
            });
        }
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: database check failed");
            checks.push(down("database", "does not answer"));
        }
        Err(_) => checks.push(down("database", "timed out")),
    }
    if state.cache.is_shared() {
        match tokio::time::timeout(CHECK_TIMEOUT, state.cache.ping()).await {
            Ok(Ok(())) => checks.push(up("redis")),
            Ok(Err(_)) => checks.push(down("redis", "does not answer")),
            Err(_) => checks.push(down("redis", "timed out")),
        }
    }
    let ready = checks.iter().all(|check| check.status == "up");
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        status: if ready { "ok" } else { "unavailable" },
        checks,
    };
    (status, Json(body)).into_response()
}

async fn check_database(state: &AppState) -> Result<Vec<i64>, comptoir_db::Error> {
    let mut conn = state.db.acquire().await?;
    comptoir_db::platform::health::ping(&mut conn).await?;
    comptoir_db::platform::health::pending_migrations(&mut conn).await
}

fn up(name: &'static str) -> Check {
    Check {
        name,
        status: "up",
        detail: None,
    }
}

fn down(name: &'static str, detail: &str) -> Check {
    Check {
        name,
        status: "down",
        detail: Some(detail.to_owned()),
    }
}
