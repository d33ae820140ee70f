//! Demo data. Each context adds its part here as it is built; every part is
//! idempotent so `serve --demo` can run at every start.

use comptoir_db::PgPool;

/// Seeds the demo data of every context that has some.
pub async fn demo(pool: &PgPool) -> anyhow::Result<()> {
    // The platform tables hold no demo data of their own; the catalog,
    // stores and customers of the demo shop are seeded by their contexts,
    // none of which exists yet.
    let mut conn = pool.acquire().await?;
    comptoir_db::platform::health::ping(&mut conn).await?;
    tracing::info!("no demo data to load yet: the demo shop arrives with the catalog, stores and customers");
    Ok(())
}
