//! `GET /metrics`: Prometheus counts that move as requests are made,
//! behind staff sign-in, with no personal data in any label.

use crate::helpers::{
    ADMIN_TOKEN, Options, TestApp, is_postgres, new_key, spawn_app, spawn_app_with, valid_body,
};

async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.expect("text")
}

/// The sum of the samples of `name` whose labels include every one of
/// `labels`; 0 when there are none.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, sample) = line.rsplit_once(' ')?;
            let (metric, label_text) = match series.split_once('{') {
                Some((metric, rest)) => (metric, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            (metric == name
                && labels
                    .iter()
                    .all(|(k, v)| label_text.contains(&format!("{k}=\"{v}\""))))
            .then(|| sample.parse::<f64>().ok())?
        })
        .sum()
}

/// Every label value in the text, for the personal data check.
fn label_values(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            line.split_once('{')
                .and_then(|(_, rest)| rest.rsplit_once('}'))
        })
        .flat_map(|(labels, _)| {
            labels
                .split("\",")
                .filter_map(|pair| pair.split_once("=\""))
                .map(|(_, v)| v.trim_end_matches('"').to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn metrics_count_stored_and_refused_submissions_and_routes_without_personal_data() {
    let app = spawn_app().await;
    let anonymous = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(anonymous.status().as_u16(), 401);
    let before = scrape(&app).await;
    let submissions = "/api/calls/{call}/submissions";

    let mut body = valid_body();
    body["respondent"]["name"] = "Metrica Personne".into();
    body["respondent"]["email"] = "metrica.personne@example.org".into();
    body["ideas"][0]["title"] = "Zebra crossings near every school".into();
    body["ideas"][0]["description"] =
        "I am not safe at home and I do not know who to tell, so zebra crossings.".into();
    let response = app.submit("open-call", &new_key(), &body).await;
    assert_eq!(response.status().as_u16(), 201);
    let receipt: serde_json::Value = response.json().await.expect("receipt");
    let reference = receipt["reference"].as_str().expect("reference").to_owned();

    let mut invalid = body.clone();
    invalid["ideas"][0]["title"] = "".into();
    let refused = app.submit("open-call", &new_key(), &invalid).await;
    assert_eq!(refused.status().as_u16(), 422);

    let one = app
        .client
        .get(app.url(&format!("/api/admin/submissions/{reference}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("one submission");
    assert_eq!(one.status().as_u16(), 200);
    let lost = app
        .client
        .get(app.url("/nowhere/metrica.personne@example.org"))
        .send()
        .await
        .expect("unknown path");
    assert_eq!(lost.status().as_u16(), 404);

    let after = scrape(&app).await;
    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    assert_eq!(moved("cfi_submissions_stored_total", &[]), 1.0, "{after}");
    assert_eq!(
        moved("cfi_submissions_refused_total", &[("reason", "validation")]),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved(
            "cfi_http_requests_total",
            &[
                ("route", submissions),
                ("method", "POST"),
                ("status", "201")
            ]
        ),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved(
            "cfi_http_requests_total",
            &[("route", submissions), ("status", "422")]
        ),
        1.0
    );
    assert_eq!(
        moved(
            "cfi_http_requests_total",
            &[
                ("route", "/api/admin/submissions/{reference}"),
                ("status", "200")
            ]
        ),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved(
            "cfi_http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        ),
        1.0
    );
    assert!(
        moved(
            "cfi_storage_operation_seconds_count",
            &[("operation", "submit")]
        ) >= 1.0,
        "{after}"
    );
    let batches = if is_postgres() {
        "cfi_postgres_batch_size_count"
    } else {
        "cfi_sqlite_batch_size_count"
    };
    assert!(value(&after, batches, &[]) >= 1.0, "{after}");
    assert_eq!(
        value(&after, "cfi_safeguarding_flags_open", &[]),
        1.0,
        "{after}"
    );

    let labels = label_values(&after);
    assert!(labels.iter().any(|v| v == submissions), "{labels:?}");
    for personal in [
        reference.as_str(),
        "Metrica",
        "metrica.personne",
        "Zebra",
        "zebra",
        "not safe",
        "127.0.0.1",
        ADMIN_TOKEN,
    ] {
        assert!(
            !after.contains(personal),
            "{personal} appears in the metrics"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn rate_limited_submissions_are_counted_with_their_reason() {
    let app = spawn_app_with(Options {
        submissions_per_minute: 1,
        burst: 1,
        ..Options::default()
    })
    .await;
    let first = app.submit("open-call", &new_key(), &valid_body()).await;
    assert_eq!(first.status().as_u16(), 201);
    let second = app.submit("open-call", &new_key(), &valid_body()).await;
    assert_eq!(second.status().as_u16(), 429);
    let text = scrape(&app).await;
    assert_eq!(
        value(&text, "cfi_rate_limited_requests_total", &[]),
        1.0,
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "cfi_submissions_refused_total",
            &[("reason", "too-many-requests")]
        ),
        1.0,
        "{text}"
    );
    assert_eq!(value(&text, "cfi_submissions_stored_total", &[]), 1.0);
    app.stop().await;
}
