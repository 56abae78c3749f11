//! `spawn_app()`: the whole server on port 0 with a fresh database, SQLite by
//! default or PostgreSQL when `CFI_TEST_ENGINE=postgres` (a new database per
//! test on the server named by `CFI_TEST_POSTGRES_URL`, by default the local
//! one).

use std::path::Path;

use cfi_server::{Application, Config};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use uuid::Uuid;

pub const ADMIN_TOKEN: &str = "test-staff-token";
/// The Become partner's token: its own counts, never content.
pub const PARTNER_TOKEN: &str = "test-become-partner-token";
pub const BECOME_ORIGIN: &str = "https://www.become.example";
pub const REVIEW_ORIGIN: &str = "https://review.example";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database_url: String,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Options for the config the app is spawned with.
pub struct Options {
    pub submissions_per_minute: u32,
    pub burst: u32,
    pub header_timeout_secs: u64,
    pub idle_timeout_secs: u64,
    pub max_connections: usize,
    /// A session unused this long ends.
    pub session_idle_timeout_secs: u64,
    /// Take the client from `X-Forwarded-For` (one trusted proxy).
    pub trust_forwarded_for: bool,
    /// Where the widget files are (none by default).
    pub assets_dir: Option<std::path::PathBuf>,
    /// Read each stored idea for meaning in the background (off unless a
    /// test looks at the vectors, so other tests do not share the cores
    /// with the model).
    pub embed_ideas: bool,
    /// Load the sentence-embedding model (on: the safeguarding net reads
    /// every sentence sent with it). Off where a test sends thousands of
    /// ideas, or starts the server binary again and again, to prove
    /// something else: the model's work (or each start's load of it) would
    /// be most of the test's time, and a server without the model's files
    /// is a real configuration, checking with the phrases only.
    pub model: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            submissions_per_minute: 60_000,
            burst: 10_000,
            header_timeout_secs: 10,
            idle_timeout_secs: 5,
            max_connections: 512,
            session_idle_timeout_secs: 1_800,
            trust_forwarded_for: false,
            assets_dir: None,
            embed_ideas: false,
            model: true,
        }
    }
}

pub fn config_toml(database_url: &str, options: &Options) -> String {
    let token_digest = hex::encode(Sha256::digest(ADMIN_TOKEN.as_bytes()));
    let partner_digest = hex::encode(Sha256::digest(PARTNER_TOKEN.as_bytes()));
    format!(
        r#"
bind = "127.0.0.1:0"
database_url = "{database_url}"
assets_dir = "{assets_dir}"
body_timeout_secs = 1
session_idle_timeout_secs = {session_idle_timeout}
trust_forwarded_for = {trust_forwarded_for}
header_timeout_secs = {header_timeout}
idle_timeout_secs = {idle_timeout}
max_connections = {max_connections}
embed_ideas = {embed_ideas}
{model_dir}
review_origins = ["{REVIEW_ORIGIN}"]

[rate_limit]
submissions_per_minute = {per_minute}
burst = {burst}

[[admin_tokens]]
name = "test"
sha256 = "{token_digest}"

[[partners]]
id = "become"
name = "Become"
origins = ["{BECOME_ORIGIN}"]
token_sha256 = "{partner_digest}"

[[partners]]
id = "barnardos"
name = "Barnardo's"
origins = ["https://www.barnardos.example"]

[[calls]]
id = "open-call"
title = "Open call"
opens = "2020-01-01T09:00"
closes = "2099-12-15T17:00"
max_ideas = 3
max_words = 250
privacy_notice_url = "https://review.example/privacy"
themes = [{{ id = "leaving_care", label = "Leaving care" }}]

[[calls]]
id = "closed-call"
title = "Closed call"
opens = "2021-11-04T09:00"
closes = "2021-12-15T17:00"
privacy_notice_url = "https://review.example/privacy"

[[calls]]
id = "future-call"
title = "Future call"
opens = "2098-01-01T09:00"
closes = "2099-01-01T09:00"
privacy_notice_url = "https://review.example/privacy"
lang = "cy"
dir = "rtl"
page_url = "https://review.example/ideas"
"#,
        per_minute = options.submissions_per_minute,
        burst = options.burst,
        header_timeout = options.header_timeout_secs,
        idle_timeout = options.idle_timeout_secs,
        max_connections = options.max_connections,
        session_idle_timeout = options.session_idle_timeout_secs,
        trust_forwarded_for = options.trust_forwarded_for,
        embed_ideas = options.embed_ideas,
        // A folder that holds no model: the server runs without one.
        model_dir = if options.model {
            ""
        } else {
            "model_dir = \"no-model-here\""
        },
        assets_dir = options
            .assets_dir
            .as_ref()
            .map_or_else(|| "missing-assets".to_owned(), |d| d.display().to_string()),
    )
}

