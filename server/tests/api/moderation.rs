//! Moderation with its audit trail, safeguarding flags, erasure and
//! retention.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::review_helpers::*;

fn worrying_body(description: &str) -> Value {
    let mut body = valid_body();
    body["ideas"][0]["description"] = json!(description);
    body
}

#[tokio::test]
async fn every_moderation_action_is_audited_with_who_when_and_why_and_can_be_undone() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &valid_body()).await;
    let withheld = act_ok(
        &app,
        &reference,
        json!({"action": "withhold", "reason": "names a child"}),
    )
    .await;
    assert_eq!(withheld["staff"], "test");
    assert_eq!(withheld["reason"], "names a child");
    assert!(withheld["at"].as_str().is_some_and(|at| at.ends_with('Z')));

    // The same action twice, an undo of nothing, an empty reason: refused.
    for bad in [
        json!({"action": "withhold", "reason": "again"}),
        json!({"action": "undo", "undoes": 999_999, "reason": "x"}),
        json!({"action": "spam", "reason": "  "}),
        json!({"action": "withhold_idea", "idea": 9, "reason": "x"}),
        json!({"action": "redact", "idea": 1, "text": "not in the text", "reason": "x"}),
        json!({"action": "handle_flag", "reason": "there is no flag"}),
    ] {
        let response = act(&app, &reference, bad.clone()).await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem["type"], "/problems/invalid-action", "{bad}");
    }

    let undo = act_ok(
        &app,
        &reference,
        json!({"action": "undo", "undoes": withheld["id"], "reason": "parent agreed"}),
    )
    .await;
    let again = act(
        &app,
        &reference,
        json!({"action": "undo", "undoes": withheld["id"], "reason": "twice"}),
    )
    .await;
    assert_problem(again, 422).await;
    act_ok(
        &app,
        &reference,
        json!({"action": "spam", "reason": "advert"}),
    )
    .await;

    let detail = stored_one(&app, &reference).await;
    let actions = detail["actions"].as_array().expect("list");
    let kinds: Vec<&str> = actions
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert_eq!(kinds, ["withhold", "undo", "spam"]);
    assert_eq!(actions[1]["undoes"], withheld["id"]);
    assert_eq!(actions[1]["id"], undo["id"]);
    assert_eq!(detail["moderation"]["withheld"], false);
    assert_eq!(detail["moderation"]["spam_marked"], true);

    // The page shows the trail with an undo button for what is in force.
    let page = app
        .client
        .get(app.url(&format!("/admin/submissions/{reference}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("text");
    assert!(
        html.contains("Audit trail") && html.contains("names a child") && html.contains("Undone")
    );
    let unknown = act(
        &app,
        "CFI-2222-2222",
        json!({"action": "spam", "reason": "x"}),
    )
    .await;
    assert_problem(unknown, 404).await;
    app.stop().await;
}

#[tokio::test]
async fn a_safeguarding_phrase_flags_on_arrival_lists_first_and_is_highlighted_escaped() {
    let app = spawn_app().await;
    let calm = submit_ok(&app, &valid_body()).await;
    let flagged = submit_ok(
        &app,
        &worrying_body("<b>Right now</b> my carer HITS ME <script>alert(1)</script> every week."),
    )
    .await;
    let later = submit_ok(&app, &valid_body()).await;

    let detail = stored_one(&app, &flagged).await;
    assert_eq!(detail["submission"]["flag_phrase"], "hits me");
    assert_eq!(detail["submission"]["flag_open"], true);
    assert_eq!(detail["submission"]["flag_level"], "urgent");
    assert_eq!(detail["submission"]["flag_category"], "abuse");
    assert_eq!(
        detail["submission"]["flag_reason"],
        "the phrase \"hits me\""
    );
    assert!(
        detail["submission"]["flag_passage"]
            .as_str()
            .expect("passage")
            .contains("HITS ME")
    );
    assert_eq!(
        stored_one(&app, &calm).await["submission"]["flag_open"],
        false
    );

    let search: Value = app
        .client
        .get(app.url("/api/admin/search?call=open-call"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let order: Vec<&str> = search["submissions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["reference"].as_str())
        .collect();
    assert_eq!(
        order,
        [flagged.as_str(), later.as_str(), calm.as_str()],
        "open flags first, then newest"
    );

    let html = app
        .client
        .get(app.url("/admin/submissions?flag=open"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    assert!(html.contains("<mark>HITS ME</mark>"), "highlighted");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "escaped as the templates escape"
    );
    assert!(!html.contains("<script>") && !html.contains("<b>Right"));
    assert!(!html.contains(&calm), "filter by open flag");

    let handled = act_ok(
        &app,
        &flagged,
        json!({"action": "handle_flag", "reason": "referred to the safeguarding lead"}),
    )
    .await;
    assert_eq!(
        stored_one(&app, &flagged).await["submission"]["flag_open"],
        false
    );
    act_ok(
        &app,
        &flagged,
        json!({"action": "undo", "undoes": handled["id"], "reason": "not yet done"}),
    )
    .await;
    assert_eq!(
        stored_one(&app, &flagged).await["submission"]["flag_open"],
        true,
        "undo reopens"
    );
    app.stop().await;
}

#[tokio::test]
async fn search_finds_idea_text_and_filters_combine() {
    let app = spawn_app().await;
    let mut body = valid_body();
    body["ideas"][0]["description"] = json!("Grandparents raising grandchildren need allowances.");
    let kinship = submit_ok(&app, &body).await;
    let mut org = body_with(
        json!({"capacity": "organisation", "organisation": "Org", "age_band": "26_plus"}),
        "named",
    );
    org["ideas"][0]["description"] = json!("Grandparent carers deserve respite.");
    let organisation = submit_ok(&app, &org).await;
    submit_ok(&app, &valid_body()).await;
    let search = |query: &str| {
        let client = app.client.clone();
        let url = app.url(&format!("/api/admin/search?{query}"));
        async move {
            let body: Value = client
                .get(url)
                .bearer_auth(ADMIN_TOKEN)
                .send()
                .await
                .expect("sent")
                .json()
                .await
                .expect("json");
            body["submissions"]
                .as_array()
                .expect("list")
                .iter()
                .filter_map(|s| s["reference"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };
    let found = search("q=grandparents").await;
    assert_eq!(found.len(), 2, "stemmed: grandparent and grandparents");
    assert!(found.contains(&kinship) && found.contains(&organisation));
    assert_eq!(
        search("q=grandparents&capacity=organisation").await,
        std::slice::from_ref(&organisation)
    );
    assert_eq!(
        search(&format!("q={}", kinship.to_lowercase())).await,
        std::slice::from_ref(&kinship)
    );
    assert_eq!(search("q=respite&partner=barnardos").await.len(), 0);
    assert_eq!(
        search("age_band=18_25&theme=leaving_care&perspective=care_experienced_young_person")
            .await
            .len(),
        2
    );
    assert_eq!(search("from=2000-01-01&to=2999-12-31").await.len(), 3);
    assert_eq!(
        search("q=%22%20OR%20*").await.len(),
        0,
        "FTS syntax is only words"
    );
    let bad = app
        .client
        .get(app.url("/api/admin/search?age_band=old"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_problem(bad, 422).await;
    app.stop().await;
}

#[tokio::test]
async fn erasure_by_reference_deletes_everything_and_leaves_an_audit_line_without_personal_data() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &valid_body()).await;
    let kept = submit_ok(&app, &valid_body()).await;
    act_ok(
        &app,
        &reference,
        json!({"action": "withhold", "reason": "Sam asked us to wait"}),
    )
    .await;
    let erased = app
        .client
        .delete(app.url(&format!("/api/admin/submissions/{reference}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(erased.status(), 200);
    let gone = app
        .client
        .get(app.url(&format!("/api/admin/submissions/{reference}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_problem(gone, 404).await;
    let left: Vec<Value> = app.stored("open-call").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["reference"], kept);
    let audit = app
        .client
        .get(app.url("/api/admin/audit"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    assert!(audit.contains(&reference) && audit.contains("\"erase\""));
    for personal in ["Sam", "sam@example.org", "18_25", "mentor"] {
        assert!(!audit.contains(personal), "audit holds {personal}");
    }
    let again = app
        .client
        .delete(app.url(&format!("/api/admin/submissions/{reference}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_problem(again, 404).await;
    app.stop().await;
}

#[tokio::test]
async fn erased_submission_cannot_be_replayed() {
    let app = spawn_app().await;
    let key = new_key();
    let body = valid_body();
    let first = app.submit("open-call", &key, &body).await;
    assert_eq!(first.status(), 201);
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
    // The widget retries with the same key and body after a lost answer.
    let replay = app.submit("open-call", &key, &body).await;
    let problem = assert_problem(replay, 410).await;
    assert_eq!(problem["type"], "/problems/submission-erased");
    assert!(
        app.stored("open-call").await.is_empty(),
        "nothing was stored again"
    );
    // The same person writing again, with a new key, is welcome.
    let again = app.submit("open-call", &new_key(), &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(app.stored("open-call").await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_submission_whose_personal_data_retention_removed_cannot_be_replayed() {
    let app = spawn_app().await;
    let key = new_key();
    let body = valid_body();
    assert_eq!(app.submit("open-call", &key, &body).await.status(), 201);
    let text = config_toml(&app.database_url, &Options::default());
    let config = cfi_server::Config::from_toml(&text, std::path::Path::new("t.toml"), |_| None)
        .expect("config");
    let storage = cfi_server::storage::Storage::open(&config.database_url)
        .await
        .expect("open");
    let done = cfi_server::cli::retention(
        &storage,
        &config,
        Some("2999-01-01"),
        jiff::Timestamp::now(),
    )
    .await
    .expect("runs");
    assert!(done.contains(&("open-call".to_owned(), 1)));
    storage.close().await;
    let replay = app.submit("open-call", &key, &body).await;
    let problem = assert_problem(replay, 410).await;
    assert_eq!(problem["type"], "/problems/submission-erased");
    assert_eq!(app.stored("open-call").await.len(), 1, "nothing added");
    assert_eq!(
        app.submit("open-call", &new_key(), &body).await.status(),
        201
    );
    app.stop().await;
}

#[tokio::test]
async fn erased_text_cannot_be_read_back_from_the_database_files() {
    if is_postgres() {
        // PostgreSQL's files are the server's own; the README says what
        // stays where.
        return;
    }
    let app = spawn_app().await;
    let mut body = valid_body();
    body["respondent"]["name"] = json!("Quillon Vexstrand");
    body["respondent"]["email"] = json!("quillon.vexstrand@example.org");
    body["ideas"][0]["title"] = json!("Zephyrine lanterns for every hostel");
    body["ideas"][0]["description"] =
        json!("Marvoquist tokens given to each young person leaving care.");
    let reference = submit_ok(&app, &body).await;
    // Others arrive after it, so its pages are shared and rewritten.
    for _ in 0..3 {
        submit_ok(&app, &valid_body()).await;
    }
    let erased = app
        .client
        .delete(app.url(&format!("/api/admin/submissions/{reference}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(erased.status(), 200);
    let path = app
        .database_url
        .strip_prefix("sqlite://")
        .expect("a SQLite file")
        .to_owned();
    let mut read = 0;
    for suffix in ["", "-wal", "-shm"] {
        let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) else {
            continue;
        };
        read += 1;
        for words in [
            "Quillon",
            "Vexstrand",
            "quillon.vexstrand",
            "Zephyrine",
            "zephyrin",
            "Marvoquist",
            "marvoquist",
        ] {
            assert!(
                !bytes.windows(words.len()).any(|w| w == words.as_bytes()),
                "{words} is still in the database file{suffix}"
            );
        }
    }
    assert!(read >= 1, "the database file was read");
    app.stop().await;
}

#[tokio::test]
async fn retention_removes_personal_data_and_keeps_the_ideas() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &valid_body()).await;
    let text = config_toml(&app.database_url, &Options::default());
    let config = cfi_server::Config::from_toml(&text, std::path::Path::new("t.toml"), |_| None)
        .expect("config");
    let storage = cfi_server::storage::Storage::open(&config.database_url)
        .await
        .expect("open");
    let none = cfi_server::cli::retention(&storage, &config, None, jiff::Timestamp::now())
        .await
        .expect("runs");
    assert!(none.is_empty(), "no call has a retention date");
    let done = cfi_server::cli::retention(
        &storage,
        &config,
        Some("2999-01-01"),
        jiff::Timestamp::now(),
    )
    .await
    .expect("runs");
    assert!(done.contains(&("open-call".to_owned(), 1)));
    storage.close().await;
    if let Some(path) = app.database_url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) else {
                continue;
            };
            for words in ["Sam Example", "sam@example.org"] {
                assert!(
                    !bytes.windows(words.len()).any(|w| w == words.as_bytes()),
                    "{words} is still in the database file{suffix}"
                );
            }
        }
    }
    let detail = stored_one(&app, &reference).await;
    let s = &detail["submission"];
    assert_eq!(s["name"], Value::Null);
    assert_eq!(s["email"], Value::Null);
    assert_eq!(s["age_band"], "removed");
    assert!(s["personal_data_removed_at"].is_string());
    assert_eq!(s["ideas"][0]["title"], "A mentor for every care leaver");
    publish(&app, "open-call", true).await;
    published(&app, "open-call")
        .await
        .assert_published_as(&reference, "Anonymous");
    app.stop().await;
}

#[tokio::test]
async fn the_list_shows_each_submissions_own_moderation_state() {
    let app = spawn_app().await;
    let withheld = submit_ok(&app, &valid_body()).await;
    let spam = submit_ok(&app, &valid_body()).await;
    let calm = submit_ok(&app, &valid_body()).await;
    act_ok(
        &app,
        &withheld,
        json!({"action": "withhold", "reason": "asked to wait"}),
    )
    .await;
    act_ok(&app, &spam, json!({"action": "spam", "reason": "advert"})).await;
    let html = app
        .client
        .get(app.url("/admin/submissions"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    let row_of = |reference: &str| {
        let start = html.find(&format!(">{reference}</a>")).expect("listed");
        let end = html[start..].find("</tr>").expect("row ends") + start;
        html[start..end].to_owned()
    };
    assert!(row_of(&withheld).contains(">withheld</span>"));
    assert!(row_of(&spam).contains(">spam</span>"));
    let calm_row = row_of(&calm);
    assert!(!calm_row.contains(">withheld</span>") && !calm_row.contains(">spam</span>"));
    app.stop().await;
}
