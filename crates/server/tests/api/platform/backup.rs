//! The backup drill: demo data backed up, restored into a fresh database,
//! and compared table by table (row counts and a checksum of the content).

use std::collections::BTreeMap;

use crate::harness::{TestDatabase, drop_database_blocking, pg_server_url};

/// Every table of the public schema with its row count and the MD5 of its
/// rows in a stable order.
async fn fingerprint(pool: &sqlx::PgPool) -> BTreeMap<String, (i64, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for table in tables {
        let sql =
            format!("SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{table}\" t");
        let row: (i64, String) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await.unwrap();
        out.insert(table, row);
    }
    out
}

#[tokio::test]
async fn a_backup_restores_into_a_new_database_with_the_same_content() {
    let source = TestDatabase::new().await;
    comptoir_server::seed::demo(&source.pool).await.unwrap();
    let dir = std::env::temp_dir().join(format!("comptoir-backup-{}", uuid::Uuid::now_v7().simple()));

    // Three backups, two kept.
    let mut last = None;
    for _ in 0..3 {
        last = Some(comptoir_server::backup::backup(&source.url, &dir, 2).await.unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    let kept = comptoir_server::backup::list(&dir).await.unwrap();
    assert_eq!(kept.len(), 2);
    let file = last.unwrap();
    assert_eq!(kept.last(), Some(&file));

    let name = format!("comptoir_test_restore_{}", uuid::Uuid::now_v7().simple());
    let target = format!("{}/{name}", pg_server_url());
    comptoir_server::backup::restore(&file, &target).await.unwrap();
    let restored = sqlx::PgPool::connect(&target).await.unwrap();
    let before = fingerprint(&source.pool).await;
    let after = fingerprint(&restored).await;
    assert!(
        before.get("products").is_some_and(|(n, _)| *n > 100),
        "the demo catalog is there"
    );
    assert_eq!(before, after, "every table restored with the same rows");

    // Restoring over a database that has tables is refused.
    let refused = comptoir_server::backup::restore(&file, &target).await;
    assert!(refused.is_err());
    // A damaged backup is refused before anything is written.
    let mut bytes = tokio::fs::read(&file).await.unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    tokio::fs::write(&file, bytes).await.unwrap();
    let damaged = comptoir_server::backup::restore(&file, &format!("{}/{name}_2", pg_server_url())).await;
    assert!(damaged.unwrap_err().to_string().contains("checksum"));

    restored.close().await;
    drop_database_blocking(name);
    let _ = tokio::fs::remove_dir_all(&dir).await;
}
