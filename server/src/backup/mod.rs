//! Backups with a verified copy, and restores into an empty place.
//!
//! - SQLite: `VACUUM INTO` on a connection of its own. It reads one snapshot
//!   (everything committed before it began) while the group commit keeps
//!   writing beside it in the write-ahead log, writes a compact file holding
//!   no free pages (so no leftovers of erased submissions), and the copy is
//!   then checked with `PRAGMA integrity_check` before it takes its name.
//! - PostgreSQL: the engine's own `pg_dump --format=custom`, inside a
//!   repeatable-read snapshot whose submissions are counted, then read back
//!   whole with `pg_restore` before it takes its name; `restore` runs
//!   `pg_restore` in one transaction.
//!
//! A backup never overwrites a file, and a restore never overwrites a
//! database that holds data.

mod postgres;
mod sqlite;

use std::path::{Path, PathBuf};

use crate::storage::StorageError;

/// Failures of a backup or a restore. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("there is no database at {0}: check database_url.")]
    NoDatabase(PathBuf),
    #[error(
        "{0} already exists: a backup never overwrites a file, so choose a new name (such as one with today's date)."
    )]
    TargetExists(PathBuf),
    #[error(
        "the database at {place} already holds data ({submissions} submissions): restore into a new, empty database (point database_url or --database-url at a new file or a new empty PostgreSQL database), or move the existing one away first."
    )]
    NotEmpty { place: String, submissions: u64 },
    #[error("the copy at {path} failed its integrity check ({report}): it was not kept.")]
    CheckFailed { path: PathBuf, report: String },
    #[error("{0} is not a backup of this server (it has no submissions table).")]
    NotABackup(PathBuf),
    #[error(
        "cannot run {tool} ({source}): install the PostgreSQL client tools (Debian package postgresql-client), of the server's major version or newer."
    )]
    ToolMissing {
        tool: &'static str,
        source: std::io::Error,
    },
    #[error("{tool} failed: {message}.")]
    Tool { tool: &'static str, message: String },
    #[error("{path}: {source}.")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}.")]
    Database(#[from] sqlx::Error),
    #[error("{0}.")]
    Storage(#[from] StorageError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What a backup wrote, or what a restore brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The backup file (written or read).
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Submissions it holds.
    pub submissions: u64,
}

/// Takes a consistent copy of the database named by `database_url` into
/// the new file `to`, verifies it, and reports what it wrote. Safe while
/// the server is serving.
pub async fn backup(database_url: &str, to: &Path) -> Result<Report, BackupError> {
    if to.exists() {
        return Err(BackupError::TargetExists(to.to_owned()));
    }
    if is_postgres(database_url) {
        postgres::backup(database_url, to).await
    } else {
        sqlite::backup(database_url, to).await
    }
}

/// Brings the backup `from` back into the empty database named by
/// `database_url` (a new SQLite file, or an empty PostgreSQL database that
/// exists), then runs the migrations so an older backup is brought up to
/// date. Refuses to overwrite a database holding data.
pub async fn restore(database_url: &str, from: &Path) -> Result<Report, BackupError> {
    if !from.is_file() {
        return Err(BackupError::Io {
            path: from.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such backup file"),
        });
    }
    if is_postgres(database_url) {
        postgres::restore(database_url, from).await
    } else {
        sqlite::restore(database_url, from).await
    }
}

fn is_postgres(database_url: &str) -> bool {
    database_url.starts_with("postgres")
}

/// A new temporary file beside `path`, so that renaming it to `path` is
/// atomic: a half-written backup never carries the backup's name.
fn temporary_beside(path: &Path) -> Result<tempfile::NamedTempFile, BackupError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    tempfile::Builder::new()
        .prefix(".cfi-backup-")
        .suffix(".partial")
        .tempfile_in(&dir)
        .map_err(io(&dir))
}

/// Flushes `file` to disk, gives it its final name (never replacing a file)
/// and flushes the directory entry, so a reported backup survives a crash.
fn keep(file: tempfile::NamedTempFile, to: &Path) -> Result<u64, BackupError> {
    file.as_file().sync_all().map_err(io(to))?;
    let bytes = file.as_file().metadata().map_err(io(to))?.len();
    file.persist_noclobber(to).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::TargetExists(to.to_owned())
        } else {
            BackupError::Io {
                path: to.to_owned(),
                source: e.error,
            }
        }
    })?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(bytes)
}
