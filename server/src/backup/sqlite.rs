//! SQLite: `VACUUM INTO` a file beside the target, check it, rename it.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use super::{BackupError, Report, io, keep, temporary_beside};
use crate::limits::DATABASE_WAIT;
use crate::storage::Storage;

fn file_of(database_url: &str) -> Result<PathBuf, BackupError> {
    Ok(SqliteConnectOptions::from_str(database_url)?
        .get_filename()
        .to_owned())
}

/// A connection to an existing database file (never creating one). The
/// live database is opened for writing only so that SQLite may recreate
/// its write-ahead log's index after a clean shutdown; nothing is written.
/// Copies (in rollback-journal mode, as `VACUUM INTO` writes them) are
/// opened read-only.
async fn open_existing(path: &Path, read_only: bool) -> Result<SqliteConnection, BackupError> {
    if !path.is_file() {
        return Err(BackupError::NoDatabase(path.to_owned()));
    }
    Ok(SqliteConnectOptions::new()
        .filename(path)
        .read_only(read_only)
        .busy_timeout(DATABASE_WAIT)
        .disable_statement_logging()
        .connect()
        .await?)
}

/// Copies the database `source` is connected to into the empty file `into`.
/// One read transaction: writers go on in the write-ahead log meanwhile.
async fn vacuum_into(source: &mut SqliteConnection, into: &Path) -> Result<(), BackupError> {
    let target = into.to_str().ok_or_else(|| BackupError::Io {
        path: into.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "path is not UTF-8"),
    })?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut *source)
        .await?;
    Ok(())
}

/// `PRAGMA integrity_check` on the file, then its submissions count.
async fn check(path: &Path) -> Result<u64, BackupError> {
    let mut conn = open_existing(path, true).await?;
    let report: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await?;
    if report != ["ok"] {
        return Err(BackupError::CheckFailed {
            path: path.to_owned(),
            report: report.join("; "),
        });
    }
    let has_table: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'submissions'",
    )
    .fetch_one(&mut conn)
    .await?;
    if has_table == 0 {
        return Err(BackupError::NotABackup(path.to_owned()));
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM submissions")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Whether any table of the file but the migrations' own holds a row, and
/// how many submissions it holds.
async fn data_held(path: &Path) -> Result<(bool, u64), BackupError> {
    let mut conn = open_existing(path, false).await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await?;
    let mut any = false;
    let mut submissions = 0u64;
    for table in tables {
        // Names come from the schema itself; quoted as identifiers.
        let sql = format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\""));
        let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut conn).await?;
        any |= n > 0;
        if table == "submissions" {
            submissions = u64::try_from(n).unwrap_or(0);
        }
    }
    conn.close().await?;
    Ok((any, submissions))
}

pub(super) async fn backup(database_url: &str, to: &Path) -> Result<Report, BackupError> {
    let source_path = file_of(database_url)?;
    let mut source = open_existing(&source_path, false).await?;
    let file = temporary_beside(to)?;
    vacuum_into(&mut source, file.path()).await?;
    source.close().await?;
    let submissions = check(file.path()).await?;
    let bytes = keep(file, to)?;
    Ok(Report {
        path: to.to_owned(),
        bytes,
        submissions,
    })
}

pub(super) async fn restore(database_url: &str, from: &Path) -> Result<Report, BackupError> {
    let submissions = check(from).await?;
    let target = file_of(database_url)?;
    if target.exists() {
        let (any, submissions) = data_held(&target).await?;
        if any {
            return Err(BackupError::NotEmpty {
                place: target.display().to_string(),
                submissions,
            });
        }
        // An empty database (say, one a server created and migrated): made
        // way for the copy, with its write-ahead log and shared memory.
        for suffix in ["", "-wal", "-shm"] {
            let mut name = target.clone().into_os_string();
            name.push(suffix);
            let path = PathBuf::from(name);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(io(&path)(e));
                }
                _ => {}
            }
        }
    }
    let mut source = open_existing(from, true).await?;
    let file = temporary_beside(&target)?;
    vacuum_into(&mut source, file.path()).await?;
    source.close().await?;
    let bytes = keep(file, &target)?;
    // Migrations bring an older backup up to this version's schema.
    let storage = Storage::open(database_url).await?;
    storage.close().await;
    Ok(Report {
        path: from.to_owned(),
        bytes,
        submissions,
    })
}
