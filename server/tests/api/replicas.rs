//! Two server processes on one PostgreSQL database: one key sent to both at
//! once gives one record and one reference. (SQLite is one process by design;
//! this runs in the PostgreSQL pass of the suite.)

use std::collections::HashSet;

use serde_json::Value;

use crate::crash::{process_setup, start};
use crate::helpers::*;
use crate::submissions::futures_join_all;

#[tokio::test]
async fn two_replicas_given_one_key_concurrently_store_one_record_with_one_reference() {
    if !is_postgres() {
        return;
    }
    let setup = process_setup().await;
    let mut a = start(&setup.config_path).await;
    let mut b = start(&setup.config_path).await;
    let client = reqwest::Client::new();
    let body = valid_body().to_string();
    let rounds = 30;

    for _ in 0..rounds {
        let key = new_key();
        let requests = (0..8).map(|i| {
            let address = if i % 2 == 0 { &a.address } else { &b.address };
            let request = client
                .post(format!("{address}/api/calls/open-call/submissions"))
                .header("content-type", "application/json")
                .header("idempotency-key", &key)
                .header("origin", BECOME_ORIGIN)
                .body(body.clone());
            async move {
                // A 409 means "the other request is still storing": retry it
                // after a pause, as the widget does, until the stored answer
                // comes back. (Retrying without a pause would spend the
                // connection's rate limit while the first request runs its
                // safeguarding checks.)
                loop {
                    let response = request
                        .try_clone()
                        .expect("clonable")
                        .send()
                        .await
                        .expect("sent");
                    match response.status().as_u16() {
                        200 | 201 => {
                            let body: Value = response.json().await.expect("json");
                            return body["reference"].as_str().expect("reference").to_owned();
                        }
                        409 => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
                        other => panic!("unexpected status {other}"),
                    }
                }
            }
        });
        let references: HashSet<String> = futures_join_all(requests).await.into_iter().collect();
        assert_eq!(
            references.len(),
            1,
            "one key, one reference: {references:?}"
        );
    }

    assert_eq!(a.stored(&client).await.len(), rounds);
    a.kill().await;
    b.kill().await;
}

#[tokio::test]
async fn a_replica_never_serves_published_output_older_than_another_replicas_change() {
    if !is_postgres() {
        return;
    }
    let setup = process_setup().await;
    let mut a = start(&setup.config_path).await;
    let mut b = start(&setup.config_path).await;
    let client = reqwest::Client::new();
    let submitted = client
        .post(format!("{}/api/calls/open-call/submissions", a.address))
        .header("content-type", "application/json")
        .header("idempotency-key", new_key())
        .header("origin", BECOME_ORIGIN)
        .body(valid_body().to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(submitted.status(), 201);
    let reference = submitted.json::<Value>().await.expect("json")["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let published = client
        .post(format!(
            "{}/api/admin/calls/open-call/publication",
            a.address
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"published": true}))
        .send()
        .await
        .expect("sent");
    assert_eq!(published.status(), 200);
    let read = |address: String| {
        let client = client.clone();
        async move {
            let body: Value = client
                .get(format!("{address}/published/open-call.json"))
                .send()
                .await
                .expect("sent")
                .json()
                .await
                .expect("json");
            body["submissions"].as_array().map_or(0, Vec::len)
        }
    };
    // Replica A holds the output with the submission in it.
    assert_eq!(read(a.address.clone()).await, 1);
    // Replica B withholds it; A's next answer must not be the one it holds.
    let withheld = client
        .post(format!(
            "{}/api/admin/submissions/{reference}/actions",
            b.address
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"action": "withhold", "reason": "Asked us to wait"}))
        .send()
        .await
        .expect("sent");
    assert!(withheld.status().is_success(), "{}", withheld.status());
    assert_eq!(read(a.address.clone()).await, 0, "A sees B's change");
    a.kill().await;
    b.kill().await;
}

#[tokio::test]
async fn two_replicas_given_the_same_many_keys_at_once_store_each_once_without_deadlock() {
    if !is_postgres() {
        return;
    }
    // Each replica batches what arrives together, so both hold many of the
    // same keys in one statement, arrived in opposite orders: each key still
    // gives one row and one reference, and neither statement deadlocks with
    // the other (both insert in key order).
    let setup = process_setup().await;
    let mut a = start(&setup.config_path).await;
    let mut b = start(&setup.config_path).await;
    let client = reqwest::Client::new();
    let body = valid_body().to_string();
    let keys: Vec<String> = (0..60).map(|_| new_key()).collect();
    // A is sent the keys first to last, B last to first, interleaved.
    let sends = (0..keys.len()).flat_map(|i| [(&a, &keys[i]), (&b, &keys[keys.len() - 1 - i])]);
    let requests = sends.map(|(server, key)| {
        let request = client
            .post(format!(
                "{}/api/calls/open-call/submissions",
                server.address
            ))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .header("origin", BECOME_ORIGIN)
            .body(body.clone());
        let key = key.clone();
        async move {
            let response = request.send().await.expect("sent");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("json");
            (key, status, body["reference"].as_str().map(str::to_owned))
        }
    });
    let answers = futures_join_all(requests.collect::<Vec<_>>().into_iter()).await;
    let mut by_key: std::collections::HashMap<String, Vec<(u16, Option<String>)>> =
        std::collections::HashMap::new();
    for (key, status, reference) in answers {
        by_key.entry(key).or_default().push((status, reference));
    }
    for (key, pair) in &by_key {
        let mut statuses: Vec<u16> = pair.iter().map(|(s, _)| *s).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 201], "one stored, one replayed: {key}");
        assert!(
            pair[0].1.is_some() && pair[0].1 == pair[1].1,
            "{key}: {pair:?}"
        );
    }
    assert_eq!(a.stored(&client).await.len(), keys.len());
    a.kill().await;
    b.kill().await;
    // The servers' sessions have ended, so their statistics are in.
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&setup.database_url)
        .await
        .expect("connect");
    let deadlocks: i64 = sqlx::query_scalar(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(&mut conn)
    .await
    .expect("statistics");
    assert_eq!(deadlocks, 0, "rows are inserted in key order");
}
