//! Accounts, role assignments, sessions with their refresh tokens, and API
//! keys.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone_encrypted: Option<Vec<u8>>,
    pub status: String,
    pub email_verified_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What login needs: the stored hash and whether the account may sign in.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: Uuid,
    pub password_hash: String,
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

/// The constraint that keeps emails unique without regard to case.
pub const EMAIL_TAKEN: &str = "users_email_key";

pub async fn insert_user(conn: &mut PgConnection, user: &NewUser<'_>) -> Result<User> {
    let row = sqlx::query_as!(
        User,
        r#"INSERT INTO users (id, email, password_hash, first_name, last_name)
           VALUES ($1, $2, $3, $4, $5)
           RETURNING id, email, first_name, last_name, phone_encrypted, status,
                     email_verified_at, created_at, updated_at"#,
        user.id,
        user.email,
        user.password_hash,
        user.first_name,
        user.last_name,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn get_user(conn: &mut PgConnection, id: Uuid) -> Result<User> {
    let row = sqlx::query_as!(
        User,
        r#"SELECT id, email, first_name, last_name, phone_encrypted, status,
                  email_verified_at, created_at, updated_at
             FROM users WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn find_user_by_email(conn: &mut PgConnection, email: &str) -> Result<Option<User>> {
    let row = sqlx::query_as!(
        User,
        r#"SELECT id, email, first_name, last_name, phone_encrypted, status,
                  email_verified_at, created_at, updated_at
             FROM users WHERE lower(email) = lower($1)"#,
        email
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn credentials_by_email(conn: &mut PgConnection, email: &str) -> Result<Option<Credentials>> {
    let row = sqlx::query_as!(
        Credentials,
        "SELECT id, password_hash, status FROM users WHERE lower(email) = lower($1)",
        email
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn credentials_by_id(conn: &mut PgConnection, id: Uuid) -> Result<Credentials> {
    let row = sqlx::query_as!(
        Credentials,
        "SELECT id, password_hash, status FROM users WHERE id = $1",
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// Changes the given profile fields; `None` leaves a field as it is, and
/// `Some(None)` for the phone clears it.
pub async fn update_profile(
    conn: &mut PgConnection,
    id: Uuid,
    first_name: Option<&str>,
    last_name: Option<&str>,
    phone_encrypted: Option<Option<&[u8]>>,
) -> Result<User> {
    let row = sqlx::query_as!(
        User,
        r#"UPDATE users
              SET first_name = coalesce($2, first_name),
                  last_name = coalesce($3, last_name),
                  phone_encrypted = CASE WHEN $4 THEN $5 ELSE phone_encrypted END,
                  updated_at = now(),
                  version = version + 1
            WHERE id = $1
        RETURNING id, email, first_name, last_name, phone_encrypted, status,
                  email_verified_at, created_at, updated_at"#,
        id,
        first_name,
        last_name,
        phone_encrypted.is_some(),
        phone_encrypted.flatten(),
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn set_password_hash(conn: &mut PgConnection, id: Uuid, password_hash: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2, updated_at = now(), version = version + 1 WHERE id = $1",
        id,
        password_hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// `active` or `disabled`; returns the account as it now is.
pub async fn set_status(conn: &mut PgConnection, id: Uuid, status: &str) -> Result<User> {
    let row = sqlx::query_as!(
        User,
        r#"UPDATE users SET status = $2, updated_at = now(), version = version + 1
            WHERE id = $1
        RETURNING id, email, first_name, last_name, phone_encrypted, status,
                  email_verified_at, created_at, updated_at"#,
        id,
        status
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// A page of accounts, newest first, optionally matching `search` in the
/// email or the names; `after` is the last row of the previous page.
pub async fn list_users(
    conn: &mut PgConnection,
    search: Option<&str>,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<User>> {
    let pattern = search.map(|s| format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let (after_at, after_id) = after.unzip();
    let rows = sqlx::query_as!(
        User,
        r#"SELECT id, email, first_name, last_name, phone_encrypted, status,
                  email_verified_at, created_at, updated_at
             FROM users
            WHERE ($1::text IS NULL
                   OR email ILIKE $1 OR first_name ILIKE $1 OR last_name ILIKE $1
                   OR (first_name || ' ' || last_name) ILIKE $1)
              AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
            ORDER BY created_at DESC, id DESC
            LIMIT $4"#,
        pattern,
        after_at,
        after_id,
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

#[derive(Debug, Clone)]
pub struct RoleAssignment {
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    pub store_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

/// Grants a role; granting one the account already holds changes nothing
/// and returns the existing assignment.
pub async fn grant_role(
    conn: &mut PgConnection,
    user_id: Uuid,
    role: &str,
    store_id: Option<Uuid>,
    company_id: Option<Uuid>,
) -> Result<RoleAssignment> {
    let inserted = sqlx::query_as!(
        RoleAssignment,
        r#"INSERT INTO role_assignments (id, user_id, role, store_id, company_id)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING
           RETURNING id, user_id, role, store_id, company_id, created_at"#,
        Uuid::now_v7(),
        user_id,
        role,
        store_id,
        company_id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = inserted {
        return Ok(row);
    }
    let existing = sqlx::query_as!(
        RoleAssignment,
        r#"SELECT id, user_id, role, store_id, company_id, created_at
             FROM role_assignments
            WHERE user_id = $1 AND role = $2
              AND store_id IS NOT DISTINCT FROM $3 AND company_id IS NOT DISTINCT FROM $4"#,
        user_id,
        role,
        store_id,
        company_id,
    )
    .fetch_one(conn)
    .await?;
    Ok(existing)
}

/// Removes one assignment of `user_id`; false when there was none.
pub async fn revoke_role(
    conn: &mut PgConnection,
    user_id: Uuid,
    assignment_id: Uuid,
) -> Result<Option<RoleAssignment>> {
    let row = sqlx::query_as!(
        RoleAssignment,
        r#"DELETE FROM role_assignments WHERE id = $1 AND user_id = $2
           RETURNING id, user_id, role, store_id, company_id, created_at"#,
        assignment_id,
        user_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn roles_of(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<RoleAssignment>> {
    let rows = sqlx::query_as!(
        RoleAssignment,
        r#"SELECT id, user_id, role, store_id, company_id, created_at
             FROM role_assignments WHERE user_id = $1 ORDER BY created_at, id"#,
        user_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

pub async fn roles_of_users(conn: &mut PgConnection, user_ids: &[Uuid]) -> Result<Vec<RoleAssignment>> {
    let rows = sqlx::query_as!(
        RoleAssignment,
        r#"SELECT id, user_id, role, store_id, company_id, created_at
             FROM role_assignments WHERE user_id = ANY($1) ORDER BY created_at, id"#,
        user_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

pub async fn insert_store(conn: &mut PgConnection, id: Uuid, code: &str, name: &str) -> Result<()> {
    sqlx::query!(
        "INSERT INTO stores (id, code, name) VALUES ($1, $2, $3)",
        id,
        code,
        name
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_company(conn: &mut PgConnection, id: Uuid, name: &str) -> Result<()> {
    sqlx::query!("INSERT INTO companies (id, name) VALUES ($1, $2)", id, name)
        .execute(conn)
        .await?;
    Ok(())
}

// ------------------------------------------------------------ sessions

#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_used_at: OffsetDateTime,
}

/// Starts a session (a refresh token family) with its first token.
pub async fn start_session(
    conn: &mut PgConnection,
    session_id: Uuid,
    user_id: Uuid,
    user_agent: Option<&str>,
    ip: Option<&str>,
    token_hash: &[u8],
    expires_at: OffsetDateTime,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO sessions (id, user_id, user_agent, ip) VALUES ($1, $2, $3, $4)",
        session_id,
        user_id,
        user_agent,
        ip
    )
    .execute(&mut *conn)
    .await?;
    insert_refresh_token(conn, session_id, user_id, token_hash, expires_at).await
}

async fn insert_refresh_token(
    conn: &mut PgConnection,
    session_id: Uuid,
    user_id: Uuid,
    token_hash: &[u8],
    expires_at: OffsetDateTime,
) -> Result<()> {
    sqlx::query!(
        r#"INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
           VALUES ($1, $2, $3, $4, $5)"#,
        Uuid::now_v7(),
        session_id,
        user_id,
        token_hash,
        expires_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What presenting a refresh token came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: it is spent and `next` replaces it.
    Rotated { user_id: Uuid, session_id: Uuid },
    /// The token had been used already: someone holds a copy. The whole
    /// session has been revoked.
    Reused { user_id: Uuid, session_id: Uuid },
    /// Unknown, expired, or its session was revoked.
    Invalid,
}

/// Spends a refresh token and stores its successor, or revokes the
/// session when the token was spent before. The token row is locked, so
/// two concurrent uses of one token cannot both rotate.
pub async fn rotate_refresh_token(
    conn: &mut PgConnection,
    token_hash: &[u8],
    next_hash: &[u8],
    next_expires_at: OffsetDateTime,
) -> Result<Rotation> {
    let Some(token) = sqlx::query!(
        r#"SELECT t.id, t.family_id, t.user_id, t.used_at, t.expires_at,
                  s.revoked_at AS "session_revoked_at?"
             FROM refresh_tokens t JOIN sessions s ON s.id = t.family_id
            WHERE t.token_hash = $1
            FOR UPDATE OF t, s"#,
        token_hash
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(Rotation::Invalid);
    };
    if token.session_revoked_at.is_some() {
        return Ok(Rotation::Invalid);
    }
    if token.used_at.is_some() {
        revoke_session_family(conn, token.family_id).await?;
        return Ok(Rotation::Reused {
            user_id: token.user_id,
            session_id: token.family_id,
        });
    }
    if token.expires_at <= OffsetDateTime::now_utc() {
        return Ok(Rotation::Invalid);
    }
    sqlx::query!("UPDATE refresh_tokens SET used_at = now() WHERE id = $1", token.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "UPDATE sessions SET last_used_at = now() WHERE id = $1",
        token.family_id
    )
    .execute(&mut *conn)
    .await?;
    insert_refresh_token(conn, token.family_id, token.user_id, next_hash, next_expires_at).await?;
    Ok(Rotation::Rotated {
        user_id: token.user_id,
        session_id: token.family_id,
    })
}

async fn revoke_session_family(conn: &mut PgConnection, session_id: Uuid) -> Result<()> {
    sqlx::query!(
        "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
        session_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
        session_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The session a refresh token belongs to, if it is still open.
pub async fn session_of_token(conn: &mut PgConnection, token_hash: &[u8]) -> Result<Option<(Uuid, Uuid)>> {
    let row = sqlx::query!(
        r#"SELECT s.id, s.user_id FROM refresh_tokens t JOIN sessions s ON s.id = t.family_id
            WHERE t.token_hash = $1 AND s.revoked_at IS NULL"#,
        token_hash
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.id, r.user_id)))
}

/// Who a web page's session cookie signs in: the session its refresh token
/// belongs to, while the token is current (unused, unrevoked, unexpired),
/// the session open and the account active. Pages only check the token,
/// never rotate it, so two pages loading at once cannot race. The
/// session's `last_used_at` moves at most every five minutes.
#[derive(Debug, Clone)]
pub struct WebSignIn {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

pub async fn web_sign_in(conn: &mut PgConnection, token_hash: &[u8]) -> Result<Option<WebSignIn>> {
    let row = sqlx::query_as!(
        WebSignIn,
        r#"WITH current AS (
               SELECT s.id AS session_id, u.id AS user_id, u.email, u.first_name, u.last_name
                 FROM refresh_tokens t
                 JOIN sessions s ON s.id = t.family_id
                 JOIN users u ON u.id = s.user_id
                WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.revoked_at IS NULL
                  AND t.expires_at > now() AND s.revoked_at IS NULL AND u.status = 'active'
           ), touched AS (
               UPDATE sessions SET last_used_at = now()
                 FROM current
                WHERE sessions.id = current.session_id
                  AND sessions.last_used_at < now() - interval '5 minutes'
           )
           SELECT session_id AS "session_id!", user_id AS "user_id!", email AS "email!",
                  first_name AS "first_name!", last_name AS "last_name!"
             FROM current"#,
        token_hash
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

/// Revokes one of `user_id`'s sessions; false when it has no such open one.
pub async fn revoke_session(conn: &mut PgConnection, user_id: Uuid, session_id: Uuid) -> Result<bool> {
    let owned = sqlx::query_scalar!(
        "SELECT id FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL FOR UPDATE",
        session_id,
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if owned.is_none() {
        return Ok(false);
    }
    revoke_session_family(conn, session_id).await?;
    Ok(true)
}

/// Revokes every open session of `user_id` but `keep`.
pub async fn revoke_other_sessions(conn: &mut PgConnection, user_id: Uuid, keep: Option<Uuid>) -> Result<u64> {
    let revoked = sqlx::query_scalar!(
        r#"UPDATE sessions SET revoked_at = now()
            WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $2
        RETURNING id"#,
        user_id,
        keep
    )
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = ANY($1) AND revoked_at IS NULL",
        &revoked
    )
    .execute(conn)
    .await?;
    Ok(revoked.len() as u64)
}

pub async fn open_sessions(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<Session>> {
    let rows = sqlx::query_as!(
        Session,
        r#"SELECT id, user_id, user_agent, ip, created_at, last_used_at
             FROM sessions WHERE user_id = $1 AND revoked_at IS NULL
            ORDER BY created_at DESC, id DESC"#,
        user_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Whether a session is still open: access tokens name their session, and
/// a revoked one stops them before they expire.
pub async fn session_is_open(conn: &mut PgConnection, session_id: Uuid) -> Result<bool> {
    let open = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1 AND revoked_at IS NULL) AS "open!""#,
        session_id
    )
    .fetch_one(conn)
    .await?;
    Ok(open)
}

// ------------------------------------------------------------ API keys

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_by: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a [u8],
    pub scopes: &'a [String],
    pub created_by: Option<Uuid>,
    pub expires_at: Option<OffsetDateTime>,
}

pub async fn insert_api_key(conn: &mut PgConnection, key: &NewApiKey<'_>) -> Result<ApiKey> {
    let row = sqlx::query_as!(
        ApiKey,
        r#"INSERT INTO api_keys (id, name, prefix, secret_hash, scopes, created_by, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           RETURNING id, name, prefix, scopes, created_by, created_at, expires_at, last_used_at, revoked_at"#,
        key.id,
        key.name,
        key.prefix,
        key.secret_hash,
        key.scopes,
        key.created_by,
        key.expires_at,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// The usable key with this secret hash, noting its use (at most once a
/// minute, so a busy integration does not write on every request).
pub async fn use_api_key(conn: &mut PgConnection, secret_hash: &[u8]) -> Result<Option<ApiKey>> {
    let row = sqlx::query_as!(
        ApiKey,
        r#"SELECT id, name, prefix, scopes, created_by, created_at, expires_at, last_used_at, revoked_at
             FROM api_keys
            WHERE secret_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())"#,
        secret_hash
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(key) = &row
        && key
            .last_used_at
            .is_none_or(|at| OffsetDateTime::now_utc() - at > time::Duration::minutes(1))
    {
        sqlx::query!("UPDATE api_keys SET last_used_at = now() WHERE id = $1", key.id)
            .execute(conn)
            .await?;
    }
    Ok(row)
}

pub async fn list_api_keys(conn: &mut PgConnection) -> Result<Vec<ApiKey>> {
    let rows = sqlx::query_as!(
        ApiKey,
        r#"SELECT id, name, prefix, scopes, created_by, created_at, expires_at, last_used_at, revoked_at
             FROM api_keys ORDER BY created_at DESC, id DESC"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Revokes a key; `None` when there is no such key. Revoking twice keeps
/// the first revocation time.
pub async fn revoke_api_key(conn: &mut PgConnection, id: Uuid) -> Result<Option<ApiKey>> {
    let row = sqlx::query_as!(
        ApiKey,
        r#"UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
           RETURNING id, name, prefix, scopes, created_by, created_at, expires_at, last_used_at, revoked_at"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

// ------------------------------------------------------------ one-time tokens

/// `password_reset` or `email_verification`.
pub async fn insert_one_time_token(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: &str,
    token_hash: &[u8],
    expires_at: OffsetDateTime,
) -> Result<()> {
    sqlx::query!(
        r#"INSERT INTO one_time_tokens (id, user_id, purpose, token_hash, expires_at)
           VALUES ($1, $2, $3, $4, $5)"#,
        Uuid::now_v7(),
        user_id,
        purpose,
        token_hash,
        expires_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// When the last token of this purpose was sent to the user, to avoid
/// sending a mailbox a flood of them.
pub async fn last_one_time_token_at(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: &str,
) -> Result<Option<OffsetDateTime>> {
    let at = sqlx::query_scalar!(
        "SELECT max(created_at) FROM one_time_tokens WHERE user_id = $1 AND purpose = $2",
        user_id,
        purpose
    )
    .fetch_one(conn)
    .await?;
    Ok(at)
}

/// Spends a token: the user it was for, if it is of this purpose, unused
/// and unexpired. The other unused tokens of the same purpose are spent
/// too, so an older email cannot be used after a newer one.
pub async fn consume_one_time_token(conn: &mut PgConnection, purpose: &str, token_hash: &[u8]) -> Result<Option<Uuid>> {
    let user_id = sqlx::query_scalar!(
        r#"UPDATE one_time_tokens SET used_at = now()
            WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id"#,
        token_hash,
        purpose
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(user_id) = user_id {
        sqlx::query!(
            "UPDATE one_time_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
            user_id,
            purpose
        )
        .execute(conn)
        .await?;
    }
    Ok(user_id)
}

pub async fn mark_email_verified(conn: &mut PgConnection, user_id: Uuid) -> Result<()> {
    sqlx::query!(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = $1",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

// ------------------------------------------------------------ addresses

#[derive(Debug, Clone)]
pub struct Address {
    pub id: Uuid,
    pub user_id: Uuid,
    pub label: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub phone_encrypted: Option<Vec<u8>>,
    pub is_default_shipping: bool,
    pub is_default_billing: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub async fn list_addresses(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<Address>> {
    let rows = sqlx::query_as!(
        Address,
        r#"SELECT id, user_id, label, first_name, last_name, company, line1, line2, postal_code, city,
                  country AS "country!", phone_encrypted, is_default_shipping, is_default_billing,
                  created_at, updated_at
             FROM addresses WHERE user_id = $1 ORDER BY created_at, id"#,
        user_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// One of `user_id`'s addresses, locked for a change; `None` for anyone
/// else's.
pub async fn address_for_update(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> Result<Option<Address>> {
    let row = sqlx::query_as!(
        Address,
        r#"SELECT id, user_id, label, first_name, last_name, company, line1, line2, postal_code, city,
                  country AS "country!", phone_encrypted, is_default_shipping, is_default_billing,
                  created_at, updated_at
             FROM addresses WHERE id = $1 AND user_id = $2 FOR UPDATE"#,
        id,
        user_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

/// Inserts or replaces an address. Making it a default takes the flag
/// from the user's other addresses first, in the same transaction.
pub async fn save_address(conn: &mut PgConnection, address: &Address) -> Result<Address> {
    if address.is_default_shipping {
        sqlx::query!(
            "UPDATE addresses SET is_default_shipping = false WHERE user_id = $1 AND id <> $2 AND is_default_shipping",
            address.user_id,
            address.id
        )
        .execute(&mut *conn)
        .await?;
    }
    if address.is_default_billing {
        sqlx::query!(
            "UPDATE addresses SET is_default_billing = false WHERE user_id = $1 AND id <> $2 AND is_default_billing",
            address.user_id,
            address.id
        )
        .execute(&mut *conn)
        .await?;
    }
    let row = sqlx::query_as!(
        Address,
        r#"INSERT INTO addresses (id, user_id, label, first_name, last_name, company, line1, line2, postal_code,
                                  city, country, phone_encrypted, is_default_shipping, is_default_billing)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT (id) DO UPDATE SET
               label = EXCLUDED.label, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
               company = EXCLUDED.company, line1 = EXCLUDED.line1, line2 = EXCLUDED.line2,
               postal_code = EXCLUDED.postal_code, city = EXCLUDED.city, country = EXCLUDED.country,
               phone_encrypted = EXCLUDED.phone_encrypted, is_default_shipping = EXCLUDED.is_default_shipping,
               is_default_billing = EXCLUDED.is_default_billing, updated_at = now()
             WHERE addresses.user_id = EXCLUDED.user_id
           RETURNING id, user_id, label, first_name, last_name, company, line1, line2, postal_code, city,
                     country AS "country!", phone_encrypted, is_default_shipping, is_default_billing,
                     created_at, updated_at"#,
        address.id,
        address.user_id,
        address.label,
        address.first_name,
        address.last_name,
        address.company,
        address.line1,
        address.line2,
        address.postal_code,
        address.city,
        address.country,
        address.phone_encrypted,
        address.is_default_shipping,
        address.is_default_billing,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn delete_address(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> Result<bool> {
    let deleted = sqlx::query!("DELETE FROM addresses WHERE id = $1 AND user_id = $2", id, user_id)
        .execute(conn)
        .await?;
    Ok(deleted.rows_affected() == 1)
}
