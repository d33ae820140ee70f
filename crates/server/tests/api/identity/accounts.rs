//! Registration, sign-in, refresh, sign-out, the own account, password
//! changes, sessions and brute-force protection.

use serde_json::{Value, json};

use super::{PASSWORD, bearer, login, register, signed_in};
use crate::harness::{RedisChoice, TestApp, problem};

#[tokio::test]
async fn a_shopper_registers_signs_in_and_sees_their_account() {
    let app = TestApp::spawn().await;
    let response = register(&app, "Anne.Kerjean@Exemple.fr").await;
    assert_eq!(response.status(), 201);
    let account: Value = response.json().await.unwrap();
    assert_eq!(account["email"], "Anne.Kerjean@Exemple.fr");
    assert_eq!(account["roles"][0]["role"], "customer");
    assert!(account.get("password_hash").is_none());

    // Any case of the email signs in.
    let response = login(&app, "anne.kerjean@exemple.FR", PASSWORD).await;
    assert_eq!(response.status(), 200);
    let pair: Value = response.json().await.unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    let me: Value = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", bearer(pair["access_token"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], account["id"]);
    assert_eq!(me["first_name"], "Anne");

    // The sign-in is in the audit log, with the request's address.
    let mut conn = app.db().acquire().await.unwrap();
    let entries =
        comptoir_db::platform::audit::list_for_subject(&mut conn, "user", account["id"].as_str().unwrap(), 10)
            .await
            .unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"auth.account_created") && actions.contains(&"auth.login_succeeded"),
        "{actions:?}"
    );
    assert!(entries.iter().all(|e| e.ip.as_deref() == Some("127.0.0.1")));
}

#[tokio::test]
async fn an_email_is_taken_whatever_its_case() {
    let app = TestApp::spawn().await;
    assert_eq!(register(&app, "yann@exemple.fr").await.status(), 201);
    let taken = register(&app, "YANN@exemple.fr").await;
    assert_eq!(taken.status(), 409);
    assert_eq!(problem(taken).await["code"], "auth.email_taken");
}

#[tokio::test]
async fn concurrent_registrations_with_one_email_make_exactly_one_account() {
    let app = TestApp::spawn().await;
    let attempts = [
        "gwen@exemple.fr",
        "Gwen@exemple.fr",
        "GWEN@exemple.fr",
        "gwen@EXEMPLE.fr",
    ]
    .into_iter()
    .cycle()
    .take(8)
    .map(|email| register(&app, email));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7, "{statuses:?}");
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE lower(email) = 'gwen@exemple.fr'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(accounts, 1);
}

#[tokio::test]
async fn registration_refuses_weak_passwords_and_bad_fields_naming_each() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "not-an-email", "password": "azertyuiop123", "first_name": "", "last_name": "Le Gall"}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body = problem(response).await;
    let fields: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert!(fields.contains(&("email", "invalid")), "{fields:?}");
    assert!(fields.contains(&("first_name", "invalid")), "{fields:?}");
    assert!(fields.contains(&("password", "password.too_guessable")), "{fields:?}");
    let short = register_with_password(&app, "Tr0ub4dor&3").await;
    assert_eq!(problem(short).await["errors"][0]["code"], "password.too_short");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(users, 0, "nothing is written for a refused registration");
}

