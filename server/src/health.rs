//! `GET /healthz`: liveness and a storage round trip.

use axum::Json;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use crate::http::problem::ApiError;
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(health))
}

/// 200 `{"status":"ok","storage":"ok"}`, or 503 when storage does not answer.
async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.storage.health().await?;
    Ok(Json(json!({"status": "ok", "storage": "ok"})))
}
