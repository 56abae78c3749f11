//! Redaction covers every case variant of the passage, on every published
//! output.

use serde_json::json;

use crate::helpers::{spawn_app, valid_body};
use crate::review_helpers::{act_ok, publish, published, submit_ok};

#[tokio::test]
async fn a_redacted_name_leaves_no_case_variant_on_the_published_page_csv_or_json() {
    let app = spawn_app().await;
    let mut body = valid_body();
    body["ideas"] = json!([{
        "title": "Listen to children in care",
        "description": "John Smith, my social worker, listened. When JOHN SMITH left, \
                        nobody did; john smith and jOhN sMiTh are one man."
    }]);
    let reference = submit_ok(&app, &body).await;
    let action = act_ok(
        &app,
        &reference,
        json!({"action": "redact", "idea": 1, "field": "description",
        "text": "John Smith", "reason": "names a social worker"}),
    )
    .await;
    assert_eq!(
        action["spans"].as_array().map(Vec::len),
        Some(4),
        "{action}"
    );
    publish(&app, "open-call", true).await;
    let out = published(&app, "open-call").await;
    let s = out.submission(&reference).expect("published");
    assert_eq!(
        s["ideas"][0]["description"],
        "[redacted], my social worker, listened. When [redacted] left, \
         nobody did; [redacted] and [redacted] are one man."
    );
    let text = out.all_text();
    for variant in ["John Smith", "john smith", "JOHN SMITH", "jOhN sMiTh"] {
        assert!(!text.contains(variant), "{variant} is not published");
    }
    assert!(
        !text.to_lowercase().contains("smith"),
        "no case variant is published"
    );
    for output in [&out.html, &out.csv] {
        assert!(output.contains("When [redacted] left"));
    }
    app.stop().await;
}
