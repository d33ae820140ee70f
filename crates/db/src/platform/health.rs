//! What the readiness probe asks the database.

use sqlx::PgConnection;

use crate::Result;

pub async fn ping(conn: &mut PgConnection) -> Result<()> {
    sqlx::query_scalar!(r#"SELECT 1 AS "one!""#).fetch_one(conn).await?;
    Ok(())
}

/// Versions of the embedded migrations not applied (or failed) in this database.
pub async fn pending_migrations(conn: &mut PgConnection) -> Result<Vec<i64>> {
    // `_sqlx_migrations` belongs to the migrator, not to our schema, so this
    // one query is checked at run time rather than against `.sqlx/`.
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(conn)
        .await
        .or_else(|err| match err.as_database_error().and_then(|e| e.code()).as_deref() {
            Some("42P01") => Ok(Vec::new()), // never migrated: everything is pending
            _ => Err(err),
        })?;
    Ok(crate::MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .map(|m| m.version)
        .collect())
}

/// How many tables the database's public schema holds (a restore goes into
/// an empty one only).
pub async fn user_table_count(conn: &mut PgConnection) -> Result<i64> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM information_schema.tables
            WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"#
    )
    .fetch_one(conn)
    .await?;
    Ok(n)
}
