//! The safeguarding net end to end: what it catches (with the model the
//! test command fetches), its two levels, the publication decision a flag
//! waits for, a flag staff raise, "not a concern" counts, and the server
//! without the model.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::outbox::{ONE_CONTACT, outbox_rows, with_mail};
use crate::review_helpers::{act, act_ok, page, publish, published, stored_one, submit_ok};

fn saying(description: &str) -> Value {
    let mut body = valid_body();
    body["ideas"][0]["description"] = json!(description);
    body
}

/// A port nothing listens on: alerts stay queued, where the test reads them.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

async fn app_with_a_contact() -> TestApp {
    let port = closed_port();
    spawn_app_edited(Options::default(), move |t| with_mail(t, port, ONE_CONTACT)).await
}

async fn alerts_for(app: &TestApp, reference: &str) -> usize {
    outbox_rows(&app.database_url)
        .await
        .iter()
        .filter(|(r, kind, _, _)| r == reference && kind == "alert")
        .count()
}

fn flag(detail: &Value) -> (&str, &str, bool, &str) {
    let s = &detail["submission"];
    (
        s["flag_level"].as_str().unwrap_or("none"),
        s["flag_category"].as_str().unwrap_or("-"),
        s["flag_open"].as_bool().unwrap_or(false),
        s["flag_reason"].as_str().unwrap_or(""),
    )
}

#[tokio::test]
async fn a_disclosure_in_plain_words_raises_an_urgent_flag_and_an_alert() {
    let app = app_with_a_contact().await;
    let reference = submit_ok(
        &app,
        &saying(
            "Social workers should visit more. My mum's boyfriend hurts me when she is at work.",
        ),
    )
    .await;
    let detail = stored_one(&app, &reference).await;
    let (level, _, open, reason) = flag(&detail);
    assert_eq!(level, "urgent", "{detail}");
    assert!(open);
    assert!(
        reason.starts_with("closest to a written example"),
        "{reason}"
    );
    assert!(
        detail["submission"]["flag_passage"]
            .as_str()
            .unwrap_or("")
            .contains("boyfriend hurts me"),
        "{detail}"
    );
    assert_eq!(alerts_for(&app, &reference).await, 1);
    let staff = page(&app, &format!("/admin/submissions/{reference}")).await;
    assert!(staff.contains("Safeguarding flag: urgent"), "{staff}");
    assert!(staff.contains("Why: closest to a written example"));
    app.stop().await;
}

