//! Staff are people: every staff route against every role (and none), as
//! the server's own table says; accounts added, changed and deactivated by
//! an administrator; program tokens shown once, with one role, until
//! revoked; and the record of who read whose personal data.

use cfi_server::auth::roles::{Access, ROUTES, Role, Roles};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;
use crate::review_helpers::*;

/// A well-formed reference no submission has: an allowed role reaches the
/// handler (404, or 422 for a form without fields) and changes nothing.
const NOBODY: &str = "CFI-2345-6789";

/// The route with its parameters filled in.
fn address(route: &str) -> String {
    route
        .replace("{reference}", NOBODY)
        .replace("{call}", "open-call")
        .replace("{code}", "999999")
        .replace("{id}", "999999")
        .replace("{file}", "open-call.json")
}

/// Makes a token for a program with `role` on the tokens page, as the
/// configured administrator, and reads it from the page (shown once).
async fn program_token(app: &TestApp, name: &str, role: &str) -> String {
    let response = post_form(
        app,
        "/admin/tokens",
        &[("name", name), ("role", role), ("days", "1")],
    )
    .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("page");
    let start = page.find("value=\"cfi_").expect("the token is on the page") + "value=\"".len();
    let end = start + page[start..].find('"').expect("end of the token");
    page[start..end].to_owned()
}

