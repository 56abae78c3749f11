//! Similar ideas, groups of similar ideas (and coding a whole group), and
//! suggested codes that wait for a person: on planted topics, on both
//! engines.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::review_helpers::*;

/// Three subjects, four ideas each, written differently.
const HOUSING: [(&str, &str); 4] = [
    (
        "Housing for care leavers",
        "A first flat with the rent and the deposit paid, and a landlord who knows the tenancy rules.",
    ),
    (
        "Help with the rent",
        "Care leavers struggle to pay rent and a deposit for their first flat or tenancy.",
    ),
    (
        "A flat of their own",
        "Councils should find each care leaver a flat, pay the deposit and guarantee the rent to the landlord.",
    ),
    (
        "Tenancy support",
        "Someone to explain the tenancy, the rent and what the landlord may do, in the first flat.",
    ),
];
const MENTORS: [(&str, &str); 4] = [
    (
        "A mentor who stays",
        "Every young person gets a volunteer mentor, an adult they trust, for years not months.",
    ),
    (
        "Mentoring by volunteers",
        "Trained volunteers mentor young people and stay as a trusted adult and friend.",
    ),
    (
        "Trusted adults",
        "A mentor from the community, a volunteer adult the young person trusts and chooses.",
    ),
    (
        "Friendship that lasts",
        "Volunteer mentors give friendship and trust that last beyond the age of eighteen.",
    ),
];
const PAY: [(&str, &str); 4] = [
    (
        "Pay foster carers fairly",
        "Foster carers need an allowance and wages that cover what caring costs.",
    ),
    (
        "A fair allowance",
        "Raise the fostering allowance so carers are not out of pocket; pay them wages.",
    ),
    (
        "Wages for carers",
        "Foster carers and kinship carers should get wages and a proper allowance.",
    ),
    (
        "Money for fostering",
        "An allowance paid on time, and pay for foster carers in line with wages elsewhere.",
    ),
];

fn one_idea(title: &str, description: &str) -> Value {
    let mut body = valid_body();
    body["ideas"] = json!([{"title": title, "theme": "leaving_care", "description": description}]);
    body
}

/// The planted submissions: references by subject, in order.
struct Planted {
    housing: Vec<String>,
    mentors: Vec<String>,
    pay: Vec<String>,
}

async fn plant(app: &TestApp) -> Planted {
    let mut planted = Planted {
        housing: Vec::new(),
        mentors: Vec::new(),
        pay: Vec::new(),
    };
    for n in 0..4 {
        planted
            .housing
            .push(submit_ok(app, &one_idea(HOUSING[n].0, HOUSING[n].1)).await);
        planted
            .mentors
            .push(submit_ok(app, &one_idea(MENTORS[n].0, MENTORS[n].1)).await);
        planted
            .pay
            .push(submit_ok(app, &one_idea(PAY[n].0, PAY[n].1)).await);
    }
    planted
}

fn references(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["reference"].as_str().map(str::to_owned))
        .collect()
}

/// The group holding `reference`'s first idea, if any.
fn group_of(groups: &Value, reference: &str) -> Option<i64> {
    groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| references(&g["members"]).iter().any(|r| r == reference))
        .and_then(|g| g["id"].as_i64())
}