/// A fresh, empty database for one test.
pub async fn fresh_database_url(dir: &Path) -> String {
    if std::env::var("CFI_TEST_ENGINE").as_deref() == Ok("postgres") {
        use sqlx::Connection;
        let base = std::env::var("CFI_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
        let name = format!("cfi_test_{}", Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&format!("{base}/postgres"))
            .await
            .expect("PostgreSQL is reachable");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        format!("{base}/{name}")
    } else {
        format!("sqlite://{}", dir.join("test.sqlite").display())
    }
}

pub fn is_postgres() -> bool {
    std::env::var("CFI_TEST_ENGINE").as_deref() == Ok("postgres")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// A server without the embedding model (for tests of something else: the
/// model's start-up and its work are most of a test's time otherwise).
pub async fn spawn_app_without_model() -> TestApp {
    spawn_app_with(Options {
        model: false,
        ..Options::default()
    })
    .await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    spawn_app_edited(options, |text| text).await
}

/// The app with its configuration text changed by `edit` first.
pub async fn spawn_app_edited(options: Options, edit: impl FnOnce(String) -> String) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(dir.path()).await;
    spawn_app_in(dir, database_url, &options, edit).await
}

/// Another server on the database `database_url` (a replica, or the same
/// server after a restart); the caller keeps the database's directory.
pub async fn spawn_app_on(database_url: &str, options: &Options) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    spawn_app_in(dir, database_url.to_owned(), options, |text| text).await
}

/// Another server on the database `database_url` with its configuration
/// text changed by `edit` (a restart after the configuration changed).
pub async fn spawn_app_on_edited(
    database_url: &str,
    options: &Options,
    edit: impl FnOnce(String) -> String,
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    spawn_app_in(dir, database_url.to_owned(), options, edit).await
}

async fn spawn_app_in(
    dir: tempfile::TempDir,
    database_url: String,
    options: &Options,
    edit: impl FnOnce(String) -> String,
) -> TestApp {
    // The server's log in the test's output (errors only, unless RUST_LOG
    // says otherwise), shown when a test fails.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let text = edit(config_toml(&database_url, options));
    let config = Config::from_toml(&text, Path::new("test.toml"), |_| None).expect("test config");
    let app = Application::build(config).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        app.run_until_stopped(async {
            let _ = stopped.await;
        })
        .await
        .expect("server runs");
    });
    TestApp {
        address,
        client: reqwest::Client::new(),
        database_url,
        _dir: dir,
        stop: Some(stop),
        task: Some(task),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs `body` as JSON to `call` with `key` and the Become origin.
    /// The returned future owns everything, so it can run on its own task.
    pub fn submit(
        &self,
        call: &str,
        key: &str,
        body: &Value,
    ) -> impl Future<Output = reqwest::Response> + Send + 'static {
        self.submit_raw(
            call,
            Some(key),
            Some(BECOME_ORIGIN),
            "application/json",
            body.to_string().into_bytes(),
        )
    }

    pub fn submit_raw(
        &self,
        call: &str,
        key: Option<&str>,
        origin: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> impl Future<Output = reqwest::Response> + Send + 'static {
        let mut request = self
            .client
            .post(self.url(&format!("/api/calls/{call}/submissions")))
            .header("content-type", content_type)
            .body(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        async move { request.send().await.expect("request sent") }
    }

    /// GET `path` with a bearer token (staff's or a program's).
    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("sent")
    }

    /// Every stored submission of `call`, through the admin API.
    pub async fn stored(&self, call: &str) -> Vec<Value> {
        let response = self
            .get_as(&format!("/api/admin/submissions?call={call}"), ADMIN_TOKEN)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        body["submissions"].as_array().cloned().unwrap_or_default()
    }

    /// Stops the server, letting requests in progress finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn new_key() -> String {
    Uuid::new_v4().to_string()
}

/// A valid submission through the Become partner.
pub fn valid_body() -> Value {
    json!({
        "partner": "become",
        "respondent": {
            "capacity": "individual",
            "name": "Sam Example",
            "organisation": null,
            "email": "sam@example.org",
            "perspectives": ["care_experienced_young_person"],
            "age_band": "18_25"
        },
        "ideas": [
            {"title": "A mentor for every care leaver", "theme": "leaving_care",
             "description": "Every young person leaving care gets a mentor they choose, for as long as they want one."}
        ],
        "publication": "named",
        "privacy_notice_read": true,
        "website": ""
    })
}

/// Asserts a problem+json answer with `status` and returns its body.
/// A staff page's error is a page a person can read (with the problem's
/// title as its heading), never a JSON document in the browser.
pub async fn assert_error_page(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let body = response.text().await.expect("page body");
    assert!(
        body.contains("<h1>"),
        "an error page with a heading: {body}"
    );
    body
}

pub async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status);
    for field in ["type", "title", "detail"] {
        assert!(body[field].is_string(), "problem has {field}: {body}");
    }
    body
}
