//! Safeguarding alerts and acknowledgements through the outbox, received by
//! a real mail server (maildev, from `tests/node_modules`, started and
//! stopped here) and read back through its REST API.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::crash;
use crate::helpers::*;
use crate::review_helpers::{act_ok, submit_ok};

/// What a flagged description says; the phrase is in the default list.
const FLAGGED: &str = "Nobody listens when I say I am not safe at home with my stepdad tonight";

/// A maildev process on two free ports of 127.0.0.1.
pub struct MailCatcher {
    child: Option<Child>,
    pub smtp_port: u16,
    web_port: u16,
    dir: tempfile::TempDir,
    starts: usize,
    http: reqwest::Client,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

impl MailCatcher {
    pub async fn start() -> Self {
        let mut catcher = Self {
            child: None,
            smtp_port: free_port(),
            web_port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            starts: 0,
            http: reqwest::Client::new(),
        };
        catcher.up().await;
        catcher
    }

    /// Starts it (again, on the same ports, with an empty mailbox).
    pub async fn up(&mut self) {
        let program = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/node_modules/.bin/maildev"
        );
        assert!(
            std::path::Path::new(program).exists(),
            "maildev is missing: run scripts/setup.sh"
        );
        self.starts += 1;
        let mailbox = self.dir.path().join(format!("mail-{}", self.starts));
        std::fs::create_dir_all(&mailbox).expect("mailbox");
        let child = Command::new(program)
            .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"])
            .arg("--smtp")
            .arg(self.smtp_port.to_string())
            .arg("--web")
            .arg(self.web_port.to_string())
            .arg("--mail-directory")
            .arg(&mailbox)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("maildev starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let smtp = tokio::net::TcpStream::connect(("127.0.0.1", self.smtp_port))
                .await
                .is_ok();
            let web = self
                .http
                .get(self.api("/api/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if smtp && web {
                return;
            }
            assert!(Instant::now() < deadline, "maildev did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops it: the SMTP port refuses connections until [`Self::up`].
    pub async fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.start_kill().expect("kill");
            child.wait().await.expect("reaped");
        }
    }

    fn api(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.web_port)
    }

    /// Every message received since it last started.
    pub async fn messages(&self) -> Vec<Value> {
        let listed: Value = self
            .http
            .get(self.api("/api/email"))
            .send()
            .await
            .expect("maildev answers")
            .json()
            .await
            .expect("json");
        listed.as_array().cloned().unwrap_or_default()
    }

    /// The message exactly as the mail server received it.
    pub async fn source(&self, message: &Value) -> String {
        let id = message["id"].as_str().expect("id");
        self.http
            .get(self.api(&format!("/api/email/{id}/source")))
            .send()
            .await
            .expect("maildev answers")
            .text()
            .await
            .expect("text")
    }

