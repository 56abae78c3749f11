//! Each idea read for meaning once, in the background, and kept: the
//! worker, the queue's lease, spam and erasure.

use std::time::{Duration, Instant};

use cfi_server::embeddings::{idea_text, persistence};
use cfi_server::model::{Model, NAME, cosine, default_dir};
use cfi_server::storage::Storage;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::review_helpers::submit_ok;

/// A submission of two ideas.
fn two_ideas() -> Value {
    let mut body = valid_body();
    body["ideas"] = json!([
        {"title": "A mentor for every care leaver", "theme": "leaving_care",
         "description": "Every young person leaving care gets a mentor they choose, for as long as they want one."},
        {"title": "Pay kinship carers fairly", "theme": null,
         "description": "Grandparents raising their grandchildren should get the same allowance as foster carers."}
    ]);
    body
}

async fn storage(app: &TestApp) -> Storage {
    Storage::open(&app.database_url)
        .await
        .expect("storage opens")
}

/// Waits until `call` has `count` stored vectors (the worker reads in the
/// background), and returns them.
async fn vectors_of(
    db: &Storage,
    call: &str,
    count: usize,
) -> std::collections::HashMap<(String, usize), Vec<f32>> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let vectors = persistence::for_call(db, call, NAME).await.expect("read");
        if vectors.len() >= count {
            return vectors;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {count} ideas were read in time",
            vectors.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} is not in /metrics:\n{text}"))
}

