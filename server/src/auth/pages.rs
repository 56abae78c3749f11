//! Signing in and out of the staff and partner pages, and what every
//! signed-in page shares: its navigation, the extractors that ask for a
//! session, and errors shown as pages (a 401 shows the sign-in form).

use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{
    Principal, Staff, Viewer, over_https, principal_for_token, same_origin, session_cookie,
    session_cookie_header,
};
use crate::http::html::{escape, page, private_page};
use crate::http::problem::ApiError;
use crate::storage::StorageError;
use crate::{AppState, Router};

/// `/admin/sign-in` and `/admin/sign-out`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sign-in", get(sign_in_page).post(sign_in))
        .route("/admin/sign-out", post(sign_out))
}

/// An [`ApiError`] shown as a page; a 401 shows the sign-in form.
pub struct HtmlError(pub ApiError);

impl From<ApiError> for HtmlError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl From<StorageError> for HtmlError {
    fn from(error: StorageError) -> Self {
        Self(ApiError::Storage(error))
    }
}

impl IntoResponse for HtmlError {
    fn into_response(self) -> Response {
        let (status, _, title, detail) = self.0.parts();
        let body = if status == StatusCode::UNAUTHORIZED {
            sign_in_body(None)
        } else {
            format!(
                "<h1>{}</h1><p>{}</p><p><a href=\"/admin\">Go to the dashboard</a></p>",
                escape(title),
                escape(&detail)
            )
        };
        let mut response = private_page(page(title, "", &body));
        *response.status_mut() = status;
        response
    }
}

/// Staff, for pages (errors as pages).
pub struct StaffPage(pub Staff);

impl FromRequestParts<AppState> for StaffPage {
    type Rejection = HtmlError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(Staff::from_request_parts(parts, state).await?))
    }
}

/// Anyone signed in, for pages.
pub struct ViewerPage(pub Principal);

impl FromRequestParts<AppState> for ViewerPage {
    type Rejection = HtmlError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(Viewer::from_request_parts(parts, state).await?.0))
    }
}

/// The navigation of signed-in pages: staff see the review's pages,
/// partners their counts.
pub fn nav(staff: bool) -> String {
    let links = if staff {
        "<a href=\"/admin\">Dashboard</a><a href=\"/admin/submissions\">Submissions</a>\
         <a href=\"/admin/submissions?flag=open\">Open safeguarding flags</a>"
    } else {
        "<a href=\"/partner\">Your counts</a>"
    };
    format!(
        "<nav aria-label=\"Staff\">{links}<form method=\"post\" action=\"/admin/sign-out\" \
         style=\"display:inline\"><button type=\"submit\">Sign out</button></form></nav>"
    )
}

fn sign_in_body(error: Option<&str>) -> String {
    let summary = error
        .map(|e| {
            format!(
                "<div role=\"alert\" class=\"flag\"><h2>There is a problem</h2>\
                 <p><a href=\"#token\">{}</a></p></div>",
                escape(e)
            )
        })
        .unwrap_or_default();
    format!(
        "<h1>Sign in</h1>{summary}<p>Review staff and partner charities sign in with the \
         token the review gave them. The token is sent once and never shown in an address.</p>\
         <form method=\"post\" action=\"/admin/sign-in\">\
         <label for=\"token\">Your token</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" \
         required spellcheck=\"false\" size=\"40\">\
         <div><button type=\"submit\">Sign in</button></div></form>"
    )
}

async fn sign_in_page() -> Response {
    private_page(page("Sign in", "", &sign_in_body(None)))
}

#[derive(Deserialize)]
struct SignIn {
    token: String,
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Result<Response, HtmlError> {
    if !same_origin(&headers) {
        return Err(ApiError::CrossSite.into());
    }
    let Some(principal) = principal_for_token(&state.config, &form.token) else {
        let mut response = private_page(page(
            "Sign in",
            "",
            &sign_in_body(Some("That token is not right: check it and try again")),
        ));
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(response);
    };
    let target = match &principal {
        Principal::Staff(name) => {
            tracing::info!(staff = %name, "staff signed in");
            "/admin"
        }
        Principal::Partner(id) => {
            tracing::info!(partner = %id, "partner signed in");
            "/partner"
        }
    };
    let id = state.sessions.start(principal);
    let mut response = Redirect::to(target).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie_header(Some(&id), over_https(&state.config, &headers)),
    );
    Ok(response)
}

async fn sign_out(
    ViewerPage(_): ViewerPage,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    if let Some(id) = session_cookie(&headers) {
        state.sessions.end(&id);
    }
    let mut response = Redirect::to("/admin/sign-in").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie_header(None, over_https(&state.config, &headers)),
    );
    response
}
