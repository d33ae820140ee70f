//! The audit log keeps every entry and refuses changes.

use comptoir_db::platform::audit::{self, Actor, NewEntry};
use serde_json::json;
use uuid::Uuid;

use crate::harness::TestDatabase;

#[tokio::test]
async fn entries_are_recorded_and_listed_newest_first() {
    let db = TestDatabase::new().await;
    let user = Uuid::now_v7();
    let mut conn = db.pool.acquire().await.unwrap();
    for action in ["auth.login_failed", "auth.login_succeeded"] {
        let entry = NewEntry {
            actor: Actor::User(user),
            action,
            subject_type: Some("user"),
            subject_id: Some(&user.to_string()),
            request_id: Some("req-1"),
            ip: Some("203.0.113.7"),
            details: json!({"method": "password"}),
        };
        audit::record(&mut conn, &entry).await.unwrap();
    }
    let entries = audit::list_for_subject(&mut conn, "user", &user.to_string(), 10)
        .await
        .unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["auth.login_succeeded", "auth.login_failed"]);
    assert_eq!(entries[0].actor_kind, "user");
    assert_eq!(entries[0].actor_id, Some(user));
    assert_eq!(entries[0].ip.as_deref(), Some("203.0.113.7"));
}

#[tokio::test]
async fn entries_cannot_be_changed_deleted_or_truncated() {
    let db = TestDatabase::new().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let entry = NewEntry {
        actor: Actor::System,
        action: "api_key.revoked",
        subject_type: None,
        subject_id: None,
        request_id: None,
        ip: None,
        details: json!({}),
    };
    audit::record(&mut conn, &entry).await.unwrap();
    for statement in [
        "UPDATE audit_log SET action = 'auth.nothing_happened'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = sqlx::query(statement).execute(&db.pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{statement}: {err}");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn an_action_must_be_a_dotted_code() {
    let db = TestDatabase::new().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let entry = NewEntry {
        actor: Actor::Anonymous,
        action: "Logged In!",
        subject_type: None,
        subject_id: None,
        request_id: None,
        ip: None,
        details: json!({}),
    };
    let err = audit::record(&mut conn, &entry).await.unwrap_err();
    assert!(matches!(err, comptoir_db::Error::Check { .. }), "{err:?}");
}
