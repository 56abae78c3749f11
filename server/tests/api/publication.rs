//! Publication at `/published/{call}` (HTML, CSV, JSON): each rule with one
//! submission, proven in all three outputs.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::review_helpers::*;

#[tokio::test]
async fn nothing_is_published_until_staff_switch_publication_on() {
    let app = spawn_app().await;
    submit_ok(&app, &valid_body()).await;
    for suffix in ["", ".csv", ".json"] {
        let response = app
            .client
            .get(app.url(&format!("/published/open-call{suffix}")))
            .send()
            .await
            .expect("sent");
        let problem = assert_problem(response, 404).await;
        assert_eq!(problem["type"], "/problems/not-published");
    }
    publish(&app, "open-call", true).await;
    assert_eq!(
        published(&app, "open-call").await.json["submissions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    publish(&app, "open-call", false).await;
    let response = app
        .client
        .get(app.url("/published/open-call"))
        .send()
        .await
        .expect("sent");
    assert_problem(response, 404).await;
    let unknown = app
        .client
        .get(app.url("/published/nope.json"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        assert_problem(unknown, 404).await["type"],
        "/problems/not-found"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_individual_who_chose_to_be_named_is_published_under_their_name() {
    let app = spawn_app().await;
    let reference = submit_ok(
        &app,
        &body_with(
            json!({"name": "Robin Named", "age_band": "26_plus"}),
            "named",
        ),
    )
    .await;
    publish(&app, "open-call", true).await;
    let out = published(&app, "open-call").await;
    out.assert_published_as(&reference, "Robin Named");
    app.stop().await;
}

#[tokio::test]
async fn an_organisation_that_chose_to_be_named_is_published_under_its_name_only() {
    let app = spawn_app().await;
    let reference = submit_ok(
        &app,
        &body_with(
            json!({"capacity": "organisation", "organisation": "Harbour Youth Trust",
                   "name": "Casey Contact", "age_band": "26_plus"}),
            "named",
        ),
    )
    .await;
    publish(&app, "open-call", true).await;
    let out = published(&app, "open-call").await;
    out.assert_published_as(&reference, "Harbour Youth Trust");
    assert!(
        !out.all_text().contains("Casey Contact"),
        "the contact's name is never published"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_respondent_who_chose_anonymity_is_published_as_anonymous() {
    let app = spawn_app().await;
    let person = submit_ok(
        &app,
        &body_with(
            json!({"name": "Quinn Hidden", "age_band": "18_25"}),
            "anonymous",
        ),
    )
    .await;
    let organisation = submit_ok(
        &app,
        &body_with(
            json!({"capacity": "organisation", "organisation": "Quiet Charity",
                   "name": "Pat Contact", "age_band": "26_plus"}),
            "anonymous",
        ),
    )
    .await;
    publish(&app, "open-call", true).await;
    let out = published(&app, "open-call").await;
    out.assert_published_as(&person, "Anonymous");
    out.assert_published_as(&organisation, "Anonymous");
    for secret in ["Quinn Hidden", "Quiet Charity", "Pat Contact"] {
        assert!(
            !out.all_text().contains(secret),
            "{secret} is not published"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn an_under_18_is_published_as_anonymous_whatever_they_chose() {
    let app = spawn_app().await;
    let under_16 = submit_ok(
        &app,
        &body_with(
            json!({"name": "Young Person", "age_band": "under_16"}),
            "named",
        ),
    )
    .await;
    let sixteen = submit_ok(
        &app,
        &body_with(json!({"name": "Teen Person", "age_band": "16_17"}), "named"),
    )
    .await;
    publish(&app, "open-call", true).await;
    let out = published(&app, "open-call").await;
    out.assert_published_as(&under_16, "Anonymous");
    out.assert_published_as(&sixteen, "Anonymous");
    for secret in ["Young Person", "Teen Person"] {
        assert!(
            !out.all_text().contains(secret),
            "{secret} is not published"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn no_email_or_age_band_ever_appears_in_any_public_output() {
    let app = spawn_app().await;
    let bands = ["under_16", "16_17", "18_25", "26_plus", "prefer_not_to_say"];
    for (i, band) in bands.iter().enumerate() {
        for capacity in ["individual", "organisation"] {
            let respondent = if capacity == "individual" {
                json!({"name": format!("Person {i}"), "age_band": band,
                       "email": format!("secret-{i}-{capacity}@mail.example")})
            } else {
                json!({"capacity": "organisation", "organisation": format!("Org {i}"),
                       "name": format!("Contact {i}"), "age_band": band,
                       "email": format!("secret-{i}-{capacity}@mail.example")})
            };
            for publication in ["named", "anonymous"] {
                submit_ok(&app, &body_with(respondent.clone(), publication)).await;
            }
        }
    }
    publish(&app, "open-call", true).await;
    let out = published(&app, "open-call").await;
    assert_eq!(out.json["submissions"].as_array().map(Vec::len), Some(20));
    let text = out.all_text();
    for forbidden in [
        "@mail.example",
        "secret-",
        "under_16",
        "16_17",
        "18_25",
        "26_plus",
        "prefer_not_to_say",
        "Under 16",
        "16 to 17",
        "18 to 25",
        "26 or over",
        "Prefer not to say",
        "age_band",
        "email",
        "Contact ",
        "care_experienced_young_person",
        "become",
    ] {
        assert!(
            !text.contains(forbidden),
            "{forbidden:?} appears in a public output"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn withheld_spam_and_unhandled_flag_submissions_are_never_published() {
    let app = spawn_app().await;
    let kept = submit_ok(&app, &valid_body()).await;
    let withheld = submit_ok(&app, &valid_body()).await;
    act_ok(
        &app,
        &withheld,
        json!({"action": "withhold", "reason": "names a third party"}),
    )
    .await;
    let marked_spam = submit_ok(&app, &valid_body()).await;
    act_ok(
        &app,
        &marked_spam,
        json!({"action": "spam", "reason": "advert"}),
    )
    .await;
    let mut bot = valid_body();
    bot["website"] = json!("http://spam.example");
    let trapped = submit_ok(&app, &bot).await;
    let mut worrying = valid_body();
    worrying["ideas"][0]["description"] = json!("Please help, I am not safe at home right now.");
    let flagged = submit_ok(&app, &worrying).await;
    let handled = submit_ok(&app, &worrying).await;
    act_ok(
        &app,
        &handled,
        json!({"action": "handle_flag", "reason": "safeguarding lead called the school"}),
    )
    .await;
    let handled_only = submit_ok(&app, &worrying).await;
    act_ok(
        &app,
        &handled_only,
        json!({"action": "handle_flag", "reason": "safeguarding lead called the school"}),
    )
    .await;
    act_ok(
        &app,
        &handled,
        json!({"action": "publish", "reason": "nothing identifying; the author asked for it"}),
    )
    .await;

    publish(&app, "open-call", true).await;
    let out = published(&app, "open-call").await;
    assert!(out.contains(&kept));
    assert!(
        out.contains(&handled),
        "a handled flag is published once a moderator decides so"
    );
    for reference in [&withheld, &marked_spam, &trapped, &flagged, &handled_only] {
        assert!(
            !out.contains(reference),
            "{reference} must not be published"
        );
    }

    // Undoing the withholding publishes it again.
    let trail = stored_one(&app, &withheld).await;
    let id = trail["actions"][0]["id"].as_i64().expect("id");
    act_ok(
        &app,
        &withheld,
        json!({"action": "undo", "undoes": id, "reason": "checked again"}),
    )
    .await;
    assert!(published(&app, "open-call").await.contains(&withheld));
    app.stop().await;
}

#[tokio::test]
async fn a_withheld_idea_is_left_out_and_a_redaction_shows_as_redacted() {
    let app = spawn_app().await;
    let mut body = valid_body();
    body["ideas"] = json!([
        {"title": "Keep siblings together", "description": "Ask Jamie Doe at 12 Acacia Road, who runs the youth club."},
        {"title": "Private idea", "description": "This one names a teacher and must be withheld."}
    ]);
    let reference = submit_ok(&app, &body).await;
    act_ok(
        &app,
        &reference,
        json!({"action": "redact", "idea": 1, "field": "description",
        "text": "Jamie Doe at 12 Acacia Road", "reason": "third party and address"}),
    )
    .await;
    act_ok(
        &app,
        &reference,
        json!({"action": "withhold_idea", "idea": 2, "reason": "names a teacher"}),
    )
    .await;
    publish(&app, "open-call", true).await;
    let out = published(&app, "open-call").await;
    let s = out.submission(&reference).expect("published");
    assert_eq!(s["ideas"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        s["ideas"][0]["description"],
        "Ask [redacted], who runs the youth club."
    );
    let text = out.all_text();
    for secret in ["Jamie Doe", "Acacia", "Private idea", "names a teacher"] {
        assert!(!text.contains(secret), "{secret} is not published");
    }
    assert!(out.csv.contains("Ask [redacted], who runs the youth club."));
    assert!(
        out.html
            .contains("Ask [redacted], who runs the youth club.")
    );
    app.stop().await;
}

#[tokio::test]
async fn published_output_changes_after_a_new_submission_moderation_and_erasure() {
    let app = spawn_app().await;
    let first = submit_ok(&app, &valid_body()).await;
    publish(&app, "open-call", true).await;
    // Read every format once, so each is held for this state.
    let before = published(&app, "open-call").await;
    assert!(before.contains(&first));
    let second = submit_ok(&app, &valid_body()).await;
    let out = published(&app, "open-call").await;
    assert!(
        out.contains(&first) && out.contains(&second),
        "new submission shown"
    );
    act_ok(
        &app,
        &first,
        json!({"action": "withhold", "reason": "Asked us to wait"}),
    )
    .await;
    let out = published(&app, "open-call").await;
    assert!(!out.contains(&first), "withheld submission gone");
    assert!(out.contains(&second));
    let erased = app
        .client
        .delete(app.url(&format!("/api/admin/submissions/{second}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(erased.status(), 200);
    let out = published(&app, "open-call").await;
    assert!(!out.contains(&second), "erased submission gone");
    assert_eq!(
        out.json["submissions"].as_array().map(Vec::len),
        Some(0),
        "nothing left"
    );
    publish(&app, "open-call", false).await;
    let response = app
        .client
        .get(app.url("/published/open-call.json"))
        .send()
        .await
        .expect("sent");
    assert_problem(response, 404).await;
    app.stop().await;
}

/// The references on one published HTML page, in order.
fn references_on(html: &str) -> Vec<String> {
    html.split("<h2 id=\"s-")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn pagination_shows_every_published_idea_exactly_once_across_pages() {
    let app = spawn_app().await;
    let text = config_toml(&app.database_url, &Options::default());
    let config = cfi_server::Config::from_toml(&text, std::path::Path::new("t.toml"), |_| None)
        .expect("config");
    let storage = cfi_server::storage::Storage::open(&config.database_url)
        .await
        .expect("open");
    let call = config.call("open-call").expect("call").clone();
    let per_page = cfi_server::limits::PUBLISHED_PER_PAGE;
    let stored = cfi_server::cli::seed(&storage, &config, &call, per_page * 2 + 30)
        .await
        .expect("seeded");
    storage.close().await;
    assert_eq!(stored, per_page * 2 + 30);
    publish(&app, "open-call", true).await;
    let json: Value = app
        .client
        .get(app.url("/published/open-call.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let expected: Vec<String> = json["submissions"]
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s["reference"].as_str().expect("reference").to_owned())
        .collect();
    assert!(expected.len() > per_page, "more than one page is published");
    let pages = expected.len().div_ceil(per_page);
    // Follow "Next page" from the first page to the last.
    let mut seen = Vec::new();
    let mut next = Some("/published/open-call".to_owned());
    let mut visited = 0;
    while let Some(path) = next {
        visited += 1;
        let response = app.client.get(app.url(&path)).send().await.expect("sent");
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.expect("text");
        let on_page = references_on(&html);
        assert!(on_page.len() <= per_page, "at most a page's worth");
        assert!(
            html.contains(&format!("aria-current=\"page\">Page {visited}<")),
            "page {visited} is marked as the current one"
        );
        assert!(html.contains("<nav aria-label=\"Pages of published submissions\">"));
        seen.extend(on_page);
        next = html.find("rel=\"next\"").map(|at| {
            let before = &html[..at];
            let start = before.rfind("href=\"").expect("the link's address") + "href=\"".len();
            before[start..]
                .split('"')
                .next()
                .expect("address")
                .to_owned()
        });
    }
    assert_eq!(visited, pages, "one page per {per_page} submissions");
    assert_eq!(seen, expected, "every published submission once, in order");
    let ideas_in_json: usize = json["submissions"]
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s["ideas"].as_array().map_or(0, Vec::len))
        .sum();
    let mut ideas_in_pages = 0;
    for page in 1..=pages {
        let html = app
            .client
            .get(app.url(&format!("/published/open-call?page={page}")))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("text");
        ideas_in_pages += html.matches("<h3>Idea ").count();
    }
    assert_eq!(ideas_in_pages, ideas_in_json, "every idea once");
    for beyond in [0, pages + 1] {
        let response = app
            .client
            .get(app.url(&format!("/published/open-call?page={beyond}")))
            .send()
            .await
            .expect("sent");
        assert_problem(response, 404).await;
    }
    app.stop().await;
}

/// The body of `path` asked for with `accept` as `Accept-Encoding`, and the
/// `Content-Encoding` it came in.
async fn fetch_coded(app: &TestApp, path: &str, accept: Option<&str>) -> (Vec<u8>, String) {
    let mut request = app.client.get(app.url(path));
    if let Some(accept) = accept {
        request = request.header("accept-encoding", accept);
    }
    let response = request.send().await.expect("sent");
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(header(&response, "vary"), "accept-encoding");
    let coding = header(&response, "content-encoding");
    let body = response.bytes().await.expect("body").to_vec();
    (body, coding)
}

#[tokio::test]
async fn gzip_and_brotli_bodies_decode_to_exactly_the_plain_body() {
    use std::io::Read as _;
    let app = spawn_app().await;
    for _ in 0..3 {
        submit_ok(&app, &valid_body()).await;
    }
    publish(&app, "open-call", true).await;
    for path in [
        "/published/open-call",
        "/published/open-call.csv",
        "/published/open-call.json",
    ] {
        let (plain, coding) = fetch_coded(&app, path, None).await;
        assert_eq!(coding, "", "no coding unless asked for");
        assert!(!plain.is_empty());
        let (gzip, coding) = fetch_coded(&app, path, Some("gzip")).await;
        assert_eq!(coding, "gzip");
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(gzip.as_slice())
            .read_to_end(&mut decoded)
            .expect("gzip decodes");
        assert_eq!(decoded, plain, "{path} in gzip");
        let (brotli, coding) = fetch_coded(&app, path, Some("gzip, deflate, br")).await;
        assert_eq!(coding, "br", "brotli preferred");
        let mut decoded = Vec::new();
        brotli::Decompressor::new(brotli.as_slice(), 4096)
            .read_to_end(&mut decoded)
            .expect("brotli decodes");
        assert_eq!(decoded, plain, "{path} in brotli");
        let (_, coding) = fetch_coded(&app, path, Some("br;q=0, gzip;q=0.5")).await;
        assert_eq!(coding, "gzip", "a coding weighted 0 is refused");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unchanged_publication_answers_304_and_withholding_an_idea_changes_the_etag() {
    let app = spawn_app().await;
    let mut body = valid_body();
    body["ideas"] = json!([
        {"title": "Keep siblings together", "description": "Placements near each other."},
        {"title": "Quietly withdrawn idea", "description": "This one will be withheld."}
    ]);
    let reference = submit_ok(&app, &body).await;
    publish(&app, "open-call", true).await;
    for path in [
        "/published/open-call",
        "/published/open-call.csv",
        "/published/open-call.json",
    ] {
        let first = app.client.get(app.url(path)).send().await.expect("sent");
        assert_eq!(first.status(), 200);
        let etag = header(&first, "etag");
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong: {etag}"
        );
        assert_eq!(header(&first, "cache-control"), "public, max-age=60");
        assert!(
            first
                .text()
                .await
                .expect("body")
                .contains("Quietly withdrawn")
        );
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("sent");
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(header(&again, "etag"), etag);
        assert!(again.bytes().await.expect("body").is_empty());
        let gzip = app
            .client
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("sent");
        assert_eq!(
            gzip.status(),
            200,
            "another coding is another representation"
        );
        assert_ne!(header(&gzip, "etag"), etag);
    }
    let tags = {
        let mut tags = Vec::new();
        for path in [
            "/published/open-call",
            "/published/open-call.csv",
            "/published/open-call.json",
        ] {
            let response = app.client.get(app.url(path)).send().await.expect("sent");
            tags.push((path, header(&response, "etag")));
        }
        tags
    };
    act_ok(
        &app,
        &reference,
        json!({"action": "withhold_idea", "idea": 2, "reason": "asked to withdraw it"}),
    )
    .await;
    for (path, etag) in tags {
        let response = app
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{path} changed");
        assert_ne!(header(&response, "etag"), etag);
        let text = response.text().await.expect("body");
        assert!(text.contains("Keep siblings together"), "{path}");
        assert!(
            !text.contains("Quietly withdrawn"),
            "{path}: withheld idea gone"
        );
    }
    app.stop().await;
}

/// The call's submissions as counted by the server's counter (through the
/// publication state) and by `count(*)`.
async fn both_counts(app: &TestApp) -> (i64, i64) {
    use sqlx::Connection as _;
    let storage = cfi_server::storage::Storage::open(&app.database_url)
        .await
        .expect("open");
    let counter = storage
        .publication_state("open-call")
        .await
        .expect("state")
        .version
        .submissions;
    storage.close().await;
    let sql = "SELECT CAST(count(*) AS BIGINT) FROM submissions WHERE call_id = 'open-call'";
    let counted: i64 = if is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&app.database_url)
            .await
            .expect("connect");
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect("count")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .expect("connect");
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect("count")
    };
    (counter, counted)
}

#[tokio::test]
async fn the_submission_counter_matches_the_stored_count_through_replays_erasure_and_retention() {
    let app = spawn_app().await;
    assert_eq!(both_counts(&app).await, (0, 0));
    let key = new_key();
    let body = valid_body();
    assert_eq!(app.submit("open-call", &key, &body).await.status(), 201);
    let mut references = Vec::new();
    for _ in 0..4 {
        references.push(submit_ok(&app, &valid_body()).await);
    }
    assert_eq!(both_counts(&app).await, (5, 5));
    // Replays of a stored submission store nothing, and count nothing.
    for _ in 0..3 {
        assert_eq!(app.submit("open-call", &key, &body).await.status(), 200);
    }
    assert_eq!(both_counts(&app).await, (5, 5), "replays are not counted");
    let erased = app
        .client
        .delete(app.url(&format!("/api/admin/submissions/{}", references[0])))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(erased.status(), 200);
    assert_eq!(both_counts(&app).await, (4, 4), "erasure uncounts");
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
    assert!(done.contains(&("open-call".to_owned(), 4)));
    storage.close().await;
    assert_eq!(both_counts(&app).await, (4, 4), "retention keeps them");
    // A replay of a submission whose personal data was removed is refused.
    assert_eq!(app.submit("open-call", &key, &body).await.status(), 410);
    submit_ok(&app, &valid_body()).await;
    assert_eq!(both_counts(&app).await, (5, 5));
    app.stop().await;
}

#[tokio::test]
async fn readers_beyond_the_sends_at_once_wait_in_line_and_all_get_the_whole_file() {
    let app = spawn_app().await;
    for _ in 0..3 {
        submit_ok(&app, &valid_body()).await;
    }
    publish(&app, "open-call", true).await;
    let readers = cfi_server::limits::PUBLISHED_SENDS * 3;
    for path in ["/published/open-call.csv", "/published/open-call.json"] {
        let (expected, _) = fetch_coded(&app, path, None).await;
        let mut reads = tokio::task::JoinSet::new();
        for _ in 0..readers {
            let request = app.client.get(app.url(path));
            reads.spawn(async move {
                let response = request.send().await.expect("sent");
                (
                    response.status().as_u16(),
                    response.bytes().await.expect("body"),
                )
            });
        }
        let mut done = 0;
        while let Some(read) = reads.join_next().await {
            let (status, body) = read.expect("read");
            assert_eq!(status, 200, "{path}: none refused");
            assert_eq!(body.as_ref(), expected.as_slice(), "{path}: the whole file");
            done += 1;
        }
        assert_eq!(done, readers);
    }
    app.stop().await;
}
