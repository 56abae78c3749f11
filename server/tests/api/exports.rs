//! Staff exports (full CSV and JSON) and CSV safety in every CSV output.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::review_helpers::*;

/// Formula characters a cell must never start with.
const DANGEROUS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

async fn export(app: &TestApp, file: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/admin/export/{file}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
}

fn assert_safe_cells(csv: &str) {
    let records = parse_csv(csv);
    assert!(records.len() > 1, "has rows");
    let width = records[0].len();
    for record in &records {
        assert_eq!(record.len(), width, "every record has every column");
        for cell in record {
            assert!(
                !cell.starts_with(DANGEROUS),
                "cell {cell:?} starts with a formula character"
            );
        }
    }
}

#[tokio::test]
async fn every_csv_cell_beginning_with_a_formula_character_is_neutralised() {
    let app = spawn_app().await;
    let mut body = body_with(
        json!({"name": "=HYPERLINK(\"http://evil.example\",\"click\")", "age_band": "26_plus"}),
        "named",
    );
    body["ideas"] = json!([
        {"title": "+SUM(1,2)", "description": "-2+3 is a formula too"},
        {"title": "@IMPORTXML(A1)", "description": "=1+1\tand \"quotes\", commas\nand lines"}
    ]);
    let reference = submit_ok(&app, &body).await;
    let mut org = body_with(
        json!({"capacity": "organisation", "organisation": "-Minus Org", "name": "@contact",
               "age_band": "26_plus"}),
        "named",
    );
    org["ideas"][0]["title"] = json!("=cmd|' /C calc'!A0");
    submit_ok(&app, &org).await;

    let staff_csv = export(&app, "open-call.csv").await;
    assert_eq!(staff_csv.status(), 200);
    assert!(header(&staff_csv, "content-type").starts_with("text/csv"));
    let staff_csv = staff_csv.text().await.expect("text");
    assert_safe_cells(&staff_csv);
    let records = parse_csv(&staff_csv);
    let row = records
        .iter()
        .find(|r| r[0] == reference && r.contains(&"'@IMPORTXML(A1)".to_owned()))
        .expect("the second idea's row");
    assert!(row.contains(&"'=1+1\tand \"quotes\", commas\nand lines".to_owned()));
    assert!(staff_csv.contains("'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")"));

    publish(&app, "open-call", true).await;
    let out = published(&app, "open-call").await;
    assert_safe_cells(&out.csv);
    assert!(out.csv.contains("\"'=HYPERLINK("));
    assert!(out.csv.contains("\"'-Minus Org\""));
    assert!(out.csv.contains("\"'+SUM(1,2)\""));

    // Tab and carriage return cannot start a stored answer (answers are
    // trimmed), so the shared writer is checked with them directly.
    let mut writer = cfi_server::http::csv::CsvWriter::new();
    writer.row(DANGEROUS.iter().map(|c| format!("{c}1")));
    let text = writer.finish();
    assert_safe_cells(&format!("{text}{text}"));
    app.stop().await;
}

#[tokio::test]
async fn the_staff_exports_hold_every_field_and_the_moderation_state() {
    let app = spawn_app().await;
    let reference = submit_ok(&app, &valid_body()).await;
    act_ok(
        &app,
        &reference,
        json!({"action": "withhold", "reason": "checking"}),
    )
    .await;
    let csv = export(&app, "open-call.csv")
        .await
        .text()
        .await
        .expect("text");
    let records = parse_csv(&csv);
    let header_row = &records[0];
    let row = &records[1];
    let cell = |name: &str| {
        let i = header_row.iter().position(|h| h == name).expect(name);
        row[i].clone()
    };
    assert_eq!(cell("reference"), reference);
    assert_eq!(cell("email"), "sam@example.org");
    assert_eq!(cell("age_band"), "18_25");
    assert_eq!(cell("name"), "Sam Example");
    assert_eq!(cell("partner"), "become");
    assert_eq!(cell("withheld"), "yes");
    assert_eq!(cell("idea_title"), "A mentor for every care leaver");

    let json_export = export(&app, "open-call.json").await;
    assert_eq!(json_export.status(), 200);
    let body: Value = json_export.json().await.expect("json");
    let s = &body["submissions"][0];
    assert_eq!(s["submission"]["email"], "sam@example.org");
    assert_eq!(s["submission"]["age_band"], "18_25");
    assert_eq!(s["moderation"]["withheld"], true);

    let unknown = export(&app, "nope.csv").await;
    assert_problem(unknown, 404).await;
    let wrong_format = export(&app, "open-call.xlsx").await;
    assert_problem(wrong_format, 404).await;
    app.stop().await;
}

#[tokio::test]
async fn exports_and_the_list_of_more_submissions_than_a_page_are_sent_in_pieces_each_once() {
    use futures_util::StreamExt;
    // Without the model: reading each of these for safeguarding would be
    // most of this test's time, and exports are the same either way.
    let app = spawn_app_with(Options {
        model: false,
        ..Options::default()
    })
    .await;
    let count = usize::try_from(cfi_server::limits::EXPORT_PAGE_ROWS).expect("small") * 2 + 17;
    let mut references: Vec<String> = futures_util::stream::iter(0..count)
        .map(|i| {
            let app = &app;
            async move {
                let mut body = valid_body();
                body["ideas"][0]["title"] = json!(format!("Idea number {i}"));
                submit_ok(app, &body).await
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    references.sort();

    let csv = export(&app, "open-call.csv").await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers().get("content-length").is_none(),
        "sent as it is read, not built whole first"
    );
    let records = parse_csv(&csv.text().await.expect("text"));
    assert_eq!(records[0][0], "reference", "the header once, first");
    let mut exported: Vec<String> = records[1..].iter().map(|r| r[0].clone()).collect();
    exported.sort();
    assert_eq!(exported, references, "every submission once");

    let json = export(&app, "open-call.json").await;
    assert_eq!(json.status(), 200);
    let json: Value = json.json().await.expect("one JSON document");
    assert_eq!(json["call"], "open-call");
    let mut exported: Vec<String> = json["submissions"]
        .as_array()
        .expect("submissions")
        .iter()
        .map(|s| {
            s["submission"]["reference"]
                .as_str()
                .expect("reference")
                .to_owned()
        })
        .collect();
    exported.sort();
    assert_eq!(exported, references, "every submission once");

    let list = app
        .client
        .get(app.url("/api/admin/submissions"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(list.status(), 200);
    assert!(list.headers().get("content-length").is_none());
    let list: Value = list.json().await.expect("one JSON document");
    let mut listed: Vec<String> = list["submissions"]
        .as_array()
        .expect("submissions")
        .iter()
        .map(|s| s["reference"].as_str().expect("reference").to_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, references, "every submission once");
    app.stop().await;
}
