use serde_json::Value;

use cfi_rules::wire::TextDirection;

use crate::helpers::*;

#[tokio::test]
async fn the_call_definition_says_what_the_widget_needs() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/calls/open-call"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    // The first screen the loader draws before the form's code arrives:
    // the rules crate's, as the widget and the server's form show it.
    let call: cfi_rules::CallDefinition = serde_json::from_value(body.clone()).expect("definition");
    assert_eq!(
        body["first_screen"],
        serde_json::to_value(cfi_rules::form::first_screen(&call)).expect("json")
    );
    assert_eq!(body["first_screen"][0]["kind"], "heading");
    assert_eq!(body["first_screen"][0]["text"], call.title.as_str());
    let last = body["first_screen"]
        .as_array()
        .and_then(|b| b.last())
        .cloned();
    assert_eq!(
        last,
        Some(serde_json::json!({"kind": "start", "text": "Start now"}))
    );
    assert_eq!(call.id, "open-call");
    assert!(call.is_open);
    assert_eq!(call.limits.max_ideas, 3);
    assert_eq!(call.limits.max_words, 250);
    assert_eq!(call.themes[0].id, "leaving_care");
    assert!(call.perspectives.iter().any(|p| p.id == "kinship_carer"));
    assert_eq!(call.guidance.len(), 3);
    assert_eq!(call.closes, "2099-12-15T17:00:00+00:00");
    assert_eq!((call.lang.as_str(), call.dir), ("en", TextDirection::Ltr));
    assert_eq!(call.page_url, None);

    let closed: Value = app
        .client
        .get(app.url("/api/calls/closed-call"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["is_open"], false);
    assert_eq!(closed["closes_text"], "5pm on 15 December 2021 (UK time)");
    let first = closed["first_screen"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(first.iter().all(|b| b["kind"] != "start"), "{first:?}");
    assert_eq!(
        first.last().map(|b| &b["text"]),
        Some(&Value::from(
            "This call for ideas closed at 5pm on 15 December 2021 (UK time). You can no longer send ideas."
        ))
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_call_definition_is_404() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/calls/nope"))
        .send()
        .await
        .expect("sent");
    assert_problem(response, 404).await;
    app.stop().await;
}

#[tokio::test]
async fn cors_allows_configured_origins_only_without_credentials() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(
                reqwest::Method::OPTIONS,
                app.url("/api/calls/open-call/submissions"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,idempotency-key",
            )
            .send()
    };
    let allowed = preflight(BECOME_ORIGIN).await.expect("sent");
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(BECOME_ORIGIN)
    );
    assert!(
        !allowed
            .headers()
            .contains_key("access-control-allow-credentials")
    );
    let refused = preflight("https://evil.example").await.expect("sent");
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
    app.stop().await;
}

#[tokio::test]
async fn health_reports_storage() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["storage"], "ok");
    app.stop().await;
}

/// Turns the PostgreSQL database of `app` read-only (or back), ending its
/// connections so the pool reconnects with the new default.
async fn set_read_only(app: &TestApp, read_only: bool) {
    use sqlx::Connection;
    let (base, name) = app.database_url.rsplit_once('/').expect("database name");
    let mut admin = sqlx::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .expect("connect");
    let change = if read_only {
        format!("ALTER DATABASE {name} SET default_transaction_read_only = on")
    } else {
        format!("ALTER DATABASE {name} RESET default_transaction_read_only")
    };
    sqlx::query(&change)
        .execute(&mut admin)
        .await
        .expect("alter");
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(name)
    .execute(&mut admin)
    .await
    .expect("end connections");
}

async fn health_status(app: &TestApp) -> u16 {
    let response = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    response.status().as_u16()
}

#[tokio::test]
async fn health_answers_503_while_the_database_cannot_take_a_write_and_200_after() {
    use sqlx::Connection;
    let app = spawn_app().await;
    // SQLite: another connection holds the write lock; PostgreSQL: the
    // database is read-only.
    let mut holder = None;
    if is_postgres() {
        set_read_only(&app, true).await;
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .expect("connect");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .expect("write lock");
        holder = Some(conn);
    }
    assert_eq!(health_status(&app).await, 503, "writes cannot happen");
    if is_postgres() {
        set_read_only(&app, false).await;
    }
    drop(holder);
    assert_eq!(health_status(&app).await, 200, "writes can happen again");
    app.stop().await;
}

#[tokio::test]
async fn a_call_can_say_the_language_and_direction_of_its_form_and_its_own_page() {
    let app = spawn_app().await;
    let call: Value = app
        .client
        .get(app.url("/api/calls/future-call"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(call["lang"], "cy");
    assert_eq!(call["dir"], "rtl");
    assert_eq!(call["page_url"], "https://review.example/ideas");
    app.stop().await;
}

#[test]
fn a_call_with_an_unknown_direction_or_language_is_refused_naming_the_key() {
    let with = |line: &str| {
        config_toml("sqlite::memory:", &Options::default()).replace(
            "id = \"open-call\"\n",
            &format!("id = \"open-call\"\n{line}\n"),
        )
    };
    for (line, key) in [
        ("dir = \"sideways\"", "calls[0].dir"),
        ("lang = \"\\\"><b>\"", "calls[0].lang"),
        ("page_url = \"javascript:alert(1)\"", "calls[0].page_url"),
    ] {
        let error =
            cfi_server::Config::from_toml(&with(line), std::path::Path::new("test.toml"), |_| None)
                .expect_err(line)
                .to_string();
        assert!(error.contains(key), "{line}: {error}");
    }
}
