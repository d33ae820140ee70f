//! Administrators manage accounts, roles and API keys.

use comptoir_domain::identity::{Role, Scope};
use serde_json::{Value, json};

use super::{PASSWORD, call, login, new_store, register, role, someone};
use crate::harness::{TestApp, problem};

#[tokio::test]
async fn an_administrator_creates_a_store_manager_who_then_signs_in_with_the_role() {
    let app = TestApp::spawn().await;
    let admin = someone(&app, "admin", &[role(Role::Admin, Scope::Global)]).await;
    let brest = new_store(&app, "BREST").await;
    let created = call(
        &app,
        &admin.token,
        reqwest::Method::POST,
        "/api/v1/admin/users",
        Some(json!({
            "email": "gerant.brest@exemple.fr", "password": PASSWORD,
            "first_name": "Hervé", "last_name": "Le Bihan",
            "roles": [{"role": "manager", "store_id": brest}]
        })),
    )
    .await;
    assert_eq!(created.status(), 201);
    let account: Value = created.json().await.unwrap();
    assert_eq!(account["roles"][0]["role"], "manager");
    assert_eq!(account["roles"][0]["store_id"], brest.to_string());

    let pair: Value = login(&app, "gerant.brest@exemple.fr", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let claims = app
        .state
        .auth
        .tokens
        .verify(pair["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.grants(), vec![role(Role::Manager, Scope::Store(brest))]);

    // A role without its scope, or with a store that does not exist.
    let id = account["id"].as_str().unwrap();
    let unscoped = call(
        &app,
        &admin.token,
        reqwest::Method::POST,
        &format!("/api/v1/admin/users/{id}/roles"),
        Some(json!({"role": "cashier"})),
    )
    .await;
    assert_eq!(unscoped.status(), 422);
    let nowhere = call(
        &app,
        &admin.token,
        reqwest::Method::POST,
        &format!("/api/v1/admin/users/{id}/roles"),
        Some(json!({"role": "cashier", "store_id": uuid::Uuid::now_v7()})),
    )
    .await;
    assert_eq!(nowhere.status(), 422);
    assert_eq!(problem(nowhere).await["errors"][0]["field"], "store_id");
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_until_it_is_enabled_again() {
    let app = TestApp::spawn().await;
    let admin = someone(&app, "admin", &[role(Role::Admin, Scope::Global)]).await;
    let account: Value = register(&app, "client@exemple.fr").await.json().await.unwrap();
    let pair: Value = login(&app, "client@exemple.fr", PASSWORD).await.json().await.unwrap();
    let id = account["id"].as_str().unwrap();

    let disabled = call(
        &app,
        &admin.token,
        reqwest::Method::POST,
        &format!("/api/v1/admin/users/{id}/disable"),
        None,
    )
    .await;
    assert_eq!(disabled.status(), 200);
    assert_eq!(disabled.json::<Value>().await.unwrap()["status"], "disabled");
    let refused = login(&app, "client@exemple.fr", PASSWORD).await;
    assert_eq!(problem(refused).await["code"], "auth.account_disabled");
    let refresh = app
        .post_json("/api/v1/auth/refresh", &json!({"refresh_token": pair["refresh_token"]}))
        .await;
    assert_eq!(refresh.status(), 401, "its sessions were revoked");

    let enabled = call(
        &app,
        &admin.token,
        reqwest::Method::POST,
        &format!("/api/v1/admin/users/{id}/enable"),
        None,
    )
    .await;
    assert_eq!(enabled.status(), 200);
    assert_eq!(login(&app, "client@exemple.fr", PASSWORD).await.status(), 200);

    let own = call(
        &app,
        &admin.token,
        reqwest::Method::POST,
        &format!("/api/v1/admin/users/{}/disable", admin.id),
        None,
    )
    .await;
    assert_eq!(problem(own).await["code"], "user.cannot_disable_self");
}

#[tokio::test]
async fn administrators_search_and_page_through_accounts() {
    let app = TestApp::spawn().await;
    let admin = someone(&app, "admin", &[role(Role::Admin, Scope::Global)]).await;
    for name in ["alan", "brieg", "corentin", "alanig"] {
        someone(&app, name, &[]).await;
    }
    let page = async |query: &str| {
        call(
            &app,
            &admin.token,
            reqwest::Method::GET,
            &format!("/api/v1/admin/users{query}"),
            None,
        )
        .await
    };
    let found: Value = page("?q=ALAN").await.json().await.unwrap();
    let emails: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 2, "{emails:?}");
    assert!(emails.iter().all(|e| e.starts_with("alan")));

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("?limit=2&cursor={c}"),
            None => "?limit=2".to_owned(),
        };
        let body: Value = page(&query).await.json().await.unwrap();
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_owned()),
        );
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "every account once");
    seen.dedup();
    assert_eq!(seen.len(), 5);

    for bad in ["?limit=0", "?limit=101", "?cursor=nope", "?limit=abc"] {
        assert_eq!(page(bad).await.status(), 422, "{bad}");
    }
}

#[tokio::test]
async fn an_api_key_is_shown_once_works_until_revoked_and_records_its_use() {
    let app = TestApp::spawn().await;
    let admin = someone(&app, "admin", &[role(Role::Admin, Scope::Global)]).await;
    let created = call(
        &app,
        &admin.token,
        reqwest::Method::POST,
        "/api/v1/admin/api-keys",
        Some(json!({"name": "ERP", "scopes": ["catalog:read", "inventory:write"]})),
    )
    .await;
    assert_eq!(created.status(), 201);
    let key: Value = created.json().await.unwrap();
    let secret = key["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with(key["prefix"].as_str().unwrap()));

    let listed: Value = call(&app, &admin.token, reqwest::Method::GET, "/api/v1/admin/api-keys", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed["items"][0].get("secret").is_none(),
        "the secret is never shown again"
    );
    assert!(listed["items"][0]["last_used_at"].is_null());
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_hash FROM api_keys")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_ne!(stored, secret.as_bytes(), "only a hash is stored");

    // A key has no account of its own.
    let me = app
        .client
        .get(app.url("/api/v1/me"))
        .header("x-api-key", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 403);
    let listed: Value = call(&app, &admin.token, reqwest::Method::GET, "/api/v1/admin/api-keys", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["items"][0]["last_used_at"].is_string(), "its use is recorded");

    let id = key["id"].as_str().unwrap();
    assert_eq!(
        call(
            &app,
            &admin.token,
            reqwest::Method::DELETE,
            &format!("/api/v1/admin/api-keys/{id}"),
            None
        )
        .await
        .status(),
        204
    );
    let after = app
        .client
        .get(app.url("/api/v1/me"))
        .header("x-api-key", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(after).await["code"], "auth.invalid_api_key");

    let bad = call(
        &app,
        &admin.token,
        reqwest::Method::POST,
        "/api/v1/admin/api-keys",
        Some(json!({"name": "", "scopes": ["catalog:delete"]})),
    )
    .await;
    let body = problem(bad).await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "scopes[0]"]);

    let mut conn = app.db().acquire().await.unwrap();
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'api_key.%' ORDER BY occurred_at")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    assert_eq!(actions, vec!["api_key.created", "api_key.revoked"]);
}
