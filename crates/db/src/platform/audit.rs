//! The append-only audit log: who did what, when.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(Uuid),
    ApiKey(Uuid),
    System,
    Anonymous,
}

impl Actor {
    pub(crate) fn parts(self) -> (&'static str, Option<Uuid>) {
        match self {
            Self::User(id) => ("user", Some(id)),
            Self::ApiKey(id) => ("api_key", Some(id)),
            Self::System => ("system", None),
            Self::Anonymous => ("anonymous", None),
        }
    }
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub actor: Actor,
    /// Dotted, lower case: `auth.login_failed`, `api_key.revoked`.
    pub action: &'a str,
    pub subject_type: Option<&'a str>,
    pub subject_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: Uuid,
    pub occurred_at: OffsetDateTime,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub details: serde_json::Value,
}

pub async fn record(conn: &mut PgConnection, entry: &NewEntry<'_>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let (actor_kind, actor_id) = entry.actor.parts();
    sqlx::query!(
        r#"INSERT INTO audit_log
               (id, actor_kind, actor_id, action, subject_type, subject_id, request_id, ip, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
        id,
        actor_kind,
        actor_id,
        entry.action,
        entry.subject_type,
        entry.subject_id,
        entry.request_id,
        entry.ip,
        entry.details,
    )
    .execute(conn)
    .await?;
    Ok(id)
}

/// Entries about one subject, newest first.
pub async fn list_for_subject(
    conn: &mut PgConnection,
    subject_type: &str,
    subject_id: &str,
    limit: i64,
) -> Result<Vec<Entry>> {
    let rows = sqlx::query_as!(
        Entry,
        r#"SELECT id, occurred_at, actor_kind, actor_id, action, subject_type, subject_id,
                  request_id, ip, details
             FROM audit_log
            WHERE subject_type = $1 AND subject_id = $2
            ORDER BY occurred_at DESC, id DESC
            LIMIT $3"#,
        subject_type,
        subject_id,
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}
