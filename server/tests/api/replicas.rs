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
                // A 409 means "the other request is still storing": retry it,
                // as the widget does, until the stored answer comes back.
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
                        409 => tokio::task::yield_now().await,
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
