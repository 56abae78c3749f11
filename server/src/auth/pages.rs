//! Signing in and out of the staff and partner pages, and what every
//! signed-in page shares: its navigation, the extractors that ask for a
//! session, and errors shown as pages (a 401 shows the sign-in form).

use crate::http::extract::Form;
use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::FailedVia;
use super::{
    Principal, Staff, Viewer, check_token, client_of, end_session, over_https, same_origin,
    session_cookie, session_cookie_header, start_session,
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
    .merge(super::staff_pages::router())
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
        let retry_after = self.0.retry_after();
        let mut response = if status == StatusCode::UNAUTHORIZED {
            render(&SignInPage { error: None })
        } else {
            render(&ErrorPage {
                title,
                detail: &detail,
            })
        };
        *response.status_mut() = status;
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Path parameters for a page: a segment that does not parse is a 404
/// page, like any unknown address.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(HtmlError))]
pub struct PagePath<T>(pub T);

/// A page's query string; a bad one is a 400 page saying what is wrong.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(HtmlError))]
pub struct PageQuery<T>(pub T);

/// A page's form body; a bad one is an error page saying what is wrong.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Form), rejection(HtmlError))]
pub struct PageForm<T>(pub T);

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
    parts: Parts,
    Form(form): Form<SignIn>,
) -> Result<Response, HtmlError> {
    let headers = &parts.headers;
    if !same_origin(&state.config, headers) {
        return Err(ApiError::CrossSite.into());
    }
    let client = client_of(&state.config, &parts);
    let principal = match check_token(&state, client, FailedVia::SignIn, &form.token).await {
        Ok(principal) => principal,
        Err(ApiError::Unauthorized) => {
            let mut response = render(&SignInPage {
                error: Some("That token is not right: check it and try again."),
            });
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            return Ok(response);
        }
        Err(other) => return Err(other.into()),
    };
    let target = match &principal {
        Principal::Staff { name, .. } => {
            tracing::info!(staff = %name, "staff signed in");
            "/admin"
        }
        Principal::Partner(id) => {
            tracing::info!(partner = %id, "partner signed in");
            "/partner"
        }
    };
    let presented = session_cookie(headers);
    let id = start_session(&state, &principal, &form.token, presented.as_deref()).await?;
    let mut response = Redirect::to(target).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie_header(Some(&id), over_https(&state.config, headers)),
    );
    Ok(response)
}

async fn sign_out(
    ViewerPage(_): ViewerPage,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, HtmlError> {
    if let Some(id) = session_cookie(&headers) {
        end_session(&state, &id).await?;
    }
    let mut response = Redirect::to("/admin/sign-in").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie_header(None, over_https(&state.config, &headers)),
    );
    Ok(response)
}
