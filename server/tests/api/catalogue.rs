//! The hostile-input catalogue: hundreds of malformed and malicious requests,
//! each expecting its documented status and a problem+json body, never a 5xx,
//! and nothing stored.

use reqwest::header::HeaderValue;
use serde_json::{Value, json};

use crate::helpers::*;

struct Case {
    name: String,
    body: Vec<u8>,
    content_type: &'static str,
    key: Option<HeaderValue>,
    origin: Option<String>,
    expect: u16,
    /// The first field error's code, for 422s that are about one field.
    code: Option<&'static str>,
}

fn key() -> Option<HeaderValue> {
    HeaderValue::from_str(&new_key()).ok()
}

fn case(name: impl Into<String>, body: Vec<u8>, expect: u16, code: Option<&'static str>) -> Case {
    Case {
        name: name.into(),
        body,
        content_type: "application/json",
        key: key(),
        origin: Some(BECOME_ORIGIN.to_owned()),
        expect,
        code,
    }
}

fn with(path: &[&str], value: Value) -> Vec<u8> {
    let mut body = valid_body();
    let mut slot = &mut body;
    for part in path {
        slot = match part.parse::<usize>() {
            Ok(i) => &mut slot[i],
            Err(_) => &mut slot[*part],
        };
    }
    *slot = value;
    body.to_string().into_bytes()
}

