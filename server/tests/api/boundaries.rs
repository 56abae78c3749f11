//! What staff routes accept at their edge: references however a person
//! types them, typed filters, and problems (never plain text, never a 5xx)
//! for anything else.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::review_helpers::*;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// `CFI-ABCD-EFGH` as a person might type it: lower case, and without
/// hyphens.
fn typed_forms(reference: &str) -> [String; 2] {
    [reference.to_lowercase(), reference.replace('-', "")]
}

#[tokio::test]
async fn lower_case_and_unhyphenated_references_find_the_submission_on_every_staff_route() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &valid_body()).await;
    let client = no_redirects();
    for (n, typed) in typed_forms(&reference).iter().enumerate() {
        let one: Value = app
            .client
            .get(app.url(&format!("/api/admin/submissions/{typed}")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        assert_eq!(
            one["submission"]["reference"],
            reference.as_str(),
            "{typed}"
        );

        let page = app
            .client
            .get(app.url(&format!("/admin/submissions/{typed}")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sent");
        assert_eq!(page.status(), 200, "{typed}");
        assert!(page.text().await.expect("text").contains(&reference));

        let action = ["withhold", "spam"][n];
        let recorded = act_ok(
            &app,
            typed,
            json!({"action": action, "reason": "typed by hand"}),
        )
        .await;
        let undoes = recorded["id"].to_string();
        let fields = if n == 0 {
            [
                ("action", "withhold_idea"),
                ("idea", "1"),
                ("reason", "by hand"),
            ]
        } else {
            [
                ("action", "undo"),
                ("undoes", undoes.as_str()),
                ("reason", "by hand"),
            ]
        };

        let form = client
            .post(app.url(&format!("/admin/submissions/{typed}/actions")))
            .bearer_auth(ADMIN_TOKEN)
            .form(&fields)
            .send()
            .await
            .expect("sent");
        assert_eq!(form.status(), 303, "{typed}");
    }
    let actions: Value = app
        .client
        .get(app.url(&format!("/api/admin/submissions/{reference}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(actions["actions"].as_array().map(Vec::len), Some(4));

    let [lower, bare] = typed_forms(&reference);
    let erased = client
        .post(app.url(&format!("/admin/submissions/{lower}/erase")))
        .bearer_auth(ADMIN_TOKEN)
        .form(&[("confirm", bare.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(erased.status(), 200);
    assert!(app.stored("open-call").await.is_empty());

    let other = submit_ok(&app, &valid_body()).await;
    let deleted: Value = app
        .client
        .delete(app.url(&format!("/api/admin/submissions/{}", other.to_lowercase())))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(deleted["erased"], other.as_str());
    app.stop().await;
}

#[tokio::test]
async fn a_path_that_is_not_a_reference_is_a_404_problem_in_the_api_and_a_404_page_for_staff() {
    let app = spawn_app().await;
    let get = |path: &'static str| {
        app.client
            .get(app.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .send()
    };
    assert_problem(
        get("/api/admin/submissions/not-a-reference")
            .await
            .expect("sent"),
        404,
    )
    .await;
    for path in [
        "/admin/submissions/CFI-0000-0000",
        "/admin/submissions/not-a-reference",
    ] {
        assert_error_page(get(path).await.expect("sent"), 404).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_staff_json_bodies_are_problems_and_bad_forms_are_error_pages() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &valid_body()).await;
    let actions = app.url(&format!("/api/admin/submissions/{reference}/actions"));
    let raw = |content_type: Option<&'static str>, body: &'static str| {
        let mut request = app
            .client
            .post(&actions)
            .bearer_auth(ADMIN_TOKEN)
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send()
    };
    assert_problem(
        raw(Some("application/json"), "{not json")
            .await
            .expect("sent"),
        400,
    )
    .await;
    assert_problem(
        raw(
            Some("application/json"),
            r#"{"action": "smite", "reason": "x"}"#,
        )
        .await
        .expect("sent"),
        422,
    )
    .await;
    assert_problem(raw(None, r#"{"action": "spam"}"#).await.expect("sent"), 415).await;

    let publication = app
        .client
        .post(app.url("/api/admin/calls/open-call/publication"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"published": "yes"}))
        .send()
        .await
        .expect("sent");
    assert_problem(publication, 422).await;

    let form_without_action = no_redirects()
        .post(app.url(&format!("/admin/submissions/{reference}/actions")))
        .bearer_auth(ADMIN_TOKEN)
        .form(&[("reason", "no action named")])
        .send()
        .await
        .expect("sent");
    assert_error_page(form_without_action, 422).await;

    let form_as_json = app
        .client
        .post(app.url("/admin/calls/open-call/publication"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"published": "on"}))
        .send()
        .await
        .expect("sent");
    assert_error_page(form_as_json, 415).await;
    app.stop().await;
}

#[tokio::test]
async fn odd_filter_values_answer_4xx_never_5xx() {
    let app = spawn_app().await;
    submit_ok(&app, &valid_body()).await;
    let huge = format!("{}", 1_u64 << 63);
    let max = i64::MAX.to_string();
    for (query, status) in [
        ("to=9999-12-31".to_owned(), 422),
        ("from=2026-02-30".to_owned(), 422),
        ("capacity=robot".to_owned(), 422),
        (format!("page={huge}"), 400),
        (format!("page={max}"), 400),
        ("page=-1".to_owned(), 400),
    ] {
        for route in ["/api/admin/search", "/admin/submissions"] {
            let response = app
                .client
                .get(app.url(&format!("{route}?{query}")))
                .bearer_auth(ADMIN_TOKEN)
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status().as_u16(), status, "{route}?{query}");
            if route.starts_with("/api/") {
                assert_problem(response, status).await;
            } else {
                assert_error_page(response, status).await;
            }
        }
    }
    let last_page: Value = app
        .client
        .get(app.url(&format!("/api/admin/search?page={}", u32::MAX)))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("a page past the end is an empty page");
    assert_eq!(last_page["submissions"], json!([]));
    app.stop().await;
}
