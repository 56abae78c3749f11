//! Campaigns: near-copies of one text sent by several people are found and
//! shown once with their counts and variants, coded once for all their
//! ideas (one trail row each, undoable), refused when stale, and left by
//! erased submissions.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::review_helpers::*;

const BIG: &str = "Every young person leaving care should have a mentor they choose, for as \
    long as they want one. It would change how supported they feel in their first home, at \
    college and at work. Care leavers and their personal advisers would be affected, and the \
    risk is finding enough mentors who stay.";

const SMALL: &str = "Pay kinship carers the same allowance as foster carers. Grandparents who \
    take in their grandchildren often give up work and live on savings. The money would keep \
    children out of care and with the people who love them.";

/// Two texts sharing their first sentence and nothing else: two people send
/// each, and neither pair may become one campaign of four.
const SHARED: &str = "Social workers need smaller caseloads now.";
const OWN_A: &str = "Agencies charge councils twice what a permanent worker costs, so money \
    that could hire staff leaves the system every single month.";
const OWN_B: &str = "Newly qualified workers leave within two years because supervision is \
    rushed and nobody has time to teach them the job properly.";

const WORDS: &[&str] = &[
    "housing",
    "school",
    "therapy",
    "money",
    "court",
    "records",
    "contact",
    "sisters",
    "advocate",
    "placement",
    "rent",
    "transport",
    "college",
    "training",
    "grandparents",
    "police",
    "doctor",
    "dentist",
    "lawyer",
    "letters",
    "meetings",
    "holidays",
    "phones",
    "laptops",
    "bikes",
    "jobs",
    "wages",
    "savings",
    "passport",
    "birthday",
    "friends",
    "sports",
    "music",
    "art",
    "garden",
    "kitchen",
    "library",
    "bus",
    "clinic",
    "youth",
    "club",
    "camp",
    "pets",
    "food",
    "clothes",
    "uniform",
    "exam",
    "tutor",
    "visit",
    "weekend",
];

/// A text of its own for idea `n`: words drawn from [`WORDS`] by a small
/// generator, so no two share a run of three words by design.
fn varied(n: usize) -> String {
    let mut state = (n as u64 + 1).wrapping_mul(6_364_136_223_846_793_005);
    let mut words = Vec::new();
    for _ in 0..18 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        words.push(WORDS[(state >> 33) as usize % WORDS.len()]);
    }
    format!("Idea {n}: {}.", words.join(" "))
}

fn body(ideas: &[(&str, &str)]) -> Value {
    let mut body = valid_body();
    body["ideas"] = ideas
        .iter()
        .map(|(title, description)| {
            json!({"title": title, "theme": "leaving_care", "description": description})
        })
        .collect();
    body
}

/// The 12 copies of [`BIG`] (sent by 11 people: one pasted it twice), the 6
/// of [`SMALL`], the two pairs of [`SHARED`] texts and 40 ideas of their
/// own, interleaved. Returns the references of BIG's and SMALL's senders.
async fn planted(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let big_copies = [
        BIG.to_owned(),
        BIG.to_uppercase(),
        BIG.replace("mentor they", "mentr they"),
        BIG.replace(", for as long", " for as long"),
        format!("{BIG} Please listen to us."),
        BIG.replace("first home", "home first"),
        BIG.to_owned(),
        BIG.replace("at work", "in work"),
        BIG.to_lowercase(),
        BIG.to_owned(),
        BIG.replace(" and the risk", "; the risk"),
    ];
    let small_copies = [
        SMALL.to_owned(),
        SMALL.replace("allowance", "alowance"),
        SMALL.to_owned(),
        SMALL.replace(" The money would", " It would"),
        SMALL.to_uppercase(),
        SMALL.to_owned(),
    ];
    let mut big = Vec::new();
    let mut small = Vec::new();
    for n in 0..40 {
        submit_ok(app, &body(&[("My idea", &varied(n))])).await;
        if let Some(text) = big_copies.get(n) {
            let reference = if n == 3 {
                // The same person pastes it twice.
                submit_ok(app, &body(&[("Mentors", text), ("Mentors again", BIG)])).await
            } else {
                submit_ok(app, &body(&[("Mentors", text)])).await
            };
            big.push(reference);
        }
        if let Some(text) = small_copies.get(n) {
            small.push(submit_ok(app, &body(&[("Kinship pay", text)])).await);
        }
        if n < 2 {
            submit_ok(app, &body(&[("Caseloads", &format!("{SHARED} {OWN_A}"))])).await;
            submit_ok(app, &body(&[("Caseloads", &format!("{SHARED} {OWN_B}"))])).await;
        }
    }
    (big, small)
}

