//! The staff JSON API of the analyses:
//! `/api/admin/submissions/{reference}/similar` and `…/suggestions` (read,
//! and a person's decision), `/api/admin/calls/{call}/groups` and
//! `…/groups/code` (one code on every idea of a group),
//! `/api/admin/calls/{call}/campaigns` and `…/campaigns/code` (one code on
//! every idea of a campaign). Ideas are numbered from 1, as on the pages.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cfi_rules::Reference;
use serde::Deserialize;

use super::campaigns::{CampaignCoded, CampaignCoding, Campaigns, campaigns, code_campaign};
use super::groups::{CallGroups, GroupCoded, GroupCodingRequest, call_groups, code_group};
use super::similar::{SimilarIdeas, similar_ideas};
use super::suggestions::{DecisionRequest, decide, suggestions};
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
        .route("/api/admin/calls/{call}/campaigns", get(campaigns_json))
        .route(
            "/api/admin/calls/{call}/campaigns/code",
            post(code_campaign_json),
        )
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

/// The answer of `GET /api/admin/calls/{call}/campaigns`.
#[derive(serde::Serialize)]
struct CampaignsAnswer<'a> {
    call: String,
    #[serde(flatten)]
    found: &'a Campaigns,
}

async fn campaigns_json(
    _staff: Staff,
    State(state): State<AppState>,
    Path(call): Path<String>,
) -> Result<Response, ApiError> {
    let found = campaigns(&state, &call).await?;
    Ok(Json(CampaignsAnswer {
        call,
        found: &found,
    })
    .into_response())
}

async fn code_campaign_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(call): Path<String>,
    Json(request): Json<CampaignCoding>,
) -> Result<Json<CampaignCoded>, ApiError> {
    Ok(Json(code_campaign(&state, &staff, &call, &request).await?))
}
