//! One path for every change an administrator makes to the catalog: a
//! transaction, the change, its audit entry in the same transaction, the
//! commit, and then the cached catalog answers dropped (after the commit,
//! so that no read caches the old state again in between).

use comptoir_db::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use super::cached::invalidate;
use crate::Context;
use crate::error::AppError;
use crate::platform::staff::Acting;

/// A change to the catalog under way. Dropped without [`commit`](Self::commit),
/// it rolls back and leaves the cache alone.
pub struct CatalogChange<'a> {
    ctx: &'a Context,
    acting: Acting<'a>,
    tx: Transaction<'static, Postgres>,
}

impl<'a> CatalogChange<'a> {
    pub async fn begin(ctx: &'a Context, acting: Acting<'a>) -> Result<Self, AppError> {
        let tx = ctx.db.begin().await?;
        Ok(Self { ctx, acting, tx })
    }

    /// The change's transaction.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Records the change (`action` on `subject`, with `details`), commits
    /// it, and drops the cached catalog answers.
    pub async fn commit(
        mut self,
        action: &str,
        subject: (&str, Uuid),
        details: serde_json::Value,
    ) -> Result<(), AppError> {
        self.acting.record(&mut self.tx, action, subject, details).await?;
        self.tx.commit().await?;
        invalidate(self.ctx).await;
        Ok(())
    }
}