async fn campaigns(app: &TestApp) -> Value {
    get_json(app, "/api/admin/calls/open-call/campaigns").await
}

fn members(campaign: &Value) -> Vec<(String, u64)> {
    campaign["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["reference"].as_str().expect("reference").to_owned(),
                m["idea"].as_u64().expect("idea"),
            )
        })
        .collect()
}

#[tokio::test]
async fn near_copies_are_one_campaign_with_counts_and_variants() {
    let app = spawn_app().await;
    let (big, small) = planted(&app).await;
    let found = campaigns(&app).await;
    assert_eq!(found["call"], "open-call");
    assert_eq!(found["ideas"], 40 + 12 + 6 + 4);
    let list = found["campaigns"].as_array().expect("campaigns");
    assert_eq!(list.len(), 2, "{found}");

    let first = &list[0];
    assert_eq!(first["id"], 1);
    assert_eq!(first["size"], 12);
    assert_eq!(first["people"], 11);
    assert_eq!(first["text"], BIG);
    // Case and punctuation aside, 6 distinct texts; BIG itself 7 times
    // (four times as sent, in upper and lower case, and without a comma).
    assert_eq!(first["variant_count"], 6);
    assert_eq!(first["variants"][0]["text"], BIG);
    assert_eq!(first["variants"][0]["count"], 7);
    let mut expected: Vec<(String, u64)> = big.iter().map(|r| (r.clone(), 1)).collect();
    expected.insert(4, (big[3].clone(), 2));
    assert_eq!(members(first), expected);

    let second = &list[1];
    assert_eq!(
        (second["id"].as_u64(), second["size"].as_u64()),
        (Some(2), Some(6))
    );
    assert_eq!(second["people"], 6);
    assert_eq!(second["text"], SMALL);
    assert_eq!(second["variant_count"], 3);
    assert_eq!(
        members(second),
        small.iter().map(|r| (r.clone(), 1)).collect::<Vec<_>>()
    );
    // The same data gives the same answer.
    assert_eq!(campaigns(&app).await, found);
    app.stop().await;
}