async fn register_with_password(app: &TestApp, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/register",
        &json!({"email": "x@exemple.fr", "password": password, "first_name": "X", "last_name": "Y"}),
    )
    .await
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    assert_eq!(register(&app, "erwan@exemple.fr").await.status(), 201);
    let wrong = problem(login(&app, "erwan@exemple.fr", "pas le bon mot de passe").await).await;
    let unknown = problem(login(&app, "personne@exemple.fr", PASSWORD).await).await;
    assert_eq!(wrong["status"], 401);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["code"], "auth.invalid_credentials");
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_reuse_revokes_the_session() {
    let app = TestApp::spawn().await;
    let first = signed_in(&app, "soizic@exemple.fr").await;
    let refresh = |token: Value| {
        let app = &app;
        async move {
            app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": token}))
                .await
        }
    };
    let second = refresh(first["refresh_token"].clone()).await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);

    // The first token, presented again: someone copied it.
    let reused = refresh(first["refresh_token"].clone()).await;
    assert_eq!(reused.status(), 401);
    assert_eq!(problem(reused).await["code"], "auth.refresh_reused");
    // The whole family is revoked, including the token issued after it.
    let after = refresh(second["refresh_token"].clone()).await;
    assert_eq!(after.status(), 401);
    assert_eq!(problem(after).await["code"], "auth.invalid_refresh_token");
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let pair = signed_in(&app, "loig@exemple.fr").await;
    let out = app
        .post_json("/api/v1/auth/logout", &json!({"refresh_token": pair["refresh_token"]}))
        .await;
    assert_eq!(out.status(), 204);
    let refresh = app
        .post_json("/api/v1/auth/refresh", &json!({"refresh_token": pair["refresh_token"]}))
        .await;
    assert_eq!(refresh.status(), 401);
    // Logging out twice, or with nonsense, changes nothing and says so quietly.
    let again = app
        .post_json("/api/v1/auth/logout", &json!({"refresh_token": "rt_nope"}))
        .await;
    assert_eq!(again.status(), 204);
}