#[tokio::test]
async fn similar_ideas_rank_an_idea_on_the_same_subject_first_and_say_which_words() {
    let app = spawn_app().await;
    let planted = plant(&app).await;
    // A second idea of the same submission is left out of its similar ideas.
    let mut two = one_idea(HOUSING[0].0, HOUSING[0].1);
    two["ideas"]
        .as_array_mut()
        .expect("ideas")
        .push(json!({"title": "Rent deposit", "theme": "leaving_care", "description": "Pay the deposit on a first flat and the rent."}));
    let both = submit_ok(&app, &two).await;

    let found = get_json(
        &app,
        &format!(
            "/api/admin/submissions/{}/similar?idea=1",
            planted.housing[1]
        ),
    )
    .await;
    assert_eq!(found["idea"], 1);
    let similar = found["similar"].as_array().expect("similar");
    assert!(!similar.is_empty(), "{found}");
    let first = &similar[0];
    let reference = first["reference"].as_str().expect("reference");
    assert!(
        planted.housing.iter().any(|r| r == reference) || reference == both,
        "{found}"
    );
    assert!(first["score"].as_f64().expect("score") > 0.1);
    let words: Vec<&str> = first["words"]
        .as_array()
        .expect("words")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        words
            .iter()
            .any(|w| ["rent", "flat", "deposit", "tenancy", "landlord"].contains(w)),
        "{words:?}"
    );
    assert!(
        !references(&found["similar"])
            .iter()
            .any(|r| planted.mentors.contains(r) || planted.pay.contains(r)),
        "{found}"
    );

    let own = get_json(
        &app,
        &format!("/api/admin/submissions/{both}/similar?idea=2"),
    )
    .await;
    assert!(!references(&own["similar"]).contains(&both), "{own}");
    assert!(!own["similar"].as_array().expect("similar").is_empty());

    let bad = app
        .client
        .get(app.url(&format!("/api/admin/submissions/{both}/similar?idea=3")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_problem(bad, 422).await;
    let anonymous = app
        .client
        .get(app.url(&format!("/api/admin/submissions/{both}/similar")))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 401);

    let shown = page(&app, &format!("/admin/submissions/{}", planted.housing[1])).await;
    assert!(shown.contains("Ideas similar to idea 1"), "{shown}");
    app.stop().await;
}

#[tokio::test]
async fn groups_are_the_same_for_the_same_ideas_and_hold_each_subject_together() {
    let app = spawn_app().await;
    let planted = plant(&app).await;
    let groups = get_json(&app, "/api/admin/calls/open-call/groups").await;
    assert_eq!(groups["ideas"], 12);
    for subject in [&planted.housing, &planted.mentors, &planted.pay] {
        let ids: std::collections::BTreeSet<Option<i64>> =
            subject.iter().map(|r| group_of(&groups, r)).collect();
        assert_eq!(ids.len(), 1, "one group per subject: {groups}");
        assert!(!ids.contains(&None), "{groups}");
    }
    let housing = group_of(&groups, &planted.housing[0]).expect("group");
    let words = groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["id"] == housing)
        .map(|g| g["words"].to_string())
        .expect("words");
    assert!(
        ["rent", "flat", "deposit", "tenancy", "landlord"]
            .iter()
            .any(|w| words.contains(w)),
        "{words}"
    );

    // The same ideas, another server: the same groups.
    let again = get_json(&app, "/api/admin/calls/open-call/groups").await;
    assert_eq!(groups, again);
    let other = spawn_app().await;
    for n in 0..4 {
        submit_ok(&other, &one_idea(HOUSING[n].0, HOUSING[n].1)).await;
        submit_ok(&other, &one_idea(MENTORS[n].0, MENTORS[n].1)).await;
        submit_ok(&other, &one_idea(PAY[n].0, PAY[n].1)).await;
    }
    let elsewhere = get_json(&other, "/api/admin/calls/open-call/groups").await;
    let shape = |g: &Value| -> Vec<(Value, Value, usize)> {
        g["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| {
                (
                    g["size"].clone(),
                    g["words"].clone(),
                    g["members"].as_array().map_or(0, Vec::len),
                )
            })
            .collect()
    };
    assert_eq!(shape(&groups), shape(&elsewhere));

    let shown = page(&app, "/admin/calls/open-call/groups").await;
    assert!(shown.contains("Groups of similar ideas"), "{shown}");
    assert!(shown.contains("<details>"), "{shown}");
    let unknown = app
        .client
        .get(app.url("/api/admin/calls/no-such-call/groups"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_problem(unknown, 404).await;
    other.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn coding_a_group_writes_one_trail_row_per_idea_and_each_can_be_undone() {
    let app = spawn_app().await;
    let planted = plant(&app).await;
    let code = new_code(&app, "Housing").await;
    let groups = get_json(&app, "/api/admin/calls/open-call/groups").await;
    let id = group_of(&groups, &planted.housing[0]).expect("group");
    let group = groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["id"] == id)
        .cloned()
        .expect("group");
    let members = references(&group["members"]);

    let stale = post_json(
        &app,
        "/api/admin/calls/open-call/groups/code",
        json!({"code": code, "group": id, "version": "not-the-one-drawn"}),
    )
    .await;
    let problem = assert_problem(stale, 422).await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("changed")),
        "{problem}"
    );

    // One idea already has the code: it is left alone.
    let first = post_json(
        &app,
        &format!("/api/admin/submissions/{}/codings", members[0]),
        json!({"action": "apply", "idea": 1, "code": code}),
    )
    .await;
    assert_eq!(first.status(), 201);
    let done = post_json(
        &app,
        "/api/admin/calls/open-call/groups/code",
        json!({"code": code, "group": id, "version": group["version"]}),
    )
    .await;
    assert_eq!(done.status(), 200);
    let done: Value = done.json().await.expect("json");
    assert_eq!(done["coded"], members.len() - 1);
    assert_eq!(done["unchanged"], 1);
    for reference in &members {
        let coding = codings(&app, reference).await;
        assert_eq!(coding["codings"].as_array().expect("codings").len(), 1);
        let trail = coding["actions"].as_array().expect("trail");
        assert_eq!(trail.len(), 1, "one trail row per idea: {coding}");
        assert_eq!(trail[0]["staff"], "test");
    }

    // Undo one idea's coding: only that idea loses the code.
    let undone = &members[1];
    let trail = codings(&app, undone).await;
    let undo = post_json(
        &app,
        &format!("/api/admin/submissions/{undone}/codings"),
        json!({"action": "undo", "undoes": trail["actions"][0]["id"]}),
    )
    .await;
    assert_eq!(undo.status(), 201);
    assert_eq!(codings(&app, undone).await["codings"], json!([]));
    assert_eq!(
        codings(&app, &members[2]).await["codings"]
            .as_array()
            .expect("codings")
            .len(),
        1
    );

    // The page's form codes the group too, and says what it did.
    let form = post_form(
        &app,
        "/admin/calls/open-call/groups/code",
        &[
            ("code", &code.to_string()),
            ("group", &id.to_string()),
            ("version", group["version"].as_str().expect("version")),
        ],
    )
    .await;
    assert_eq!(form.status(), 303);
    let to = header(&form, "location");
    assert!(to.contains("coded=1"), "{to}");
    let shown = page(&app, &to).await;
    assert!(shown.contains("applied to 1 ideas"), "{shown}");
    app.stop().await;
}