#[tokio::test]
async fn campaign_members_are_coded_once_for_all_and_can_be_undone() {
    let app = spawn_app().await;
    let (big, _) = planted(&app).await;
    let code = new_code(&app, "Mentoring").await;
    // One member is coded by hand first: it is left alone.
    let by_hand = post_json(
        &app,
        &format!("/api/admin/submissions/{}/codings", big[0]),
        json!({"action": "apply", "idea": 1, "code": code}),
    )
    .await;
    assert_eq!(by_hand.status(), 201);

    let found = campaigns(&app).await;
    let campaign = &found["campaigns"][0];
    let response = post_json(
        &app,
        "/api/admin/calls/open-call/campaigns/code",
        json!({"code": code, "campaign": 1, "version": campaign["version"]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let coded: Value = response.json().await.expect("json");
    assert_eq!(
        (coded["changed"].as_u64(), coded["unchanged"].as_u64()),
        (Some(11), Some(1))
    );

    let counts = get_json(&app, "/api/admin/calls/open-call/codes/counts").await;
    assert_eq!(counts["codes"][0]["ideas"], 12);
    assert_eq!(counts["codes"][0]["people"], 11);
    for (reference, idea) in members(campaign) {
        let coding = codings(&app, &reference).await;
        let rows: Vec<&Value> = coding["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .filter(|a| a["idea"].as_u64() == Some(idea - 1))
            .collect();
        assert_eq!(rows.len(), 1, "one trail row for {reference} idea {idea}");
        assert_eq!(rows[0]["action"], "apply");
        assert_eq!(rows[0]["staff"], "test");
    }

    // Each idea's change can be undone on its own.
    let coding = codings(&app, &big[1]).await;
    let row = coding["actions"][0]["id"].as_i64().expect("id");
    let undone = post_json(
        &app,
        &format!("/api/admin/submissions/{}/codings", big[1]),
        json!({"action": "undo", "undoes": row}),
    )
    .await;
    assert_eq!(undone.status(), 201);
    let counts = get_json(&app, "/api/admin/calls/open-call/codes/counts").await;
    assert_eq!(counts["codes"][0]["ideas"], 11);

    // And the code can be taken off the whole campaign at once.
    let removed = post_json(
        &app,
        "/api/admin/calls/open-call/campaigns/code",
        json!({"code": code, "campaign": 1, "version": campaign["version"], "remove": true}),
    )
    .await;
    assert_eq!(removed.status(), 200);
    let removed: Value = removed.json().await.expect("json");
    assert_eq!(removed["changed"], 11);
    let counts = get_json(&app, "/api/admin/calls/open-call/codes/counts").await;
    assert_eq!(counts["codes"][0]["ideas"], 0);
    app.stop().await;
}

#[tokio::test]
async fn a_stale_campaign_is_refused_and_nothing_is_coded() {
    let app = spawn_app().await;
    let (_, small) = planted(&app).await;
    let code = new_code(&app, "Kinship").await;
    let drawn = campaigns(&app).await;
    let version = drawn["campaigns"][1]["version"].clone();
    // Another person sends the small campaign's text after the page was drawn.
    submit_ok(&app, &body(&[("Kinship pay", SMALL)])).await;
    for request in [
        json!({"code": code, "campaign": 2, "version": version}),
        json!({"code": code, "campaign": 9, "version": version}),
        json!({"code": code, "campaign": 2, "version": "0000"}),
    ] {
        let response = post_json(&app, "/api/admin/calls/open-call/campaigns/code", request).await;
        let problem = assert_problem(response, 422).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("changed since this page was drawn"),
            "{problem}"
        );
    }
    let unknown_code = post_json(
        &app,
        "/api/admin/calls/open-call/campaigns/code",
        json!({"code": 999_999, "campaign": 2, "version": version}),
    )
    .await;
    assert_problem(unknown_code, 422).await;
    let counts = get_json(&app, "/api/admin/calls/open-call/codes/counts").await;
    assert_eq!(counts["codes"][0]["ideas"], 0);
    assert!(
        codings(&app, &small[0]).await["actions"]
            .as_array()
            .expect("actions")
            .is_empty()
    );

    // Drawn again, the campaign has seven ideas and codes them all.
    let now = campaigns(&app).await;
    assert_eq!(now["campaigns"][1]["size"], 7);
    let response = post_json(
        &app,
        "/api/admin/calls/open-call/campaigns/code",
        json!({"code": code, "campaign": 2, "version": now["campaigns"][1]["version"]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let unknown_call = app
        .client
        .get(app.url("/api/admin/calls/no-such-call/campaigns"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_problem(unknown_call, 404).await;
    let anonymous = app
        .client
        .get(app.url("/api/admin/calls/open-call/campaigns"))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn erased_submissions_leave_their_campaigns() {
    let app = spawn_app().await;
    let (_, small) = planted(&app).await;
    assert_eq!(campaigns(&app).await["campaigns"][1]["size"], 6);
    for (n, reference) in small.iter().enumerate().take(4) {
        let response = app
            .client
            .delete(app.url(&format!("/api/admin/submissions/{reference}")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200);
        let found = campaigns(&app).await;
        let list = found["campaigns"].as_array().expect("campaigns");
        let all = found.to_string();
        assert!(!all.contains(reference.as_str()), "{reference} erased");
        if n < 3 {
            assert_eq!(list[1]["size"].as_u64(), Some(5 - n as u64));
        } else {
            // Two people left: no longer a campaign.
            assert_eq!(list.len(), 1, "{found}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn staff_see_campaigns_and_code_them_from_the_page() {
    let app = spawn_app().await;
    let (big, _) = planted(&app).await;
    let code = new_code(&app, "Mentoring <all>").await;
    let response = app
        .client
        .get(app.url("/admin/calls/open-call/campaigns"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("page");
    assert!(
        page.contains("Campaign 1: 12 ideas from 11 submissions"),
        "{page}"
    );
    assert!(page.contains("Campaign 2: 6 ideas from 6 submissions"));
    assert!(page.contains("Apply to all 12 ideas of campaign 1"));
    assert!(page.contains(&format!("/admin/submissions/{}#codes-2", big[3])));
    assert!(!page.contains("<script"));
    assert!(!page.contains("Mentoring <all>"), "escaped");
    let version = campaigns(&app).await["campaigns"][0]["version"]
        .as_str()
        .expect("version")
        .to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let post = |fields: Vec<(&'static str, String)>| {
        client
            .post(app.url("/admin/calls/open-call/campaigns/code"))
            .bearer_auth(ADMIN_TOKEN)
            .form(&fields)
            .send()
    };
    let coded = post(vec![
        ("campaign", "1".into()),
        ("version", version.clone()),
        ("action", "apply".into()),
        ("code", code.to_string()),
    ])
    .await
    .expect("sent");
    assert_eq!(coded.status(), 303);
    assert_eq!(
        coded.headers()["location"],
        "/admin/calls/open-call/campaigns#campaign-1"
    );
    let counts = get_json(&app, "/api/admin/calls/open-call/codes/counts").await;
    assert_eq!(counts["codes"][0]["ideas"], 12);
    let stale = post(vec![
        ("campaign", "1".into()),
        ("version", "stale".into()),
        ("action", "apply".into()),
        ("code", code.to_string()),
    ])
    .await
    .expect("sent");
    let text = assert_error_page(stale, 422).await;
    assert!(text.contains("changed since this page was drawn"), "{text}");
    let codebook = app
        .client
        .get(app.url("/admin/calls/open-call/codes"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("page");
    assert!(codebook.contains("/admin/calls/open-call/campaigns"));
    app.stop().await;
}

/// Copy `n` of a large campaign: [`BIG`] with two of its words replaced
/// from [`WORDS`] by a small generator (so most copies differ from every
/// other), a sentence of one's own added to every third and the case
/// changed on every fifth.
fn edited_copy(n: usize) -> String {
    let mut words: Vec<&str> = BIG.split(' ').collect();
    let mut state = (n as u64 + 7).wrapping_mul(2_862_933_555_777_941_757);
    for _ in 0..2 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let at = (state >> 33) as usize % words.len();
        words[at] = WORDS[(state >> 17) as usize % WORDS.len()];
    }
    let mut text = words.join(" ");
    if n.is_multiple_of(3) {
        text.push_str(&format!(" I have waited {n} days."));
    }
    if n.is_multiple_of(5) {
        text = text.to_uppercase();
    }
    text
}

#[tokio::test]
async fn thousands_of_edited_copies_are_one_campaign_with_every_member_and_nothing_else() {
    const COPIES: usize = 2_500;
    // Without the model: reading 2,540 submissions for safeguarding would
    // be most of this test's time, and campaigns are found from words.
    let app = spawn_app_with(Options {
        model: false,
        ..Options::default()
    })
    .await;
    let mut own = Vec::new();
    for n in 0..40 {
        own.push(submit_ok(&app, &body(&[("My idea", &varied(n))])).await);
    }
    for text in [OWN_A, OWN_B] {
        own.push(submit_ok(&app, &body(&[("Caseloads", &format!("{SHARED} {text}"))])).await);
    }
    // Sent 32 at a time, as many people at once.
    let mut sending = tokio::task::JoinSet::new();
    let mut copies = std::collections::BTreeSet::new();
    for n in 0..COPIES {
        if sending.len() == 32
            && let Some(sent) = sending.join_next().await
        {
            copies.insert(sent.expect("sent"));
        }
        let request = app.submit(
            "open-call",
            &new_key(),
            &body(&[("Mentors", &edited_copy(n))]),
        );
        sending.spawn(async move {
            let response = request.await;
            assert_eq!(response.status(), 201, "submission accepted");
            let receipt: Value = response.json().await.expect("json");
            receipt["reference"].as_str().expect("reference").to_owned()
        });
    }
    while let Some(sent) = sending.join_next().await {
        copies.insert(sent.expect("sent"));
    }
    assert_eq!(copies.len(), COPIES);
    let distinct: std::collections::BTreeSet<String> =
        (0..COPIES).map(|n| edited_copy(n).to_lowercase()).collect();
    assert!(distinct.len() > COPIES / 2, "most copies differ");

    let found = campaigns(&app).await;
    assert_eq!(found["ideas"], COPIES + own.len());
    let list = found["campaigns"].as_array().expect("campaigns");
    assert_eq!(list.len(), 1, "one campaign");
    let campaign = &list[0];
    assert_eq!(campaign["size"], COPIES);
    assert_eq!(campaign["people"], COPIES);
    let members: std::collections::BTreeSet<String> = members(campaign)
        .into_iter()
        .map(|(reference, _)| reference)
        .collect();
    assert_eq!(members, copies, "every copy, and nothing else");
    assert!(own.iter().all(|reference| !members.contains(reference)));
    // The same data gives the same answer.
    assert_eq!(campaigns(&app).await, found);
    app.stop().await;
}