#[tokio::test]
async fn each_idea_of_a_stored_submission_is_read_for_meaning_in_the_background() {
    let app = spawn_app_with(Options {
        embed_ideas: true,
        ..Options::default()
    })
    .await;
    let reference = submit_ok(&app, &two_ideas()).await;
    let db = storage(&app).await;
    let vectors = vectors_of(&db, "open-call", 2).await;
    assert_eq!(vectors.len(), 2);

    // The same vectors as the model gives for each idea's text.
    let model = Model::shared(&default_dir(), 1).expect("the model is set up");
    let body = two_ideas();
    for (i, idea) in body["ideas"].as_array().expect("ideas").iter().enumerate() {
        let text = idea_text(
            idea["title"].as_str().expect("title"),
            idea["description"].as_str().expect("description"),
        );
        let expected = model
            .embed(&[text.as_str()], cfi_server::model::Priority::Urgent)
            .expect("embeds");
        let stored = &vectors[&(reference.clone(), i)];
        assert!(
            cosine(stored, &expected[0]) > 0.999,
            "idea {i} is stored as its own meaning"
        );
    }
    let totals = persistence::totals(&db).await.expect("totals");
    assert_eq!((totals.queued, totals.stored), (0, 2));
    assert_eq!(metric(&app, "cfi_embeddings_stored_ideas").await, 2.0);
    assert_eq!(metric(&app, "cfi_embeddings_queued_submissions").await, 0.0);
    assert_eq!(
        metric(&app, "cfi_embeddings_ideas_embedded_total").await,
        2.0
    );
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn spam_caught_by_the_honeypot_is_never_read() {
    let app = spawn_app().await;
    let mut body = two_ideas();
    body["website"] = json!("https://spam.example");
    assert_eq!(
        app.submit("open-call", &new_key(), &body).await.status(),
        201
    );
    submit_ok(&app, &valid_body()).await;
    let db = storage(&app).await;
    assert_eq!(
        persistence::waiting(&db, "open-call").await.expect("count"),
        1,
        "only the real submission waits to be read"
    );
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn an_erased_submission_takes_its_vectors_with_it() {
    let app = spawn_app_with(Options {
        embed_ideas: true,
        ..Options::default()
    })
    .await;
    let erased = submit_ok(&app, &two_ideas()).await;
    let kept = submit_ok(&app, &valid_body()).await;
    let db = storage(&app).await;
    vectors_of(&db, "open-call", 3).await;
    let response = app
        .client
        .delete(app.url(&format!("/api/admin/submissions/{erased}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success(), "{}", response.status());
    let left = persistence::for_call(&db, "open-call", NAME)
        .await
        .expect("read");
    assert_eq!(
        left.keys().cloned().collect::<Vec<_>>(),
        vec![(kept, 0)],
        "only the kept submission's idea has a vector"
    );
    assert_eq!(persistence::totals(&db).await.expect("totals").stored, 1);
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn a_submission_taken_by_a_worker_that_stopped_is_taken_again_when_its_lease_ends() {
    // No worker of the server's own: this test is the worker.
    let app = spawn_app().await;
    submit_ok(&app, &two_ideas()).await;
    let db = storage(&app).await;
    let lease = Duration::from_secs(1);
    let first = persistence::take(&db, lease, 4).await.expect("take");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].ideas.len(), 2);
    assert!(
        persistence::take(&db, lease, 4)
            .await
            .expect("take")
            .is_empty(),
        "a leased submission is not taken twice"
    );
    tokio::time::sleep(lease + Duration::from_millis(200)).await;
    let again = persistence::take(&db, lease, 4).await.expect("take");
    assert_eq!(again.len(), 1, "the lease ran out: taken again");
    assert_eq!(again[0].attempts, 2);

    let vector = vec![0.0f32; cfi_server::model::DIMENSIONS];
    persistence::store(&db, again[0].submission_id, NAME, &[vector.clone(), vector])
        .await
        .expect("stored");
    let totals = persistence::totals(&db).await.expect("totals");
    assert_eq!(
        (totals.queued, totals.stored),
        (0, 2),
        "stored and dequeued together"
    );
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn workers_taking_at_the_same_time_never_take_the_same_submission() {
    let app = spawn_app().await;
    for _ in 0..12 {
        submit_ok(&app, &valid_body()).await;
    }
    let (a, b) = (storage(&app).await, storage(&app).await);
    let lease = Duration::from_secs(60);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..4 {
        let (x, y) = tokio::join!(
            persistence::take(&a, lease, 3),
            persistence::take(&b, lease, 3)
        );
        for taken in x.expect("take").into_iter().chain(y.expect("take")) {
            assert!(
                seen.insert(taken.submission_id),
                "{} was taken twice",
                taken.submission_id
            );
        }
    }
    assert_eq!(seen.len(), 12, "every submission was taken once");
    a.close().await;
    b.close().await;
    app.stop().await;
}

/// Submits one idea and returns its reference.
async fn one_idea(app: &TestApp, title: &str, description: &str) -> String {
    let mut body = valid_body();
    body["ideas"] = json!([{"title": title, "theme": null, "description": description}]);
    submit_ok(app, &body).await
}

async fn similar_to(app: &TestApp, reference: &str) -> Vec<String> {
    let found: Value = app
        .client
        .get(app.url(&format!(
            "/api/admin/submissions/{reference}/similar?idea=1"
        )))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    found["similar"]
        .as_array()
        .expect("similar")
        .iter()
        .map(|s| s["reference"].as_str().expect("reference").to_owned())
        .collect()
}

#[tokio::test]
async fn once_every_idea_is_read_similar_ideas_find_the_same_meaning_in_other_words() {
    let app = spawn_app_with(Options {
        embed_ideas: true,
        ..Options::default()
    })
    .await;
    let grandparents = one_idea(
        &app,
        "Money for grandparents",
        "Grandparents bringing up their grandchildren get nothing to help them.",
    )
    .await;
    let kinship = one_idea(
        &app,
        "Allowance for kinship carers",
        "Relatives who care for a child should receive a weekly payment.",
    )
    .await;
    one_idea(
        &app,
        "Faster broadband",
        "Rural villages should have fibre internet connections.",
    )
    .await;
    let db = storage(&app).await;
    vectors_of(&db, "open-call", 3).await;
    assert!(
        similar_to(&app, &grandparents).await.contains(&kinship),
        "the idea that says the same in other words is similar"
    );
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn without_reading_for_meaning_similar_ideas_compare_words_only() {
    let app = spawn_app().await;
    let grandparents = one_idea(
        &app,
        "Money for grandparents",
        "Grandparents bringing up their grandchildren get nothing to help them.",
    )
    .await;
    let kinship = one_idea(
        &app,
        "Allowance for kinship carers",
        "Relatives who care for a child should receive a weekly payment.",
    )
    .await;
    assert!(
        !similar_to(&app, &grandparents).await.contains(&kinship),
        "no word in common: not similar by words"
    );
    app.stop().await;
}
