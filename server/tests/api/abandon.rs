//! Clients that go away before the answer: each request below is sent over
//! a raw connection that is closed at a random point (after a random part
//! of the request, or a random few milliseconds after all of it), on every
//! kind of route: wrong tokens, the sign-in form, submissions, every staff
//! write and the analyses' reads. Afterwards a submission and a staff write
//! must succeed at once, and nothing may be half-stored: every code has its
//! audit line, every coding its trail, every erasure its audit line, and
//! the publication switch agrees with its last audit line.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::helpers::*;
use crate::review_helpers::*;

/// Requests abandoned per route.
const ROUNDS: usize = 12;
/// The latest a client goes away after sending everything.
const LATEST_CLOSE_MICROS: u64 = 6_000;

/// One request as raw bytes.
struct Raw {
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn new(method: &'static str, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn bearer(mut self, token: &str) -> Self {
        self.headers
            .push(("Authorization".into(), format!("Bearer {token}")));
        self
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn json(mut self, body: &Value) -> Self {
        self.headers
            .push(("Content-Type".into(), "application/json".into()));
        self.body = body.to_string().into_bytes();
        self
    }

    fn form(mut self, body: &str) -> Self {
        self.headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        self.body = body.as_bytes().to_vec();
        self
    }

    fn bytes(&self, host: &str) -> Vec<u8> {
        let mut text = format!("{} {} HTTP/1.1\r\nHost: {host}\r\n", self.method, self.path);
        for (name, value) in &self.headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// Sends `raw` and goes away: after a random part of it (one time in five)
/// or a random moment after all of it, always before reading the answer.
async fn abandon(app: &TestApp, raw: &Raw, rng: &mut StdRng) {
    let host = app.address.trim_start_matches("http://");
    let bytes = raw.bytes(host);
    let Ok(mut stream) = TcpStream::connect(host).await else {
        return;
    };
    if rng.random_ratio(1, 5) {
        let cut = rng.random_range(1..bytes.len());
        let _ = stream.write_all(&bytes[..cut]).await;
    } else {
        let _ = stream.write_all(&bytes).await;
        let wait = rng.random_range(0..LATEST_CLOSE_MICROS);
        tokio::time::sleep(Duration::from_micros(wait)).await;
    }
    // Closed unread.
    drop(stream);
}

/// What the test set up before abandoning requests against it.
struct Setup {
    origin: String,
    references: Vec<String>,
    codes: Vec<i64>,
    /// A flagged submission, for handling its flag.
    flagged: String,
    /// A moderation action to undo.
    withheld: i64,
    /// A staff session, for signing out.
    cookie: String,
    /// The first group's and campaign's `version`, as drawn.
    group_version: String,
    campaign_version: String,
}

/// Every kind of request, against what the test set up.
fn requests(setup: &Setup, round: usize) -> Vec<Raw> {
    let Setup {
        origin,
        references,
        codes,
        ..
    } = setup;
    let reference = &references[round % references.len()];
    let other = &references[(round + 1) % references.len()];
    let code = codes[round % codes.len()];
    let parent = codes[(round + 1) % codes.len()];
    let mut body = valid_body();
    body["ideas"][0]["title"] = json!(format!("Abandoned idea {round}"));
    vec![
        Raw::new("GET", "/api/admin/audit").bearer("not-the-token"),
        Raw::new("GET", "/api/admin/submissions").bearer("not-the-token"),
        Raw::new("POST", "/admin/sign-in")
            .header("Origin", origin)
            .form("token=not-the-token"),
        Raw::new("POST", "/admin/sign-in")
            .header("Origin", origin)
            .form(&format!("token={ADMIN_TOKEN}")),
        Raw::new("POST", "/api/calls/open-call/submissions")
            .header("Origin", BECOME_ORIGIN)
            .header("Idempotency-Key", &new_key())
            .json(&body),
        Raw::new("POST", format!("/api/admin/submissions/{reference}/actions"))
            .bearer(ADMIN_TOKEN)
            .json(&json!({"action": "withhold", "reason": "abandoned"})),
        Raw::new("POST", format!("/api/admin/submissions/{reference}/actions"))
            .bearer(ADMIN_TOKEN)
            .json(&json!({"action": "spam", "reason": "abandoned"})),
        Raw::new("POST", "/api/admin/calls/open-call/publication")
            .bearer(ADMIN_TOKEN)
            .json(&json!({"published": round.is_multiple_of(2)})),
        Raw::new("POST", "/api/admin/calls/open-call/codes")
            .bearer(ADMIN_TOKEN)
            .json(&json!({"name": format!("Abandoned code {round}")})),
        Raw::new("POST", format!("/api/admin/calls/open-call/codes/{code}"))
            .bearer(ADMIN_TOKEN)
            .json(&json!({"name": format!("Renamed {code} {round}"), "parent": parent})),
        Raw::new("POST", format!("/api/admin/submissions/{other}/codings"))
            .bearer(ADMIN_TOKEN)
            .json(&json!({"action": if round.is_multiple_of(2) { "apply" } else { "remove" }, "idea": 1, "code": code})),
        Raw::new("POST", format!("/api/admin/submissions/{other}/read"))
            .bearer(ADMIN_TOKEN)
            .json(&json!({"idea": 1, "read": round.is_multiple_of(2)})),
        Raw::new("POST", "/api/admin/calls/open-call/codes/publication")
            .bearer(ADMIN_TOKEN)
            .json(&json!({"published": !round.is_multiple_of(2)})),
        Raw::new("DELETE", format!("/api/admin/submissions/{reference}")).bearer(ADMIN_TOKEN),
        Raw::new("GET", format!("/api/admin/submissions/{other}/similar")).bearer(ADMIN_TOKEN),
        Raw::new("GET", format!("/api/admin/submissions/{other}/suggestions"))
            .bearer(ADMIN_TOKEN),
        Raw::new("GET", "/api/admin/calls/open-call/groups").bearer(ADMIN_TOKEN),
        Raw::new("GET", "/api/admin/calls/open-call/campaigns").bearer(ADMIN_TOKEN),
        Raw::new("POST", format!("/api/admin/submissions/{other}/actions"))
            .bearer(ADMIN_TOKEN)
            .json(&json!({"action": "redact", "idea": 1, "text": "Mentoring", "reason": "abandoned"})),
        Raw::new("POST", format!("/api/admin/submissions/{}/actions", setup.references[0]))
            .bearer(ADMIN_TOKEN)
            .json(&json!({"action": "undo", "undoes": setup.withheld, "reason": "abandoned"})),
        Raw::new("POST", format!("/api/admin/submissions/{}/actions", setup.flagged))
            .bearer(ADMIN_TOKEN)
            .json(&json!({"action": "handle_flag", "reason": "called the young person"})),
        Raw::new("POST", format!("/api/admin/submissions/{other}/suggestions"))
            .bearer(ADMIN_TOKEN)
            .json(&json!({"idea": 1, "code": code, "decision": "reject"})),
        Raw::new("POST", "/api/admin/calls/open-call/groups/code")
            .bearer(ADMIN_TOKEN)
            .json(&json!({"code": code, "group": 1, "version": setup.group_version})),
        Raw::new("POST", "/api/admin/calls/open-call/campaigns/code")
            .bearer(ADMIN_TOKEN)
            .json(&json!({"code": code, "campaign": 1, "version": setup.campaign_version,
                          "remove": !round.is_multiple_of(2)})),
        Raw::new("POST", "/admin/sign-out")
            .header("Origin", origin)
            .header("Cookie", &setup.cookie),
        Raw::new("GET", "/api/admin/calls/open-call/codes/counts").bearer(ADMIN_TOKEN),
        Raw::new("GET", "/api/admin/export/open-call.csv").bearer(ADMIN_TOKEN),
    ]
}

#[tokio::test]
async fn clients_that_go_away_mid_request_leave_no_lock_and_nothing_half_stored() {
    let app = spawn_app().await;
    let mut rng = StdRng::seed_from_u64(18);
    let mut references = Vec::new();
    for i in 0..24 {
        let mut body = valid_body();
        body["ideas"][0]["description"] = json!(format!(
            "Mentoring for care leavers, with a named adult who stays, idea number {i}."
        ));
        references.push(submit_ok(&app, &body).await);
    }
    let mut codes = Vec::new();
    for name in ["Housing", "Mentoring", "Money", "Education"] {
        codes.push(new_code(&app, name).await);
    }
    let mut flagged = valid_body();
    flagged["ideas"][0]["description"] = json!("I am not safe at home since my placement ended.");
    let flagged = submit_ok(&app, &flagged).await;
    let withheld = act_ok(
        &app,
        &references[0],
        json!({"action": "withhold", "reason": "to undo while going away"}),
    )
    .await["id"]
        .as_i64()
        .expect("id");
    let signed_in = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url("/admin/sign-in"))
        .header("origin", &app.address)
        .form(&[("token", ADMIN_TOKEN)])
        .send()
        .await
        .expect("sent");
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let groups = get_json(&app, "/api/admin/calls/open-call/groups").await;
    let campaigns = get_json(&app, "/api/admin/calls/open-call/campaigns").await;
    let version = |list: &Value, key: &str| {
        list[key][0]["version"]
            .as_str()
            .unwrap_or("none drawn")
            .to_owned()
    };
    assert_ne!(version(&groups, "groups"), "none drawn", "a group to code");
    assert_ne!(
        version(&campaigns, "campaigns"),
        "none drawn",
        "a campaign to code"
    );
    let setup = Setup {
        origin: app.address.clone(),
        group_version: version(&groups, "groups"),
        campaign_version: version(&campaigns, "campaigns"),
        references: references.clone(),
        codes,
        flagged,
        withheld,
        cookie,
    };

    for round in 0..ROUNDS {
        for raw in requests(&setup, round) {
            abandon(&app, &raw, &mut rng).await;
        }
    }
    // Whatever the server still runs for the abandoned requests ends (it
    // may go on after the client went away; it may not block what follows).
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A submission and a staff write succeed at once.
    let stored = submit_ok(&app, &valid_body()).await;
    let code = new_code(&app, "After the abandoned requests").await;
    act_ok(
        &app,
        &stored,
        json!({"action": "withhold", "reason": "after the abandoned requests"}),
    )
    .await;
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), 200, "health after the abandoned requests");

