//! Every SQL statement of Comptoir, its migrations and its typed errors.
//!
//! Queries are free functions over `&mut PgConnection`, so the caller decides
//! which transaction they run in (an effect, its outbox event, its audit entry
//! and its idempotency record commit together or not at all).

pub mod cart;
pub mod catalog;
pub mod error;
pub mod identity;
pub mod inventory;
pub mod orders;
pub mod payments;
pub mod platform;
pub mod pool;
pub mod shipping;

pub use error::{Error, Optional, Result};
pub use sqlx::{PgConnection, PgPool, Postgres, Transaction};

/// The migrations, embedded in the binary. `serve` and `migrate` apply them.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
