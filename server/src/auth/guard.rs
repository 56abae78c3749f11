//! The guard: a middleware over every route that applies [`super::roles::ROUTES`]
//! before any handler runs. It finds who is asking once ([`super::authenticate`]),
//! refuses a role that does not grant what the route needs (403, naming the
//! role), and keeps the principal in the request for the extractors. Pages
//! get their errors as pages (a 401 shows the sign-in form), the API and the
//! metrics as problem+json.

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::pages::HtmlError;
use super::roles::{Access, access_for};
use super::{PARTNER_REFUSAL, Principal, authenticate};
use crate::AppState;
use crate::http::problem::ApiError;

/// The middleware (see the module's text).
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(route) = request.extensions().get::<MatchedPath>().cloned() else {
        return next.run(request).await;
    };
    let route = route.as_str();
    let page = !(route.starts_with("/api/") || route == "/metrics");
    let access = match access_for(request.method(), route) {
        None | Some(Ok(Access::Public)) => return next.run(request).await,
        Some(Ok(access)) => access,
        Some(Err(())) => {
            tracing::error!(route, method = %request.method(), "a staff route has no entry in the roles table: refused to everyone");
            return refuse(page, ApiError::Forbidden("Nobody may use this address yet"));
        }
    };
    let (mut parts, body) = request.into_parts();
    let principal = match authenticate(&state, &parts).await {
        Ok(principal) => principal,
        Err(ApiError::Unauthorized) if page => {
            return super::pages::sign_in_response(&state, StatusCode::UNAUTHORIZED);
        }
        Err(error) => return refuse(page, error),
    };
    if !access.allows(principal.roles()) {
        let why = match (&principal, access.first()) {
            (Principal::Partner(_), _) | (_, None) => PARTNER_REFUSAL,
            (Principal::Staff { .. }, Some(permission)) => permission.refusal(),
        };
        return refuse(page, ApiError::Forbidden(why));
    }
    parts.extensions.insert(principal);
    next.run(Request::from_parts(parts, body)).await
}

fn refuse(page: bool, error: ApiError) -> Response {
    if page {
        HtmlError(error).into_response()
    } else {
        error.into_response()
    }
}
