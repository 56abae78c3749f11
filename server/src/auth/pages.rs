//! Signing in and out of the staff and partner pages, and what every
//! signed-in page shares: its navigation, the extractors that ask for a
//! session, and errors shown as pages (a 401 shows the sign-in form).

use crate::http::extract::Form;
use askama::Template;
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
use crate::http::html::{private_pages, render};
use crate::http::problem::ApiError;
use crate::{AppState, Router};

/// `/admin/sign-in` and `/admin/sign-out`.
pub fn router() -> Router<AppState> {
    private_pages(
        Router::new()
            .route("/admin/sign-in", get(sign_in_page).post(sign_in))
            .route("/admin/sign-out", post(sign_out)),
    )
}

/// `sign_in.html`: the sign-in form, with what went wrong if anything did.
#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    error: Option<&'a str>,
}

/// `error.html`: an error as a page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    detail: &'a str,
}

/// An [`ApiError`] shown as a page; a 401 shows the sign-in form.
pub struct HtmlError(pub ApiError);

/// Anything that becomes a problem in the API becomes a page here.
impl<E: Into<ApiError>> From<E> for HtmlError {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl IntoResponse for HtmlError {
    fn into_response(self) -> Response {
        let (status, _, title, detail) = self.0.parts();
        let mut response = if status == StatusCode::UNAUTHORIZED {
            render(&SignInPage { error: None })
        } else {
            render(&ErrorPage {
                title,
                detail: &detail,
            })
        };
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

async fn sign_in_page() -> Response {
    render(&SignInPage { error: None })
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
        let mut response = render(&SignInPage {
            error: Some("That token is not right: check it and try again"),
        });
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
