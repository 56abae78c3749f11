//! Hostile input never gives a 5xx or stores anything.

use serde_json::{Value, json};

use crate::helpers::*;

async fn refused(
    app: &TestApp,
    key: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = app
        .submit_raw("open-call", key, Some(BECOME_ORIGIN), content_type, body)
        .await;
    let status = response.status().as_u16();
    assert!(status < 500, "5xx for hostile input");
    (status, assert_problem(response, status).await)
}

#[tokio::test]
async fn malformed_json_and_invalid_utf8_are_400() {
    let app = spawn_app().await;
    let key = new_key();
    let deep = "[".repeat(10_000);
    let cases: Vec<Vec<u8>> = vec![
        b"{".to_vec(),
        b"".to_vec(),
        b"nul".to_vec(),
        b"{\"partner\": \"become\",}".to_vec(),
        vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'],
        b"{\"respondent\": {\"name\": \"\xc3\x28\"}}".to_vec(),
        deep.into_bytes(),
    ];
    for body in cases {
        let (status, problem) = refused(&app, Some(&key), "application/json", body).await;
        assert_eq!(status, 400);
        assert_eq!(problem["type"], "/problems/malformed-request");
    }
    assert!(app.stored("open-call").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn wrong_types_unknown_and_duplicated_fields_are_422_with_pointers() {
    let app = spawn_app().await;
    let cases: Vec<(String, &str, &str)> = vec![
        (json!([1, 2]).to_string(), "#", "invalid_type"),
        (json!("text").to_string(), "#", "invalid_type"),
        (
            json!({"respondent": {"name": 5}}).to_string(),
            "#/respondent/name",
            "invalid_type",
        ),
        (
            json!({"ideas": "many"}).to_string(),
            "#/ideas",
            "invalid_type",
        ),
        (
            json!({"ideas": [{"title": ["a"]}]}).to_string(),
            "#/ideas/0/title",
            "invalid_type",
        ),
        (
            json!({"privacy_notice_read": "yes"}).to_string(),
            "#/privacy_notice_read",
            "invalid_type",
        ),
        (
            json!({"respondent": {"age_band": 1e308}}).to_string(),
            "#/respondent/age_band",
            "invalid_type",
        ),
        (
            json!({"admin": true}).to_string(),
            "#/admin",
            "unknown_field",
        ),
        (
            r#"{"publication": "named", "publication": "anonymous"}"#.to_owned(),
            "#/publication",
            "duplicate",
        ),
    ];
    for (body, pointer, code) in cases {
        let (status, problem) = refused(
            &app,
            Some(&new_key()),
            "application/json",
            body.clone().into_bytes(),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        let error = &problem["errors"][0];
        assert_eq!(error["code"], code, "{body}: {problem}");
        assert!(
            error["pointer"]
                .as_str()
                .is_some_and(|p| p.starts_with(pointer)),
            "{body}: {problem}"
        );
    }
    assert!(app.stored("open-call").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app().await;
    let mut body = valid_body();
    body["ideas"][0]["description"] = json!("x".repeat(1024 * 1024));
    let (status, problem) = refused(
        &app,
        Some(&new_key()),
        "application/json",
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(problem["type"], "/problems/body-too-large");
    assert!(app.stored("open-call").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    let body = valid_body().to_string().into_bytes();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "",
    ] {
        let (status, problem) = refused(&app, Some(&new_key()), content_type, body.clone()).await;
        assert_eq!(status, 415, "{content_type:?}");
        assert_eq!(problem["type"], "/problems/unsupported-media-type");
    }
    // JSON with a charset is fine.
    let response = app
        .submit_raw(
            "open-call",
            Some(&new_key()),
            Some(BECOME_ORIGIN),
            "application/json; charset=utf-8",
            body,
        )
        .await;
    assert_eq!(response.status(), 201);
    app.stop().await;
}

#[tokio::test]
async fn a_missing_or_malformed_idempotency_key_is_400() {
    let app = spawn_app().await;
    let body = valid_body().to_string().into_bytes();
    let long = "a".repeat(5000);
    for key in [
        None,
        Some(""),
        Some("not-a-uuid"),
        Some("3f2504e04f8941d39a0c0305e82c3301"),
        Some(long.as_str()),
    ] {
        let (status, problem) = refused(&app, key, "application/json", body.clone()).await;
        assert_eq!(status, 400, "{key:?}");
        assert_eq!(problem["type"], "/problems/idempotency-key-missing");
    }
    assert!(app.stored("open-call").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn control_and_direction_override_characters_are_refused() {
    let app = spawn_app().await;
    for (field, value) in [
        ("name", "Sam\u{0000}Example"),
        ("name", "Sam\u{202E}elpmaxE"),
        ("name", "Sam\u{0007}"),
    ] {
        let mut body = valid_body();
        body["respondent"][field] = json!(value);
        let (status, problem) = refused(
            &app,
            Some(&new_key()),
            "application/json",
            body.to_string().into_bytes(),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["code"], "control_characters");
    }
    assert!(app.stored("open-call").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn unknown_paths_are_problem_404s() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/nothing/here"))
        .send()
        .await
        .expect("sent");
    assert_problem(response, 404).await;
    app.stop().await;
}
