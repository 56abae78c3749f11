//! The staff JSON API of similar ideas, groups and suggested codes:
//! `/api/admin/submissions/{reference}/similar` and `…/suggestions` (read,
//! and a person's decision), `/api/admin/calls/{call}/groups` and
//! `…/groups/code` (one code on every idea of a group). Ideas are numbered
//! from 1, as on the pages.

use axum::extract::State;
use axum::routing::{get, post};
use cfi_rules::Reference;
use serde::Deserialize;

use super::similar::{
    CallGroups, DecisionRequest, GroupCoded, GroupCodingRequest, SimilarIdeas, call_groups,
    code_group, decide, similar_ideas, suggestions,
};
use crate::auth::Staff;
use crate::http::extract::{Json, Path, Query};
use crate::http::problem::ApiError;
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/admin/submissions/{reference}/similar",
            get(similar_json),
        )
        .route(
            "/api/admin/submissions/{reference}/suggestions",
            get(suggestions_json).post(decide_json),
        )
        .route("/api/admin/calls/{call}/groups", get(groups_json))
        .route("/api/admin/calls/{call}/groups/code", post(code_group_json))
}

/// `?idea=N`, numbered from 1 (the first idea when left out).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdeaQuery {
    #[serde(default = "first")]
    idea: usize,
}

fn first() -> usize {
    1
}

async fn similar_json(
    _staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<Reference>,
    Query(query): Query<IdeaQuery>,
) -> Result<Json<SimilarIdeas>, ApiError> {
    Ok(Json(similar_ideas(&state, &reference, query.idea).await?))
}

/// Read-only: nothing is applied by asking.
async fn suggestions_json(
    _staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<Reference>,
    Query(query): Query<IdeaQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let found = suggestions(&state, &reference, query.idea).await?;
    Ok(Json(serde_json::json!({
        "reference": reference,
        "idea": query.idea,
        "suggestions": found,
    })))
}

async fn decide_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<Reference>,
    Json(request): Json<DecisionRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    decide(&state, &staff, &reference, &request).await?;
    Ok(Json(serde_json::json!({
        "reference": reference,
        "idea": request.idea,
        "code": request.code,
        "decision": request.decision,
    })))
}

async fn groups_json(
    _staff: Staff,
    State(state): State<AppState>,
    Path(call): Path<String>,
) -> Result<Json<CallGroups>, ApiError> {
    Ok(Json(call_groups(&state, &call).await?))
}

async fn code_group_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(call): Path<String>,
    Json(request): Json<GroupCodingRequest>,
) -> Result<Json<GroupCoded>, ApiError> {
    Ok(Json(code_group(&state, &staff, &call, &request).await?))
}
