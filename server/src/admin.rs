//! Staff API behind `Authorization: Bearer <token>` (or a signed-in staff
//! session): listing, search, one submission with its audit trail,
//! moderation, the publication switch, erasure, exports and counts. The
//! HTML pages in [`crate::admin_pages`] call the same functions.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

pub use crate::auth::Staff;
use crate::auth::{Principal, Viewer};
use crate::config::Config;
use crate::csv::CsvWriter;
use crate::moderation::{ModerationState, redact, spans_of};
use crate::problem::ApiError;
use crate::publication::public_view;
use crate::storage::{
    ActionKind, AuditEntry, DayCount, Filter, ModerationAction, NewAction, OWN_SITE, SearchPage,
    StoredSubmission,
};
use crate::{AppState, Router};

/// Results per page of a search.
pub const PER_PAGE: i64 = 50;
/// Longest reason or note.
const MAX_REASON_CHARS: usize = 2_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/submissions", get(list))
        .route("/api/admin/search", get(search_json))
        .route(
            "/api/admin/submissions/{reference}",
            get(one_json).delete(erase_json),
        )
        .route(
            "/api/admin/submissions/{reference}/actions",
            post(action_json),
        )
        .route(
            "/api/admin/calls/{call}/publication",
            post(publication_json),
        )
        .route("/api/admin/export/{file}", get(export))
        .route("/api/admin/audit", get(audit_json))
        .route("/api/admin/counts", get(staff_counts_json))
        .route("/api/partner/counts", get(counts_json))
}

#[derive(Deserialize)]
struct ListQuery {
    call: Option<String>,
}

#[derive(Serialize)]
struct List {
    submissions: Vec<StoredSubmission>,
}

async fn list(
    _staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<List>, ApiError> {
    let calls: Vec<String> = match query.call {
        Some(id) => {
            state
                .config
                .call(&id)
                .ok_or(ApiError::NotFound("There is no call with this id"))?;
            vec![id]
        }
        None => state.config.calls.iter().map(|c| c.id.clone()).collect(),
    };
    let mut submissions = Vec::new();
    for call in calls {
        submissions.extend(state.storage.list(&call).await?);
    }
    Ok(Json(List { submissions }))
}

/// Checks filter values against the configuration (so they are known ids),
/// then searches. `page` is 1-based.
pub async fn search(state: &AppState, filter: Filter, page: i64) -> Result<SearchPage, ApiError> {
    let filter = filter.cleaned();
    check_filter(&state.config, &filter)?;
    let page = page.max(1);
    Ok(state
        .storage
        .search(&filter, (page - 1) * PER_PAGE, PER_PAGE)
        .await?)
}

fn check_filter(config: &Config, filter: &Filter) -> Result<(), ApiError> {
    let known = |value: &Option<String>, ok: &dyn Fn(&str) -> bool| value.as_deref().is_none_or(ok);
    let date_ok = |d: &str| d.len() == 10 && d.parse::<jiff::civil::Date>().is_ok();
    let checks = [
        known(&filter.call, &|c| config.call(c).is_some()),
        known(&filter.partner, &|p| {
            p == OWN_SITE || config.partner(p).is_some()
        }),
        known(&filter.capacity, &|c| {
            cfi_rules::Capacity::from_wire(c).is_some()
        }),
        known(&filter.perspective, &|p| {
            config
                .calls
                .iter()
                .any(|c| c.perspectives.iter().any(|x| x.id == p))
        }),
        known(&filter.age_band, &|a| {
            cfi_rules::AgeBand::from_wire(a).is_some()
        }),
        known(&filter.theme, &|t| {
            config
                .calls
                .iter()
                .any(|c| c.themes.iter().any(|x| x.id == t))
        }),
        known(&filter.flag, &|f| {
            matches!(f, "open" | "handled" | "any" | "none")
        }),
        known(&filter.from, &date_ok),
        known(&filter.to, &date_ok),
        filter.q.as_deref().is_none_or(|q| q.chars().count() <= 200),
    ];
    if checks.iter().all(|ok| *ok) {
        Ok(())
    } else {
        Err(ApiError::InvalidAction(
            "A filter value is not one of the choices (dates are YYYY-MM-DD)",
        ))
    }
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(flatten)]
    filter: Filter,
    page: Option<i64>,
}

#[derive(Serialize)]
struct SearchAnswer {
    total: i64,
    page: i64,
    per_page: i64,
    submissions: Vec<StoredSubmission>,
}

