//! Every admin and export route refuses without a token (401) and with a
//! partner token (403); a partner sees only its own counts; browsers sign
//! in with a session cookie and cannot be driven from another site.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::review_helpers::*;

/// (method, path, JSON body) of every staff route.
fn staff_routes(reference: &str) -> Vec<(Method, String, Option<Value>)> {
    let action = json!({"action": "withhold", "reason": "x"});
    vec![
        (Method::GET, "/admin".into(), None),
        (Method::GET, "/admin/submissions".into(), None),
        (Method::GET, "/admin/submissions?q=mentor".into(), None),
        (Method::GET, format!("/admin/submissions/{reference}"), None),
        (
            Method::POST,
            format!("/admin/submissions/{reference}/actions"),
            None,
        ),
        (
            Method::POST,
            format!("/admin/submissions/{reference}/erase"),
            None,
        ),
        (
            Method::POST,
            "/admin/calls/open-call/publication".into(),
            None,
        ),
        (Method::GET, "/api/admin/submissions".into(), None),
        (
            Method::GET,
            "/api/admin/submissions?call=open-call".into(),
            None,
        ),
        (Method::GET, "/api/admin/search?q=mentor".into(), None),
        (
            Method::GET,
            format!("/api/admin/submissions/{reference}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/admin/submissions/{reference}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/submissions/{reference}/actions"),
            Some(action),
        ),
        (
            Method::POST,
            "/api/admin/calls/open-call/publication".into(),
            Some(json!({"published": true})),
        ),
        (Method::GET, "/api/admin/export/open-call.csv".into(), None),
        (Method::GET, "/api/admin/export/open-call.json".into(), None),
        (Method::GET, "/api/admin/audit".into(), None),
        (Method::GET, "/api/admin/counts".into(), None),
        (Method::GET, "/admin/calls/open-call/groups".into(), None),
        (
            Method::POST,
            "/admin/calls/open-call/groups/code".into(),
            None,
        ),
        (
            Method::POST,
            format!("/admin/submissions/{reference}/suggestions"),
            None,
        ),
        (
            Method::GET,
            format!("/api/admin/submissions/{reference}/similar?idea=1"),
            None,
        ),
        (
            Method::GET,
            format!("/api/admin/submissions/{reference}/suggestions?idea=1"),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/submissions/{reference}/suggestions"),
            Some(json!({"idea": 1, "code": 1, "decision": "reject"})),
        ),
        (
            Method::GET,
            "/api/admin/calls/open-call/groups".into(),
            None,
        ),
        (
            Method::POST,
            "/api/admin/calls/open-call/groups/code".into(),
            Some(json!({"code": 1, "group": 1, "version": "x"})),
        ),
    ]
}

async fn send(
    app: &TestApp,
    method: &Method,
    path: &str,
    body: &Option<Value>,
    token: Option<&str>,
) -> reqwest::Response {
    send_from(app, method, path, body, token, "192.0.2.1").await
}

/// [`send`] from the client `client` (with `trust_forwarded_for` on).
async fn send_from(
    app: &TestApp,
    method: &Method,
    path: &str,
    body: &Option<Value>,
    token: Option<&str>,
    client: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method.clone(), app.url(path))
        .header("x-forwarded-for", client);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    } else if *method == Method::POST {
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body("reason=x&action=withhold&published=on&confirm=x");
    }
    request.send().await.expect("sent")
}

#[tokio::test]
async fn every_admin_and_export_route_needs_a_staff_token_and_refuses_partners() {
    let app = spawn_app_with(Options {
        trust_forwarded_for: true,
        ..Options::default()
    })
    .await;
    let reference = submit_ok(&app, &valid_body()).await;
    for (i, (method, path, body)) in staff_routes(&reference).into_iter().enumerate() {
        let none = send(&app, &method, &path, &body, None).await;
        assert_eq!(none.status(), 401, "{method} {path} without a token");
        let text = none.text().await.expect("text");
        assert!(
            !text.contains("Sam Example") && !text.contains("mentor they choose"),
            "{path}"
        );

        // Each from its own client: a few wrong tokens from one client make
        // it wait (see `guessing.rs`).
        let guesser = format!("198.51.100.{i}");
        let wrong = send_from(&app, &method, &path, &body, Some("not-a-token"), &guesser).await;
        assert_eq!(wrong.status(), 401, "{method} {path} with a wrong token");

        let partner = send(&app, &method, &path, &body, Some(PARTNER_TOKEN)).await;
        assert_eq!(
            partner.status(),
            403,
            "{method} {path} with a partner token"
        );
        let text = partner.text().await.expect("text");
        for content in ["Sam Example", "sam@example.org", "mentor", &reference] {
            assert!(
                !text.contains(content),
                "{path} shows {content} to a partner"
            );
        }
    }
    // Nothing was changed by any of those requests.
    let detail = stored_one(&app, &reference).await;
    assert_eq!(detail["actions"].as_array().map(Vec::len), Some(0));
    app.stop().await;
}

