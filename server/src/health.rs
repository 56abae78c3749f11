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

/// 200 `{"status":"ok","storage":"ok","model":"ok"}`, or 503 when storage
/// does not answer. `"model": "missing"` says the server runs without the
/// sentence-embedding model (still healthy: every submission is stored).
async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.storage.health().await?;
    let model = if state.model.is_some() {
        "ok"
    } else {
        "missing"
    };
    Ok(Json(
        json!({"status": "ok", "storage": "ok", "model": model}),
    ))
}
