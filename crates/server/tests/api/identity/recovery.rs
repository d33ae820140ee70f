//! Password reset and email verification, through the emails a user gets.

use std::path::PathBuf;

use comptoir_app::platform::outbox::{Handlers, OutboxWorker, WorkerSettings};
use serde_json::{Value, json};

use super::{PASSWORD, bearer, login, register, signed_in};
use crate::harness::{TestApp, problem};

pub fn mail_dir() -> PathBuf {
    std::env::temp_dir().join(format!("comptoir-mail-{}", uuid::Uuid::now_v7().simple()))
}

/// Delivers the queued emails and returns every message written so far.
pub async fn mailbox(app: &TestApp, dir: &PathBuf) -> Vec<String> {
    let worker = OutboxWorker::new(
        app.db().clone(),
        Handlers::for_app(&app.state),
        WorkerSettings::default(),
    );
    while worker.run_once().await.unwrap() > 0 {}
    let mut messages = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "eml") {
                messages.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    messages.sort();
    messages
}

pub fn token_after(message: &str, marker: &str) -> String {
    let start = message.find(marker).unwrap() + marker.len();
    message[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_through_the_emailed_link() {
    let dir = mail_dir();
    let app = TestApp::builder().var("MAIL_DIR", dir.to_str().unwrap()).spawn().await;
    let old_session = signed_in(&app, "katell@exemple.fr").await;
    let before = mailbox(&app, &dir).await.len();

    let asked = app
        .post_json("/api/v1/auth/password-reset", &json!({"email": "KATELL@exemple.fr"}))
        .await;
    assert_eq!(asked.status(), 202);
    let unknown = app
        .post_json("/api/v1/auth/password-reset", &json!({"email": "personne@exemple.fr"}))
        .await;
    assert_eq!(unknown.status(), 202, "the answer says nothing of accounts");

    let messages = mailbox(&app, &dir).await;
    assert_eq!(messages.len(), before + 1, "one email, to the account that exists");
    let reset = messages.iter().find(|m| m.contains("mot-de-passe/nouveau")).unwrap();
    assert!(reset.contains("To: katell@exemple.fr\r\n"));
    assert!(reset.contains("Subject: =?utf-8?B?"), "the French subject is encoded");
    let token = token_after(reset, "Code à saisir dans une application : ");
    assert!(token.starts_with("ot_"), "{token}");

    let confirm = async |password: &str| {
        app.post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "new_password": password}),
        )
        .await
    };
    let weak = confirm("password1234").await;
    assert_eq!(problem(weak).await["errors"][0]["field"], "new_password");
    // The weak attempt did not spend the token.
    assert_eq!(confirm("crêpes au sarrasin du dimanche").await.status(), 204);
    let again = confirm("un autre mot de passe très long").await;
    assert_eq!(problem(again).await["errors"][0]["code"], "invalid_or_expired");

    assert_eq!(login(&app, "katell@exemple.fr", PASSWORD).await.status(), 401);
    assert_eq!(
        login(&app, "katell@exemple.fr", "crêpes au sarrasin du dimanche")
            .await
            .status(),
        200
    );
    let refresh = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": old_session["refresh_token"]}),
        )
        .await;
    assert_eq!(refresh.status(), 401, "sessions from before the reset are signed out");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_new_account_confirms_its_email_with_the_link_it_was_sent() {
    let dir = mail_dir();
    let app = TestApp::builder().var("MAIL_DIR", dir.to_str().unwrap()).spawn().await;
    assert_eq!(register(&app, "per@exemple.fr").await.status(), 201);
    let messages = mailbox(&app, &dir).await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("compte/confirmer?token="));
    let token = token_after(&messages[0], "Code à saisir dans une application : ");

    let pair: Value = login(&app, "per@exemple.fr", PASSWORD).await.json().await.unwrap();
    let me = async || -> Value {
        app.client
            .get(app.url("/api/v1/me"))
            .header("authorization", bearer(pair["access_token"].as_str().unwrap()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    assert_eq!(me().await["email_verified"], false);
    let confirmed = app
        .post_json("/api/v1/auth/email-verification/confirm", &json!({"token": token}))
        .await;
    assert_eq!(confirmed.status(), 204);
    assert_eq!(me().await["email_verified"], true);
    let twice = app
        .post_json("/api/v1/auth/email-verification/confirm", &json!({"token": token}))
        .await;
    assert_eq!(twice.status(), 422);
    let _ = std::fs::remove_dir_all(&dir);
}
