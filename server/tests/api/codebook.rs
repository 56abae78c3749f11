//! The codebook: codes per call, coding ideas with an audit trail and undo,
//! read marks, counts by code, and erasure of codings with the submission.

use reqwest::Response;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::review_helpers::*;

async fn new_code(app: &TestApp, name: &str, parent: Option<i64>) -> i64 {
    let response = post_json(
        app,
        "/api/admin/calls/open-call/codes",
        json!({"name": name, "description": format!("Ideas about {name}."), "parent": parent}),
    )
    .await;
    assert_eq!(response.status(), 201, "code created");
    let code: Value = response.json().await.expect("json");
    code["id"].as_i64().expect("id")
}

async fn code_idea(app: &TestApp, reference: &str, change: Value) -> Response {
    post_json(
        app,
        &format!("/api/admin/submissions/{reference}/codings"),
        change,
    )
    .await
}

async fn code_idea_ok(app: &TestApp, reference: &str, change: Value) -> Value {
    let response = code_idea(app, reference, change).await;
    assert_eq!(response.status(), 201, "coding recorded");
    response.json().await.expect("json")
}

fn two_ideas() -> Value {
    let mut body = valid_body();
    body["ideas"] = json!([
        {"title": "Mentors", "theme": "leaving_care", "description": "A mentor for each care leaver."},
        {"title": "Housing", "theme": "leaving_care", "description": "A first flat with the rent paid for a year."}
    ]);
    body
}

#[tokio::test]
async fn codes_are_created_renamed_and_refused_when_unclear() {
    let app = spawn_app().await;
    let support = new_code(&app, "Support", None).await;
    let mentoring = new_code(&app, "Mentoring", Some(support)).await;

    for bad in [
        json!({"name": "  "}),
        json!({"name": "support"}),
        json!({"name": "x".repeat(81)}),
        json!({"name": "Orphan", "parent": 999_999}),
        json!({"name": "Mirrored \u{202e}txet"}),
        json!({"name": "Fine", "description": "Hidden\u{0000}byte"}),
    ] {
        let response = post_json(&app, "/api/admin/calls/open-call/codes", bad.clone()).await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem["type"], "/problems/invalid-action", "{bad}");
    }
    let unknown = post_json(
        &app,
        "/api/admin/calls/no-such-call/codes",
        json!({"name": "A"}),
    )
    .await;
    assert_problem(unknown, 404).await;

    // A code cannot become the child of its own child.
    let loop_back = post_json(
        &app,
        &format!("/api/admin/calls/open-call/codes/{support}"),
        json!({"name": "Support", "parent": mentoring}),
    )
    .await;
    assert_problem(loop_back, 422).await;

    let renamed = post_json(
        &app,
        &format!("/api/admin/calls/open-call/codes/{mentoring}"),
        json!({"name": "Mentors  and   befrienders", "description": "One adult who stays.", "parent": support}),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    let codes = get_json(&app, "/api/admin/calls/open-call/codes").await;
    let names: Vec<&str> = codes["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["Mentors and befrienders", "Support"]);

    let audit = get_json(&app, "/api/admin/audit?call=open-call").await;
    let text = audit.to_string();
    assert!(
        text.contains("code_create") && text.contains("code_edit"),
        "{text}"
    );
    assert!(text.contains("was Mentoring"), "{text}");
}

#[tokio::test]
async fn coding_an_idea_is_audited_with_who_and_when_and_can_be_undone() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &two_ideas()).await;
    let housing = new_code(&app, "Housing", None).await;
    let money = new_code(&app, "Money", None).await;

    let applied = code_idea_ok(
        &app,
        &reference,
        json!({"action": "apply", "idea": 2, "code": housing}),
    )
    .await;
    assert_eq!(applied["staff"], "test");
    assert_eq!(applied["idea"], 1);
    assert!(applied["at"].as_str().is_some_and(|at| at.ends_with('Z')));
    code_idea_ok(
        &app,
        &reference,
        json!({"action": "apply", "idea": 2, "code": money}),
    )
    .await;
    let removed = code_idea_ok(
        &app,
        &reference,
        json!({"action": "remove", "idea": 2, "code": money}),
    )
    .await;

    for bad in [
        json!({"action": "apply", "idea": 2, "code": housing}),
        json!({"action": "remove", "idea": 1, "code": housing}),
        json!({"action": "apply", "idea": 3, "code": housing}),
        json!({"action": "apply", "idea": 1, "code": 999_999}),
        json!({"action": "undo", "undoes": 999_999}),
        // Undoing the apply of "Money" when a later removal already took it off.
        json!({"action": "undo", "undoes": applied["id"].as_i64().expect("id") + 1}),
    ] {
        let response = code_idea(&app, &reference, bad.clone()).await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem["type"], "/problems/invalid-action", "{bad}");
    }

    // Undo the removal: "Money" is back; undo it twice: refused.
    let undo = code_idea_ok(
        &app,
        &reference,
        json!({"action": "undo", "undoes": removed["id"]}),
    )
    .await;
    assert_eq!(undo["action"], "undo");
    let again = code_idea(
        &app,
        &reference,
        json!({"action": "undo", "undoes": removed["id"]}),
    )
    .await;
    assert_problem(again, 422).await;
    let undo_apply = code_idea_ok(
        &app,
        &reference,
        json!({"action": "undo", "undoes": applied["id"]}),
    )
    .await;
    assert_eq!(undo_apply["undoes"], applied["id"]);

    let coding = get_json(&app, &format!("/api/admin/submissions/{reference}/codings")).await;
    let now: Vec<(i64, i64)> = coding["codings"]
        .as_array()
        .expect("codings")
        .iter()
        .map(|c| {
            (
                c["idea"].as_i64().expect("idea"),
                c["code"].as_i64().expect("code"),
            )
        })
        .collect();
    assert_eq!(now, [(1, money)]);
    let kinds: Vec<&str> = coding["actions"]
        .as_array()
        .expect("trail")
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert_eq!(kinds, ["apply", "apply", "remove", "undo", "undo"]);
    assert!(
        coding["actions"]
            .as_array()
            .expect("trail")
            .iter()
            .all(|a| a["staff"] == "test")
    );
}