fn catalogue() -> Vec<Case> {
    let valid = valid_body().to_string();
    let mut cases = Vec::new();

    // Broken JSON: every proper prefix of a valid body (step 5), and classics.
    for end in (0..valid.len()).step_by(5) {
        cases.push(case(
            format!("truncated at {end}"),
            valid.as_bytes()[..end].to_vec(),
            400,
            None,
        ));
    }
    for text in [
        "{'partner': 'become'}",
        "{partner: \"become\"}",
        "{\"ideas\": [,]}",
        "{\"a\": NaN}",
        "{\"a\": Infinity}",
        "{\"a\": 1} {\"b\": 2}",
        "{\"a\": 1} trailing",
        "/* comment */ {}",
        "\u{FEFF}{}",
        "{\"a\": \"unterminated}",
        "{\"a\": \"bad escape \\x41\"}",
        "{\"a\": \"\\ud800\"}",
        "{\"a\": 1e999999}",
        "{\"a\": -}",
        "{\"a\": 01}",
        "[}",
        "\"\\u0000",
    ] {
        cases.push(case(
            format!("broken JSON {text:?}"),
            text.as_bytes().to_vec(),
            400,
            None,
        ));
    }
    // Deep nesting.
    for depth in [129, 1_000, 10_000] {
        cases.push(case(
            format!("{depth} nested arrays"),
            "[".repeat(depth).into_bytes(),
            400,
            None,
        ));
        let nested = format!("{{\"respondent\": {}", "{\"a\":".repeat(depth));
        cases.push(case(
            format!("{depth} nested objects"),
            nested.into_bytes(),
            400,
            None,
        ));
    }
    // Invalid UTF-8 in different places.
    for (i, bad) in [
        &[0xffu8][..],
        &[0xc3, 0x28],
        &[0xe2, 0x82],
        &[0xf0, 0x28, 0x8c, 0x28],
        &[0xed, 0xa0, 0x80],
        &[0xc0, 0xaf],
    ]
    .iter()
    .enumerate()
    {
        for field in ["Sam", "A mentor for every care leaver"] {
            let mut bytes = Vec::new();
            let (before, after) = valid.split_once(field).expect("field in body");
            bytes.extend_from_slice(before.as_bytes());
            bytes.extend_from_slice(bad);
            bytes.extend_from_slice(field.as_bytes());
            bytes.extend_from_slice(after.as_bytes());
            cases.push(case(
                format!("invalid UTF-8 #{i} before {field:?}"),
                bytes,
                400,
                None,
            ));
        }
    }

    // Not an object at the top.
    for text in ["[]", "\"text\"", "42", "true", "null", "[{}]"] {
        cases.push(case(
            format!("top-level {text}"),
            text.as_bytes().to_vec(),
            422,
            Some("invalid_type"),
        ));
    }
    // Wrong types for every field.
    let paths: &[&[&str]] = &[
        &["partner"],
        &["respondent"],
        &["respondent", "capacity"],
        &["respondent", "name"],
        &["respondent", "organisation"],
        &["respondent", "email"],
        &["respondent", "perspectives"],
        &["respondent", "age_band"],
        &["ideas"],
        &["ideas", "0"],
        &["ideas", "0", "title"],
        &["ideas", "0", "theme"],
        &["ideas", "0", "description"],
        &["publication"],
        &["privacy_notice_read"],
        &["website"],
    ];
    let wrong: &[(&str, Value)] = &[
        ("number", json!(5)),
        ("huge number", json!(1.0e308)),
        ("bool", json!(true)),
        ("object", json!({"x": 1})),
        ("string", json!("text")),
        ("array", json!(["a"])),
    ];
    for path in paths {
        for (label, value) in wrong {
            let expects_text = !matches!(
                path.last(),
                Some(&"respondent" | &"ideas" | &"0" | &"perspectives" | &"privacy_notice_read")
            );
            let fits = match (label, expects_text) {
                (&"string", true) => true,
                (&"bool", false) => path.last() == Some(&"privacy_notice_read"),
                (&"object", false) => matches!(path.last(), Some(&"respondent" | &"0")),
                (&"array", false) => matches!(path.last(), Some(&"ideas" | &"perspectives")),
                _ => false,
            };
            if fits {
                continue;
            }
            cases.push(case(
                format!("{} as {label}", path.join("/")),
                with(path, value.clone()),
                422,
                None,
            ));
        }
    }
    // Unknown fields at every level.
    for name in [
        "admin",
        "id",
        "reference",
        "spam",
        "submitted_at",
        "partner_id",
        "__proto__",
        "constructor",
        "Partner",
        "respondent\u{0}",
    ] {
        let mut body = valid_body();
        body[name] = json!(true);
        cases.push(case(
            format!("unknown top field {name:?}"),
            body.to_string().into_bytes(),
            422,
            Some("unknown_field"),
        ));
        let mut body = valid_body();
        body["respondent"][name] = json!("x");
        cases.push(case(
            format!("unknown respondent field {name:?}"),
            body.to_string().into_bytes(),
            422,
            Some("unknown_field"),
        ));
        let mut body = valid_body();
        body["ideas"][0][name] = json!("x");
        cases.push(case(
            format!("unknown idea field {name:?}"),
            body.to_string().into_bytes(),
            422,
            Some("unknown_field"),
        ));
    }
    // Duplicated fields.
    for field in [
        "partner",
        "respondent",
        "ideas",
        "publication",
        "privacy_notice_read",
        "website",
    ] {
        let text = format!("{{\"{field}\": null, {}", &valid[1..]);
        cases.push(case(
            format!("duplicated {field}"),
            text.into_bytes(),
            422,
            Some("duplicate"),
        ));
    }
    for field in ["capacity", "name", "email", "perspectives", "age_band"] {
        let text = valid.replacen(
            "\"respondent\":{",
            &format!("\"respondent\":{{\"{field}\":null,"),
            1,
        );
        cases.push(case(
            format!("duplicated respondent {field}"),
            text.into_bytes(),
            422,
            Some("duplicate"),
        ));
    }
    for field in ["title", "theme", "description"] {
        let text = valid.replacen(
            "\"ideas\":[{",
            &format!("\"ideas\":[{{\"{field}\":null,"),
            1,
        );
        cases.push(case(
            format!("duplicated idea {field}"),
            text.into_bytes(),
            422,
            Some("duplicate"),
        ));
    }

    // Overlong and out-of-range values.
    let long: &[(&[&str], Value, &'static str)] = &[
        (&["respondent", "name"], json!("n".repeat(201)), "too_long"),
        (
            &["respondent", "name"],
            json!("n".repeat(20_000)),
            "too_long",
        ),
        (
            &["respondent", "organisation"],
            json!("o".repeat(201)),
            "unexpected",
        ),
        (
            &["respondent", "email"],
            json!(format!("{}@example.org", "e".repeat(250))),
            "too_long",
        ),
        (&["ideas", "0", "title"], json!("t".repeat(151)), "too_long"),
        (
            &["ideas", "0", "title"],
            json!("t".repeat(30_000)),
            "too_long",
        ),
        (
            &["ideas", "0", "description"],
            json!("d".repeat(10_001)),
            "too_long",
        ),
        (
            &["ideas", "0", "description"],
            json!("care ".repeat(10_000)),
            "too_many_words",
        ),
        (
            &["ideas", "0", "description"],
            json!("子".repeat(251)),
            "too_many_words",
        ),
        (
            &["ideas", "0", "description"],
            json!("😀 ".repeat(251)),
            "too_many_words",
        ),
        (
            &["ideas", "0", "theme"],
            json!("t".repeat(65)),
            "invalid_choice",
        ),
        (
            &["respondent", "perspectives"],
            json!(vec!["kinship_carer"; 40]),
            "too_long",
        ),
        (
            &["respondent", "perspectives"],
            json!(vec!["x"; 2]),
            "invalid_choice",
        ),
        (
            &["ideas"],
            json!(vec![valid_body()["ideas"][0].clone(); 4]),
            "too_many_ideas",
        ),
        (&["ideas"], json!([]), "required"),
        (&["respondent", "age_band"], json!("17"), "invalid_choice"),
        (
            &["respondent", "capacity"],
            json!("INDIVIDUAL"),
            "invalid_choice",
        ),
        (&["publication"], json!("public"), "invalid_choice"),
        (&["privacy_notice_read"], json!(false), "must_be_true"),
    ];
    for (path, value, code) in long {
        cases.push(case(
            format!("{} out of range ({code})", path.join("/")),
            with(path, value.clone()),
            422,
            Some(code),
        ));
    }
    // Control, direction-override and invisible-only text in every text field.
    let fields: &[&[&str]] = &[
        &["respondent", "name"],
        &["respondent", "email"],
        &["ideas", "0", "title"],
        &["ideas", "0", "description"],
    ];
    for path in fields {
        for bad in [
            '\u{0}', '\u{7}', '\u{1b}', '\u{7f}', '\u{202e}', '\u{2066}', '\u{202a}', '\u{8}',
        ] {
            let value = json!(format!("abc{bad}def@example.org"));
            cases.push(case(
                format!("{} with U+{:04X}", path.join("/"), bad as u32),
                with(path, value),
                422,
                Some("control_characters"),
            ));
        }
        for invisible in ["\u{200b}", "\u{200b}\u{200d}\u{feff}", "\u{2060} \u{200c}"] {
            let code = if path == &["respondent", "email"] {
                None
            } else {
                Some("required")
            };
            let expect = if code.is_some() { 422 } else { 201 };
            if expect == 201 {
                continue; // an invisible email is treated as no email: accepted
            }
            cases.push(case(
                format!("{} invisible only {invisible:?}", path.join("/")),
                with(path, json!(invisible)),
                422,
                code,
            ));
        }
    }
    // Bodies over the limit.
    for size in [64 * 1024 + 1, 200 * 1024, 1024 * 1024] {
        let mut body = valid_body();
        body["ideas"][0]["description"] = json!("x".repeat(size));
        cases.push(case(
            format!("{size}-byte body"),
            body.to_string().into_bytes(),
            413,
            None,
        ));
    }

    // Wrong content types.
    for content_type in [
        "text/plain",
        "text/html",
        "text/json",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "application/javascript",
        "application/jsonx",
        "json",
        "*/*",
        "",
    ] {
        let mut c = case(
            format!("content type {content_type:?}"),
            valid.clone().into_bytes(),
            415,
            None,
        );
        c.content_type = content_type;
        cases.push(c);
    }
    // Missing, garbage and oversized idempotency keys.
    let bad_keys: Vec<Option<HeaderValue>> = vec![
        None,
        HeaderValue::from_str("").ok(),
        HeaderValue::from_str("x").ok(),
        HeaderValue::from_str("not-a-uuid-at-all-but-36-characters").ok(),
        HeaderValue::from_str("3f2504e04f8941d39a0c0305e82c3301").ok(),
        HeaderValue::from_str("{3f2504e0-4f89-41d3-9a0c-0305e82c3301}").ok(),
        HeaderValue::from_str("urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301").ok(),
        HeaderValue::from_str("3f2504e0-4f89-41d3-9a0c-0305e82c330g").ok(),
        HeaderValue::from_str("3f2504e0-4f89-41d3-9a0c-0305e82c33011").ok(),
        HeaderValue::from_str(&"k".repeat(8_000)).ok(),
        HeaderValue::from_bytes(b"3f2504e0-4f89-41d3-9a0c-0305e82c33\xff\xfe").ok(),
        HeaderValue::from_str("'; DROP TABLE submissions; --").ok(),
    ];
    for (i, bad) in bad_keys.into_iter().enumerate() {
        let mut c = case(
            format!("bad idempotency key #{i}"),
            valid.clone().into_bytes(),
            400,
            None,
        );
        c.key = bad;
        cases.push(c);
    }
    // Forged or wrong origins for a partner.
    for origin in [
        "null",
        "https://www.become.example.evil.example",
        "https://evil.example",
        "http://www.become.example",
        "https://WWW.BECOME.EXAMPLE",
        "https://www.become.example/",
        "https://www.become.example:8443",
        "https://www.barnardos.example",
        "https://review.example",
        "",
        "https://www.become.example, https://evil.example",
    ] {
        let mut c = case(
            format!("partner become from origin {origin:?}"),
            valid.clone().into_bytes(),
            403,
            None,
        );
        c.origin = Some(origin.to_owned());
        cases.push(c);
    }
    let mut c = case(
        "partner become with no origin",
        valid.clone().into_bytes(),
        403,
        None,
    );
    c.origin = None;
    cases.push(c);
    // Partners that are not configured, however spelt, are refused before
    // anything else is looked at.
    let long_partner = "p".repeat(65);
    for partner in [
        "nobody",
        "home-for-good",
        "become-evil",
        "Become",
        "become\u{200b}",
        "bec\u{0}ome",
        &long_partner,
    ] {
        cases.push(case(
            format!("partner {partner:?}"),
            with(&["partner"], json!(partner)),
            403,
            None,
        ));
    }
    cases
}

#[tokio::test]
async fn hundreds_of_hostile_requests_get_their_documented_status_and_store_nothing() {
    let app = spawn_app().await;
    let cases = catalogue();
    assert!(cases.len() >= 300, "only {} cases", cases.len());
    println!("hostile catalogue: {} cases", cases.len());
    let url = app.url("/api/calls/open-call/submissions");
    let mut set = tokio::task::JoinSet::new();
    for (index, case) in cases.into_iter().enumerate() {
        let mut request = app
            .client
            .post(&url)
            .header("content-type", case.content_type)
            .body(case.body);
        if let Some(key) = case.key {
            request = request.header("idempotency-key", key);
        }
        if let Some(origin) = case.origin {
            request = request.header("origin", origin);
        }
        let (name, expect, code) = (case.name, case.expect, case.code);
        set.spawn(async move {
            let response = request.send().await.expect("answered");
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (index, name, expect, code, status, content_type, body)
        });
        // Bounded concurrency keeps the run quick without a flood.
        while set.len() >= 16 {
            check(set.join_next().await.expect("task").expect("joined"));
        }
    }
    let mut total = 0;
    while let Some(done) = set.join_next().await {
        check(done.expect("joined"));
        total += 1;
    }
    assert!(total > 0);
    assert!(
        app.stored("open-call").await.is_empty(),
        "a hostile request was stored"
    );
    app.stop().await;
}

fn check(result: (usize, String, u16, Option<&'static str>, u16, String, Value)) {
    let (_, name, expect, code, status, content_type, body) = result;
    assert!(status < 500, "{name}: 5xx {status}");
    assert_eq!(status, expect, "{name}: {body}");
    assert_eq!(content_type, "application/problem+json", "{name}");
    assert_eq!(body["status"], status, "{name}");
    assert!(
        body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(),
        "{name}"
    );
    if let Some(code) = code {
        assert_eq!(body["errors"][0]["code"], code, "{name}: {body}");
    }
}

#[tokio::test]
async fn oversized_headers_are_refused_without_a_5xx_or_a_record() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/calls/open-call/submissions"))
        .header("content-type", "application/json")
        .header("idempotency-key", new_key())
        .header("origin", BECOME_ORIGIN)
        .header("x-filler", "f".repeat(512 * 1024))
        .body(valid_body().to_string())
        .send()
        .await;
    // hyper answers 431 before any handler runs, or closes the connection.
    if let Ok(response) = response {
        assert_eq!(response.status().as_u16(), 431);
    }
    assert!(app.stored("open-call").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_arrives_too_slowly_is_408_and_stores_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let body = valid_body().to_string();
    let head = format!(
        "POST /api/calls/open-call/submissions HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/json\r\nIdempotency-Key: {}\r\nOrigin: {BECOME_ORIGIN}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        new_key(),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    // Half the body, then nothing: the server must give up on its own.
    stream
        .write_all(&body.as_bytes()[..body.len() / 2])
        .await
        .expect("half");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("answer");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("/problems/body-timeout"), "{answer}");
    assert!(app.stored("open-call").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn other_methods_get_a_problem_405() {
    let app = spawn_app().await;
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let response = app
            .client
            .request(method.clone(), app.url("/api/calls/open-call/submissions"))
            .send()
            .await
            .expect("sent");
        let problem = assert_problem(response, 405).await;
        assert_eq!(problem["type"], "/problems/method-not-allowed", "{method}");
    }
    app.stop().await;
}