/// How many codings the call has now.
async fn coding_count(app: &TestApp, planted: &Planted) -> usize {
    let mut n = 0;
    for reference in planted
        .housing
        .iter()
        .chain(&planted.mentors)
        .chain(&planted.pay)
    {
        n += codings(app, reference).await["codings"]
            .as_array()
            .expect("codings")
            .len();
    }
    n
}

#[tokio::test]
async fn suggested_codes_come_from_similar_coded_ideas_and_wait_for_a_person() {
    let app = spawn_app().await;
    let planted = plant(&app).await;
    let housing = new_code(&app, "Housing").await;
    let mentoring = new_code(&app, "Mentoring").await;
    for (reference, code) in [
        (&planted.housing[0], housing),
        (&planted.housing[1], housing),
        (&planted.mentors[0], mentoring),
    ] {
        let response = post_json(
            &app,
            &format!("/api/admin/submissions/{reference}/codings"),
            json!({"action": "apply", "idea": 1, "code": code}),
        )
        .await;
        assert_eq!(response.status(), 201);
    }
    let before = coding_count(&app, &planted).await;
    assert_eq!(before, 3);

    let path = format!(
        "/api/admin/submissions/{}/suggestions?idea=1",
        planted.housing[2]
    );
    let found = get_json(&app, &path).await;
    let first = &found["suggestions"][0];
    assert_eq!(first["code"], housing, "{found}");
    assert_eq!(first["name"], "Housing");
    let reason = first["reason"].as_str().expect("reason");
    assert!(reason.starts_with("2 of the "), "{reason}");
    assert!(reason.contains(&planted.housing[0]), "{reason}");
    assert_eq!(first["because"].as_array().expect("because").len(), 2);

    // Viewing the API and the pages applies nothing.
    let shown = page(&app, &format!("/admin/submissions/{}", planted.housing[2])).await;
    assert!(shown.contains("Suggested codes for idea 1"), "{shown}");
    assert!(shown.contains("Accept Housing"), "{shown}");
    page(&app, "/admin/calls/open-call/groups").await;
    get_json(&app, &path).await;
    assert_eq!(coding_count(&app, &planted).await, before);
    // A coded idea gets no suggestions.
    let coded = get_json(
        &app,
        &format!(
            "/api/admin/submissions/{}/suggestions?idea=1",
            planted.housing[0]
        ),
    )
    .await;
    assert_eq!(coded["suggestions"], json!([]));

    // Accept: applied through the coding path, with a trail row.
    let accepted = post_json(
        &app,
        &format!("/api/admin/submissions/{}/suggestions", planted.housing[2]),
        json!({"idea": 1, "code": housing, "decision": "accept"}),
    )
    .await;
    assert_eq!(accepted.status(), 200);
    let coding = codings(&app, &planted.housing[2]).await;
    assert_eq!(coding["codings"][0]["code"], housing);
    assert_eq!(coding["actions"][0]["action"], "apply");
    assert_eq!(coding["actions"][0]["staff"], "test");

    // Reject (from the page's form): no longer suggested, nothing applied.
    let other = &planted.housing[3];
    let suggested = get_json(
        &app,
        &format!("/api/admin/submissions/{other}/suggestions?idea=1"),
    )
    .await;
    assert!(suggested.to_string().contains("Housing"), "{suggested}");
    let rejected = post_form(
        &app,
        &format!("/admin/submissions/{other}/suggestions"),
        &[
            ("idea", "1"),
            ("code", &housing.to_string()),
            ("decision", "reject"),
        ],
    )
    .await;
    assert_eq!(rejected.status(), 303);
    let after = get_json(
        &app,
        &format!("/api/admin/submissions/{other}/suggestions?idea=1"),
    )
    .await;
    assert!(
        !after["suggestions"]
            .as_array()
            .expect("suggestions")
            .iter()
            .any(|s| s["code"] == housing),
        "{after}"
    );
    assert_eq!(codings(&app, other).await["codings"], json!([]));
    let bad = post_json(
        &app,
        &format!("/api/admin/submissions/{other}/suggestions"),
        json!({"idea": 1, "code": 999_999, "decision": "reject"}),
    )
    .await;
    assert_problem(bad, 422).await;
    app.stop().await;
}

