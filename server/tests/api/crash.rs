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

#[tokio::test]
async fn sigkill_right_after_201s_loses_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(dir.path()).await;
    let config_path = dir.path().join("review.toml");
    std::fs::write(
        &config_path,
        config_toml(&database_url, &Options::default()),
    )
    .expect("config");
    let client = reqwest::Client::new();
    let mut acknowledged = Vec::new();

    for _round in 0..3 {
        let mut server = start(&config_path).await;
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
        server.child.start_kill().expect("kill");
        server.child.wait().await.expect("reaped");
    }

    let mut server = start(&config_path).await;
    let listed: Value = client
        .get(format!(
            "{}/api/admin/submissions?call=open-call",
            server.address
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let stored: std::collections::HashSet<String> = listed["submissions"]
        .as_array()
        .expect("list")
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
    server.child.start_kill().expect("kill");
    server.child.wait().await.expect("reaped");

    if !is_postgres() {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&database_url)
            .await
            .expect("connect");
        let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await
            .expect("integrity check");
        assert_eq!(check, "ok");
    }
}