async fn search_json(
    _staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchAnswer>, ApiError> {
    let page = query.page.unwrap_or(1).max(1);
    let found = search(&state, query.filter, page).await?;
    Ok(Json(SearchAnswer {
        total: found.total,
        page,
        per_page: PER_PAGE,
        submissions: found.submissions,
    }))
}

/// The moderation state as staff see it.
#[derive(Debug, Serialize)]
pub struct StateView {
    pub withheld: bool,
    pub withheld_ideas: Vec<usize>,
    pub redactions: usize,
    pub spam_marked: bool,
    pub flag_handled: Option<String>,
    /// What would be published now (whether or not publication is on).
    pub published_as: Option<String>,
}

fn state_view(config: &Config, stored: &StoredSubmission, state: &ModerationState) -> StateView {
    let published_as = config
        .call(&stored.call)
        .and_then(|call| public_view(call, stored, state))
        .map(|p| p.published_as);
    StateView {
        withheld: state.withheld.is_some(),
        withheld_ideas: state.withheld_ideas.keys().map(|i| i + 1).collect(),
        redactions: state.redactions.len(),
        spam_marked: state.spam.is_some(),
        flag_handled: state.flag_handled.as_ref().map(|a| a.reason.clone()),
        published_as,
    }
}

/// A submission with its audit trail.
pub struct Detail {
    pub submission: StoredSubmission,
    pub actions: Vec<ModerationAction>,
    pub state: ModerationState,
}

pub async fn detail(state: &AppState, reference: &str) -> Result<Detail, ApiError> {
    let submission = state
        .storage
        .submission(reference)
        .await?
        .ok_or(ApiError::NotFound(
            "There is no submission with this reference",
        ))?;
    let actions = state.storage.actions(reference).await?;
    let moderation = ModerationState::fold(&actions);
    Ok(Detail {
        submission,
        actions,
        state: moderation,
    })
}

async fn one_json(
    _staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let found = detail(&state, &reference).await?;
    let view = state_view(&state.config, &found.submission, &found.state);
    Ok(Json(serde_json::json!({
        "submission": found.submission,
        "moderation": view,
        "actions": found.actions,
    })))
}

/// A moderation action as asked for. Ideas are numbered from 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub action: ActionKind,
    #[serde(default)]
    pub idea: Option<usize>,
    /// `title` or `description` (redact).
    #[serde(default)]
    pub field: Option<String>,
    /// The exact text to redact; every occurrence in the field is redacted.
    #[serde(default)]
    pub text: Option<String>,
    /// The id of the action to undo.
    #[serde(default)]
    pub undoes: Option<i64>,
    /// Why; for a handled flag, what was done.
    pub reason: String,
}

/// Checks an action against the submission's current state and records it.
pub async fn apply_action(
    state: &AppState,
    staff: &Staff,
    reference: &str,
    request: ActionRequest,
) -> Result<ModerationAction, ApiError> {
    let reason = request.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(ApiError::InvalidAction(
            "Give a reason (for a handled flag, say what was done)",
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::InvalidAction(
            "Keep the reason under 2,000 characters",
        ));
    }
    let found = detail(state, reference).await?;
    let current = &found.state;
    let submission = &found.submission;
    let idea_index = || -> Result<usize, ApiError> {
        request
            .idea
            .filter(|n| (1..=submission.ideas.len()).contains(n))
            .map(|n| n - 1)
            .ok_or(ApiError::InvalidAction(
                "Choose one of the submission's ideas",
            ))
    };
    let mut new = NewAction {
        action: request.action,
        idea: None,
        field: None,
        spans: Vec::new(),
        undoes: None,
        reason,
        staff: staff.name.clone(),
    };
    match request.action {
        ActionKind::Withhold if current.withheld.is_some() => {
            return Err(ApiError::InvalidAction(
                "This submission is already withheld",
            ));
        }
        ActionKind::Spam if current.spam.is_some() => {
            return Err(ApiError::InvalidAction(
                "This submission is already marked as spam",
            ));
        }
        ActionKind::Withhold | ActionKind::Spam => {}
        ActionKind::WithholdIdea => {
            let idea = idea_index()?;
            if current.withheld_ideas.contains_key(&idea) {
                return Err(ApiError::InvalidAction("This idea is already withheld"));
            }
            new.idea = Some(idea);
        }
        ActionKind::Redact => {
            let idea = idea_index()?;
            let field = request.field.as_deref().unwrap_or("description");
            let original = match field {
                "title" => &submission.ideas[idea].title,
                "description" => &submission.ideas[idea].description,
                _ => {
                    return Err(ApiError::InvalidAction(
                        "Redact in the title or the description",
                    ));
                }
            };
            let text = request.text.as_deref().unwrap_or("");
            let spans = spans_of(original, text);
            if spans.is_empty() {
                return Err(ApiError::InvalidAction(
                    "That text is not in this idea: copy it exactly as it appears",
                ));
            }
            new.idea = Some(idea);
            new.field = Some(field.to_owned());
            new.spans = spans;
        }
        ActionKind::HandleFlag => {
            if submission.flag_phrase.is_none() || !submission.flag_open {
                return Err(ApiError::InvalidAction(
                    "There is no open flag on this submission",
                ));
            }
        }
        ActionKind::Undo => {
            let target = request
                .undoes
                .and_then(|id| found.actions.iter().find(|a| a.id == id))
                .ok_or(ApiError::InvalidAction(
                    "Choose an action of this submission to undo",
                ))?;
            if target.action == ActionKind::Undo || current.undone.contains(&target.id) {
                return Err(ApiError::InvalidAction(
                    "This action cannot be undone (again)",
                ));
            }
            new.undoes = Some(target.id);
        }
    }
    let recorded =
        state
            .storage
            .record_action(reference, &new)
            .await?
            .ok_or(ApiError::NotFound(
                "There is no submission with this reference",
            ))?;
    tracing::info!(reference, action = recorded.action.as_str(), staff = %staff.name, "moderation");
    Ok(recorded)
}

