//! Opening the connection pool, creating the database on first start.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::Result;

/// How long a pooled connection may sit idle and still be handed out
/// without a ping.
const PING_AFTER_IDLE: Duration = Duration::from_secs(10);

/// How the pool is sized and how long a request may wait for a connection.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

/// Opens a pool on `url`, creating the database first when it does not exist
/// (a fresh machine needs nothing but a running PostgreSQL).
pub async fn connect(url: &str, settings: &PoolSettings) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(url)?;
    create_database_if_missing(&options).await?;
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .min_connections(1)
        // sqlx's default pings every connection it hands out: a round trip
        // to PostgreSQL before every request's first query, which costs a
        // cheap page as much CPU as the page itself. Only a connection that
        // sat idle long enough to have been cut (a restarted server, a
        // proxy's idle timeout) is checked; a connection that breaks in
        // use is dropped by sqlx and the request fails cleanly.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move { Ok(meta.idle_for < PING_AFTER_IDLE || conn.ping().await.is_ok()) })
        })
        .acquire_timeout(settings.acquire_timeout)
        .connect_with(options)
        .await?;
    Ok(pool)
}

async fn create_database_if_missing(options: &PgConnectOptions) -> Result<()> {
    match PgConnection::connect_with(options).await {
        Ok(conn) => {
            conn.close().await?;
            Ok(())
        }
        Err(err) if is_missing_database(&err) => {
            let name = options.get_database().unwrap_or("postgres").to_owned();
            let mut admin = PgConnection::connect_with(&options.clone().database("postgres")).await?;
            // The name comes from our own configuration and is quoted.
            let statement = format!("CREATE DATABASE {}", quote_identifier(&name));
            let created = sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await;
            admin.close().await?;
            match created {
                // Another instance starting at the same moment created it first.
                Err(err) if err.as_database_error().and_then(|e| e.code()).as_deref() == Some("42P04") => Ok(()),
                other => other.map(|_| ()).map_err(Into::into),
            }
        }
        Err(err) => Err(err.into()),
    }
}

fn is_missing_database(err: &sqlx::Error) -> bool {
    err.as_database_error().and_then(|e| e.code()).as_deref() == Some("3D000")
}

/// Quotes a PostgreSQL identifier (`CREATE DATABASE` takes no bind parameters).
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Applies the embedded migrations. Safe to call from several instances at
/// once: the migrator holds an advisory lock while it runs.
pub async fn migrate(pool: &PgPool) -> Result<()> {
    crate::MIGRATOR.run(pool).await?;
    Ok(())
}

/// A connection taken from the pool, held across several transactions.
pub type PooledConnection = sqlx::pool::PoolConnection<sqlx::Postgres>;

/// A second, small pool on the same database as `pool`, opened on first
/// use: for a component that stands for an outside system (the test payment
/// gateway), so its connections never compete with the requests that call it.
pub fn side_pool(pool: &PgPool, max_connections: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .connect_lazy_with(pool.connect_options().as_ref().clone())
}

#[cfg(test)]
mod tests {
    use super::quote_identifier;

    #[test]
    fn identifiers_are_quoted_with_inner_quotes_doubled() {
        assert_eq!(quote_identifier("comptoir"), "\"comptoir\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
