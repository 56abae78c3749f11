//! PostgreSQL: the engine's own `pg_dump` and `pg_restore`.
//!
//! The password, if the URL holds one, is handed to the tools in
//! `PGPASSWORD`, never on their command line (which other users of the
//! machine can read).

use std::path::Path;
use std::process::Stdio;

use reqwest::Url;
use sqlx::{Connection, PgConnection};
use tokio::process::Command;

use super::{BackupError, Report, keep, temporary_beside};
use crate::storage::Storage;

/// The tool's command with the connection named by `database_url`.
fn tool(name: &'static str, database_url: &str) -> Command {
    let mut command = Command::new(name);
    command.kill_on_drop(true).stdin(Stdio::null());
    match Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => {
            let encoded = url.password().unwrap_or_default();
            let password = percent_encoding::percent_decode_str(encoded)
                .decode_utf8_lossy()
                .into_owned();
            let _ = url.set_password(None);
            command.env("PGPASSWORD", password);
            command.arg(format!("--dbname={url}"));
        }
        _ => {
            command.arg(format!("--dbname={database_url}"));
        }
    }
    command
}

/// Runs `command`; a failure carries the tool's own words.
async fn run(name: &'static str, mut command: Command) -> Result<(), BackupError> {
    let output = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|source| BackupError::ToolMissing { tool: name, source })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let message = stderr.trim().trim_end_matches('.').to_owned();
    Err(BackupError::Tool {
        tool: name,
        message: if message.is_empty() {
            output.status.to_string()
        } else {
            message
        },
    })
}

/// Reads every block of the archive back (to nowhere), so a truncated or
/// damaged dump is found now rather than on the day it is needed.
async fn check(path: &Path) -> Result<(), BackupError> {
    let mut command = Command::new("pg_restore");
    command
        .kill_on_drop(true)
        .stdin(Stdio::null())
        .arg("--file=-")
        .arg(path);
    run("pg_restore", command).await.map_err(|e| match e {
        BackupError::Tool { message, .. } => BackupError::CheckFailed {
            path: path.to_owned(),
            report: message,
        },
        other => other,
    })
}

pub(super) async fn backup(database_url: &str, to: &Path) -> Result<Report, BackupError> {
    let mut conn = PgConnection::connect(database_url).await?;
    // The dump and the count read the same snapshot: what was committed
    // before this transaction began, and nothing after.
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut conn)
        .await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut conn)
        .await?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM submissions")
        .fetch_one(&mut conn)
        .await?;
    let file = temporary_beside(to)?;
    let mut command = tool("pg_dump", database_url);
    command
        .arg("--format=custom")
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(file.path());
    let dumped = run("pg_dump", command).await;
    sqlx::query("COMMIT").execute(&mut conn).await?;
    conn.close().await?;
    dumped?;
    check(file.path()).await?;
    let bytes = keep(file, to)?;
    Ok(Report {
        path: to.to_owned(),
        bytes,
        submissions: u64::try_from(count).unwrap_or(0),
    })
}

/// The tables of the public schema, whether any of them (the migrations'
/// own aside) holds a row, and how many submissions there are.
async fn tables(conn: &mut PgConnection) -> Result<(Vec<String>, bool, u64), BackupError> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut any = false;
    let mut submissions = 0u64;
    for table in tables.iter().filter(|t| *t != "_sqlx_migrations") {
        let sql = format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\""));
        let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut *conn).await?;
        any |= n > 0;
        if table == "submissions" {
            submissions = u64::try_from(n).unwrap_or(0);
        }
    }
    Ok((tables, any, submissions))
}

pub(super) async fn restore(database_url: &str, from: &Path) -> Result<Report, BackupError> {
    check(from).await?;
    let mut conn = PgConnection::connect(database_url).await?;
    let (existing, any, submissions) = tables(&mut conn).await?;
    if any {
        return Err(BackupError::NotEmpty {
            place: place(database_url),
            submissions,
        });
    }
    // Empty tables (a server started on the new database migrates it) make
    // way for the backup's.
    for table in &existing {
        let sql = format!("DROP TABLE \"{}\" CASCADE", table.replace('"', "\"\""));
        sqlx::query(&sql).execute(&mut conn).await?;
    }
    conn.close().await?;
    let mut command = tool("pg_restore", database_url);
    command
        .arg("--single-transaction")
        .arg("--exit-on-error")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg(from);
    run("pg_restore", command).await?;
    let storage = Storage::open(database_url).await?;
    let submissions = u64::try_from(storage.count_all().await?).unwrap_or(0);
    storage.close().await;
    let bytes = std::fs::metadata(from).map(|m| m.len()).unwrap_or(0);
    Ok(Report {
        path: from.to_owned(),
        bytes,
        submissions,
    })
}

/// The database's host and name, without user or password, for messages.
fn place(database_url: &str) -> String {
    match Url::parse(database_url) {
        Ok(url) => format!("{}{}", url.host_str().unwrap_or("localhost"), url.path()),
        Err(_) => "the configured PostgreSQL database".to_owned(),
    }
}
