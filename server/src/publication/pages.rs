//! `GET /published/{call}` (HTML, in pages of [`PUBLISHED_PER_PAGE`]:
//! `?page=2`...), `/published/{call}.csv` and `/published/{call}.json`:
//! every submission as its author consented to publication, all three
//! rendered from [`super::public_views`] once per publication state (see
//! [`super::cache`]). Until staff switch publication on for the call, a 404
//! problem says it is not published yet.
//!
//! Each body is sent in the best coding the client takes (brotli, gzip or
//! none; `Vary: Accept-Encoding`), with a strong `ETag` of its content (a
//! matching `If-None-Match` is answered 304 with no body) and
//! `Cache-Control: public, max-age=60` ([`PUBLISHED_MAX_AGE`]).

use crate::http::extract::{Path, Query};
use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::PublicSubmission;
use super::cache::{BuildError, Coding, Encoded, Output};
use crate::config::Call;
use crate::http::csv::CsvWriter;
use crate::http::html::CSP;
use crate::http::problem::ApiError;
use crate::http::split_file;
use crate::limits::{PUBLISHED_MAX_AGE, PUBLISHED_PER_PAGE};
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/published/{file}", get(show))
}

/// `?page=N` of the HTML (from 1; the first when absent).
#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<usize>,
}

async fn show(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (call_id, ext) = split_file(&file);
    let call = state
        .config
        .call(call_id)
        .ok_or(ApiError::NotFound("There is no call with this id"))?;
    let (output, content_type) = match ext {
        None => (Output::Page(0), "text/html; charset=utf-8"),
        Some("csv") => (Output::Csv, "text/csv; charset=utf-8"),
        Some("json") => (Output::Json, "application/json"),
        Some(_) => {
            return Err(ApiError::NotFound(
                "Published submissions are at {call}, {call}.csv and {call}.json",
            ));
        }
    };
    let publication = state.publication.state(&state.storage, &call.id).await?;
    if !publication.published {
        return Err(ApiError::NotPublished);
    }
    let snapshot = state
        .publication
        .snapshot(&state.storage, call, publication.version)
        .await?;
    let cache = &state.publication;
    let body = match output {
        Output::Page(_) => {
            let pages = snapshot.pages();
            let page = query.page.unwrap_or(1);
            if page == 0 || page > pages {
                return Err(ApiError::NotFound(
                    "There is no such page of published submissions",
                ));
            }
            let call = call.clone();
            cache
                .rendered(&snapshot, Output::Page(page - 1), move |all| {
                    html_page(&call, all, page, pages)
                })
                .await
        }
        Output::Csv => cache.rendered(&snapshot, output, |all| Ok(csv(all))).await,
        Output::Json => {
            let (id, title) = (call.id.clone(), call.title.clone());
            cache
                .rendered(&snapshot, output, move |all| {
                    serde_json::to_vec(&Published {
                        call: &id,
                        title: &title,
                        submissions: all,
                    })
                    .map_err(|e| e.to_string())
                })
                .await
        }
    }
    .map_err(build_failed)?;
    let whole_file = !matches!(output, Output::Page(_));
    Ok(respond(&state, &body, content_type, whole_file, &headers).await)
}

/// The JSON document.
#[derive(serde::Serialize)]
struct Published<'a> {
    call: &'a str,
    title: &'a str,
    submissions: &'a [PublicSubmission],
}

fn build_failed(error: BuildError) -> ApiError {
    match error {
        BuildError::Storage(cause) => ApiError::Storage(cause),
        BuildError::Render(error) => {
            tracing::error!(%error, "the published output did not render");
            ApiError::Internal
        }
    }
}

/// The answer to a request with `request` headers: 304 when its
/// `If-None-Match` names this body's tag, else the body in the best coding
/// the client takes.
/// A whole file (`whole_file`: the CSV or the JSON) waits for a turn among
/// the sends in progress ([`super::send`]).
async fn respond(
    state: &AppState,
    encoded: &Encoded,
    content_type: &'static str,
    whole_file: bool,
    request: &HeaderMap,
) -> Response {
    let accept = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let coding = Coding::negotiate(accept);
    let etag = encoded.etag(coding);
    let unchanged = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*");
    let mut response = if unchanged {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else if whole_file {
        Response::new(state.publication.sends.body(encoded.body(coding)).await)
    } else {
        Response::new(Body::from(encoded.body(coding)))
    };
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    if let Ok(cache) =
        HeaderValue::from_str(&format!("public, max-age={}", PUBLISHED_MAX_AGE.as_secs()))
    {
        headers.insert(header::CACHE_CONTROL, cache);
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if unchanged {
        return response;
    }
    if let Some(name) = coding.header() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Page `page` (from 1) of `pages` of the HTML.
fn html_page(
    call: &Call,
    all: &[PublicSubmission],
    page: usize,
    pages: usize,
) -> Result<Vec<u8>, String> {
    let start = (page - 1) * PUBLISHED_PER_PAGE;
    let end = (start + PUBLISHED_PER_PAGE).min(all.len());
    let link = |n: usize| format!("/published/{}?page={n}", call.id);
    PublishedPage {
        title: &call.title,
        total: all.len(),
        first: start + 1,
        last: end,
        submissions: all.get(start..end).unwrap_or_default(),
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        around: page_links(page, pages)
            .into_iter()
            .map(|n| n.map(|n| (n, link(n))))
            .collect(),
    }
    .render()
    .map(String::into_bytes)
    .map_err(|e| e.to_string())
}

/// The page numbers linked from page `page` of `pages`: the first, the last
/// and two either side of the current one, with `None` where some are left
/// out.
fn page_links(page: usize, pages: usize) -> Vec<Option<usize>> {
    let mut links = Vec::new();
    for n in 1..=pages {
        if n == 1 || n == pages || n.abs_diff(page) <= 2 {
            links.push(Some(n));
        } else if links.last() != Some(&None) {
            links.push(None);
        }
    }
    links
}

/// The public CSV: one row per published idea.
pub fn csv(submissions: &[PublicSubmission]) -> Vec<u8> {
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
    csv.finish().into_bytes()
}

/// `published.html`: one page of a call's published submissions.
#[derive(Template)]
#[template(path = "published.html")]
struct PublishedPage<'a> {
    title: &'a str,
    /// Submissions published in all.
    total: usize,
    /// The numbers of the first and last on this page (from 1).
    first: usize,
    last: usize,
    submissions: &'a [PublicSubmission],
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    /// Numbered links: `None` marks a gap.
    around: Vec<Option<(usize, String)>>,
}

#[cfg(test)]
mod tests {
    use super::super::cache::page_count;
    use super::*;

    #[test]
    fn page_links_keep_the_ends_and_the_neighbours() {
        assert_eq!(page_links(1, 1), vec![Some(1)]);
        assert_eq!(
            page_links(1, 10),
            vec![Some(1), Some(2), Some(3), None, Some(10)]
        );
        assert_eq!(
            page_links(6, 10),
            vec![
                Some(1),
                None,
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                None,
                Some(10)
            ]
        );
        assert_eq!(page_count(0), 1);
        assert_eq!(page_count(PUBLISHED_PER_PAGE + 1), 2);
    }
}
