use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_valid_submission_is_created_with_a_reference_and_stored() {
    let app = spawn_app().await;
    let response = app.submit("open-call", &new_key(), &valid_body()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("json");
    let reference = body["reference"].as_str().expect("reference");
    assert!(
        cfi_rules::Reference::parse(reference).is_ok(),
        "{reference}"
    );
    assert!(
        body["submitted_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let stored = app.stored("open-call").await;
    assert_eq!(stored.len(), 1);
    let s = &stored[0];
    assert_eq!(s["reference"], reference);
    assert_eq!(s["partner"], "become");
    assert_eq!(s["name"], "Sam Example");
    assert_eq!(s["email"], "sam@example.org");
    assert_eq!(s["publication"], "named");
    assert_eq!(s["spam"], false);
    assert_eq!(s["ideas"][0]["title"], "A mentor for every care leaver");
    assert_eq!(s["ideas"][0]["words"], 17);
    app.stop().await;
}

#[tokio::test]
async fn the_same_key_and_body_again_gives_the_same_answer_and_one_record() {
    let app = spawn_app().await;
    let key = new_key();
    let first = app.submit("open-call", &key, &valid_body()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");

    // The same answers with other spacing and key order are the same body.
    let text = serde_json::to_string_pretty(&valid_body()).expect("json");
    let again = app
        .submit_raw(
            "open-call",
            Some(&key),
            Some(BECOME_ORIGIN),
            "application/json",
            text.into_bytes(),
        )
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.expect("json");
    assert_eq!(first, again);
    assert_eq!(app.stored("open-call").await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_refused() {
    let app = spawn_app().await;
    let key = new_key();
    assert_eq!(
        app.submit("open-call", &key, &valid_body()).await.status(),
        StatusCode::CREATED
    );
    let mut other = valid_body();
    other["ideas"][0]["title"] = json!("Something else");
    let problem = assert_problem(app.submit("open-call", &key, &other).await, 422).await;
    assert_eq!(problem["type"], "/problems/idempotency-key-reused");
    assert_eq!(app.stored("open-call").await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_retries_with_one_key_store_one_record() {
    let app = spawn_app().await;
    let key = new_key();
    let body = valid_body();
    let attempts = (0..24).map(|_| app.submit("open-call", &key, &body));
    let responses = futures_join_all(attempts).await;
    let mut references = Vec::new();
    for response in responses {
        match response.status().as_u16() {
            200 | 201 => {
                let body: Value = response.json().await.expect("json");
                references.push(body["reference"].clone());
            }
            409 => {
                let problem = assert_problem(response, 409).await;
                assert_eq!(problem["type"], "/problems/request-in-flight");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(!references.is_empty());
    assert!(
        references.windows(2).all(|w| w[0] == w[1]),
        "{references:?}"
    );
    assert_eq!(app.stored("open-call").await.len(), 1);
    app.stop().await;
}

/// Joins futures without an extra dependency.
pub async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for (i, f) in futures.enumerate() {
        set.spawn(async move { (i, f.await) });
    }
    let mut out: Vec<(usize, F::Output)> = Vec::new();
    while let Some(done) = set.join_next().await {
        out.push(done.expect("task"));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, o)| o).collect()
}

#[tokio::test]
async fn many_different_submissions_at_once_are_all_stored() {
    let app = spawn_app().await;
    let body = valid_body();
    let keys: Vec<String> = (0..100).map(|_| new_key()).collect();
    let responses = futures_join_all(keys.iter().map(|k| app.submit("open-call", k, &body))).await;
    let mut references = std::collections::HashSet::new();
    for response in responses {
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        references.insert(body["reference"].as_str().expect("reference").to_owned());
    }
    assert_eq!(references.len(), 100);
    assert_eq!(app.stored("open-call").await.len(), 100);
    app.stop().await;
}

#[tokio::test]
async fn validation_errors_point_at_their_fields_and_store_nothing() {
    let app = spawn_app().await;
    let mut body = valid_body();
    body["respondent"]["name"] = json!("   ");
    body["respondent"]["email"] = json!("not an email");
    body["ideas"][0]["description"] = json!("word ".repeat(251));
    body["publication"] = json!(null);
    body["privacy_notice_read"] = json!(false);
    let problem = assert_problem(app.submit("open-call", &new_key(), &body).await, 422).await;
    assert_eq!(problem["type"], "/problems/validation");
    let errors = problem["errors"].as_array().expect("errors");
    let has = |pointer: &str, code: &str| {
        errors
            .iter()
            .any(|e| e["pointer"] == pointer && e["code"] == code && e["detail"].is_string())
    };
    assert!(has("#/respondent/name", "required"), "{errors:?}");
    assert!(has("#/respondent/email", "invalid_email"), "{errors:?}");
    assert!(has("#/ideas/0/description", "too_many_words"), "{errors:?}");
    assert!(has("#/publication", "required"), "{errors:?}");
    assert!(has("#/privacy_notice_read", "must_be_true"), "{errors:?}");
    assert!(app.stored("open-call").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_ten_thousand_word_idea_is_refused_at_its_field() {
    let app = spawn_app().await;
    let mut body = valid_body();
    body["ideas"][0]["description"] = json!("care ".repeat(10_000));
    let problem = assert_problem(app.submit("open-call", &new_key(), &body).await, 422).await;
    assert_eq!(problem["errors"][0]["pointer"], "#/ideas/0/description");
    assert!(app.stored("open-call").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn more_ideas_than_the_call_allows_are_refused() {
    let app = spawn_app().await;
    let mut body = valid_body();
    let idea = body["ideas"][0].clone();
    body["ideas"] = json!([idea.clone(), idea.clone(), idea.clone(), idea]);
    let problem = assert_problem(app.submit("open-call", &new_key(), &body).await, 422).await;
    assert_eq!(problem["errors"][0]["code"], "too_many_ideas");
    app.stop().await;
}

#[tokio::test]
async fn a_filled_honeypot_looks_normal_but_is_stored_as_spam() {
    let app = spawn_app().await;
    let mut body = valid_body();
    body["website"] = json!("https://cheap-pills.example");
    let response = app.submit("open-call", &new_key(), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored = app.stored("open-call").await;
    assert_eq!(stored[0]["spam"], true);
    app.stop().await;
}

#[tokio::test]
async fn under_18s_are_stored_as_anonymous_whatever_they_chose() {
    let app = spawn_app().await;
    let mut body = valid_body();
    body["respondent"]["age_band"] = json!("16_17");
    assert_eq!(
        app.submit("open-call", &new_key(), &body).await.status(),
        StatusCode::CREATED
    );
    let stored = app.stored("open-call").await;
    assert_eq!(stored[0]["publication_chosen"], "named");
    assert_eq!(stored[0]["publication"], "anonymous");
    app.stop().await;
}

#[tokio::test]
async fn an_organisation_is_stored_with_its_name() {
    let app = spawn_app().await;
    let mut body = valid_body();
    body["respondent"]["capacity"] = json!("organisation");
    body["respondent"]["organisation"] = json!("Become");
    body["respondent"]["name"] = json!(null);
    assert_eq!(
        app.submit("open-call", &new_key(), &body).await.status(),
        StatusCode::CREATED
    );
    let stored = app.stored("open-call").await;
    assert_eq!(stored[0]["capacity"], "organisation");
    assert_eq!(stored[0]["organisation"], "Become");
    assert_eq!(stored[0]["name"], Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn submission_before_open_and_after_close_is_refused_with_distinct_types() {
    let app = spawn_app().await;
    let mut body = valid_body();
    body["ideas"][0]["theme"] = json!(null);
    let closed = assert_problem(app.submit("closed-call", &new_key(), &body).await, 409).await;
    assert_eq!(closed["type"], "/problems/call-closed");
    assert!(
        closed["detail"]
            .as_str()
            .is_some_and(|d| d.contains("5pm on 15 December 2021"))
    );
    let future = assert_problem(app.submit("future-call", &new_key(), &body).await, 409).await;
    assert_eq!(future["type"], "/problems/call-not-open-yet");
    assert!(app.stored("closed-call").await.is_empty());
    assert!(app.stored("future-call").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_call_is_not_found() {
    let app = spawn_app().await;
    let problem = assert_problem(
        app.submit("no-such-call", &new_key(), &valid_body()).await,
        404,
    )
    .await;
    assert_eq!(problem["type"], "/problems/not-found");
    app.stop().await;
}

#[tokio::test]
async fn a_partner_is_accepted_only_from_its_own_origins() {
    let app = spawn_app().await;
    let body = valid_body();
    let send = |origin: Option<&'static str>, body: Value| {
        let key = new_key();
        let app = &app;
        async move {
            app.submit_raw(
                "open-call",
                Some(&key),
                origin,
                "application/json",
                body.to_string().into_bytes(),
            )
            .await
        }
    };
    // Become's page, but claiming to be Barnardo's.
    let mut forged = body.clone();
    forged["partner"] = json!("barnardos");
    assert_problem(send(Some(BECOME_ORIGIN), forged).await, 403).await;
    // A page that is nobody's.
    assert_problem(send(Some("https://evil.example"), body.clone()).await, 403).await;
    // Become's partner id with no Origin at all.
    assert_problem(send(None, body.clone()).await, 403).await;
    // A partner that is not configured.
    let mut unknown = body.clone();
    unknown["partner"] = json!("nobody");
    assert_problem(send(Some(BECOME_ORIGIN), unknown).await, 403).await;
    // No partner from a page that is not the review's own.
    let mut own = body.clone();
    own["partner"] = json!(null);
    assert_problem(send(Some(BECOME_ORIGIN), own.clone()).await, 403).await;
    assert!(app.stored("open-call").await.is_empty());
    // The review's own site, and the review's own tools (no browser).
    assert_eq!(
        send(Some(REVIEW_ORIGIN), own.clone()).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(send(None, own).await.status(), StatusCode::CREATED);
    let stored = app.stored("open-call").await;
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|s| s["partner"].is_null()));
    app.stop().await;
}

#[tokio::test]
async fn too_many_requests_get_429_with_retry_after() {
    let app = spawn_app_with(Options {
        submissions_per_minute: 2,
        burst: 2,
        ..Options::default()
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            app.submit("open-call", &new_key(), &valid_body())
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let response = app.submit("open-call", &new_key(), &valid_body()).await;
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after));
    let problem = assert_problem(response, 429).await;
    assert_eq!(problem["type"], "/problems/too-many-requests");
    assert_eq!(app.stored("open-call").await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn storage_that_cannot_write_gives_503_without_internals_and_stores_nothing() {
    if is_postgres() {
        return; // The lock below is SQLite's; PostgreSQL's outage is tested by its replicas test.
    }
    use sqlx::Connection;
    let app = spawn_app().await;
    // Another process holds the write lock longer than the writer waits.
    let mut blocker = sqlx::SqliteConnection::connect(&app.database_url)
        .await
        .expect("connect");
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut blocker)
        .await
        .expect("lock");
    let response = app.submit("open-call", &new_key(), &valid_body()).await;
    assert!(response.headers().contains_key("retry-after"));
    let problem = assert_problem(response, 503).await;
    let text = problem.to_string().to_lowercase();
    for leak in ["sqlite", "locked", "database is", "sqlx"] {
        assert!(!text.contains(leak), "leaks {leak}: {text}");
    }
    sqlx::query("ROLLBACK")
        .execute(&mut blocker)
        .await
        .expect("unlock");
    assert!(app.stored("open-call").await.is_empty());
    // And it recovers once the lock is gone.
    assert_eq!(
        app.submit("open-call", &new_key(), &valid_body())
            .await
            .status(),
        StatusCode::CREATED
    );
    app.stop().await;
}

#[tokio::test]
async fn many_concurrent_submissions_with_replays_and_reused_keys_mixed_in_each_get_their_own_answer()
 {
    let app = spawn_app().await;
    let body = valid_body();
    let mut other = valid_body();
    other["ideas"][0]["title"] = json!("Something else");
    // Keys stored before the rush: each is then replayed or reused in it.
    let earlier: Vec<String> = (0..40).map(|_| new_key()).collect();
    let mut first = std::collections::HashMap::new();
    for response in
        futures_join_all(earlier.iter().map(|k| app.submit("open-call", k, &body))).await
    {
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    for key in &earlier {
        let again = app.submit("open-call", key, &body).await;
        assert_eq!(again.status(), StatusCode::OK);
        let receipt: Value = again.json().await.expect("json");
        first.insert(key.clone(), receipt);
    }

    // 120 new submissions, 20 replays and 20 reuses with another body, at once.
    let fresh: Vec<String> = (0..120).map(|_| new_key()).collect();
    let mut sent: Vec<(String, bool)> = fresh.iter().map(|k| (k.clone(), true)).collect();
    sent.extend(earlier.iter().take(20).map(|k| (k.clone(), true)));
    sent.extend(earlier.iter().skip(20).map(|k| (k.clone(), false)));
    let requests = sent
        .iter()
        .map(|(key, same)| app.submit("open-call", key, if *same { &body } else { &other }));
    let responses = futures_join_all(requests).await;
    let mut created = std::collections::HashSet::new();
    for ((key, same), response) in sent.iter().zip(responses) {
        if let Some(receipt) = first.get(key) {
            if *same {
                assert_eq!(response.status(), StatusCode::OK, "a replay of {key}");
                let again: Value = response.json().await.expect("json");
                assert_eq!(&again, receipt, "a replay gets the first receipt");
            } else {
                let problem = assert_problem(response, 422).await;
                assert_eq!(problem["type"], "/problems/idempotency-key-reused");
            }
        } else {
            assert_eq!(response.status(), StatusCode::CREATED, "new key {key}");
            let receipt: Value = response.json().await.expect("json");
            let reference = receipt["reference"].as_str().expect("reference");
            assert!(created.insert(reference.to_owned()), "one reference each");
        }
    }

    let stored = app.stored("open-call").await;
    assert_eq!(stored.len(), 40 + 120);
    let references: std::collections::HashSet<&str> = stored
        .iter()
        .map(|s| s["reference"].as_str().expect("reference"))
        .collect();
    assert_eq!(references.len(), stored.len(), "no reference twice");
    assert!(created.iter().all(|r| references.contains(r.as_str())));
    assert!(
        first
            .values()
            .all(|r| references.contains(r["reference"].as_str().expect("reference")))
    );
    assert!(
        stored
            .iter()
            .all(|s| s["ideas"][0]["title"] == "A mentor for every care leaver"),
        "a reused key's other body is not stored"
    );
    app.stop().await;
}

/// A submission for `open-call` as storage takes it, under `key`, its idea
/// titled `title`.
fn new_submission(
    config: &cfi_server::Config,
    key: uuid::Uuid,
    title: &str,
) -> cfi_server::storage::NewSubmission {
    let mut body = valid_body();
    body["ideas"][0]["title"] = json!(title);
    let raw: cfi_rules::RawSubmission = serde_json::from_value(body).expect("raw");
    let call = config
        .calls
        .iter()
        .find(|c| c.id == "open-call")
        .expect("open-call");
    let submission = cfi_rules::Submission::parse(&raw, &call.rules).expect("valid");
    cfi_server::storage::NewSubmission {
        call_id: call.id.clone(),
        partner: Some("become".into()),
        key,
        body_hash: title.to_owned(),
        submission,
        spam: false,
        flag: None,
        submitted_at: None,
        messages: Vec::new(),
    }
}

#[tokio::test]
async fn one_key_twice_in_one_batch_stores_one_row_and_answers_the_other_from_it() {
    use cfi_server::storage::{Storage, SubmitOutcome};
    // Storage itself, without the server's one-request-per-key guard, so
    // both submissions under a key can be in one batch.
    let app = spawn_app().await;
    let text = config_toml(&app.database_url, &Options::default());
    let config = cfi_server::Config::from_toml(&text, std::path::Path::new("t.toml"), |_| None)
        .expect("config");
    let storage = Storage::open(&config.database_url).await.expect("open");
    let keys: Vec<uuid::Uuid> = (0..30).map(|_| uuid::Uuid::new_v4()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, &key) in keys.iter().enumerate() {
        // Every key twice: even keys with the same body, odd ones with another.
        let second = if i % 2 == 0 { "same" } else { "other" };
        for (n, title) in [(0, "same"), (1, second)] {
            let (storage, new) = (storage.clone(), new_submission(&config, key, title));
            tasks.spawn(async move { (i, n, storage.submit(new).await.expect("stored")) });
        }
    }
    let mut outcomes: Vec<Vec<SubmitOutcome>> = keys.iter().map(|_| Vec::new()).collect();
    while let Some(done) = tasks.join_next().await {
        let (i, _, outcome) = done.expect("task");
        outcomes[i].push(outcome);
    }
    for (i, pair) in outcomes.iter().enumerate() {
        let created: Vec<_> = pair
            .iter()
            .filter_map(|o| match o {
                SubmitOutcome::Created(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(created.len(), 1, "one of the two is stored: {pair:?}");
        let other = pair
            .iter()
            .find(|o| !matches!(o, SubmitOutcome::Created(_)))
            .expect("the other");
        if i % 2 == 0 {
            assert_eq!(other, &SubmitOutcome::Replayed(created[0].clone()));
        } else {
            assert_eq!(other, &SubmitOutcome::KeyReused);
        }
    }
    assert_eq!(app.stored("open-call").await.len(), keys.len());
    storage.close().await;
    app.stop().await;
}

#[tokio::test]
async fn a_batch_holding_an_erased_key_stores_the_others_and_refuses_only_that_one() {
    let app = spawn_app().await;
    let body = valid_body();
    let erased_key = new_key();
    let first = app.submit("open-call", &erased_key, &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let reference = first.json::<Value>().await.expect("json")["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let erased = app
        .client
        .delete(app.url(&format!("/api/admin/submissions/{reference}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(erased.status(), 200);

    for _ in 0..3 {
        // The erased one's retry in the middle of a rush of new ones.
        let mut keys: Vec<String> = (0..40).map(|_| new_key()).collect();
        keys.insert(20, erased_key.clone());
        let responses =
            futures_join_all(keys.iter().map(|k| app.submit("open-call", k, &body))).await;
        for (key, response) in keys.iter().zip(responses) {
            if *key == erased_key {
                let problem = assert_problem(response, 410).await;
                assert_eq!(problem["type"], "/problems/submission-erased");
            } else {
                assert_eq!(response.status(), StatusCode::CREATED);
            }
        }
    }
    let stored = app.stored("open-call").await;
    assert_eq!(
        stored.len(),
        3 * 40,
        "every other one, and not the erased one"
    );
    assert!(stored.iter().all(|s| s["reference"] != reference.as_str()));
    app.stop().await;
}
