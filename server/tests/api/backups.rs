//! Backups under load: `cfi-server backup` while clients keep submitting,
//! `cfi-server restore` into a fresh place, and a server started on the
//! restored copy. On PostgreSQL the same commands run `pg_dump` and
//! `pg_restore` against the local server.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{
    Options, config_toml, fresh_database_url, is_postgres, new_key, spawn_app, spawn_app_on,
    valid_body,
};

/// Runs `cfi-server ARGS`; (success, stdout, stderr).
async fn cfi_server(args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_cfi-server"))
        .args(args)
        .env_remove("CFI_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("cfi-server runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A configuration file for `database_url` in `dir`; returns its path.
fn write_config(dir: &Path, name: &str, database_url: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, config_toml(database_url, &Options::default())).expect("config written");
    path.display().to_string()
}

/// A valid body told apart from every other by `tag`.
fn body_tagged(tag: &str) -> Value {
    let mut body = valid_body();
    body["respondent"]["name"] = Value::from(format!("Person {tag}"));
    body["ideas"][0]["title"] = Value::from(format!("Idea {tag}"));
    body["ideas"][0]["description"] = Value::from(format!(
        "Idea number {tag}: every young person leaving care gets a mentor they choose."
    ));
    body
}

/// `PRAGMA integrity_check` on a SQLite file.
async fn integrity_of(path: &Path) -> Vec<String> {
    use sqlx::{ConnectOptions, sqlite::SqliteConnectOptions};
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .expect("backup opens");
    sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .expect("integrity check runs")
}

struct Acknowledged {
    at: Instant,
    body: Value,
    reference: String,
}

#[tokio::test]
async fn a_backup_under_load_restores_every_submission_acknowledged_before_it_started() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let live = write_config(dir.path(), "live.toml", &app.database_url);
    let copy = dir.path().join("ideas.backup");

    let acknowledged: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for client in 0..8 {
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        let mut sends = Vec::new();
        for n in 0..400 {
            let body = body_tagged(&format!("{client}-{n}"));
            sends.push((app.submit("open-call", &new_key(), &body), body));
        }
        clients.push(tokio::spawn(async move {
            for (send, body) in sends {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let response = send.await;
                if response.status().is_success() {
                    let at = Instant::now();
                    let receipt: Value = response.json().await.expect("receipt");
                    let reference = receipt["reference"].as_str().expect("reference").to_owned();
                    acknowledged.lock().expect("lock").push(Acknowledged {
                        at,
                        body,
                        reference,
                    });
                }
            }
        }));
    }
    // Let the load build up before backing up in the middle of it.
    while acknowledged.lock().expect("lock").len() < 100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    let (ok, out, err) = cfi_server(&[
        "backup",
        "--config",
        &live,
        "--to",
        copy.to_str().expect("utf-8"),
    ])
    .await;
    let finished = Instant::now();
    assert!(ok, "backup failed: {err}");
    assert!(
        out.contains(copy.to_str().expect("utf-8")) && out.contains("submissions"),
        "{out}"
    );
    let during = acknowledged
        .lock()
        .expect("lock")
        .iter()
        .filter(|a| a.at > started)
        .count();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.expect("client ran");
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().expect("lock"));
    let before: Vec<&Acknowledged> = acknowledged.iter().filter(|a| a.at < started).collect();
    eprintln!(
        "{} acknowledged before the backup, {during} while or after it ran ({:?})",
        before.len(),
        finished - started
    );
    if !is_postgres() {
        assert_eq!(integrity_of(&copy).await, ["ok"]);
    }

    let restored_dir = tempfile::tempdir().expect("temp dir");
    let restored_url = fresh_database_url(restored_dir.path()).await;
    let target = write_config(dir.path(), "restored.toml", &restored_url);
    let (ok, out, err) = cfi_server(&[
        "restore",
        "--config",
        &target,
        "--from",
        copy.to_str().expect("utf-8"),
    ])
    .await;
    assert!(ok, "restore failed: {err}");
    assert!(out.contains("restored"), "{out}");

    let restored = spawn_app_on(&restored_url, &Options::default()).await;
    let stored = restored.stored("open-call").await;
    let by_reference: std::collections::HashMap<&str, &Value> = stored
        .iter()
        .map(|s| (s["reference"].as_str().expect("reference"), s))
        .collect();
    for sent in &before {
        let found = by_reference
            .get(sent.reference.as_str())
            .unwrap_or_else(|| panic!("{} is missing from the restored copy", sent.reference));
        let respondent = &sent.body["respondent"];
        assert_eq!(found["name"], respondent["name"]);
        assert_eq!(found["email"], respondent["email"]);
        assert_eq!(found["capacity"], respondent["capacity"]);
        assert_eq!(found["age_band"], respondent["age_band"]);
        assert_eq!(found["perspectives"], respondent["perspectives"]);
        assert_eq!(found["partner"], sent.body["partner"]);
        assert_eq!(found["publication_chosen"], sent.body["publication"]);
        let ideas = found["ideas"].as_array().expect("ideas");
        assert_eq!(ideas.len(), 1);
        for field in ["title", "theme", "description"] {
            assert_eq!(ideas[0][field], sent.body["ideas"][0][field], "{field}");
        }
    }
    // Nothing appears that no client sent.
    let sent: std::collections::HashSet<&str> =
        acknowledged.iter().map(|a| a.reference.as_str()).collect();
    assert!(stored.len() <= sent.len() + 8, "{} stored", stored.len());
    restored.stop().await;
    drop(restored_dir);
    app.stop().await;
}

#[tokio::test]
async fn restore_refuses_a_database_that_holds_data_and_backup_never_overwrites_a_file() {
    let app = spawn_app().await;
    let response = app
        .submit("open-call", &new_key(), &body_tagged("kept"))
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let dir = tempfile::tempdir().expect("temp dir");
    let live = write_config(dir.path(), "live.toml", &app.database_url);
    let copy = dir.path().join("ideas.backup");
    let copy_text = copy.to_str().expect("utf-8");
    let (ok, out, err) = cfi_server(&["backup", "--config", &live, "--to", copy_text]).await;
    assert!(ok, "backup failed: {err}");
    assert!(out.contains("1 submissions"), "{out}");

    let (ok, _, err) = cfi_server(&["backup", "--config", &live, "--to", copy_text]).await;
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");
    assert!(err.trim_end().ends_with('.'), "{err}");

    let (ok, _, err) = cfi_server(&["restore", "--config", &live, "--from", copy_text]).await;
    assert!(!ok);
    assert!(
        err.contains("already holds") && err.contains("empty database"),
        "{err}"
    );
    assert!(err.trim_end().ends_with('.'), "{err}");
    assert_eq!(app.stored("open-call").await.len(), 1);
    app.stop().await;
}
