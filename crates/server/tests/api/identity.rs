//! Accounts, sign-in, sessions, roles and API keys, as their users meet them.

mod accounts;
mod addresses;
mod admin;
mod matrix;
pub mod recovery;
mod tokens;

use comptoir_db::identity as db;
use comptoir_domain::identity::{Grant, Role, Scope};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::TestApp;

/// Strong by the estimator, easy to type in a test.
pub const PASSWORD: &str = "galettes marées phare brumeux";

pub async fn register(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/register",
        &json!({"email": email, "password": PASSWORD, "first_name": "Anne", "last_name": "Kerjean"}),
    )
    .await
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/login", &json!({"email": email, "password": password}))
        .await
}

/// Registers and signs in: the token pair.
pub async fn signed_in(app: &TestApp, email: &str) -> Value {
    assert_eq!(register(app, email).await.status(), 201);
    let response = login(app, email, PASSWORD).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A request with `token` as the bearer, and a JSON body when given.
pub async fn call(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("authorization", bearer(token));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// An account made straight in the database with `grants`, and an access
/// token for a session of it, issued by the application's own key: quick
/// enough to make many per test.
pub struct Someone {
    pub id: Uuid,
    pub email: String,
    pub session_id: Uuid,
    pub token: String,
}

pub async fn someone(app: &TestApp, label: &str, grants: &[Grant]) -> Someone {
    let mut conn = app.db().acquire().await.unwrap();
    let id = Uuid::now_v7();
    let email = format!("{label}-{}@exemple.fr", id.simple());
    let hash = app.state.auth.hasher.hash(PASSWORD).await.unwrap();
    db::insert_user(
        &mut conn,
        &db::NewUser {
            id,
            email: &email,
            password_hash: &hash,
            first_name: label,
            last_name: "Test",
        },
    )
    .await
    .unwrap();
    for grant in grants {
        db::grant_role(
            &mut conn,
            id,
            grant.role().as_str(),
            grant.store_id(),
            grant.company_id(),
        )
        .await
        .unwrap();
    }
    let session_id = Uuid::now_v7();
    let secret = comptoir_app::identity::tokens::new_secret("rt_");
    db::start_session(
        &mut conn,
        session_id,
        id,
        Some("test"),
        None,
        &comptoir_app::identity::tokens::secret_hash(&secret),
        time::OffsetDateTime::now_utc() + time::Duration::days(1),
    )
    .await
    .unwrap();
    let token = app.state.auth.tokens.issue(id, session_id, grants).unwrap();
    Someone {
        id,
        email,
        session_id,
        token,
    }
}

pub fn role(role: Role, scope: Scope) -> Grant {
    role.scoped(scope).unwrap()
}

pub async fn new_store(app: &TestApp, code: &str) -> Uuid {
    let id = Uuid::now_v7();
    let mut conn = app.db().acquire().await.unwrap();
    db::insert_store(&mut conn, id, code, &format!("Magasin {code}"))
        .await
        .unwrap();
    id
}

pub async fn new_company(app: &TestApp, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    let mut conn = app.db().acquire().await.unwrap();
    db::insert_company(&mut conn, id, name).await.unwrap();
    id
}
