//! `GET /api/admin/export/{call}.csv` or `.json`: every submission of a call
//! with every stored field, its moderation state and the codes of each idea
//! (from the codebook), for staff. Sent as it is read, a page of
//! [`EXPORT_PAGE_ROWS`] submissions at a time (with their moderation
//! actions and codings), so memory stays bounded whatever the call's size.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{StreamExt, TryStreamExt, stream};

use super::service::state_view;
use crate::auth::Staff;
use crate::config::Config;
use crate::http::csv::CsvWriter;
use crate::http::extract::Path;
use crate::http::problem::ApiError;
use crate::http::split_file;
use crate::limits::EXPORT_PAGE_ROWS;
use crate::moderation::{ModerationState, redact};
use crate::storage::{StorageError, StoredSubmission, now_text};
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/admin/export/{file}", get(export))
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Json,
}

/// Where a streamed export has got to.
struct Pages {
    state: AppState,
    call: String,
    format: Format,
    /// The codebook's names by code id.
    code_names: Arc<HashMap<i64, String>>,
    /// The place of the last submission sent (0 before the first).
    after: i64,
    sent: usize,
    finished: bool,
}

/// The next piece of the export: its opening and first page, a page, or
/// its end; `None` once it has ended.
async fn next_page(mut pages: Pages) -> Result<Option<(Bytes, Pages)>, StorageError> {
    if pages.finished {
        return Ok(None);
    }
    let storage = &pages.state.storage;
    let page = storage
        .list_page(&pages.call, pages.after, EXPORT_PAGE_ROWS)
        .await?;
    let references: Vec<&str> = page.iter().map(|(_, s)| s.reference.as_str()).collect();
    let states = ModerationState::by_reference(
        &crate::moderation::persistence::actions_of(storage, &references).await?,
    );
    let mut codes: HashMap<(String, usize), Vec<String>> = HashMap::new();
    for coding in crate::codebook::persistence::codings_of_many(storage, &references).await? {
        if let Some(name) = pages.code_names.get(&coding.code) {
            codes
                .entry((coding.reference, coding.idea))
                .or_default()
                .push(name.clone());
        }
    }
    for names in codes.values_mut() {
        names.sort();
    }
    let none = ModerationState::default();
    let state_of = |s: &StoredSubmission| states.get(&s.reference).unwrap_or(&none);
    let codes_of = |s: &StoredSubmission, i: usize| -> Vec<String> {
        codes
            .get(&(s.reference.clone(), i))
            .cloned()
            .unwrap_or_default()
    };
    let first = pages.after == 0 && pages.sent == 0;
    let config = &pages.state.config;
    let mut out = String::new();
    match pages.format {
        Format::Csv => {
            let mut csv = CsvWriter::new();
            if first {
                csv.row(EXPORT_HEADER);
            }
            for (_, s) in &page {
                csv_rows(&mut csv, config, s, state_of(s), &|i| codes_of(s, i));
            }
            out.push_str(&csv.finish());
        }
        Format::Json => {
            if first {
                let opening =
                    serde_json::json!({"call": pages.call, "exported_at": now_text()}).to_string();
                // The object without its closing brace, then the list.
                out.push_str(&opening[..opening.len() - 1]);
                out.push_str(",\"submissions\":[");
            }
            for (n, (_, s)) in page.iter().enumerate() {
                if pages.sent + n > 0 {
                    out.push(',');
                }
                out.push_str(&json_row(config, s, state_of(s), &|i| codes_of(s, i)).to_string());
            }
            if page.is_empty() {
                out.push_str("]}");
            }
        }
    }
    if page.is_empty() {
        pages.finished = true;
        tracing::info!(call = %pages.call, rows = pages.sent, "export");
    }
    pages.sent += page.len();
    if let Some((id, _)) = page.last() {
        pages.after = *id;
    }
    Ok(Some((Bytes::from(out), pages)))
}

