//! The form without scripts (`/calls/{call}/form`): pages that carry every
//! answer, the shared rules' errors, one submission however often it is
//! sent, and the call's window.

use crate::helpers::{is_postgres, spawn_app};

/// Every answer the form's pages collect, as the browser posts them.
fn answers(title: &str) -> Vec<(&'static str, String)> {
    vec![
        ("respondent-capacity", "individual".into()),
        ("respondent-name", "Sam Example".into()),
        ("respondent-email", "sam@example.org".into()),
        (
            "respondent-perspectives",
            "care_experienced_young_person".into(),
        ),
        ("respondent-age_band", "18_25".into()),
        ("ideas-0-title", title.into()),
        ("ideas-0-theme", "leaving_care".into()),
        (
            "ideas-0-description",
            "Every young person leaving care gets a mentor they choose.".into(),
        ),
        ("publication", "named".into()),
        ("privacy_notice_read", "read".into()),
        ("website", String::new()),
    ]
}

async fn post(
    app: &crate::helpers::TestApp,
    call: &str,
    fields: &[(&str, String)],
) -> (u16, String) {
    let response = app
        .client
        .post(app.url(&format!("/calls/{call}/form")))
        .form(fields)
        .send()
        .await
        .expect("posted");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a page"))
}

fn reference_in(page: &str) -> Option<String> {
    let start = page.find("id=\"reference\">")? + "id=\"reference\">".len();
    Some(page[start..].split('<').next()?.to_owned())
}