#[tokio::test]
async fn an_idea_marked_read_shows_who_read_it() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &two_ideas()).await;
    let path = format!("/api/admin/submissions/{reference}/read");
    let response = post_json(&app, &path, json!({"idea": 2, "read": true})).await;
    assert_eq!(response.status(), 200);
    let bad = post_json(&app, &path, json!({"idea": 3, "read": true})).await;
    assert_problem(bad, 422).await;
    let coding = get_json(&app, &format!("/api/admin/submissions/{reference}/codings")).await;
    assert_eq!(coding["reads"].as_array().expect("reads").len(), 1);
    assert_eq!(coding["reads"][0]["idea"], 1);
    assert_eq!(coding["reads"][0]["staff"], "test");
    post_json(&app, &path, json!({"idea": 2, "read": false})).await;
    let coding = get_json(&app, &format!("/api/admin/submissions/{reference}/codings")).await;
    assert_eq!(coding["reads"], json!([]));
}

#[tokio::test]
async fn counts_by_code_match_the_coded_ideas() {
    let app = spawn_app().await;
    let sam = submit_ok(&app, &two_ideas()).await;
    let mut org = valid_body();
    org["respondent"] = json!({
        "capacity": "organisation", "name": "Jo Bloggs", "organisation": "Care Org",
        "email": "jo@example.org", "perspectives": ["social_worker"], "age_band": "26_plus"
    });
    org["publication"] = json!("anonymous");
    let jo = submit_ok(&app, &org).await;
    let spam = submit_ok(&app, &valid_body()).await;
    act_ok(&app, &spam, json!({"action": "spam", "reason": "advert"})).await;
    let housing = new_code(&app, "Housing", None).await;
    let mentors = new_code(&app, "Mentors", None).await;
    new_code(&app, "Unused", None).await;
    for (reference, idea, code) in [
        (&sam, 1, mentors),
        (&sam, 2, housing),
        (&sam, 2, mentors),
        (&jo, 1, mentors),
        (&spam, 1, mentors),
    ] {
        code_idea_ok(
            &app,
            reference,
            json!({"action": "apply", "idea": idea, "code": code}),
        )
        .await;
    }

    let counts = get_json(&app, "/api/admin/calls/open-call/codes/counts").await;
    assert_eq!(counts["ideas"], 3, "spam is not counted: {counts}");
    assert_eq!(counts["uncoded"], 0);
    let row = |name: &str| {
        counts["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .expect("row")
    };
    let mentoring = row("Mentors");
    assert_eq!(mentoring["ideas"], 3);
    assert_eq!(mentoring["people"], 2);
    assert_eq!(
        mentoring["by_capacity"],
        json!({"individual": 2, "organisation": 1})
    );
    assert_eq!(mentoring["by_partner"], json!({"become": 3}));
    assert_eq!(mentoring["by_age_band"], json!({"18_25": 2, "26_plus": 1}));
    assert_eq!(
        mentoring["by_perspective"],
        json!({"care_experienced_young_person": 2, "social_worker": 1})
    );
    assert_eq!(row("Housing")["ideas"], 1);
    assert_eq!(row("Housing")["people"], 1);
    assert_eq!(row("Unused")["ideas"], 0);

    // Taking a code off an idea takes it out of the counts.
    code_idea_ok(
        &app,
        &jo,
        json!({"action": "remove", "idea": 1, "code": mentors}),
    )
    .await;
    let counts = get_json(&app, "/api/admin/calls/open-call/codes/counts").await;
    assert_eq!(counts["uncoded"], 1);
}

#[tokio::test]
async fn erasing_a_submission_removes_its_codings_and_read_marks() {
    let app = spawn_app().await;
    let kept = submit_ok(&app, &valid_body()).await;
    let erased = submit_ok(&app, &two_ideas()).await;
    let code = new_code(&app, "Mentors", None).await;
    for reference in [&kept, &erased] {
        code_idea_ok(
            &app,
            reference,
            json!({"action": "apply", "idea": 1, "code": code}),
        )
        .await;
        let read = post_json(
            &app,
            &format!("/api/admin/submissions/{reference}/read"),
            json!({"idea": 1, "read": true}),
        )
        .await;
        assert_eq!(read.status(), 200);
    }
    let response = app
        .client
        .delete(app.url(&format!("/api/admin/submissions/{erased}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);

    let counts = get_json(&app, "/api/admin/calls/open-call/codes/counts").await;
    assert_eq!(counts["codes"][0]["ideas"], 1);
    assert_eq!(counts["codes"][0]["people"], 1);
    let gone = app
        .client
        .get(app.url(&format!("/api/admin/submissions/{erased}/codings")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_problem(gone, 404).await;
    let kept_coding = get_json(&app, &format!("/api/admin/submissions/{kept}/codings")).await;
    assert_eq!(kept_coding["codings"].as_array().expect("codings").len(), 1);
    assert_eq!(kept_coding["reads"].as_array().expect("reads").len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn staff_code_ideas_from_the_pages_and_see_the_counts() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &two_ideas()).await;
    let created = post_form(
        &app,
        "/admin/calls/open-call/codes",
        &[
            ("name", "Housing <first>"),
            ("description", "Homes."),
            ("parent", ""),
        ],
    )
    .await;
    assert_eq!(created.status(), 303);
    let codes = get_json(&app, "/api/admin/calls/open-call/codes").await;
    let id = codes["codes"][0]["id"].as_i64().expect("id").to_string();

    let submission = page(&app, &format!("/admin/submissions/{reference}")).await;
    assert!(
        submission.contains("Apply the code to idea 2"),
        "{submission}"
    );
    assert!(
        submission.contains("Housing &#60;first&#62;")
            || submission.contains("Housing &lt;first&gt;")
    );
    let coded = post_form(
        &app,
        &format!("/admin/submissions/{reference}/codings"),
        &[("action", "apply"), ("idea", "2"), ("code", &id)],
    )
    .await;
    assert_eq!(coded.status(), 303);
    let read = post_form(
        &app,
        &format!("/admin/submissions/{reference}/read"),
        &[("idea", "2"), ("read", "on")],
    )
    .await;
    assert_eq!(read.status(), 303);
    let submission = page(&app, &format!("/admin/submissions/{reference}")).await;
    assert!(submission.contains("Remove Housing"), "{submission}");
    assert!(submission.contains("Read by test on"), "{submission}");
    assert!(submission.contains("Undo change"), "{submission}");

    let codebook = page(&app, "/admin/calls/open-call/codes").await;
    assert!(
        codebook.contains("2 ideas (spam left out); 1 with no code yet."),
        "{codebook}"
    );
    assert!(
        codebook.contains("<title>Housing &#60;first&#62;: 1</title>")
            || codebook.contains("Housing &lt;first&gt;: 1"),
        "{codebook}"
    );

    // A bad form or address is an error page, and nothing is stored.
    let twice = post_form(
        &app,
        &format!("/admin/submissions/{reference}/codings"),
        &[("action", "apply"), ("idea", "2"), ("code", &id)],
    )
    .await;
    let body = assert_error_page(twice, 422).await;
    assert!(body.contains("This idea already has this code."), "{body}");
    let unknown = post_form(&app, "/admin/calls/open-call/codes/nine", &[("name", "x")]).await;
    assert_error_page(unknown, 404).await;
    let nameless = post_form(&app, "/admin/calls/open-call/codes", &[("name", " ")]).await;
    assert_error_page(nameless, 422).await;
    let none_call = page_status(&app, "/admin/calls/no-such-call/codes").await;
    assert_eq!(none_call, 404);
    let coding = get_json(&app, &format!("/api/admin/submissions/{reference}/codings")).await;
    assert_eq!(coding["actions"].as_array().expect("trail").len(), 1);
}

async fn page_status(app: &TestApp, path: &str) -> u16 {
    app.get_as(path, ADMIN_TOKEN).await.status().as_u16()
}

#[tokio::test]
async fn staff_exports_carry_the_codes_of_each_idea() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &two_ideas()).await;
    let housing = new_code(&app, "Housing", None).await;
    let money = new_code(&app, "Money", None).await;
    for code in [money, housing] {
        code_idea_ok(
            &app,
            &reference,
            json!({"action": "apply", "idea": 2, "code": code}),
        )
        .await;
    }
    let csv = app
        .client
        .get(app.url("/api/admin/export/open-call.csv"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("csv");
    let rows = parse_csv(&csv);
    let column = rows[0]
        .iter()
        .position(|h| h == "idea_codes")
        .expect("column");
    assert_eq!(rows[1][column], "");
    assert_eq!(rows[2][column], "Housing; Money");
    let json = get_json(&app, "/api/admin/export/open-call.json").await;
    assert_eq!(
        json["submissions"][0]["idea_codes"],
        json!([[], ["Housing", "Money"]])
    );
}

#[tokio::test]
async fn the_public_summary_counts_only_published_ideas_and_names_no_one() {
    let app = spawn_app().await;
    let shown = submit_ok(&app, &two_ideas()).await;
    let withheld = submit_ok(&app, &valid_body()).await;
    let mut secret = two_ideas();
    secret["respondent"]["name"] = json!("Robin Secret");
    secret["respondent"]["email"] = json!("robin@secret.example");
    let partly = submit_ok(&app, &secret).await;
    let code = new_code(&app, "Mentors", None).await;
    let other = new_code(&app, "Housing", Some(code)).await;
    // A code named after a person, applied only to an idea that is then
    // withheld: it must never be named in public.
    let personal = new_code(&app, "Sam Example's story", None).await;
    let _unused = new_code(&app, "Robin's draft code", None).await;
    for (reference, idea, code) in [
        (&shown, 1, code),
        (&shown, 2, other),
        (&withheld, 1, code),
        (&partly, 2, personal),
        (&partly, 1, code),
        (&partly, 2, code),
    ] {
        code_idea_ok(
            &app,
            reference,
            json!({"action": "apply", "idea": idea, "code": code}),
        )
        .await;
    }
    act_ok(
        &app,
        &withheld,
        json!({"action": "withhold", "reason": "Sam Example asked"}),
    )
    .await;
    act_ok(
        &app,
        &partly,
        json!({"action": "withhold_idea", "idea": 2, "reason": "names a child"}),
    )
    .await;

    let summary_url = app.url("/published/open-call/codes.json");
    // Neither the call nor the summary is published: nothing.
    let hidden = app.client.get(&summary_url).send().await.expect("sent");
    assert_problem(hidden, 404).await;
    publish(&app, "open-call", true).await;
    let hidden = app.client.get(&summary_url).send().await.expect("sent");
    assert_problem(hidden, 404).await;
    let switched = post_json(
        &app,
        "/api/admin/calls/open-call/codes/publication",
        json!({"published": true}),
    )
    .await;
    assert_eq!(switched.status(), 200);

    let response = app.client.get(&summary_url).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("body");
    let summary: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(summary["ideas"], 3, "{summary}");
    assert_eq!(summary["uncoded"], 0);
    assert_eq!(
        summary["codes"],
        json!([
            {"code": "Housing", "description": "Ideas about Housing.", "parent": "Mentors", "ideas": 1, "submissions": 1},
            {"code": "Mentors", "description": "Ideas about Mentors.", "parent": null, "ideas": 2, "submissions": 2}
        ])
    );
    for private in [
        "Sam",
        "Robin",
        "secret",
        "example.org",
        "18_25",
        "become",
        "withheld",
        &shown,
        &withheld,
        &partly,
        "names a child",
    ] {
        assert!(!text.contains(private), "{private} leaked: {text}");
    }

    // Switched off again, it is gone.
    post_json(
        &app,
        "/api/admin/calls/open-call/codes/publication",
        json!({"published": false}),
    )
    .await;
    let hidden = app.client.get(&summary_url).send().await.expect("sent");
    assert_problem(hidden, 404).await;
}

#[tokio::test]
async fn the_cached_public_summary_shows_a_coding_change_a_rename_and_a_withheld_idea_at_once() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &two_ideas()).await;
    let code = new_code(&app, "Mentors", None).await;
    code_idea_ok(
        &app,
        &reference,
        json!({"action": "apply", "idea": 1, "code": code}),
    )
    .await;
    publish(&app, "open-call", true).await;
    let switched = post_json(
        &app,
        "/api/admin/calls/open-call/codes/publication",
        json!({"published": true}),
    )
    .await;
    assert_eq!(switched.status(), 200);
    let read = || async {
        let response = app
            .client
            .get(app.url("/published/open-call/codes.json"))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.expect("json")
    };
    let first = read().await;
    assert_eq!(
        (first["ideas"].clone(), first["uncoded"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(read().await, first, "the same state reads the same");

    // A coding: the next read counts it.
    code_idea_ok(
        &app,
        &reference,
        json!({"action": "apply", "idea": 2, "code": code}),
    )
    .await;
    let coded = read().await;
    assert_eq!(coded["uncoded"], 0, "{coded}");
    assert_eq!(coded["codes"][0]["ideas"], 2);

    // A rename: the next read shows the new name.
    let renamed = post_json(
        &app,
        &format!("/api/admin/calls/open-call/codes/{code}"),
        json!({"name": "Mentoring", "description": "Ideas about mentoring."}),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    let shown = read().await;
    assert_eq!(shown["codes"][0]["code"], "Mentoring", "{shown}");

    // A withheld idea: the next read no longer counts it.
    act_ok(
        &app,
        &reference,
        json!({"action": "withhold_idea", "idea": 2, "reason": "names a child"}),
    )
    .await;
    let withheld = read().await;
    assert_eq!(withheld["ideas"], 1, "{withheld}");
    assert_eq!(withheld["codes"][0]["ideas"], 1);
    app.stop().await;
}

#[tokio::test]
async fn two_edits_at_once_that_would_each_put_one_code_under_the_other_leave_no_loop() {
    let app = spawn_app().await;
    for round in 0..12 {
        let a = new_code(&app, &format!("A{round}"), None).await;
        let b = new_code(&app, &format!("B{round}"), None).await;
        let edit = |code: i64, name: String, parent: i64| {
            let app = &app;
            async move {
                post_json(
                    app,
                    &format!("/api/admin/calls/open-call/codes/{code}"),
                    json!({"name": name, "parent": parent}),
                )
                .await
                .status()
                .as_u16()
            }
        };
        let (first, second) = tokio::join!(
            edit(a, format!("A{round}"), b),
            edit(b, format!("B{round}"), a)
        );
        let mut statuses = [first, second];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 422], "one edit is made, the other refused");
    }
    let codes = get_json(&app, "/api/admin/calls/open-call/codes").await;
    let codes = codes["codes"].as_array().expect("codes").clone();
    let parent_of = |id: i64| {
        codes
            .iter()
            .find(|c| c["id"] == id)
            .and_then(|c| c["parent"].as_i64())
    };
    for code in &codes {
        let start = code["id"].as_i64().expect("id");
        let mut at = parent_of(start);
        let mut steps = 0;
        while let Some(id) = at {
            assert_ne!(id, start, "code {start} sits under itself");
            steps += 1;
            assert!(steps <= codes.len(), "a loop above code {start}");
            at = parent_of(id);
        }
    }
    app.stop().await;
}
