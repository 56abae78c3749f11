//! The staff JSON API of the codebook: a call's codes and their counts
//! (`/api/admin/calls/{call}/codes…`), and one submission's codings, their
//! trail and read marks (`/api/admin/submissions/{reference}/codings`,
//! `…/read`); the switch of the public summary and the summary itself
//! (`/published/{call}/codes.json`, the one route here anyone may read).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use cfi_rules::Reference;
use serde::Deserialize;

use super::counts::{Counts, counts};
use super::service::{
    CodeRequest, CodingRequest, SubmissionCoding, change_coding, codebook, create_code, edit_code,
    mark_read, submission_coding,
};
use super::summary::{public_summary, set_summary_published};
use crate::auth::Staff;
use crate::codebook::persistence::{Code, CodingAction};
use crate::http::extract::{Json, Path};
use crate::http::problem::ApiError;
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/admin/calls/{call}/codes",
            get(codes_json).post(create_json),
        )
        .route("/api/admin/calls/{call}/codes/counts", get(counts_json))
        .route("/api/admin/calls/{call}/codes/{code}", post(edit_json))
        .route(
            "/api/admin/submissions/{reference}/codings",
            get(codings_json).post(coding_json),
        )
        .route("/api/admin/submissions/{reference}/read", post(read_json))
        .route(
            "/api/admin/calls/{call}/codes/publication",
            post(summary_publication_json),
        )
        .route("/published/{call}/codes.json", get(public_summary_json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicationRequest {
    published: bool,
}

async fn summary_publication_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(call): Path<String>,
    Json(request): Json<PublicationRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    set_summary_published(&state, &staff, &call, request.published).await?;
    Ok(Json(
        serde_json::json!({ "call": call, "published": request.published }),
    ))
}

/// `GET /published/{call}/codes.json`: the public summary of counts by
/// code, once staff published the call and its summary.
async fn public_summary_json(
    State(state): State<AppState>,
    Path(call): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    let summary = public_summary(&state, &call).await?;
    Ok(axum::response::IntoResponse::into_response(Json(
        summary.as_ref(),
    )))
}

async fn codes_json(
    _staff: Staff,
    State(state): State<AppState>,
    Path(call): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let codes = codebook(&state, &call).await?;
    Ok(Json(serde_json::json!({ "call": call, "codes": codes })))
}

async fn create_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(call): Path<String>,
    Json(request): Json<CodeRequest>,
) -> Result<(StatusCode, Json<Code>), ApiError> {
    let code = create_code(&state, &staff, &call, &request).await?;
    Ok((StatusCode::CREATED, Json(code)))
}

async fn edit_json(
    staff: Staff,
    State(state): State<AppState>,
    Path((call, code)): Path<(String, i64)>,
    Json(request): Json<CodeRequest>,
) -> Result<Json<Code>, ApiError> {
    Ok(Json(
        edit_code(&state, &staff, &call, code, &request).await?,
    ))
}

async fn counts_json(
    _staff: Staff,
    State(state): State<AppState>,
    Path(call): Path<String>,
) -> Result<Json<Counts>, ApiError> {
    Ok(Json(counts(&state, &call).await?))
}

async fn codings_json(
    _staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<Reference>,
) -> Result<Json<SubmissionCoding>, ApiError> {
    Ok(Json(submission_coding(&state, &reference).await?))
}

async fn coding_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<Reference>,
    Json(request): Json<CodingRequest>,
) -> Result<(StatusCode, Json<CodingAction>), ApiError> {
    let recorded = change_coding(&state, &staff, &reference, &request).await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadRequest {
    idea: usize,
    read: bool,
}

async fn read_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(reference): Path<Reference>,
    Json(request): Json<ReadRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    mark_read(&state, &staff, &reference, Some(request.idea), request.read).await?;
    Ok(Json(
        serde_json::json!({ "reference": reference, "idea": request.idea, "read": request.read }),
    ))
}