/// `GET /api/admin/export/{call}.csv` or `.json`: every submission of the
/// call with every stored field and its moderation state. The first page is
/// read before the answer starts, so a database that cannot answer gets a
/// 503; a failure later ends the download early (the client sees it cut).
async fn export(
    staff: Staff,
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let (call_id, ext) = split_file(&file);
    let call = state
        .config
        .call(call_id)
        .ok_or(ApiError::NotFound("There is no call with this id"))?;
    let (format, content_type) = match ext {
        Some("csv") => (Format::Csv, "text/csv; charset=utf-8"),
        Some("json") => (Format::Json, "application/json"),
        _ => {
            return Err(ApiError::NotFound("Exports are {call}.csv or {call}.json"));
        }
    };
    crate::auth::access::record(
        &state.storage,
        &staff.name,
        crate::auth::access::Read::Export { call: &call.id },
        crate::auth::access::Door::Api,
        state.config.access_record_kept,
    )
    .await?;
    let code_names = crate::codebook::persistence::codes(&state.storage, &call.id)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let pages = Pages {
        state: state.clone(),
        call: call.id.clone(),
        format,
        code_names: Arc::new(code_names),
        after: 0,
        sent: 0,
        finished: false,
    };
    let Some((first, pages)) = next_page(pages).await? else {
        return Err(ApiError::Internal);
    };
    let rest = stream::try_unfold(pages, next_page).inspect_err(|error| {
        tracing::error!(%error, "an export was cut short");
    });
    let body = Body::from_stream(stream::iter([Ok::<_, StorageError>(first)]).chain(rest));
    let disposition = format!(
        "attachment; filename=\"{}-export.{}\"",
        call.id,
        ext.unwrap_or("")
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// One submission in the JSON export.
fn json_row(
    config: &Config,
    s: &StoredSubmission,
    moderation: &ModerationState,
    codes_of: &dyn Fn(usize) -> Vec<String>,
) -> serde_json::Value {
    serde_json::json!({
        "submission": s,
        "moderation": state_view(config, s, moderation),
        "redacted_ideas": s.ideas.iter().enumerate().map(|(i, idea)| serde_json::json!({
            "title": redact(&idea.title, &moderation.spans(i, "title")),
            "description": redact(&idea.description, &moderation.spans(i, "description")),
        })).collect::<Vec<_>>(),
        "idea_codes": (0..s.ideas.len()).map(codes_of).collect::<Vec<_>>(),
    })
}

const EXPORT_HEADER: [&str; 28] = [
    "reference",
    "call",
    "partner",
    "submitted_at",
    "capacity",
    "name",
    "organisation",
    "email",
    "perspectives",
    "age_band",
    "publication_chosen",
    "publication",
    "honeypot_spam",
    "marked_spam",
    "withheld",
    "flag_phrase",
    "flag_passage",
    "flag_open",
    "flag_note",
    "published_as",
    "personal_data_removed_at",
    "idea_number",
    "idea_title",
    "idea_theme",
    "idea_description",
    "idea_words",
    "idea_status",
    "idea_codes",
];

/// The CSV rows of one submission, one per idea.
fn csv_rows(
    csv: &mut CsvWriter,
    config: &Config,
    s: &StoredSubmission,
    moderation: &ModerationState,
    codes_of: &dyn Fn(usize) -> Vec<String>,
) {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let view = state_view(config, s, moderation);
    let perspectives = s.perspectives.join("; ");
    let mut redacted_ideas: HashMap<usize, bool> = HashMap::new();
    for r in &moderation.redactions {
        if let Some(i) = r.idea {
            redacted_ideas.insert(i, true);
        }
    }
    for (i, idea) in s.ideas.iter().enumerate() {
        let status = if moderation.withheld_ideas.contains_key(&i) {
            "withheld"
        } else if redacted_ideas.contains_key(&i) {
            "redacted"
        } else {
            ""
        };
        let number = (i + 1).to_string();
        let words = idea.words.to_string();
        let codes = codes_of(i).join("; ");
        csv.row([
            s.reference.as_str(),
            s.call.as_str(),
            s.partner.as_deref().unwrap_or(""),
            s.submitted_at.as_str(),
            s.capacity.as_str(),
            s.name.as_deref().unwrap_or(""),
            s.organisation.as_deref().unwrap_or(""),
            s.email.as_deref().unwrap_or(""),
            perspectives.as_str(),
            s.age_band.as_str(),
            s.publication_chosen.as_str(),
            s.publication.as_str(),
            yes_no(s.spam),
            yes_no(view.spam_marked),
            yes_no(view.withheld),
            s.flag_phrase.as_deref().unwrap_or(""),
            s.flag_passage.as_deref().unwrap_or(""),
            yes_no(s.flag_open),
            view.flag_handled.as_deref().unwrap_or(""),
            view.published_as.as_deref().unwrap_or(""),
            s.personal_data_removed_at.as_deref().unwrap_or(""),
            number.as_str(),
            idea.title.as_str(),
            idea.theme.as_deref().unwrap_or(""),
            idea.description.as_str(),
            words.as_str(),
            status,
            codes.as_str(),
        ]);
    }
}