async fn action_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Json(request): Json<ActionRequest>,
) -> Result<(StatusCode, Json<ModerationAction>), ApiError> {
    let recorded = apply_action(&state, &staff, &reference, request).await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

/// Erases a submission by reference.
pub async fn erase(state: &AppState, staff: &Staff, reference: &str) -> Result<String, ApiError> {
    let call = state
        .storage
        .erase(reference, &staff.name)
        .await?
        .ok_or(ApiError::NotFound(
            "There is no submission with this reference",
        ))?;
    tracing::info!(reference, staff = %staff.name, "submission erased");
    Ok(call)
}

async fn erase_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let call = erase(&state, &staff, &reference).await?;
    Ok(Json(serde_json::json!({"erased": reference, "call": call})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicationRequest {
    published: bool,
}

/// Switches publication of a call.
pub async fn set_publication(
    state: &AppState,
    staff: &Staff,
    call_id: &str,
    published: bool,
) -> Result<(), ApiError> {
    state
        .config
        .call(call_id)
        .ok_or(ApiError::NotFound("There is no call with this id"))?;
    state
        .storage
        .set_published(call_id, published, &staff.name)
        .await?;
    tracing::info!(call = call_id, published, staff = %staff.name, "publication switched");
    Ok(())
}

async fn publication_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(call): Path<String>,
    Json(request): Json<PublicationRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    set_publication(&state, &staff, &call, request.published).await?;
    Ok(Json(
        serde_json::json!({"call": call, "published": request.published}),
    ))
}

#[derive(Deserialize)]
struct AuditQuery {
    call: Option<String>,
}

async fn audit_json(
    _staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let entries: Vec<AuditEntry> = state
        .storage
        .audit_log(query.call.as_deref(), 1_000)
        .await?;
    Ok(Json(serde_json::json!({ "entries": entries })))
}

/// Day counts a viewer may see: a partner only its own, never flags or
/// spam.
pub async fn counts_for(state: &AppState, viewer: &Principal) -> Result<Vec<DayCount>, ApiError> {
    Ok(match viewer {
        Principal::Staff(_) => state.storage.day_counts(None).await?,
        Principal::Partner(id) => state
            .storage
            .day_counts(Some(id))
            .await?
            .into_iter()
            .map(|c| DayCount {
                flagged: 0,
                open_flags: 0,
                spam: 0,
                ..c
            })
            .collect(),
    })
}

#[derive(Serialize)]
struct PartnerDay {
    call: String,
    partner: Option<String>,
    day: String,
    submissions: i64,
}

/// `/api/admin/counts` and `/api/partner/counts`: submissions per call,
/// partner and day (staff also get flag and spam counts).
async fn counts_json(
    Viewer(viewer): Viewer,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let counts = counts_for(&state, &viewer).await?;
    Ok(match viewer {
        Principal::Staff(_) => Json(serde_json::json!({ "days": counts })).into_response(),
        Principal::Partner(partner) => {
            let days: Vec<PartnerDay> = counts
                .into_iter()
                .map(|c| PartnerDay {
                    call: c.call,
                    partner: c.partner,
                    day: c.day,
                    submissions: c.submissions,
                })
                .collect();
            let total: i64 = days.iter().map(|d| d.submissions).sum();
            Json(serde_json::json!({ "partner": partner, "total": total, "days": days }))
                .into_response()
        }
    })
}

/// `/api/admin/counts`: staff only (partners use `/api/partner/counts`).
async fn staff_counts_json(
    staff: Staff,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    counts_json(Viewer(Principal::Staff(staff.name)), State(state)).await
}

/// Splits `name.ext` into the call and the format.
pub fn split_file(file: &str) -> (&str, Option<&str>) {
    match file.rsplit_once('.') {
        Some((name, ext)) => (name, Some(ext)),
        None => (file, None),
    }
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
    let states = crate::publication::states(&state.storage, &call.id).await?;
    let none = ModerationState::default();
    let state_of = |s: &StoredSubmission| states.get(&s.reference).unwrap_or(&none);
    let (body, content_type) = match ext {
        Some("csv") => (
            export_csv(&state.config, &submissions, &state_of),
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
                    })
                })
                .collect();
            let body = serde_json::to_string(&serde_json::json!({
                "call": call.id,
                "exported_at": crate::storage::now_text(),
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

const EXPORT_HEADER: [&str; 27] = [
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
];

fn export_csv<'a>(
    config: &Config,
    submissions: &'a [StoredSubmission],
    state_of: &dyn Fn(&'a StoredSubmission) -> &'a ModerationState,
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
            ]);
        }
    }
    csv.finish()
}
