//! `GET /published/{call}` (HTML), `/published/{call}.csv` and
//! `/published/{call}.json`: every submission as its author consented to
//! publication, all three rendered from [`super::published`].
//! Until staff switch publication on for the call, a 404 problem says it is
//! not published yet.

use crate::http::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{PublicSubmission, published};
use crate::http::csv::CsvWriter;
use crate::http::html::CSP;
use crate::http::problem::ApiError;
use crate::http::split_file;
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/published/{file}", get(show))
}

async fn show(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let (call_id, ext) = split_file(&file);
    let call = state
        .config
        .call(call_id)
        .ok_or(ApiError::NotFound("There is no call with this id"))?;
    if !state.storage.is_published(&call.id).await? {
        return Err(ApiError::NotPublished);
    }
    let submissions = published(&state.storage, call).await?;
    let (body, content_type) = match ext {
        None => (
            PublishedPage {
                title: &call.title,
                submissions: &submissions,
            }
            .render()
            .map_err(|error| {
                tracing::error!(%error, "the published page did not render");
                ApiError::Internal
            })?,
            "text/html; charset=utf-8",
        ),
        Some("csv") => (csv(&submissions), "text/csv; charset=utf-8"),
        Some("json") => (
            serde_json::to_string(&serde_json::json!({
                "call": call.id,
                "title": call.title,
                "submissions": submissions,
            }))
            .map_err(|_| ApiError::Internal)?,
            "application/json",
        ),
        Some(_) => {
            return Err(ApiError::NotFound(
                "Published submissions are at {call}, {call}.csv and {call}.json",
            ));
        }
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// The public CSV: one row per published idea.
pub fn csv(submissions: &[PublicSubmission]) -> String {
    let mut csv = CsvWriter::new();
    csv.row([
        "reference",
        "published_as",
        "submitted_on",
        "idea_number",
        "title",
        "theme",
        "description",
    ]);
    for s in submissions {
        for idea in &s.ideas {
            let number = idea.number.to_string();
            csv.row([
                s.reference.as_str(),
                s.published_as.as_str(),
                s.submitted_on.as_str(),
                number.as_str(),
                idea.title.as_str(),
                idea.theme.as_deref().unwrap_or(""),
                idea.description.as_str(),
            ]);
        }
    }
    csv.finish()
}

/// `published.html`: every published submission of a call.
#[derive(Template)]
#[template(path = "published.html")]
struct PublishedPage<'a> {
    title: &'a str,
    submissions: &'a [PublicSubmission],
}
