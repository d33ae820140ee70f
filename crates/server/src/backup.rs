//! Backups: a compressed `pg_dump` with its SHA-256 checksum, the last N
//! kept; and restoring one into a new database after checking it.
//!
//! The dump is PostgreSQL's custom format (compressed, restorable table by
//! table with `pg_restore`). It is written under a temporary name and renamed
//! once complete, with its checksum beside it (`sha256sum -c` reads it), so
//! a backup that is listed is a whole one.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

const PREFIX: &str = "comptoir-";
const SUFFIX: &str = ".dump";

/// Dumps the database at `database_url` into `dir`, then removes all but the
/// `keep` most recent backups. Answers the new file.
pub async fn backup(database_url: &str, dir: &Path, keep: usize) -> anyhow::Result<PathBuf> {
    tokio::fs::create_dir_all(dir)
        .await
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let stamp = time::OffsetDateTime::now_utc()
        .format(&time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .context("cannot format the time")?;
    let name = format!("{PREFIX}{stamp}{SUFFIX}");
    let path = dir.join(&name);
    let partial = dir.join(format!(".{name}.partial"));
    let status = tokio::process::Command::new("pg_dump")
        .args([
            "--format=custom",
            "--compress=6",
            "--no-owner",
            "--no-privileges",
            "--file",
        ])
        .arg(&partial)
        .arg(database_url)
        .status()
        .await
        .context("cannot run pg_dump (install PostgreSQL's client tools)")?;
    if !status.success() {
        let _ = tokio::fs::remove_file(&partial).await;
        bail!("pg_dump failed ({status})");
    }
    let digest = sha256_of(&partial).await?;
    tokio::fs::write(dir.join(format!("{name}.sha256")), format!("{digest}  {name}\n")).await?;
    tokio::fs::rename(&partial, &path).await?;
    prune(dir, keep).await?;
    Ok(path)
}

/// The backups in `dir`, oldest first.
pub async fn list(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut entries = tokio::fs::read_dir(dir)
        .await
        .with_context(|| format!("cannot read {}", dir.display()))?;
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) && name.ends_with(SUFFIX) {
            found.push(entry.path());
        }
    }
    // The names carry the time, so their order is the backups' order.
    found.sort();
    Ok(found)
}

async fn prune(dir: &Path, keep: usize) -> anyhow::Result<()> {
    let all = list(dir).await?;
    let excess = all.len().saturating_sub(keep.max(1));
    for old in &all[..excess] {
        tokio::fs::remove_file(old).await?;
        let mut checksum = old.clone().into_os_string();
        checksum.push(".sha256");
        let _ = tokio::fs::remove_file(PathBuf::from(checksum)).await;
    }
    Ok(())
}

async fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Restores `file` into the database at `target_url` (created when missing,
/// refused when it already has tables), after checking the checksum beside
/// the file.
pub async fn restore(file: &Path, target_url: &str) -> anyhow::Result<()> {
    let mut checksum_path = file.to_path_buf().into_os_string();
    checksum_path.push(".sha256");
    let expected = tokio::fs::read_to_string(PathBuf::from(&checksum_path))
        .await
        .with_context(|| format!("cannot read the checksum {}", PathBuf::from(&checksum_path).display()))?;
    let expected = expected.split_whitespace().next().unwrap_or_default().to_owned();
    let actual = sha256_of(file).await?;
    if expected != actual {
        bail!("{} does not match its checksum: it is damaged", file.display());
    }
    let pool = comptoir_db::pool::connect(
        target_url,
        &comptoir_db::pool::PoolSettings {
            max_connections: 1,
            acquire_timeout: std::time::Duration::from_secs(10),
        },
    )
    .await
    .context("cannot open the target database")?;
    let mut conn = pool.acquire().await?;
    if comptoir_db::platform::health::user_table_count(&mut conn).await? > 0 {
        bail!("the target database is not empty; restore into a new one");
    }
    drop(conn);
    pool.close().await;
    let status = tokio::process::Command::new("pg_restore")
        .args(["--no-owner", "--no-privileges", "--exit-on-error", "--dbname"])
        .arg(target_url)
        .arg(file)
        .status()
        .await
        .context("cannot run pg_restore (install PostgreSQL's client tools)")?;
    if !status.success() {
        bail!("pg_restore failed ({status})");
    }
    Ok(())
}