    // Nothing half-stored.
    let audit = get_json(&app, "/api/admin/audit?call=open-call").await;
    let lines = audit["entries"].as_array().expect("entries").clone();
    let has_line = |action: &str, detail_start: &str| {
        lines.iter().any(|l| {
            l["action"] == action && l["detail"].as_str().unwrap_or("").starts_with(detail_start)
        })
    };
    let codebook = get_json(&app, &format!("/api/admin/submissions/{stored}/codings")).await;
    let listed = codebook["codebook"].as_array().expect("codebook");
    assert!(listed.iter().any(|c| c["id"] == code));
    for c in listed {
        let id = c["id"].as_i64().expect("id");
        assert!(
            has_line("code_create", &format!("code {id} created")),
            "code {id} has its audit line"
        );
    }
    for reference in &references {
        let response = app
            .client
            .get(app.url(&format!("/api/admin/submissions/{reference}")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sent");
        let erased_line = lines
            .iter()
            .any(|l| l["action"] == "erase" && l["reference"] == reference.as_str());
        match response.status().as_u16() {
            200 => {
                assert!(
                    !erased_line,
                    "{reference} is stored but has an erasure line"
                );
                let coding =
                    get_json(&app, &format!("/api/admin/submissions/{reference}/codings")).await;
                for applied in coding["codings"].as_array().expect("codings") {
                    let last = coding["actions"]
                        .as_array()
                        .expect("actions")
                        .iter()
                        .rev()
                        .find(|a| a["idea"] == applied["idea"] && a["code"] == applied["code"]);
                    assert!(
                        last.is_some_and(|a| a["action"] == "apply" || a["action"] == "undo"),
                        "a coding of {reference} without its trail"
                    );
                }
            }
            404 => assert!(erased_line, "{reference} is gone without an erasure line"),
            status => panic!("{reference}: {status}"),
        }
    }
    // A handled flag is closed in the same transaction as its action.
    let flagged = stored_one(&app, &setup.flagged).await;
    let handled = flagged["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .any(|a| a["action"] == "handle_flag");
    assert_eq!(
        flagged["submission"]["flag_open"] == false,
        handled,
        "the flag is closed exactly when its handling was stored"
    );
    let switches: Vec<&Value> = lines
        .iter()
        .filter(|l| l["action"] == "publish" || l["action"] == "unpublish")
        .collect();
    let published = app
        .client
        .get(app.url("/published/open-call"))
        .send()
        .await
        .expect("sent")
        .status()
        == 200;
    if let Some(last) = switches.first() {
        assert_eq!(
            last["action"] == "publish",
            published,
            "the publication switch agrees with its last audit line"
        );
    }
    app.stop().await;
}
