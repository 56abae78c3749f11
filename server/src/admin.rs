//! Staff API behind `Authorization: Bearer <token>`.
//!
//! `GET /api/admin/submissions?call=ID` lists every stored submission of a
//! call (all calls without `call`), with every field, as JSON.

use axum::Json;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::problem::ApiError;
use crate::storage::StoredSubmission;
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/admin/submissions", get(list))
}

/// Proof that the request carried a valid staff token; handlers that take it
/// cannot run without one.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The token's configured name, for audit lines.
    pub name: String,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let digest = Sha256::digest(token.as_bytes());
        // Compare with every configured digest in constant time, without
        // stopping at the first match, so timing reveals nothing.
        let mut found = None;
        for configured in &state.config.admin_tokens {
            let Ok(expected) = hex::decode(&configured.sha256) else {
                continue;
            };
            if constant_time_eq(&expected, &digest) {
                found = Some(configured.name.clone());
            }
        }
        found
            .map(|name| Staff { name })
            .ok_or(ApiError::Unauthorized)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn compares_whole_slices() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
