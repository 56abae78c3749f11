//! `GET /api/admin/export/{call}.csv` or `.json`: every submission of a call
//! with every stored field, its moderation state and the codes of each idea
//! (from the codebook), for staff.

use std::collections::HashMap;

use crate::http::extract::Path;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::service::state_view;
use crate::auth::Staff;
use crate::codebook::service::code_names_by_idea;
use crate::config::Config;
use crate::http::csv::CsvWriter;
use crate::http::problem::ApiError;
use crate::http::split_file;
use crate::moderation::{ModerationState, redact};
use crate::storage::{StoredSubmission, now_text};
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/admin/export/{file}", get(export))
}

/// `GET /api/admin/export/{call}.csv` or `.json`: every submission of the
/// call with every stored field and its moderation state.
async fn export(
    _staff: Staff,
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let (call_id, ext) = split_file(&file);
    let call = state
        .config
        .call(call_id)
        .ok_or(ApiError::NotFound("There is no call with this id"))?;
    let submissions = state.storage.list(&call.id).await?;
    let states = ModerationState::by_reference(&state.storage.call_actions(&call.id).await?);
    let none = ModerationState::default();
    let state_of = |s: &StoredSubmission| states.get(&s.reference).unwrap_or(&none);
    let codes = code_names_by_idea(&state, &call.id).await?;
    let codes_of = |s: &StoredSubmission, i: usize| -> &[String] {
        codes
            .get(&(s.reference.clone(), i))
            .map_or(&[], Vec::as_slice)
    };
    let (body, content_type) = match ext {
        Some("csv") => (
            export_csv(&state.config, &submissions, &state_of, &codes_of),
            "text/csv; charset=utf-8",
        ),
        Some("json") => {
            let rows: Vec<serde_json::Value> = submissions
                .iter()
                .map(|s| {
                    let moderation = state_of(s);
                    serde_json::json!({
                        "submission": s,
                        "moderation": state_view(&state.config, s, moderation),
                        "redacted_ideas": s.ideas.iter().enumerate().map(|(i, idea)| serde_json::json!({
                            "title": redact(&idea.title, &moderation.spans(i, "title")),
                            "description": redact(&idea.description, &moderation.spans(i, "description")),
                        })).collect::<Vec<_>>(),
                        "idea_codes": (0..s.ideas.len()).map(|i| codes_of(s, i)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let body = serde_json::to_string(&serde_json::json!({
                "call": call.id,
                "exported_at": now_text(),
                "submissions": rows,
            }))
            .map_err(|_| ApiError::Internal)?;
            (body, "application/json")
        }
        _ => {
            return Err(ApiError::NotFound("Exports are {call}.csv or {call}.json"));
        }
    };
    tracing::info!(call = %call.id, rows = submissions.len(), "export");
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

fn export_csv<'a>(
    config: &Config,
    submissions: &'a [StoredSubmission],
    state_of: &dyn Fn(&'a StoredSubmission) -> &'a ModerationState,
    codes_of: &dyn Fn(&'a StoredSubmission, usize) -> &'a [String],
) -> String {
    let mut csv = CsvWriter::new();
    csv.row(EXPORT_HEADER);
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    for s in submissions {
        let moderation = state_of(s);
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
            let codes = codes_of(s, i).join("; ");
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
    csv.finish()
}