#[tokio::test]
async fn a_partner_token_sees_only_its_own_counts_never_content() {
    let app = spawn_app().await;
    submit_ok(&app, &valid_body()).await;
    submit_ok(&app, &valid_body()).await;
    let mut own_site = valid_body();
    own_site["partner"] = Value::Null;
    let response = app
        .submit_raw(
            "open-call",
            Some(&new_key()),
            Some(REVIEW_ORIGIN),
            "application/json",
            own_site.to_string().into_bytes(),
        )
        .await;
    assert_eq!(response.status(), 201);

    let none = app
        .client
        .get(app.url("/api/partner/counts"))
        .send()
        .await
        .expect("sent");
    assert_problem(none, 401).await;
    let counts = app
        .client
        .get(app.url("/api/partner/counts"))
        .bearer_auth(PARTNER_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(counts.status(), 200);
    let text = counts.text().await.expect("text");
    let body: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(body["partner"], "become");
    assert_eq!(body["total"], 2, "only Become's two, not the review's own");
    for content in ["Sam", "sam@example.org", "mentor", "CFI-", "flag", "spam"] {
        assert!(
            !text.contains(content),
            "partner counts show {content}: {text}"
        );
    }
    let page = app
        .client
        .get(app.url("/partner"))
        .bearer_auth(PARTNER_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("text");
    assert!(html.contains("Submissions through Become"));
    assert!(!html.contains("mentor") && !html.contains("Sam Example"));
    app.stop().await;
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn staff_sign_in_in_a_browser_with_a_strict_http_only_cookie_and_no_token_in_urls() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &valid_body()).await;
    let client = no_redirects();
    let origin = app.address.clone();

    let form = client
        .get(app.url("/admin/sign-in"))
        .send()
        .await
        .expect("sent");
    assert_eq!(form.status(), 200);
    let html = form.text().await.expect("text");
    assert!(html.contains("method=\"post\"") && html.contains("type=\"password\""));

    let wrong = client
        .post(app.url("/admin/sign-in"))
        .header("origin", &origin)
        .form(&[("token", "guess")])
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());

    let elsewhere = client
        .post(app.url("/admin/sign-in"))
        .header("origin", "https://evil.example")
        .form(&[("token", ADMIN_TOKEN)])
        .send()
        .await
        .expect("sent");
    assert_eq!(elsewhere.status(), 403);

    let signed_in = client
        .post(app.url("/admin/sign-in"))
        .header("origin", &origin)
        .form(&[("token", ADMIN_TOKEN)])
        .send()
        .await
        .expect("sent");
    assert_eq!(signed_in.status(), 303);
    assert_eq!(header(&signed_in, "location"), "/admin");
    let cookie = header(&signed_in, "set-cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains(ADMIN_TOKEN));
    let session = cookie.split(';').next().expect("pair").to_owned();

    let dashboard = client
        .get(app.url("/admin"))
        .header("cookie", &session)
        .send()
        .await
        .expect("sent");
    assert_eq!(dashboard.status(), 200);
    assert!(dashboard.text().await.expect("text").contains("Dashboard"));

    // A form posted from another site with the cookie is refused.
    let path = format!("/admin/submissions/{reference}/actions");
    let body = "action=withhold&reason=from+elsewhere";
    for origin_header in [Some("https://evil.example"), None] {
        let mut request = client
            .post(app.url(&path))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(o) = origin_header {
            request = request.header("origin", o);
        }
        let response = request.send().await.expect("sent");
        assert_eq!(response.status(), 403, "origin {origin_header:?}");
    }
    let same_site = client
        .post(app.url(&path))
        .header("cookie", &session)
        .header("origin", &origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(same_site.status(), 303);
    let detail = stored_one(&app, &reference).await;
    assert_eq!(detail["actions"].as_array().map(Vec::len), Some(1));
    assert_eq!(detail["actions"][0]["staff"], "test");

    let out = client
        .post(app.url("/admin/sign-out"))
        .header("cookie", &session)
        .header("origin", &origin)
        .send()
        .await
        .expect("sent");
    assert_eq!(out.status(), 303);
    let after = client
        .get(app.url("/admin"))
        .header("cookie", &session)
        .send()
        .await
        .expect("sent");
    assert_eq!(after.status(), 401);
    app.stop().await;
}