async fn rejections(app: &TestApp) -> i64 {
    use sqlx::Connection;
    let sql = "SELECT COUNT(*) FROM rejected_suggestions";
    if is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&app.database_url)
            .await
            .expect("connect");
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect("count")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .expect("connect");
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect("count")
    }
}

#[tokio::test]
async fn an_erased_submission_leaves_similar_ideas_and_groups_and_its_rejections_go() {
    let app = spawn_app().await;
    let planted = plant(&app).await;
    let code = new_code(&app, "Housing").await;
    let erased = planted.housing[3].clone();
    let rejected = post_json(
        &app,
        &format!("/api/admin/submissions/{erased}/suggestions"),
        json!({"idea": 1, "code": code, "decision": "reject"}),
    )
    .await;
    assert_eq!(rejected.status(), 200);
    assert_eq!(rejections(&app).await, 1);
    let path = format!("/api/admin/submissions/{}/similar", planted.housing[0]);
    assert!(references(&get_json(&app, &path).await["similar"]).contains(&erased));
    let groups = get_json(&app, "/api/admin/calls/open-call/groups").await;
    assert!(group_of(&groups, &erased).is_some());

    let response = app
        .client
        .delete(app.url(&format!("/api/admin/submissions/{erased}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(rejections(&app).await, 0);
    assert!(!references(&get_json(&app, &path).await["similar"]).contains(&erased));
    let groups = get_json(&app, "/api/admin/calls/open-call/groups").await;
    assert_eq!(groups["ideas"], 11);
    assert!(!groups.to_string().contains(&erased), "{groups}");
    let gone = app
        .client
        .get(app.url(&format!("/api/admin/submissions/{erased}/similar")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_problem(gone, 404).await;
    app.stop().await;
}
