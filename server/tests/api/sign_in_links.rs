//! Signing in with a one-time link by email, through the outbox and a real
//! mail server (maildev): the link signs its account in once, with its
//! roles; an unknown address gets the same answer and no email; a
//! deactivated account's session ends and it gets no link.

use std::time::Duration;

use crate::helpers::*;
use crate::outbox::{MailCatcher, with_mail};
use crate::review_helpers::{page, post_form};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Asks for a link for `email` on the sign-in page; returns the page.
async fn ask(app: &TestApp, email: &str) -> String {
    let response = no_redirects()
        .post(app.url("/admin/sign-in/email"))
        .header("origin", app.url(""))
        .form(&[("email", email)])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    response.text().await.expect("page")
}

/// The token in a sign-in email's link.
fn token_in(text: &str) -> String {
    let start = text.find("/admin/sign-in/link?token=").expect("a link")
        + "/admin/sign-in/link?token=".len();
    text[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// Uses the link's token with the button; returns the status and the
/// session cookie if one was set.
async fn use_link(app: &TestApp, token: &str) -> (u16, Option<String>) {
    let response = no_redirects()
        .post(app.url("/admin/sign-in/link"))
        .header("origin", app.url(""))
        .form(&[("token", token)])
        .send()
        .await
        .expect("sent");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or_default().to_owned());
    (response.status().as_u16(), cookie)
}

async fn status_with(app: &TestApp, path: &str, cookie: &str) -> u16 {
    no_redirects()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

/// A server sending its mail to a mail catcher of its own.
async fn app_with_mail() -> (MailCatcher, TestApp) {
    let catcher = MailCatcher::start().await;
    let port = catcher.smtp_port;
    let options = Options {
        model: false,
        ..Options::default()
    };
    let app = spawn_app_edited(options, |t| with_mail(t, port, "")).await;
    (catcher, app)
}

async fn add_account(app: &TestApp, email: &str, role: &str) {
    let response = post_form(
        app,
        "/admin/accounts",
        &[("email", email), ("name", "Kim"), ("role", role)],
    )
    .await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
}

#[tokio::test]
async fn a_link_by_email_signs_its_account_in_once_with_its_roles() {
    let (catcher, app) = app_with_mail().await;
    add_account(&app, "kim@example.org", "reader").await;
    let answer = ask(&app, "Kim@Example.org").await;
    assert!(
        answer.contains("If kim@example.org has an account, a sign-in link is on its way"),
        "{answer}"
    );
    let messages = catcher.wait_for(1, Duration::from_secs(30)).await;
    let source = catcher.source(&messages[0]).await;
    assert!(source.contains("kim@example.org"), "{source}");
    let text = messages[0]["text"].as_str().expect("text");
    assert!(text.contains("within 15 minutes"), "{text}");
    let token = token_in(text);
    assert_eq!(token.len(), 64, "{text}");
    // Opening the link (as a mail scanner would) uses nothing up.
    let opened = app
        .client
        .get(app.url(&format!("/admin/sign-in/link?token={token}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(opened.status(), 200);
    assert!(
        opened
            .text()
            .await
            .expect("page")
            .contains("This link signs in kim@example.org")
    );
    let (status, cookie) = use_link(&app, &token).await;
    assert_eq!(status, 303);
    let cookie = cookie.expect("a session");
    assert_eq!(status_with(&app, "/admin", &cookie).await, 200);
    assert_eq!(
        status_with(&app, "/admin/calls/open-call/codes", &cookie).await,
        200
    );
    assert_eq!(
        status_with(&app, "/admin/accounts", &cookie).await,
        403,
        "a reader is not an administrator"
    );
    // Once only: the same link again signs nobody in.
    let (again, none) = use_link(&app, &token).await;
    assert_eq!(again, 410);
    assert!(none.is_none());
    // The link's token left the database with its email.
    let rows = crate::outbox::outbox_rows(&app.database_url).await;
    assert!(
        rows.iter().any(|r| r.1 == "sign-in" && r.2 == "sent"),
        "{rows:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_changed_role_counts_at_once_and_an_unknown_or_deactivated_address_gets_no_link() {
    let (catcher, app) = app_with_mail().await;
    add_account(&app, "sam@example.org", "moderator").await;
    let unknown = ask(&app, "nobody@example.org").await;
    assert!(unknown.contains("If nobody@example.org has an account, a sign-in link is on its way"));
    ask(&app, "sam@example.org").await;
    let messages = catcher.wait_for(1, Duration::from_secs(30)).await;
    let (_, cookie) = use_link(&app, &token_in(messages[0]["text"].as_str().expect("text"))).await;
    let cookie = cookie.expect("a session");
    assert_eq!(status_with(&app, "/admin/submissions", &cookie).await, 200);
    // Deactivated: the session ends at once, and no new link is sent.
    let accounts = page(&app, "/admin/accounts").await;
    let start = accounts.find("<tr id=\"account-").expect("a row") + "<tr id=\"account-".len();
    let id = &accounts[start..start + accounts[start..].find('"').expect("id")];
    // A changed role counts from the next request of the same session.
    assert_eq!(
        status_with(&app, "/admin/calls/open-call/codes", &cookie).await,
        403
    );
    let path = format!("/admin/accounts/{id}");
    post_form(&app, &path, &[("role", "reader"), ("active", "yes")]).await;
    assert_eq!(
        status_with(&app, "/admin/calls/open-call/codes", &cookie).await,
        200
    );
    post_form(&app, &path, &[("role", "reader")]).await;
    assert_eq!(status_with(&app, "/admin/submissions", &cookie).await, 401);
    let answer = ask(&app, "sam@example.org").await;
    assert!(answer.contains("If sam@example.org has an account"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        catcher.messages().await.len(),
        1,
        "no link for a deactivated account"
    );
    // A made-up link is refused, and counted as a failed sign-in.
    let (status, cookie) = use_link(&app, &"0".repeat(64)).await;
    assert_eq!(status, 410);
    assert!(cookie.is_none());
    app.stop().await;
}

#[tokio::test]
async fn without_a_mail_server_asking_for_a_link_says_to_ask_an_administrator() {
    let app = spawn_app_without_model().await;
    let response = no_redirects()
        .post(app.url("/admin/sign-in/email"))
        .header("origin", app.url(""))
        .form(&[("email", "kim@example.org")])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 503);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("ask an administrator for a token")
    );
    let cross_site = no_redirects()
        .post(app.url("/admin/sign-in/email"))
        .header("origin", "https://elsewhere.example")
        .form(&[("email", "kim@example.org")])
        .send()
        .await
        .expect("sent");
    assert_eq!(cross_site.status(), 403);
    app.stop().await;
}
