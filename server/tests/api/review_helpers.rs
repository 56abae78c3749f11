//! Helpers for the review team's tests: submitting a given body, staff
//! actions through the API and the staff pages, and fetching every public
//! output.

use serde_json::{Value, json};

use crate::helpers::*;

/// Submits `body` to the open call and returns its reference.
pub async fn submit_ok(app: &TestApp, body: &Value) -> String {
    let response = app.submit("open-call", &new_key(), body).await;
    assert_eq!(response.status(), 201, "submission accepted");
    let receipt: Value = response.json().await.expect("json");
    receipt["reference"].as_str().expect("reference").to_owned()
}

/// A valid body with `respondent` fields replaced.
pub fn body_with(respondent: Value, publication: &str) -> Value {
    let mut body = valid_body();
    for (key, value) in respondent.as_object().expect("object") {
        body["respondent"][key] = value.clone();
    }
    body["publication"] = json!(publication);
    body
}

pub async fn publish(app: &TestApp, call: &str, on: bool) {
    let response = app
        .client
        .post(app.url(&format!("/api/admin/calls/{call}/publication")))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "published": on }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
}

/// Records a moderation action as staff; returns the response.
pub async fn act(app: &TestApp, reference: &str, action: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/admin/submissions/{reference}/actions")))
        .bearer_auth(ADMIN_TOKEN)
        .json(&action)
        .send()
        .await
        .expect("sent")
}

/// Records an action that must succeed; returns it.
pub async fn act_ok(app: &TestApp, reference: &str, action: Value) -> Value {
    let response = act(app, reference, action).await;
    assert_eq!(response.status(), 201, "action recorded");
    response.json().await.expect("json")
}

/// The published HTML, CSV and JSON of a call (each must be 200).
pub struct Published {
    pub html: String,
    pub csv: String,
    pub json: Value,
}

impl Published {
    /// Every public output as text, for "never appears" checks.
    pub fn all_text(&self) -> String {
        format!("{}\n{}\n{}", self.html, self.csv, self.json)
    }

    pub fn submission(&self, reference: &str) -> Option<&Value> {
        self.json["submissions"]
            .as_array()
            .expect("list")
            .iter()
            .find(|s| s["reference"] == reference)
    }

    pub fn contains(&self, reference: &str) -> bool {
        let in_json = self.submission(reference).is_some();
        let in_csv = self.csv.contains(&format!("\"{reference}\""));
        let in_html = self.html.contains(reference);
        assert_eq!(in_json, in_csv, "JSON and CSV agree about {reference}");
        assert_eq!(in_json, in_html, "JSON and HTML agree about {reference}");
        in_json
    }

    /// Asserts the name `reference` is published under, in all three.
    pub fn assert_published_as(&self, reference: &str, name: &str) {
        let s = self.submission(reference).expect("published in JSON");
        assert_eq!(s["published_as"], name, "JSON");
        assert!(
            self.csv.contains(&format!("\"{reference}\",\"{name}\",")),
            "CSV has {reference} as {name}: {}",
            self.csv
        );
        assert!(
            self.html
                .contains(&format!("<h2 id=\"s-{reference}\">{name}</h2>")),
            "HTML has {reference} as {name}"
        );
    }
}

pub async fn published(app: &TestApp, call: &str) -> Published {
    let get = |suffix: &str| {
        let url = app.url(&format!("/published/{call}{suffix}"));
        let client = app.client.clone();
        async move { client.get(url).send().await.expect("sent") }
    };
    let html = get("").await;
    assert_eq!(html.status(), 200);
    assert!(header(&html, "content-type").starts_with("text/html"));
    assert!(header(&html, "content-security-policy").contains("default-src 'none'"));
    let csv = get(".csv").await;
    assert_eq!(csv.status(), 200);
    assert!(header(&csv, "content-type").starts_with("text/csv"));
    let json = get(".json").await;
    assert_eq!(json.status(), 200);
    Published {
        html: html.text().await.expect("text"),
        csv: csv.text().await.expect("text"),
        json: json.json().await.expect("json"),
    }
}

pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A stored submission through the staff API.
pub async fn stored_one(app: &TestApp, reference: &str) -> Value {
    let response = app
        .client
        .get(app.url(&format!("/api/admin/submissions/{reference}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

/// Parses RFC 4180 CSV (every cell quoted or not) into records.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !record.is_empty() {
        record.push(cell);
        records.push(record);
    }
    records
}

/// POSTs JSON with the staff token.
pub async fn post_json(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("sent")
}

/// GETs JSON with the staff token, expecting 200.
pub async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("json")
}

/// GETs a staff page with the staff token, expecting 200.
pub async fn page(app: &TestApp, path: &str) -> String {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.expect("page")
}

/// POSTs a staff form with the staff token, not following the redirect.
pub async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .form(fields)
        .send()
        .await
        .expect("sent")
}

/// A submission's codings, trail and read marks.
pub async fn codings(app: &TestApp, reference: &str) -> Value {
    get_json(app, &format!("/api/admin/submissions/{reference}/codings")).await
}

/// Creates a code in the open call's codebook and returns its id.
pub async fn new_code(app: &TestApp, name: &str) -> i64 {
    let response = post_json(
        app,
        "/api/admin/calls/open-call/codes",
        json!({"name": name}),
    )
    .await;
    assert_eq!(response.status(), 201, "code created");
    let code: Value = response.json().await.expect("json");
    code["id"].as_i64().expect("id")
}
