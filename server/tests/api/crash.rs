//! The real server binary, stopped with SIGKILL right after acknowledging:
//! nothing acknowledged may be lost.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::*;
use crate::submissions::futures_join_all;

pub struct Server {
    pub child: Child,
    pub address: String,
}

pub async fn start(config_path: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cfi-server"))
        .arg("--config")
        .arg(config_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines
            .next_line()
            .await
            .expect("read")
            .expect("server printed its address");
        if let Some(address) = line.strip_prefix("listening on ") {
            break address.to_owned();
        }
    };
    Server { child, address }
}

impl Server {
    /// SIGKILL: no shutdown, no flush, nothing but what was committed.
    pub async fn kill(&mut self) {
        self.child.start_kill().expect("kill");
        self.child.wait().await.expect("reaped");
    }

    /// Every stored submission of the open call, through the admin API.
    pub async fn stored(&self, client: &reqwest::Client) -> Vec<Value> {
        let listed: Value = client
            .get(format!(
                "{}/api/admin/submissions?call=open-call",
                self.address
            ))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        listed["submissions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// A fresh database and a config file for server processes.
pub struct ProcessSetup {
    _dir: tempfile::TempDir,
    pub database_url: String,
    pub config_path: std::path::PathBuf,
}

pub async fn process_setup() -> ProcessSetup {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(dir.path()).await;
    let config_path = dir.path().join("review.toml");
    std::fs::write(
        &config_path,
        // Each start of the debug binary would load the model for seconds;
        // what is stored is the same with it or without.
        config_toml(
            &database_url,
            &Options {
                model: false,
                ..Options::default()
            },
        ),
    )
    .expect("config");
    ProcessSetup {
        _dir: dir,
        database_url,
        config_path,
    }
}

/// SQLite's own check of the file after the kills.
async fn assert_sqlite_intact(database_url: &str) {
    if is_postgres() {
        return;
    }
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(database_url)
        .await
        .expect("connect");
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("integrity check");
    assert_eq!(check, "ok");
}

#[tokio::test]
async fn sigkill_right_after_201s_loses_nothing() {
    let ProcessSetup {
        database_url,
        config_path,
        ..
    } = &process_setup().await;
    let client = reqwest::Client::new();
    let mut acknowledged = Vec::new();

    for _round in 0..3 {
        let mut server = start(config_path).await;
        let url = format!("{}/api/calls/open-call/submissions", server.address);
        let body = valid_body().to_string();
        let requests = (0..40).map(|_| {
            let request = client
                .post(&url)
                .header("content-type", "application/json")
                .header("idempotency-key", new_key())
                .header("origin", BECOME_ORIGIN)
                .body(body.clone())
                .send();
            async move {
                let response = request.await.expect("sent");
                assert_eq!(response.status(), 201);
                let body: Value = response.json().await.expect("json");
                body["reference"].as_str().expect("reference").to_owned()
            }
        });
        acknowledged.extend(futures_join_all(requests).await);
        // SIGKILL: no shutdown, no flush, nothing but what was committed.
        server.kill().await;
    }

    let mut server = start(config_path).await;
    let listed = server.stored(&client).await;
    let stored: std::collections::HashSet<String> = listed
        .iter()
        .filter_map(|s| s["reference"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(acknowledged.len(), 120);
    for reference in &acknowledged {
        assert!(
            stored.contains(reference),
            "acknowledged {reference} was lost"
        );
    }
    server.kill().await;

    assert_sqlite_intact(database_url).await;
}

/// Clients keep sending while the server is killed with SIGKILL four times
/// and restarted; each client retries what was not acknowledged with the same
/// key. Afterwards every acknowledged reference is stored, each key is stored
/// once, and the database is intact.
#[tokio::test]
async fn repeated_sigkill_under_load_loses_nothing_and_stores_nothing_twice() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const CLIENTS: usize = 8;
    const PER_CLIENT: usize = 150;
    const KILLS: usize = 4;

    let ProcessSetup {
        database_url,
        config_path,
        ..
    } = &process_setup().await;
    let client = reqwest::Client::new();

    let mut server = start(config_path).await;
    let (address_tx, address_rx) = tokio::sync::watch::channel(server.address.clone());
    let acked = Arc::new(AtomicUsize::new(0));
    let progress = Arc::new(tokio::sync::Notify::new());
    let interrupted = Arc::new(AtomicUsize::new(0));

    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let (client, mut address_rx, acked, progress, interrupted) = (
            client.clone(),
            address_rx.clone(),
            acked.clone(),
            progress.clone(),
            interrupted.clone(),
        );
        tasks.spawn(async move {
            // This client's own record: key → acknowledged reference.
            let mut record: Vec<(String, String)> = Vec::new();
            for i in 0..PER_CLIENT {
                let key = new_key();
                let mut body = valid_body();
                body["ideas"][0]["title"] = Value::String(format!("Idea {i} from client {c}"));
                let body = body.to_string();
                loop {
                    let address = address_rx.borrow_and_update().clone();
                    let sent = client
                        .post(format!("{address}/api/calls/open-call/submissions"))
                        .header("content-type", "application/json")
                        .header("idempotency-key", &key)
                        .header("origin", BECOME_ORIGIN)
                        .body(body.clone())
                        .send()
                        .await;
                    let response = match sent {
                        Ok(response) => response,
                        Err(_) => {
                            // The server is down: wait for the next one.
                            interrupted.fetch_add(1, Ordering::SeqCst);
                            let _ = address_rx.changed().await;
                            continue;
                        }
                    };
                    match response.status().as_u16() {
                        200 | 201 => match response.json::<Value>().await {
                            Ok(body) => {
                                let reference =
                                    body["reference"].as_str().expect("reference").to_owned();
                                record.push((key.clone(), reference));
                                acked.fetch_add(1, Ordering::SeqCst);
                                progress.notify_one();
                                break;
                            }
                            // Killed mid-answer: not acknowledged, retry.
                            Err(_) => {
                                interrupted.fetch_add(1, Ordering::SeqCst);
                                let _ = address_rx.changed().await;
                            }
                        },
                        // Still storing, or busy: pause as the widget does.
                        409 | 503 => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
                        other => panic!("unexpected status {other}"),
                    }
                }
            }
            record
        });
    }

    for kill in 1..=KILLS {
        while acked.load(Ordering::SeqCst) < kill * CLIENTS * PER_CLIENT / (KILLS + 1) {
            progress.notified().await;
        }
        server.kill().await;
        server = start(config_path).await;
        address_tx
            .send(server.address.clone())
            .expect("clients listen");
    }

    let mut record = Vec::new();
    while let Some(part) = tasks.join_next().await {
        record.extend(part.expect("client task"));
    }
    assert_eq!(record.len(), CLIENTS * PER_CLIENT);
    // The kills landed while requests were in flight.
    let interrupted = interrupted.load(Ordering::SeqCst);
    assert!(
        interrupted >= KILLS,
        "only {interrupted} requests were cut off"
    );

    let listed = server.stored(&client).await;
    let stored: Vec<&Value> = listed.iter().collect();
    let stored_references: std::collections::HashSet<&str> = stored
        .iter()
        .filter_map(|s| s["reference"].as_str())
        .collect();
    for (_, reference) in &record {
        assert!(
            stored_references.contains(reference.as_str()),
            "acknowledged {reference} was lost"
        );
    }
    // One row per key: nothing stored twice.
    assert_eq!(
        stored.len(),
        CLIENTS * PER_CLIENT,
        "duplicates or strays stored"
    );
    let titles: std::collections::HashSet<&str> = stored
        .iter()
        .filter_map(|s| s["ideas"][0]["title"].as_str())
        .collect();
    assert_eq!(titles.len(), CLIENTS * PER_CLIENT);

    server.kill().await;
    assert_sqlite_intact(database_url).await;
    println!(
        "crash test: {KILLS} kills survived, {interrupted} requests cut off and retried, {} acknowledged submissions checked, 0 duplicates",
        record.len()
    );
}
