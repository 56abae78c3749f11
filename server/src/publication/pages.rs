//! `GET /published/{call}` (HTML), `/published/{call}.csv` and
//! `/published/{call}.json`: every submission as its author consented to
//! publication, all three rendered from [`super::published`].
//! Until staff switch publication on for the call, a 404 problem says it is
//! not published yet.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{PublicSubmission, published};
use crate::http::csv::CsvWriter;
use crate::http::html::{CSP, escape, page};
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
        None => (html(&call.title, &submissions), "text/html; charset=utf-8"),
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

fn html(title: &str, submissions: &[PublicSubmission]) -> String {
    let mut body = format!(
        "<h1>{} – published submissions</h1>\
         <p>{} submissions, published as their authors chose: with their name, their \
         organisation's name, or anonymously. Some text has been withheld or redacted to \
         protect people.</p>",
        escape(title),
        submissions.len()
    );
    for s in submissions {
        body.push_str(&format!(
            "<article class=\"idea\" aria-labelledby=\"s-{r}\"><h2 id=\"s-{r}\">{who}</h2>\
             <p>Reference {r}, sent on {on}</p>",
            r = escape(&s.reference),
            who = escape(&s.published_as),
            on = escape(&s.submitted_on),
        ));
        for idea in &s.ideas {
            body.push_str(&format!(
                "<h3>Idea {n}: {title}</h3>{theme}<p class=\"description\">{description}</p>",
                n = idea.number,
                title = escape(&idea.title),
                theme = idea
                    .theme
                    .as_deref()
                    .map(|t| format!("<p>Theme: {}</p>", escape(t)))
                    .unwrap_or_default(),
                description = escape(&idea.description),
            ));
        }
        body.push_str("</article>");
    }
    page(&format!("{title} – published"), "", &body)
}
