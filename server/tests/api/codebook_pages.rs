//! The codebook page with a large codebook, and each code's own edit page.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::review_helpers::*;

/// How large the codebook page may be with 500 codes. Each code takes a
/// bar of the chart, a row of the table with its edit link, and an option
/// of the create form's parent list: a few hundred bytes, so 500 codes fit
/// in well under half a megabyte. A megabyte leaves room for longer names
/// and descriptions while staying far from what listing every code in
/// every code's form costs (each code then adds the whole codebook again:
/// over 10 MB at 500 codes).
const PAGE_BUDGET_AT_500_CODES: usize = 1024 * 1024;

#[tokio::test]
async fn a_codebook_of_500_codes_is_served_in_under_a_megabyte_naming_each_code_a_few_times() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for n in 0..500 {
        ids.push(new_code(&app, &format!("Code number {n:03}")).await);
    }
    let codebook = page(&app, "/admin/calls/open-call/codes").await;
    println!("codebook page with 500 codes: {} bytes", codebook.len());
    assert!(
        codebook.len() < PAGE_BUDGET_AT_500_CODES,
        "{} bytes",
        codebook.len()
    );
    // A code is named by its bar (label and title), its row, its edit link
    // and its option in the create form: the same few times whatever the
    // size of the codebook, so the page grows linearly with it.
    for (n, id) in ids.iter().enumerate().step_by(97) {
        let name = format!("Code number {n:03}");
        let named = codebook.matches(&name).count();
        assert!((1..=6).contains(&named), "{name} is named {named} times");
        assert!(
            codebook.contains(&format!("href=\"/admin/calls/open-call/codes/{id}\"")),
            "{name} has an edit link"
        );
    }
    assert_eq!(
        codebook.matches("<form").count(),
        3,
        "sign out, summary, create"
    );
    app.stop().await;
}

#[tokio::test]
async fn each_code_is_edited_on_its_own_page_which_offers_no_parent_that_would_make_a_loop() {
    let app = spawn_app().await;
    let support = new_code(&app, "Support").await;
    let mentors = new_code(&app, "Mentors").await;
    let housing = new_code(&app, "Housing").await;
    let under = post_json(
        &app,
        &format!("/api/admin/calls/open-call/codes/{mentors}"),
        json!({"name": "Mentors", "parent": support}),
    )
    .await;
    assert_eq!(under.status(), 200);

    let edit = page(&app, &format!("/admin/calls/open-call/codes/{support}")).await;
    assert!(edit.contains("<h1>Edit Support</h1>"), "{edit}");
    assert!(edit.contains("Save Support"), "{edit}");
    // Support can go under Housing, not under itself or its sub-code.
    assert!(edit.contains(&format!("<option value=\"{housing}\">Housing</option>")));
    assert!(
        !edit.contains(&format!("<option value=\"{support}\"")),
        "{edit}"
    );
    assert!(
        !edit.contains(&format!("<option value=\"{mentors}\"")),
        "{edit}"
    );
    let sub = page(&app, &format!("/admin/calls/open-call/codes/{mentors}")).await;
    assert!(
        sub.contains(&format!(
            "<option value=\"{support}\" selected>Support</option>"
        )),
        "{sub}"
    );

    let saved = post_form(
        &app,
        &format!("/admin/calls/open-call/codes/{support}"),
        &[
            ("name", "Support  from adults"),
            ("description", "One adult who stays."),
            ("parent", &housing.to_string()),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(
        header(&saved, "location"),
        format!("/admin/calls/open-call/codes#code-{support}")
    );
    let codes = get_json(&app, "/api/admin/calls/open-call/codes").await;
    let saved: &Value = codes["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .find(|c| c["id"] == support)
        .expect("the code");
    assert_eq!(saved["name"], "Support from adults");
    assert_eq!(saved["description"], "One adult who stays.");
    assert_eq!(saved["parent"], housing);

    let looping = post_form(
        &app,
        &format!("/admin/calls/open-call/codes/{housing}"),
        &[("name", "Housing"), ("parent", &mentors.to_string())],
    )
    .await;
    let body = assert_error_page(looping, 422).await;
    assert!(body.contains("cannot sit under itself"), "{body}");
    let unknown = app
        .client
        .get(app.url("/admin/calls/open-call/codes/999999"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_error_page(unknown, 404).await;
    app.stop().await;
}
