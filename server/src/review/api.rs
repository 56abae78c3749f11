//! The staff JSON API behind `Authorization: Bearer <token>` (or a signed-in
//! staff session): listing, search, one submission with its audit trail,
//! moderation, the publication switch, erasure, the audit log and counts.
//! Partners read their own counts at `/api/partner/counts`.

use crate::http::extract::Json;
use crate::http::extract::{Path, Query};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cfi_rules::Reference;
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};

use super::filter::FilterQuery;
use super::service::{
    ActionRequest, apply_action, counts_for, erase, read_detail, search, set_publication,
    state_view,
};
use crate::auth::access::Door;
use crate::auth::{Permission, Principal, Staff, Viewer};
use crate::http::problem::ApiError;
use crate::limits::{AUDIT_LOG_LINES, EXPORT_PAGE_ROWS, PER_PAGE};
use crate::moderation::ModerationAction;
use crate::review::persistence::AuditEntry;
use crate::storage::{StorageError, StoredSubmission};
use crate::{AppState, Router};

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
        .route("/api/admin/audit", get(audit_json))
        .route("/api/admin/counts", get(staff_counts_json))
        .route("/api/partner/counts", get(counts_json))
}

#[derive(Deserialize)]
struct ListQuery {
    call: Option<String>,
}

/// Where a streamed list of submissions has got to: the calls still to
/// read, and the place of the last submission sent in the first of them.
struct ListPages {
    state: AppState,
    calls: std::collections::VecDeque<String>,
    after: i64,
    sent: usize,
    opened: bool,
    closed: bool,
}

/// The next piece of the list: its opening and a page, a page, or its end.
async fn next_list_page(mut pages: ListPages) -> Result<Option<(Bytes, ListPages)>, StorageError> {
    let mut out = String::new();
    if !pages.opened {
        pages.opened = true;
        out.push_str("{\"submissions\":[");
    }
    loop {
        let Some(call) = pages.calls.front() else {
            if pages.closed {
                return Ok(None);
            }
            pages.closed = true;
            out.push_str("]}");
            return Ok(Some((Bytes::from(out), pages)));
        };
        let page = pages
            .state
            .storage
            .list_page(call, pages.after, EXPORT_PAGE_ROWS)
            .await?;
        let Some((last, _)) = page.last() else {
            pages.calls.pop_front();
            pages.after = 0;
            continue;
        };
        pages.after = *last;
        for (_, submission) in &page {
            if pages.sent > 0 {
                out.push(',');
            }
            pages.sent += 1;
            let json = serde_json::to_string(submission)
                .map_err(|e| StorageError::Corrupt(e.to_string()))?;
            out.push_str(&json);
        }
        return Ok(Some((Bytes::from(out), pages)));
    }
}

/// `GET /api/admin/submissions`: every submission of one call or of all,
/// sent a page at a time as it is read (memory stays bounded whatever the
/// size); the first page is read before the answer starts, so a database
/// that cannot answer gets a 503.
async fn list(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
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
    // Every submission with its personal data: an export, in the record.
    for call in &calls {
        crate::auth::access::record(
            &state.storage,
            &staff.name,
            crate::auth::access::Read::Export { call },
            Door::Api,
            state.config.access_record_kept,
        )
        .await?;
    }
    let pages = ListPages {
        state: state.clone(),
        calls: calls.into(),
        after: 0,
        sent: 0,
        opened: false,
        closed: false,
    };
    let Some((first, pages)) = next_list_page(pages).await? else {
        return Err(ApiError::Internal);
    };
    let rest = stream::try_unfold(pages, next_list_page).inspect_err(|error| {
        tracing::error!(%error, "a list of submissions was cut short");
    });
    let body = Body::from_stream(stream::iter([Ok::<_, StorageError>(first)]).chain(rest));
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(flatten)]
    filter: FilterQuery,
    /// 1-based; a number too large to be a page is a 400.
    page: Option<u32>,
}

#[derive(Serialize)]
struct SearchAnswer {
    total: i64,
    page: u32,
    per_page: i64,
    submissions: Vec<StoredSubmission>,
}

async fn search_json(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchAnswer>, ApiError> {
    let page = query.page.unwrap_or(1).max(1);
    let found = search(&state, &query.filter.cleaned(), page).await?;
    // As the list page: no email addresses but for exports, the flagged
    // passage only for safeguarding.
    let submissions = found
        .submissions
        .into_iter()
        .map(|mut s| {
            if !staff.can(Permission::ExportPersonal) {
                s.email = None;
            }
            if !staff.can(Permission::Safeguard) {
                s.flag_passage = None;
            }
            s
        })
        .collect();
    Ok(Json(SearchAnswer {
        total: found.total,
        page,
        per_page: PER_PAGE,
        submissions,
    }))
}

async fn one_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<Reference>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let mut found = read_detail(&state, &staff, &reference, Door::Api).await?;
    if !staff.can(Permission::Safeguard) {
        found.submission.flag_passage = None;
    }
    let view = state_view(&state.config, &found.submission, &found.state);
    Ok(Json(serde_json::json!({
        "submission": found.submission,
        "moderation": view,
        "actions": found.actions,
    })))
}

async fn action_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<Reference>,
    Json(request): Json<ActionRequest>,
) -> Result<(StatusCode, Json<ModerationAction>), ApiError> {
    let recorded = apply_action(&state, &staff, &reference, request).await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

async fn erase_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<Reference>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let call = erase(&state, &staff, &reference).await?;
    Ok(Json(serde_json::json!({"erased": reference, "call": call})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicationRequest {
    published: bool,
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
    let entries: Vec<AuditEntry> = crate::review::persistence::audit_log(
        &state.storage,
        query.call.as_deref(),
        AUDIT_LOG_LINES,
    )
    .await?;
    Ok(Json(serde_json::json!({ "entries": entries })))
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
        Principal::Staff { .. } => Json(serde_json::json!({ "days": counts })).into_response(),
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
    counts_json(
        Viewer(Principal::Staff {
            name: staff.name,
            roles: staff.roles,
        }),
        State(state),
    )
    .await
}