    /// Waits (up to `within`) until at least `count` messages have arrived.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let messages = self.messages().await;
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "{count} message(s) expected within {within:?}, {} arrived",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for MailCatcher {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

/// The recipients of a message, as maildev read its envelope.
fn recipients(message: &Value) -> Vec<String> {
    message["envelope"]["to"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["address"].as_str().map(str::to_owned))
        .collect()
}

fn text(message: &Value) -> String {
    message["text"].as_str().unwrap_or_default().to_owned()
}

/// The mail settings added to the test configuration: `[smtp]` pointing at
/// `catcher`, and the open call's contacts and acknowledgement settings.
pub(crate) fn with_mail(text: String, smtp_port: u16, call_keys: &str) -> String {
    let text = text.replacen(
        "id = \"open-call\"\n",
        &format!("id = \"open-call\"\n{call_keys}\n"),
        1,
    );
    format!(
        "{text}\n[smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\n\
         from = \"Call for Ideas <alerts@review.example>\"\n\
         staff_base_url = \"https://review.example/\"\n"
    )
}

pub(crate) const ONE_CONTACT: &str =
    "safeguarding_contacts = [{ name = \"Lead\", email = \"lead@review.example\" }]";

fn two_contacts(resend_after_secs: u64) -> String {
    format!(
        "safeguarding_contacts = [{{ name = \"Lead\", email = \"lead@review.example\" }}, \
         {{ name = \"Deputy\", email = \"deputy@review.example\" }}]\n\
         safeguarding_resend_after_secs = {resend_after_secs}"
    )
}

fn flagged_body() -> Value {
    let mut body = valid_body();
    body["ideas"][0]["description"] = json!(FLAGGED);
    body
}

/// The outbox rows as stored: (reference, kind, state, attempts).
pub(crate) async fn outbox_rows(database_url: &str) -> Vec<(String, String, String, i64)> {
    use sqlx::Connection;
    let sql = "SELECT reference, kind, state, CAST(attempts AS BIGINT) FROM outbox ORDER BY id";
    if is_postgres() {
        let mut conn = sqlx::PgConnection::connect(database_url)
            .await
            .expect("connect");
        sqlx::query_as(sql)
            .fetch_all(&mut conn)
            .await
            .expect("read")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(database_url)
            .await
            .expect("connect");
        sqlx::query_as(sql)
            .fetch_all(&mut conn)
            .await
            .expect("read")
    }
}

/// Waits until no message is queued.
async fn wait_until_settled(database_url: &str) -> Vec<(String, String, String, i64)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = outbox_rows(database_url).await;
        if rows.iter().all(|r| r.2 != "queued") {
            return rows;
        }
        assert!(Instant::now() < deadline, "messages still queued: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn staff_page(app: &TestApp, path: &str) -> String {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

#[tokio::test]
async fn a_flagged_submission_alerts_the_contact_within_a_minute_with_nothing_personal() {
    let catcher = MailCatcher::start().await;
    let port = catcher.smtp_port;
    let app = spawn_app_edited(Options::default(), |t| with_mail(t, port, ONE_CONTACT)).await;

    submit_ok(&app, &valid_body()).await;
    let started = Instant::now();
    let reference = submit_ok(&app, &flagged_body()).await;
    catcher.wait_for(1, Duration::from_secs(60)).await;
    println!(
        "alert received {:?} after the submission",
        started.elapsed()
    );
    wait_until_settled(&app.database_url).await;
    let messages = catcher.messages().await;
    assert_eq!(
        messages.len(),
        1,
        "no alert for the unflagged one, no acknowledgement"
    );
    let alert = &messages[0];
    assert_eq!(recipients(alert), vec!["lead@review.example"]);
    let body = text(alert);
    for expected in [
        reference.as_str(),
        "Open call",
        "Concern: abuse",
        &format!("https://review.example/admin/submissions/{reference}"),
    ] {
        assert!(body.contains(expected), "{expected:?} in {body}");
    }
    let raw = catcher.source(alert).await;
    assert!(raw.contains(&reference));
    let submitted = flagged_body();
    for personal in [
        "Sam Example",
        "sam@example.org",
        submitted["ideas"][0]["title"].as_str().expect("title"),
        FLAGGED,
        "not safe at home",
        "stepdad",
    ] {
        assert!(!raw.contains(personal), "{personal:?} in the alert:\n{raw}");
        assert!(!body.contains(personal), "{personal:?} in the alert text");
    }

    // The dashboard and the submission page show that it was sent.
    let dashboard = staff_page(&app, "/admin").await;
    assert!(
        dashboard.contains("Safeguarding alert to Lead: sent"),
        "{dashboard}"
    );
    let page = staff_page(&app, &format!("/admin/submissions/{reference}")).await;
    assert!(page.contains("Safeguarding alert to Lead: sent"));
    app.stop().await;
}

#[tokio::test]
async fn acknowledgements_follow_the_call_setting() {
    let catcher = MailCatcher::start().await;
    let port = catcher.smtp_port;
    let title = valid_body()["ideas"][0]["title"]
        .as_str()
        .expect("title")
        .to_owned();

    // On, without quoting: the reference and what happens next only.
    let app = spawn_app_edited(Options::default(), |t| {
        with_mail(t, port, "acknowledgements = true")
    })
    .await;
    let reference = submit_ok(&app, &valid_body()).await;
    let mut anonymous = valid_body();
    anonymous["respondent"]["email"] = Value::Null;
    submit_ok(&app, &anonymous).await;
    let messages = catcher.wait_for(1, Duration::from_secs(60)).await;
    wait_until_settled(&app.database_url).await;
    assert_eq!(
        catcher.messages().await.len(),
        1,
        "nobody to write to without an address"
    );
    let ack = &messages[0];
    assert_eq!(recipients(ack), vec!["sam@example.org"]);
    let body = text(ack);
    assert!(
        body.contains(&reference) && body.contains("What happens next"),
        "{body}"
    );
    let raw = catcher.source(ack).await;
    assert!(
        !raw.contains(&title) && !body.contains(&title),
        "no quote: {raw}"
    );
    assert!(!raw.contains("Sam Example"));
    app.stop().await;

    // Quoting on: the ideas are repeated to the person who wrote them.
    let app = spawn_app_edited(Options::default(), |t| {
        with_mail(
            t,
            port,
            "acknowledgements = true\nacknowledgements_quote_ideas = true",
        )
    })
    .await;
    let reference = submit_ok(&app, &valid_body()).await;
    let messages = catcher.wait_for(2, Duration::from_secs(60)).await;
    let quoted = messages
        .iter()
        .find(|m| text(m).contains(&reference))
        .expect("the second acknowledgement");
    assert!(text(quoted).contains(&title), "{}", text(quoted));
    app.stop().await;

    // Off (the default): nothing.
    let app = spawn_app_edited(Options::default(), |t| with_mail(t, port, "")).await;
    let reference = submit_ok(&app, &valid_body()).await;
    assert!(
        outbox_rows(&app.database_url).await.is_empty(),
        "{reference}: nothing queued"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unhandled_alert_is_sent_again_to_the_second_contact_and_a_handled_one_is_not() {
    let catcher = MailCatcher::start().await;
    let port = catcher.smtp_port;
    let app = spawn_app_edited(Options::default(), |t| with_mail(t, port, &two_contacts(2))).await;
    // The handled one first, so its resend falls due first.
    let handled = submit_ok(&app, &flagged_body()).await;
    let open = submit_ok(&app, &flagged_body()).await;
    act_ok(
        &app,
        &handled,
        json!({"action": "handle_flag", "reason": "the lead rang the school"}),
    )
    .await;

    catcher.wait_for(3, Duration::from_secs(60)).await;
    wait_until_settled(&app.database_url).await;
    let messages = catcher.messages().await;
    assert_eq!(messages.len(), 3, "two alerts and one resend: {messages:?}");
    let to_deputy: Vec<&Value> = messages
        .iter()
        .filter(|m| recipients(m) == vec!["deputy@review.example"])
        .collect();
    assert_eq!(to_deputy.len(), 1);
    let resend = text(to_deputy[0]);
    assert!(
        resend.contains(&open) && resend.contains("still open"),
        "{resend}"
    );
    assert!(!resend.contains(&handled));

    let page = staff_page(&app, &format!("/admin/submissions/{handled}")).await;
    assert!(
        page.contains("Safeguarding alert sent again to Deputy: not sent"),
        "{page}"
    );
    let page = staff_page(&app, &format!("/admin/submissions/{open}")).await;
    assert!(
        page.contains("Safeguarding alert sent again to Deputy: sent"),
        "{page}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_mail_server_outage_loses_no_alert_and_sends_each_once() {
    let mut catcher = MailCatcher::start().await;
    let port = catcher.smtp_port;
    let app = spawn_app_edited(Options::default(), |t| with_mail(t, port, ONE_CONTACT)).await;
    catcher.down().await;
    let reference = submit_ok(&app, &flagged_body()).await;

    // Tried and failed while the server is down; staff see why.
    let deadline = Instant::now() + Duration::from_secs(30);
    while outbox_rows(&app.database_url).await[0].3 < 2 {
        assert!(Instant::now() < deadline, "no attempt made");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = staff_page(&app, &format!("/admin/submissions/{reference}")).await;
    assert!(
        page.contains("trying again") && page.contains("could not be reached"),
        "{page}"
    );

    catcher.up().await;
    let messages = catcher.wait_for(1, Duration::from_secs(60)).await;
    assert!(text(&messages[0]).contains(&reference));
    let rows = wait_until_settled(&app.database_url).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].2, "sent");
    assert_eq!(catcher.messages().await.len(), 1, "sent once");
    app.stop().await;
}

#[tokio::test]
async fn erasing_a_submission_removes_its_unsent_messages() {
    let mut catcher = MailCatcher::start().await;
    let port = catcher.smtp_port;
    let app = spawn_app_edited(Options::default(), |t| {
        with_mail(
            t,
            port,
            &format!("{}\nacknowledgements = true", two_contacts(3600)),
        )
    })
    .await;
    catcher.down().await;
    let erased = submit_ok(&app, &flagged_body()).await;
    assert_eq!(outbox_rows(&app.database_url).await.len(), 3);
    let response = app
        .client
        .delete(app.url(&format!("/api/admin/submissions/{erased}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert!(outbox_rows(&app.database_url).await.is_empty());

    // A later submission's alert arrives; nothing about the erased one does.
    catcher.up().await;
    let later = submit_ok(&app, &flagged_body()).await;
    // (Its resend to the deputy is due in an hour.)
    let messages = catcher.wait_for(2, Duration::from_secs(60)).await;
    assert_eq!(messages.len(), 2, "the later alert and acknowledgement");
    for m in &messages {
        let raw = catcher.source(m).await;
        assert!(raw.contains(&later) && !raw.contains(&erased));
    }
    app.stop().await;
}

#[tokio::test]
async fn each_flagged_submission_is_alerted_exactly_once_across_a_sigkill() {
    let mut catcher = MailCatcher::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(dir.path()).await;
    let config_path = dir.path().join("review.toml");
    std::fs::write(
        &config_path,
        with_mail(
            config_toml(&database_url, &Options::default()),
            catcher.smtp_port,
            ONE_CONTACT,
        ),
    )
    .expect("config");

    // The mail server is down while the server takes them and is killed,
    // so none can have been accepted before the kill.
    catcher.down().await;
    let mut server = crash::start(&config_path).await;
    let client = reqwest::Client::new();
    let mut references = Vec::new();
    for _ in 0..20 {
        let response = client
            .post(format!(
                "{}/api/calls/open-call/submissions",
                server.address
            ))
            .header("origin", BECOME_ORIGIN)
            .header("idempotency-key", new_key())
            .json(&flagged_body())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201);
        let receipt: Value = response.json().await.expect("json");
        references.push(receipt["reference"].as_str().expect("reference").to_owned());
    }
    server.kill().await;

    catcher.up().await;
    let mut server = crash::start(&config_path).await;
    catcher.wait_for(20, Duration::from_secs(90)).await;
    let rows = wait_until_settled(&database_url).await;
    assert!(rows.iter().all(|r| r.2 == "sent"), "{rows:?}");
    let messages = catcher.messages().await;
    assert_eq!(messages.len(), 20, "exactly one alert each");
    let mut alerted: Vec<String> = Vec::new();
    for m in &messages {
        let body = text(m);
        let reference = references
            .iter()
            .find(|r| body.contains(r.as_str()))
            .expect("an alert about one of them");
        alerted.push(reference.clone());
    }
    alerted.sort();
    alerted.dedup();
    assert_eq!(alerted.len(), 20);
    server.kill().await;
}

#[tokio::test]
async fn metrics_show_the_outbox_queue_and_its_oldest_message_while_mail_is_down() {
    // Nothing listens on this port: every send fails and the alert waits.
    let port = free_port();
    let app = spawn_app_edited(Options::default(), |t| with_mail(t, port, ONE_CONTACT)).await;
    submit_ok(&app, &flagged_body()).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("metrics text");
    let gauge = |name: &str| -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert_eq!(gauge("cfi_outbox_messages_queued"), 1.0, "{text}");
    assert!(
        gauge("cfi_outbox_oldest_message_age_seconds") >= 1.0,
        "{text}"
    );
    app.stop().await;
}