async fn send(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> StatusCode {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut request = client.request(method.clone(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if method == Method::POST {
        request = request.header("content-type", "application/x-www-form-urlencoded");
        if path.starts_with("/api/") {
            request = request
                .header("content-type", "application/json")
                .body("{}");
        }
    }
    request.send().await.expect("sent").status()
}

#[tokio::test]
async fn every_staff_route_answers_each_role_and_no_role_as_the_table_says() {
    let app = spawn_app_without_model().await;
    let mut holders: Vec<(Roles, String, String)> = Vec::new();
    for role in Role::ALL {
        let token = if role == Role::Partner {
            PARTNER_TOKEN.to_owned()
        } else {
            program_token(&app, &format!("{role} job"), role.as_str()).await
        };
        holders.push((Roles::of([role]), role.as_str().to_owned(), token));
    }
    let mut checked = 0;
    for (method, route, access) in ROUTES {
        let path = address(route);
        if *access == Access::Public {
            continue;
        }
        let anonymous = send(&app, method, &path, None).await;
        assert_eq!(anonymous, 401, "{method} {route} with no sign-in");
        for (roles, name, token) in &holders {
            let status = send(&app, method, &path, Some(token)).await;
            if access.allows(*roles) {
                assert!(
                    status != 401 && status != 403,
                    "{method} {route} as {name}: {status}, but the table allows it"
                );
            } else {
                assert_eq!(status, 403, "{method} {route} as {name}");
            }
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked} route and role pairs checked");
    app.stop().await;
}

#[tokio::test]
async fn each_action_on_a_submission_needs_its_own_role() {
    let app = spawn_app_without_model().await;
    let reference = submit_ok(&app, &valid_body()).await;
    let reader = program_token(&app, "reader", "reader").await;
    let moderator = program_token(&app, "moderator", "moderator").await;
    let action = |token: &str, body: Value| {
        let client = app.client.clone();
        let url = app.url(&format!("/api/admin/submissions/{reference}/actions"));
        let token = token.to_owned();
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("sent")
        }
    };
    let withhold = serde_json::json!({"action": "withhold", "reason": "off topic"});
    let refused = assert_problem(action(&reader, withhold.clone()).await, 403).await;
    assert!(
        refused["detail"]
            .as_str()
            .expect("as expected")
            .contains("moderator role"),
        "{refused}"
    );
    assert_eq!(action(&moderator, withhold).await.status(), 201);
    // A reader who sees a disclosure raises a flag; judging it is the
    // safeguarding role's, which a moderator does not hold.
    let raise = serde_json::json!({"action": "raise_flag", "reason": "says she is not safe", "category": "abuse"});
    assert_eq!(action(&reader, raise).await.status(), 201);
    let judge = serde_json::json!({"action": "not_a_concern", "reason": "read again"});
    let refused = assert_problem(action(&moderator, judge).await, 403).await;
    assert!(
        refused["detail"]
            .as_str()
            .expect("as expected")
            .contains("safeguarding role"),
        "{refused}"
    );
    app.stop().await;
}

/// The accounts page's rows, as text.
async fn accounts_page(app: &TestApp) -> String {
    page(app, "/admin/accounts").await
}

#[tokio::test]
async fn an_administrator_adds_changes_and_deactivates_an_account_and_each_change_is_audited() {
    let app = spawn_app_without_model().await;
    let added = post_form(
        &app,
        "/admin/accounts",
        &[
            ("email", " Sam.Reviewer@Example.org "),
            ("name", "Sam Reviewer"),
            ("role", "reader"),
            ("role", "safeguarding"),
        ],
    )
    .await;
    assert_eq!(added.status(), 200);
    let text = added.text().await.expect("page");
    assert!(
        text.contains("Added sam.reviewer@example.org with the roles reader, safeguarding"),
        "{text}"
    );
    // The same address again, an unknown role, no role, a partner with no
    // partner: each says what to do, and nothing is added.
    for fields in [
        vec![("email", "sam.reviewer@example.org"), ("role", "reader")],
        vec![("email", "new@example.org"), ("role", "boss")],
        vec![("email", "new@example.org")],
        vec![("email", "new@example.org"), ("role", "partner")],
        vec![("email", "not an address"), ("role", "reader")],
    ] {
        let refused = post_form(&app, "/admin/accounts", &fields).await;
        assert_eq!(refused.status(), 422, "{fields:?}");
        let text = refused.text().await.expect("page");
        assert!(text.contains("There is a problem"), "{fields:?}: {text}");
    }
    let listed = accounts_page(&app).await;
    assert_eq!(listed.matches("<tr id=\"account-").count(), 1, "{listed}");
    let id = {
        let start =
            listed.find("<tr id=\"account-").expect("as expected") + "<tr id=\"account-".len();
        listed[start..start + listed[start..].find('"').expect("as expected")].to_owned()
    };
    let changed = post_form(
        &app,
        &format!("/admin/accounts/{id}"),
        &[("role", "moderator"), ("active", "yes")],
    )
    .await;
    assert_eq!(changed.status(), 200);
    assert!(
        changed
            .text()
            .await
            .expect("as expected")
            .contains("now has the roles moderator")
    );
    let deactivated = post_form(
        &app,
        &format!("/admin/accounts/{id}"),
        &[("role", "moderator")],
    )
    .await;
    assert!(
        deactivated
            .text()
            .await
            .expect("as expected")
            .contains("is deactivated")
    );
    let listed = accounts_page(&app).await;
    assert!(listed.contains("Deactivated"), "{listed}");
    let audit = get_json(&app, "/api/admin/audit").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .or_else(|| audit.as_array())
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| a.starts_with("account_")).count(),
        3,
        "{audit}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_program_token_is_shown_once_and_works_with_its_role_until_revoked() {
    let app = spawn_app_without_model().await;
    let token = program_token(&app, "Prometheus", "monitoring").await;
    let listed = page(&app, "/admin/tokens").await;
    assert!(!listed.contains(&token), "the token is shown only once");
    assert!(listed.contains("Prometheus"));
    let scrape = |token: String| {
        let client = app.client.clone();
        let url = app.url("/metrics");
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("sent")
                .status()
        }
    };
    assert_eq!(scrape(token.clone()).await, 200);
    let content = app.get_as("/api/admin/submissions", &token).await;
    assert_eq!(content.status(), 403, "monitoring reads no submissions");
    // A token is for programs: the sign-in page does not take it.
    let signed_in = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("as expected")
        .post(app.url("/admin/sign-in"))
        .header("origin", app.url(""))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(signed_in.status(), 401);
    let id = {
        let start = listed.find("/admin/tokens/").expect("as expected") + "/admin/tokens/".len();
        listed[start..start + listed[start..].find('/').expect("as expected")].to_owned()
    };
    let revoked = post_form(&app, &format!("/admin/tokens/{id}/revoke"), &[]).await;
    assert!(
        revoked
            .text()
            .await
            .expect("as expected")
            .contains("is revoked")
    );
    assert_eq!(scrape(token).await, 401);
    let again = post_form(&app, &format!("/admin/tokens/{id}/revoke"), &[]).await;
    assert_eq!(again.status(), 422);
    for fields in [
        vec![("name", ""), ("role", "reader")],
        vec![("name", "job"), ("role", "partner")],
        vec![("name", "job"), ("role", "reader"), ("days", "400")],
    ] {
        assert_eq!(
            post_form(&app, "/admin/tokens", &fields).await.status(),
            422,
            "{fields:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn reading_a_submission_or_exporting_a_call_is_recorded_with_who_and_when() {
    let app = spawn_app_without_model().await;
    let reference = submit_ok(&app, &valid_body()).await;
    let reader = program_token(&app, "Weekly reading", "reader").await;
    let read = app
        .get_as(&format!("/api/admin/submissions/{reference}"), &reader)
        .await;
    assert_eq!(read.status(), 200);
    page(&app, &format!("/admin/submissions/{reference}")).await;
    let export = app
        .get_as("/api/admin/export/open-call.csv", ADMIN_TOKEN)
        .await;
    assert_eq!(export.status(), 200);
    let record = page(&app, "/admin/access").await;
    assert!(record.contains("Weekly reading (token)"), "{record}");
    assert_eq!(record.matches("Read a submission").count(), 2, "{record}");
    assert!(record.contains("Exported the call"), "{record}");
    let one = page(
        &app,
        &format!("/admin/access?reference={}", reference.to_lowercase()),
    )
    .await;
    assert_eq!(one.matches("Read a submission").count(), 2, "{one}");
    assert!(!one.contains("Exported the call"));
    // The record holds who and which, never what the person wrote.
    let body = valid_body();
    let name = body["respondent"]["name"].as_str().unwrap_or("Jo");
    assert!(!record.contains(name), "{record}");
    // Only administrators read it.
    let refused = app.get_as("/admin/access", &reader).await;
    assert_eq!(refused.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn a_submission_page_shows_each_role_only_the_forms_it_may_use_and_the_passage_only_to_safeguarding()
 {
    let app = spawn_app_without_model().await;
    let mut body = valid_body();
    body["ideas"][0]["description"] = serde_json::json!(
        "Nobody listens when I say I am not safe at home with my stepdad tonight"
    );
    let reference = submit_ok(&app, &body).await;
    let page_as = |role: &'static str| {
        let app = &app;
        let reference = reference.clone();
        async move {
            let token = program_token(app, role, role).await;
            let list = app
                .get_as("/admin/submissions?flag=open", &token)
                .await
                .text()
                .await
                .expect("page");
            let one = app
                .get_as(&format!("/admin/submissions/{reference}"), &token)
                .await
                .text()
                .await
                .expect("page");
            (list, one)
        }
    };
    let (list, one) = page_as("safeguarding").await;
    assert!(list.contains("<mark>"), "the passage, for safeguarding");
    assert!(one.contains("<mark>"));
    assert!(one.contains("Mark the flag as handled"));
    assert!(!one.contains("Erase submission"));
    assert!(!one.contains("Withhold idea 1"));
    let (list, one) = page_as("moderator").await;
    assert!(!list.contains("<mark>"), "no passage for a moderator");
    assert!(!one.contains("<mark>"));
    assert!(one.contains("The flagged passage is shown to the safeguarding team"));
    assert!(!one.contains("Mark the flag as handled"));
    assert!(one.contains("Withhold idea 1"));
    let (_, one) = page_as("reader").await;
    assert!(!one.contains("Withhold idea 1"));
    assert!(
        one.contains("Raise a safeguarding flag")
            || one.contains("raise_flag")
            || !one.contains("Withhold the submission")
    );
    let (_, one) = page_as("administrator").await;
    assert!(one.contains("Erase submission"));
    assert!(!one.contains("<mark>"));
    app.stop().await;
}