#[tokio::test]
async fn changing_the_password_signs_out_the_other_sessions_only() {
    let app = TestApp::spawn().await;
    let here = signed_in(&app, "maiwenn@exemple.fr").await;
    let elsewhere: Value = login(&app, "maiwenn@exemple.fr", PASSWORD).await.json().await.unwrap();
    let token = here["access_token"].as_str().unwrap();

    let sessions: Value = app
        .client
        .get(app.url("/api/v1/me/sessions"))
        .header("authorization", bearer(token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sessions["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        sessions["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["current"] == true)
            .count(),
        1
    );

    let change = |current: &str, new: &str| {
        app.client
            .post(app.url("/api/v1/me/password"))
            .header("authorization", bearer(token))
            .json(&json!({"current_password": current, "new_password": new}))
            .send()
    };
    let wrong = change("pas le bon", "crêpes au sarrasin du dimanche").await.unwrap();
    assert_eq!(wrong.status(), 422);
    assert_eq!(problem(wrong).await["errors"][0]["code"], "auth.wrong_password");
    let weak = change(PASSWORD, "password1234").await.unwrap();
    assert_eq!(problem(weak).await["errors"][0]["code"], "password.too_guessable");
    assert_eq!(
        change(PASSWORD, "crêpes au sarrasin du dimanche")
            .await
            .unwrap()
            .status(),
        204
    );

    let refresh = async |pair: &Value| {
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": pair["refresh_token"]}))
            .await
    };
    assert_eq!(
        refresh(&elsewhere).await.status(),
        401,
        "the other session is signed out"
    );
    assert_eq!(refresh(&here).await.status(), 200, "this session stays open");
    assert_eq!(login(&app, "maiwenn@exemple.fr", PASSWORD).await.status(), 401);
    assert_eq!(
        login(&app, "maiwenn@exemple.fr", "crêpes au sarrasin du dimanche")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_user_signs_out_one_of_their_sessions_but_not_someone_elses() {
    let app = TestApp::spawn().await;
    let anne = signed_in(&app, "anne@exemple.fr").await;
    let bob = signed_in(&app, "bob@exemple.fr").await;
    let sessions = |token: &Value| {
        app.client
            .get(app.url("/api/v1/me/sessions"))
            .header("authorization", bearer(token.as_str().unwrap()))
            .send()
    };
    let anne_sessions: Value = sessions(&anne["access_token"]).await.unwrap().json().await.unwrap();
    let anne_session = anne_sessions["items"][0]["id"].as_str().unwrap().to_owned();
    let delete = |token: &Value| {
        app.client
            .delete(app.url(&format!("/api/v1/me/sessions/{anne_session}")))
            .header("authorization", bearer(token.as_str().unwrap()))
            .send()
    };
    let by_bob = delete(&bob["access_token"]).await.unwrap();
    assert_eq!(by_bob.status(), 404, "another owner's session is not found");
    assert_eq!(delete(&anne["access_token"]).await.unwrap().status(), 204);
    let refresh = app
        .post_json("/api/v1/auth/refresh", &json!({"refresh_token": anne["refresh_token"]}))
        .await;
    assert_eq!(refresh.status(), 401);
}

#[tokio::test]
async fn ten_failed_logins_lock_the_account_for_the_window_with_retry_after() {
    let app = TestApp::spawn().await;
    assert_eq!(register(&app, "ronan@exemple.fr").await.status(), 201);
    for attempt in 1..=10 {
        let response = login(&app, "ronan@exemple.fr", "pas le bon mot de passe").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    // Even the right password waits now.
    let blocked = login(&app, "ronan@exemple.fr", PASSWORD).await;
    assert_eq!(blocked.status(), 429);
    let retry_after: u64 = blocked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(problem(blocked).await["code"], "auth.too_many_attempts");
    // Another account from the same address is not locked.
    assert_eq!(register(&app, "nolwenn@exemple.fr").await.status(), 201);
    assert_eq!(login(&app, "nolwenn@exemple.fr", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn the_account_limit_holds_across_instances_through_redis() {
    if !crate::harness::shared_redis_answers().await {
        eprintln!("skipped: the shared Redis does not answer");
        return;
    }
    let one = TestApp::builder().var("LOGIN_MAX_FAILURES", "4").spawn().await;
    assert_eq!(register(&one, "tudal@exemple.fr").await.status(), 201);
    // A second instance over the same database and the same Redis keys.
    let two = TestApp::builder()
        .var("LOGIN_MAX_FAILURES", "4")
        .var("CACHE_PREFIX", &format!("{}:", one.database.name))
        .database(one.database.share())
        .spawn()
        .await;
    for app in [&one, &two, &one, &two] {
        assert_eq!(login(app, "tudal@exemple.fr", "mauvais").await.status(), 401);
    }
    assert_eq!(login(&two, "tudal@exemple.fr", PASSWORD).await.status(), 429);
    assert_eq!(login(&one, "tudal@exemple.fr", PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn without_redis_the_limits_hold_in_the_process() {
    let app = TestApp::builder()
        .redis(RedisChoice::InProcess)
        .var("LOGIN_IP_MAX_FAILURES", "3")
        .spawn()
        .await;
    for email in ["a@exemple.fr", "b@exemple.fr", "c@exemple.fr"] {
        assert_eq!(login(&app, email, "mauvais").await.status(), 401);
    }
    // The address is blocked, whatever account it tries next.
    let blocked = login(&app, "d@exemple.fr", "mauvais").await;
    assert_eq!(blocked.status(), 429);
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let app = TestApp::builder()
        .redis(RedisChoice::InProcess)
        .var("LOGIN_IP_MAX_FAILURES", "2")
        .var("TRUSTED_PROXIES", "127.0.0.0/8")
        .spawn()
        .await;
    let from = |ip: &'static str, email: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("{ip}, 127.0.0.1"))
            .json(&json!({"email": email, "password": "mauvais"}))
            .send()
    };
    assert_eq!(from("203.0.113.7", "a@exemple.fr").await.unwrap().status(), 401);
    assert_eq!(from("203.0.113.7", "b@exemple.fr").await.unwrap().status(), 401);
    assert_eq!(from("203.0.113.7", "c@exemple.fr").await.unwrap().status(), 429);
    // Another client behind the same proxy is not blocked.
    assert_eq!(from("198.51.100.4", "c@exemple.fr").await.unwrap().status(), 401);

    // Without trusted proxies the header is ignored: everyone is 127.0.0.1.
    let direct = TestApp::builder()
        .redis(RedisChoice::InProcess)
        .var("LOGIN_IP_MAX_FAILURES", "2")
        .spawn()
        .await;
    for (ip, status) in [("203.0.113.1", 401), ("203.0.113.2", 401), ("203.0.113.3", 429)] {
        let response = direct
            .client
            .post(direct.url("/api/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({"email": format!("{ip}@exemple.fr"), "password": "mauvais"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{ip}");
    }
}