#[tokio::test]
async fn the_first_page_mints_a_key_and_names_the_call_without_a_script() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/calls/open-call/form"))
        .send()
        .await
        .expect("page");
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.expect("html");
    assert!(!page.contains("<script"), "the form runs no script");
    assert!(page.contains("name=\"key\" value=\""));
    assert!(page.contains("Start now"));
    let missing = app
        .client
        .get(app.url("/calls/no-such-call/form"))
        .send()
        .await
        .expect("page");
    assert_eq!(missing.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn a_step_with_errors_says_what_to_do_and_keeps_every_answer() {
    let app = spawn_app().await;
    let key = crate::helpers::new_key();
    let mut fields = vec![
        ("key", key.clone()),
        ("step", "about_you".to_owned()),
        ("action", "continue".to_owned()),
        ("respondent-name", "Kai <b>Example</b>".to_owned()),
        ("respondent-email", "not an address".to_owned()),
    ];
    fields.push(("ideas-0-title", "Carried from an earlier visit".into()));
    let (status, page) = post(&app, "open-call", &fields).await;
    assert_eq!(status, 422);
    assert!(page.contains("There is a problem"));
    assert!(page.contains("href=\"#respondent-capacity\""));
    assert!(page.contains("href=\"#respondent-email\""));
    // What was typed comes back, escaped; other steps' answers ride along.
    assert!(
        page.contains("value=\"Kai &#60;b&#62;Example&#60;/b&#62;\"")
            || page.contains("Kai &lt;b&gt;")
    );
    assert!(!page.contains("<b>Example"));
    assert!(page.contains("name=\"ideas-0-title\" value=\"Carried from an earlier visit\""));
    assert!(page.contains(&format!("name=\"key\" value=\"{key}\"")));
    app.stop().await;
}

#[tokio::test]
async fn sending_twice_stores_one_submission_and_answers_the_same_reference() {
    let app = spawn_app().await;
    let key = crate::helpers::new_key();
    let mut fields = answers("Sent twice");
    fields.extend([
        ("key", key.clone()),
        ("step", "check".to_owned()),
        ("action", "send".to_owned()),
        ("partner", "become".to_owned()),
    ]);
    let (first, second) = tokio::join!(
        post(&app, "open-call", &fields),
        post(&app, "open-call", &fields)
    );
    let third = post(&app, "open-call", &fields).await;
    let references: Vec<String> = [&first, &second, &third]
        .iter()
        .filter(|(status, _)| *status == 200)
        .filter_map(|(_, page)| reference_in(page))
        .collect();
    // Two at once: one may be told the other is still being stored.
    assert!(
        references.len() >= 2,
        "{} {} {}",
        first.0,
        second.0,
        third.0
    );
    assert!(references.iter().all(|r| r == &references[0]));
    let stored = app.stored("open-call").await;
    assert_eq!(stored.len(), 1, "engine postgres: {}", is_postgres());
    assert_eq!(stored[0]["reference"], references[0].as_str());
    assert_eq!(stored[0]["ideas"][0]["title"], "Sent twice");
    assert!(
        stored[0]["partner"].is_null(),
        "a partner named on a link is not recorded"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_closed_call_takes_no_ideas_through_the_form() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(app.url("/calls/closed-call/form"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("You can no longer send ideas"));
    assert!(!page.contains("Start now"));
    let mut fields = answers("Too late");
    fields.extend([
        ("key", crate::helpers::new_key()),
        ("step", "check".to_owned()),
        ("action", "send".to_owned()),
    ]);
    let (status, page) = post(&app, "closed-call", &fields).await;
    assert_eq!(status, 409);
    assert!(page.contains("There is a problem"));
    assert!(app.stored("closed-call").await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_forged_idea_number_reads_no_more_ideas_than_the_call_allows() {
    let app = spawn_app().await;
    let fields = vec![
        ("key", crate::helpers::new_key()),
        ("step", "ideas".to_owned()),
        ("action", "back".to_owned()),
        ("ideas-99999999-title", "far away".to_owned()),
    ];
    let (status, page) = post(&app, "open-call", &fields).await;
    assert_eq!(status, 200);
    assert!(!page.contains("far away"));
    app.stop().await;
}

#[tokio::test]
async fn a_program_that_fills_the_hidden_field_is_stored_as_spam() {
    let app = spawn_app().await;
    let mut fields = answers("Cheap pills");
    fields.retain(|(name, _)| *name != "website");
    fields.extend([
        ("website", "https://cheap-pills.example".to_owned()),
        ("key", crate::helpers::new_key()),
        ("step", "check".to_owned()),
        ("action", "send".to_owned()),
    ]);
    let (status, page) = post(&app, "open-call", &fields).await;
    assert_eq!(status, 200);
    assert!(reference_in(&page).is_some(), "it looks sent");
    let stored = app.stored("open-call").await;
    assert_eq!(stored[0]["spam"], true);
    app.stop().await;
}

#[tokio::test]
async fn choosing_an_organisation_shows_its_field_before_asking_for_it() {
    let app = spawn_app().await;
    let mut fields = answers("For an organisation");
    fields.retain(|(name, _)| name.starts_with("respondent-") && *name != "respondent-capacity");
    fields.extend([
        ("respondent-capacity", "organisation".to_owned()),
        ("key", crate::helpers::new_key()),
        ("step", "about_you".to_owned()),
        ("action", "continue".to_owned()),
    ]);
    let (status, page) = post(&app, "open-call", &fields).await;
    assert_eq!(status, 200, "no error for a field not seen yet");
    assert!(!page.contains("There is a problem"));
    assert!(page.contains("id=\"respondent-organisation\""));
    // Left empty once seen, it is required, as in the widget.
    fields.push(("respondent-organisation", String::new()));
    let (status, page) = post(&app, "open-call", &fields).await;
    assert_eq!(status, 422);
    assert!(page.contains("href=\"#respondent-organisation\""));
    app.stop().await;
}

#[tokio::test]
async fn other_answers_sent_again_under_the_same_form_go_as_new_ideas() {
    let app = spawn_app().await;
    let key = crate::helpers::new_key();
    let send = |title: &str| {
        let mut fields = answers(title);
        fields.extend([
            ("key", key.clone()),
            ("step", "check".to_owned()),
            ("action", "send".to_owned()),
        ]);
        fields
    };
    let (status, first) = post(&app, "open-call", &send("First answers")).await;
    assert_eq!(status, 200);
    // Back in the browser after sending, a change, and Send again.
    let (status, page) = post(&app, "open-call", &send("Changed answers")).await;
    assert_eq!(status, 422);
    assert!(page.contains("Press Send ideas to send them as new ideas"));
    assert!(!page.contains("Idempotency"));
    assert!(
        !page.contains(&format!("value=\"{key}\"")),
        "a new key comes with the page"
    );
    let new_key = page
        .split("name=\"key\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a key")
        .to_owned();
    let mut fields = send("Changed answers");
    fields.retain(|(name, _)| *name != "key");
    fields.push(("key", new_key));
    let (status, second) = post(&app, "open-call", &fields).await;
    assert_eq!(status, 200);
    assert_ne!(reference_in(&first), reference_in(&second));
    assert_eq!(app.stored("open-call").await.len(), 2);
    app.stop().await;
}
