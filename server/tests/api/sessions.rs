//! Staff browser sessions are stored in the database: a restart and another
//! replica keep them, an idle one ends, and signing in again ends the one the
//! browser presented. Runs on both engines (two SQLite servers share a file
//! the way a restart does).

use std::time::Duration;

use crate::helpers::*;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Signs in at `app` with `token`, presenting `cookie` if given; returns the
/// new `cfi_session=…` pair.
async fn sign_in(app: &TestApp, token: &str, cookie: Option<&str>) -> String {
    let mut request = no_redirects()
        .post(app.url("/admin/sign-in"))
        .header("origin", &app.address)
        .form(&[("token", token)]);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("sent");
    assert_eq!(response.status(), 303, "signed in");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie");
    cookie.split(';').next().expect("pair").to_owned()
}

/// The status of the dashboard with `cookie`.
async fn dashboard(app: &TestApp, cookie: &str) -> u16 {
    page_status(app, "/admin", cookie).await
}

/// The partner's page status with `cookie`.
async fn partner_page(app: &TestApp, cookie: &str) -> u16 {
    page_status(app, "/partner", cookie).await
}

/// The status of the page at `path` with `cookie`, not following redirects.
async fn page_status(app: &TestApp, path: &str, cookie: &str) -> u16 {
    no_redirects()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_session_survives_a_restart_on_the_same_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(dir.path()).await;
    let options = Options::default();
    let before = spawn_app_on(&database_url, &options).await;
    let cookie = sign_in(&before, ADMIN_TOKEN, None).await;
    assert_eq!(dashboard(&before, &cookie).await, 200);
    before.stop().await;

    let after = spawn_app_on(&database_url, &options).await;
    assert_eq!(dashboard(&after, &cookie).await, 200);
    after.stop().await;
}

#[tokio::test]
async fn a_session_started_on_one_replica_works_on_another_and_signing_out_ends_it_on_both() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(dir.path()).await;
    let options = Options::default();
    let a = spawn_app_on(&database_url, &options).await;
    let b = spawn_app_on(&database_url, &options).await;
    let cookie = sign_in(&a, ADMIN_TOKEN, None).await;
    assert_eq!(dashboard(&b, &cookie).await, 200);

    let out = no_redirects()
        .post(b.url("/admin/sign-out"))
        .header("cookie", &cookie)
        .header("origin", &b.address)
        .send()
        .await
        .expect("sent");
    assert_eq!(out.status(), 303);
    assert_eq!(dashboard(&a, &cookie).await, 401);
    assert_eq!(dashboard(&b, &cookie).await, 401);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_session_unused_for_the_idle_timeout_ends() {
    let app = spawn_app_with(Options {
        session_idle_timeout_secs: 1,
        ..Options::default()
    })
    .await;
    let cookie = sign_in(&app, ADMIN_TOKEN, None).await;
    // Used within the timeout, again and again, it stays.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(dashboard(&app, &cookie).await, 200);
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(dashboard(&app, &cookie).await, 401);
    // And it does not come back.
    assert_eq!(dashboard(&app, &cookie).await, 401);
    app.stop().await;
}

#[tokio::test]
async fn signing_in_again_ends_the_session_the_browser_presented_and_gives_a_new_id() {
    let app = spawn_app().await;
    let first = sign_in(&app, ADMIN_TOKEN, None).await;
    let second = sign_in(&app, ADMIN_TOKEN, Some(&first)).await;
    assert_ne!(first, second);
    assert_eq!(dashboard(&app, &first).await, 401);
    assert_eq!(dashboard(&app, &second).await, 200);
    // A partner signing in over a staff session ends it too.
    let partner = sign_in(&app, PARTNER_TOKEN, Some(&second)).await;
    assert_eq!(dashboard(&app, &second).await, 401);
    assert_eq!(dashboard(&app, &partner).await, 403);
    app.stop().await;
}

#[tokio::test]
async fn a_session_is_stored_only_as_a_hash_of_its_id() {
    use sha2::{Digest, Sha256};
    use sqlx::Connection;

    let app = spawn_app().await;
    let cookie = sign_in(&app, ADMIN_TOKEN, None).await;
    let id = cookie.strip_prefix("cfi_session=").expect("the session id");
    let sql = "SELECT id_hash, kind, name FROM staff_sessions";
    let rows: Vec<(String, String, String)> = if is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&app.database_url)
            .await
            .expect("connect");
        sqlx::query_as(sql)
            .fetch_all(&mut conn)
            .await
            .expect("rows")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .expect("connect");
        sqlx::query_as(sql)
            .fetch_all(&mut conn)
            .await
            .expect("rows")
    };
    assert_eq!(
        rows,
        vec![(
            hex::encode(Sha256::digest(id.as_bytes())),
            "staff".to_owned(),
            "test".to_owned()
        )]
    );
    app.stop().await;
}

/// The configured digest of `token`, as the test configuration writes it.
fn digest_of(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

#[tokio::test]
async fn a_session_ends_when_its_token_is_rotated_or_removed_from_the_configuration() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database_url(dir.path()).await;
    let options = Options::default();
    let before = spawn_app_on(&database_url, &options).await;
    let staff = sign_in(&before, ADMIN_TOKEN, None).await;
    let partner = sign_in(&before, PARTNER_TOKEN, None).await;
    assert_eq!(dashboard(&before, &staff).await, 200);
    assert_eq!(partner_page(&before, &partner).await, 200);

    // The same names, new tokens: both sessions end, and stay ended when
    // the old configuration comes back (they were deleted).
    let rotated = spawn_app_on_edited(&database_url, &options, |text| {
        text.replace(&digest_of(ADMIN_TOKEN), &digest_of("a-new-staff-token"))
            .replace(&digest_of(PARTNER_TOKEN), &digest_of("a-new-partner-token"))
    })
    .await;
    assert_ne!(
        dashboard(&rotated, &staff).await,
        200,
        "staff session ended"
    );
    assert_ne!(
        partner_page(&rotated, &partner).await,
        200,
        "partner session ended"
    );
    let with_new = sign_in(&rotated, "a-new-staff-token", None).await;
    assert_eq!(dashboard(&rotated, &with_new).await, 200);
    rotated.stop().await;
    assert_ne!(dashboard(&before, &staff).await, 200, "ended for good");

    // A token removed from the configuration ends its sessions too.
    let staff = sign_in(&before, ADMIN_TOKEN, None).await;
    let partner = sign_in(&before, PARTNER_TOKEN, None).await;
    let removed = spawn_app_on_edited(&database_url, &options, |text| {
        text.replace(
            &format!(
                "[[admin_tokens]]\nname = \"test\"\nsha256 = \"{}\"",
                digest_of(ADMIN_TOKEN)
            ),
            &format!(
                "[[admin_tokens]]\nname = \"other\"\nsha256 = \"{}\"",
                digest_of("another-token")
            ),
        )
        .replace(
            &format!("token_sha256 = \"{}\"", digest_of(PARTNER_TOKEN)),
            "",
        )
    })
    .await;
    assert_ne!(
        dashboard(&removed, &staff).await,
        200,
        "staff session ended"
    );
    assert_ne!(
        partner_page(&removed, &partner).await,
        200,
        "partner session ended"
    );
    removed.stop().await;
    before.stop().await;
}
