//! Guessing tokens: each client has a few free failures, then its wrong
//! tokens wait longer after each (429 with Retry-After) while the right
//! token is always taken (staff behind one address are never locked out), other
//! clients are not held up, guesses from many addresses take the free
//! failures away from all, every failure is logged once without the token
//! (read from the real server's standard error),
//! and the dashboard counts failures from the database, so every replica's.

use std::sync::{Arc, Mutex};

use cfi_server::limits::{AUTH_ALARM_FAILURES, AUTH_DELAY_BASE, FREE_AUTH_FAILURES};

use crate::helpers::*;

const GUESSER: &str = "203.0.113.7";
const SOMEONE_ELSE: &str = "198.51.100.2";

async fn admin_list(app: &TestApp, client: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/admin/submissions?call=open-call"))
        .header("x-forwarded-for", client)
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
}

async fn sign_in_form(app: &TestApp, client: &str, token: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url("/admin/sign-in"))
        .header("origin", &app.address)
        .header("x-forwarded-for", client)
        .form(&[("token", token)])
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn a_client_guessing_tokens_is_made_to_wait_after_a_few_and_others_are_not() {
    let app = spawn_app_with(Options {
        trust_forwarded_for: true,
        ..Options::default()
    })
    .await;
    // The free failures, through either door, and the one that starts the wait.
    for i in 0..=FREE_AUTH_FAILURES {
        let response = if i % 2 == 0 {
            admin_list(&app, GUESSER, &format!("guess-{i}")).await
        } else {
            sign_in_form(&app, GUESSER, &format!("guess-{i}")).await
        };
        assert_eq!(response.status(), 401, "failure {i}");
    }
    // Now its next wrong token waits.
    let waiting = admin_list(&app, GUESSER, "guess-again").await;
    let retry_after: u64 = waiting
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry_after >= 1 && retry_after <= AUTH_DELAY_BASE.as_secs());
    let problem = assert_problem(waiting, 429).await;
    assert_eq!(problem["type"], "/problems/too-many-requests");
    assert!(problem["detail"].as_str().is_some_and(|d| d.ends_with('.')));
    let page = sign_in_form(&app, GUESSER, "guess-again").await;
    assert_eq!(page.status(), 429);
    assert!(page.headers().get("retry-after").is_some());
    assert!(page.headers().get("set-cookie").is_none());
    // The right token from the same address is taken at once, through
    // either door: staff behind the guesser's address are not locked out.
    assert_eq!(admin_list(&app, GUESSER, ADMIN_TOKEN).await.status(), 200);
    let page = sign_in_form(&app, GUESSER, ADMIN_TOKEN).await;
    assert_eq!(page.status(), 303);
    assert!(page.headers().get("set-cookie").is_some());
    // Another client is not held up by the guesser.
    assert_eq!(
        admin_list(&app, SOMEONE_ELSE, ADMIN_TOKEN).await.status(),
        200
    );
    // Once the wait is over the guesser may try again.
    tokio::time::sleep(AUTH_DELAY_BASE).await;
    assert_eq!(admin_list(&app, GUESSER, "guess-later").await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn an_ipv6_guesser_cannot_escape_the_wait_by_moving_within_its_64() {
    let app = spawn_app_with(Options {
        trust_forwarded_for: true,
        ..Options::default()
    })
    .await;
    for i in 0..=FREE_AUTH_FAILURES {
        let address = format!("2001:db8:1:2::{:x}", i + 1);
        assert_eq!(admin_list(&app, &address, "guess").await.status(), 401);
    }
    let response = admin_list(&app, "2001:db8:1:2:ffff::9", "guess").await;
    assert_eq!(response.status(), 429);
    let response = admin_list(&app, "2001:db8:1:2:ffff::9", ADMIN_TOKEN).await;
    assert_eq!(response.status(), 200, "the right token is never refused");
    app.stop().await;
}

#[tokio::test]
async fn guesses_from_many_addresses_take_away_every_clients_free_failures_on_every_replica() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(dir.path()).await;
    let options = Options {
        trust_forwarded_for: true,
        ..Options::default()
    };
    let a = spawn_app_on(&database_url, &options).await;
    let b = spawn_app_on(&database_url, &options).await;
    // One guess from each of many addresses: each within its free failures.
    for n in 0..AUTH_ALARM_FAILURES - 2 {
        let address = format!("10.{}.{}.1", n / 250, n % 250);
        let app = if n % 2 == 0 { &a } else { &b };
        assert_eq!(admin_list(app, &address, "guess").await.status(), 401);
    }
    // Below the alarm a new client still has free failures.
    assert_eq!(admin_list(&a, SOMEONE_ELSE, "guess").await.status(), 401);
    assert_eq!(
        admin_list(&a, SOMEONE_ELSE, ADMIN_TOKEN).await.status(),
        200
    );
    // Past it, on the other replica too, a client's first failure makes it
    // wait; a client that has not failed is not held up.
    assert_eq!(admin_list(&b, GUESSER, "guess").await.status(), 401);
    assert_eq!(admin_list(&b, GUESSER, "guess").await.status(), 429);
    assert_eq!(admin_list(&b, GUESSER, ADMIN_TOKEN).await.status(), 200);
    assert_eq!(admin_list(&b, "192.0.2.9", ADMIN_TOKEN).await.status(), 200);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_dashboard_counts_failed_sign_ins_from_every_replica() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(dir.path()).await;
    let options = Options {
        trust_forwarded_for: true,
        ..Options::default()
    };
    let a = spawn_app_on(&database_url, &options).await;
    let b = spawn_app_on(&database_url, &options).await;
    assert_eq!(sign_in_form(&a, GUESSER, "guess-1").await.status(), 401);
    assert_eq!(sign_in_form(&a, GUESSER, "guess-2").await.status(), 401);
    assert_eq!(admin_list(&b, SOMEONE_ELSE, "guess-3").await.status(), 401);
    // Not a failure: no token at all, or the right one.
    let none = a
        .client
        .get(a.url("/api/admin/submissions?call=open-call"))
        .send()
        .await
        .expect("sent");
    assert_eq!(none.status(), 401);

    for app in [&a, &b] {
        let page = app
            .client
            .get(app.url("/admin"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sent");
        assert_eq!(page.status(), 200);
        let html = page.text().await.expect("text");
        let section = html
            .split("<h2>Failed sign-ins</h2>")
            .nth(1)
            .expect("a failed sign-ins section");
        assert!(
            section.contains("In the last 24 hours</dt><dd>3</dd>"),
            "{section}"
        );
        assert!(section.contains("days</dt><dd>3</dd>"), "{section}");
    }
    a.stop().await;
    b.stop().await;
}

/// The real server binary at `RUST_LOG=debug`, its log (standard error)
/// gathered as it is written.
pub struct LoggedServer {
    child: tokio::process::Child,
    log: Arc<Mutex<String>>,
    reader: tokio::task::JoinHandle<()>,
    pub address: String,
    _dir: tempfile::TempDir,
}

impl LoggedServer {
    pub async fn start(options: &Options) -> Self {
        use std::process::Stdio;
        use tokio::io::{AsyncBufReadExt, BufReader};

        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = fresh_database_url(dir.path()).await;
        let config_path = dir.path().join("review.toml");
        std::fs::write(&config_path, config_toml(&database_url, options)).expect("config");
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cfi-server"))
            .arg("--config")
            .arg(&config_path)
            .env("RUST_LOG", "debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("server starts");
        let log = Arc::new(Mutex::new(String::new()));
        let mut errors = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let gathered = Arc::clone(&log);
        let reader = tokio::spawn(async move {
            while let Ok(Some(line)) = errors.next_line().await {
                let mut log = gathered.lock().expect("log");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let address = loop {
            let line = lines
                .next_line()
                .await
                .expect("read")
                .expect("server printed its address");
            if let Some(address) = line.strip_prefix("listening on ") {
                break address.to_owned();
            }
        };
        Self {
            child,
            log,
            reader,
            address,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Stops the server and returns everything it logged.
    pub async fn stop(mut self) -> String {
        self.child.start_kill().expect("kill");
        self.child.wait().await.expect("reaped");
        let _ = self.reader.await;
        self.log.lock().expect("log").clone()
    }
}

#[tokio::test]
async fn each_refused_token_is_logged_once_at_warn_with_the_client_and_never_the_token() {
    let server = LoggedServer::start(&Options {
        trust_forwarded_for: true,
        ..Options::default()
    })
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let bearer = |token: &str| {
        client
            .get(server.url("/api/admin/submissions?call=open-call"))
            .header("x-forwarded-for", GUESSER)
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        bearer("secret-guess-one").await.expect("sent").status(),
        401
    );
    let form = client
        .post(server.url("/admin/sign-in"))
        .header("origin", &server.address)
        .header("x-forwarded-for", GUESSER)
        .form(&[("token", "secret-guess-two")])
        .send()
        .await
        .expect("sent");
    assert_eq!(form.status(), 401);
    assert_eq!(bearer(ADMIN_TOKEN).await.expect("sent").status(), 200);
    let text = server.stop().await;

    let refusals: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("a token that is not right was refused"))
        .collect();
    assert_eq!(refusals.len(), 2, "{text}");
    for line in &refusals {
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains(&format!("client={GUESSER}")), "{line}");
    }
    assert!(refusals[0].contains("bearer"), "{}", refusals[0]);
    assert!(refusals[1].contains("sign-in"), "{}", refusals[1]);
    for secret in ["secret-guess-one", "secret-guess-two", ADMIN_TOKEN] {
        assert!(!text.contains(secret), "the log holds {secret}");
    }
}