#[tokio::test]
async fn phrases_are_found_however_a_phone_typed_them() {
    let app = spawn_app().await;
    for typed in [
        "my dad hits  me",
        "i want to\ndie",
        "he hits\u{00A0}me every night",
        "I self\u{2010}harm and I hurt myself most days",
    ] {
        let reference = submit_ok(&app, &saying(typed)).await;
        let detail = stored_one(&app, &reference).await;
        assert_eq!(flag(&detail).0, "urgent", "{typed:?}: {detail}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_ordinary_idea_raises_no_flag() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &valid_body()).await;
    let detail = stored_one(&app, &reference).await;
    assert_eq!(flag(&detail).0, "none", "{detail}");
    assert!(detail["submission"]["flag_phrase"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn a_policy_idea_on_the_subject_is_sensitive_sends_no_alert_and_waits_for_a_decision() {
    let app = app_with_a_contact().await;
    publish(&app, "open-call", true).await;
    let reference = submit_ok(
        &app,
        &saying("Suicide prevention plans should be part of every pathway plan for care leavers."),
    )
    .await;
    let detail = stored_one(&app, &reference).await;
    let (level, category, open, _) = flag(&detail);
    assert_eq!(
        (level, category, open),
        ("sensitive", "suicide", false),
        "{detail}"
    );
    assert_eq!(alerts_for(&app, &reference).await, 0, "no alert");
    assert!(!published(&app, "open-call").await.html.contains(&reference));

    act_ok(
        &app,
        &reference,
        json!({"action": "publish", "reason": "a policy idea, nothing personal"}),
    )
    .await;
    assert!(published(&app, "open-call").await.html.contains(&reference));
    let again = act(
        &app,
        &reference,
        json!({"action": "publish", "reason": "again"}),
    )
    .await;
    assert_problem(again, 422).await;
    app.stop().await;
}

#[tokio::test]
async fn handling_an_urgent_flag_never_publishes_it_by_itself() {
    let app = app_with_a_contact().await;
    publish(&app, "open-call", true).await;
    let reference = submit_ok(
        &app,
        &saying("Please help, my stepdad hits me when mum is out."),
    )
    .await;
    // Nothing is ever published before its check: it is checked before it
    // is stored.
    assert!(!published(&app, "open-call").await.html.contains(&reference));
    let early = act(
        &app,
        &reference,
        json!({"action": "publish", "reason": "too soon"}),
    )
    .await;
    let problem = assert_problem(early, 422).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("Handle the safeguarding flag first"),
        "{problem}"
    );
    act_ok(
        &app,
        &reference,
        json!({"action": "handle_flag", "reason": "the lead rang the school"}),
    )
    .await;
    assert!(
        !published(&app, "open-call").await.html.contains(&reference),
        "handled is not published"
    );
    act_ok(
        &app,
        &reference,
        json!({"action": "redact", "idea": 1, "field": "description", "text": "my stepdad hits me",
               "reason": "the disclosure is not for publication"}),
    )
    .await;
    act_ok(
        &app,
        &reference,
        json!({"action": "publish", "reason": "published with the disclosure redacted"}),
    )
    .await;
    let out = published(&app, "open-call").await;
    assert!(out.html.contains(&reference));
    assert!(!out.html.contains("stepdad"), "redacted before publication");
    app.stop().await;
}

#[tokio::test]
async fn a_flag_staff_raise_alerts_like_one_found_on_arrival() {
    let app = app_with_a_contact().await;
    let reference = submit_ok(&app, &valid_body()).await;
    assert_eq!(alerts_for(&app, &reference).await, 0);
    let vague = act(
        &app,
        &reference,
        json!({"action": "raise_flag", "reason": "worried"}),
    )
    .await;
    assert_problem(vague, 422).await;
    act_ok(
        &app,
        &reference,
        json!({"action": "raise_flag", "category": "exploitation",
               "reason": "a partner rang about this young person"}),
    )
    .await;
    let detail = stored_one(&app, &reference).await;
    let (level, category, open, reason) = flag(&detail);
    assert_eq!(
        (level, category, open),
        ("urgent", "exploitation", true),
        "{detail}"
    );
    assert!(reason.starts_with("raised by "), "{reason}");
    assert_eq!(alerts_for(&app, &reference).await, 1, "alerted");
    let twice = act(
        &app,
        &reference,
        json!({"action": "raise_flag", "category": "abuse", "reason": "again"}),
    )
    .await;
    assert_problem(twice, 422).await;
    app.stop().await;
}

#[tokio::test]
async fn flags_marked_not_a_concern_are_counted_per_category_on_the_dashboard_and_in_metrics() {
    let app = spawn_app().await;
    let reference = submit_ok(
        &app,
        &saying("Suicide prevention plans should be part of every pathway plan for care leavers."),
    )
    .await;
    act_ok(
        &app,
        &reference,
        json!({"action": "not_a_concern", "reason": "a policy idea"}),
    )
    .await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(
            "cfi_safeguarding_flags_not_a_concern{category=\"suicide\",level=\"sensitive\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("cfi_safeguarding_flags{category=\"suicide\",level=\"sensitive\"} 1"),
        "{metrics}"
    );
    let dashboard = page(&app, "/admin").await;
    assert!(
        dashboard.contains("<th scope=\"row\">suicide</th><td>sensitive</td><td>1</td><td>1</td>"),
        "{dashboard}"
    );
    app.stop().await;
}

#[tokio::test]
async fn without_the_model_the_server_stores_everything_and_says_so() {
    let empty = tempfile::tempdir().expect("dir");
    let dir = empty.path().display().to_string();
    let app = spawn_app_edited(Options::default(), move |t| {
        t.replacen("bind = ", &format!("model_dir = \"{dir}\"\nbind = "), 1)
    })
    .await;
    let health: Value = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(health["model"], "missing");
    let plain = submit_ok(
        &app,
        &saying("My mum's boyfriend hurts me when she is at work."),
    )
    .await;
    assert_eq!(
        flag(&stored_one(&app, &plain).await).0,
        "none",
        "words only: the plain disclosure is missed, and still stored"
    );
    let phrase = submit_ok(&app, &saying("my dad hits  me")).await;
    assert_eq!(flag(&stored_one(&app, &phrase).await).0, "urgent");
    let dashboard = page(&app, "/admin").await;
    assert!(
        dashboard.contains("The sentence-embedding model is not loaded"),
        "{dashboard}"
    );
    app.stop().await;
}
