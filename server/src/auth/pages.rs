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
            .route("/admin/sign-in/email", post(ask_for_link))
            .route("/admin/sign-in/link", get(link_page).post(use_link))
            .route("/admin/sign-out", post(sign_out)),
    )
    .merge(super::staff_pages::router())
    .merge(super::oidc::router())
}

/// `sign_in.html`: the sign-in forms (email link, token), with what went
/// wrong if anything did, or what was done.
#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    /// The identity provider's name, when single sign-on is set up.
    sso: Option<&'a str>,
    error: Option<&'a str>,
    /// The id of the field the error is about.
    error_field: &'a str,
    notice: Option<String>,
}

impl SignInPage<'_> {
    const BLANK: Self = Self {
        sso: None,
        error: None,
        error_field: "email",
        notice: None,
    };
}

/// `sign_in_link.html`: what a sign-in link signs in, with its button.
#[derive(Template)]
#[template(path = "sign_in_link.html")]
struct LinkPage<'a> {
    account: Option<String>,
    token: &'a str,
    lasts: String,
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
            render(&SignInPage::BLANK)
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

async fn sign_in_page(State(state): State<AppState>) -> Response {
    sign_in_response(&state, StatusCode::OK)
}

/// The sign-in page as it is here (with single sign-on when set up).
pub fn sign_in_response(state: &AppState, status: StatusCode) -> Response {
    let mut response = render(&SignInPage {
        sso: state.sso.as_deref().map(super::oidc::Sso::provider_name),
        ..SignInPage::BLANK
    });
    *response.status_mut() = status;
    response
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
                sso: state.sso.as_deref().map(super::oidc::Sso::provider_name),
                error: Some("That token is not right: check it and try again."),
                error_field: "token",
                notice: None,
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

#[derive(Deserialize)]
struct AskForLink {
    email: String,
}

/// Queues a sign-in link for an active account with this address; the
/// answer is the same whether there is one or not.
async fn ask_for_link(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<AskForLink>,
) -> Result<Response, HtmlError> {
    if !same_origin(&state.config, &parts.headers) {
        return Err(ApiError::CrossSite.into());
    }
    let page = |error: &'static str, status: StatusCode| {
        let mut response = render(&SignInPage {
            sso: state.sso.as_deref().map(super::oidc::Sso::provider_name),
            error: Some(error),
            error_field: "email",
            notice: None,
        });
        *response.status_mut() = status;
        response
    };
    let Ok(email) = super::accounts::parse_email(&form.email) else {
        return Ok(page(
            "Enter an email address in the correct format, like name@example.org.",
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    if state.config.smtp.is_none() {
        return Ok(page(
            "Sign-in links need the review's mail server, which is not set up: ask an administrator for a token.",
            StatusCode::SERVICE_UNAVAILABLE,
        ));
    }
    // Done apart from the answer, which is the same, as soon, whether the
    // address has an account or not (and a client that hangs up stops
    // nothing).
    let storage = state.storage.clone();
    let asking = email.clone();
    tokio::spawn(async move {
        match super::links::ask(&storage, &asking).await {
            Ok(asked) => tracing::info!(outcome = ?asked, "a sign-in link was asked for"),
            Err(error) => tracing::error!(%error, "a sign-in link could not be stored"),
        }
    });
    Ok(render(&SignInPage {
        sso: state.sso.as_deref().map(super::oidc::Sso::provider_name),
        error: None,
        error_field: "email",
        notice: Some(format!(
            "If {email} has an account, a sign-in link is on its way to it. It works once, within {}. Nothing came? Check the address and your spam folder, or ask an administrator.",
            minutes(crate::limits::SIGN_IN_LINK_LIFETIME)
        )),
    }))
}

fn minutes(d: std::time::Duration) -> String {
    format!("{} minutes", d.as_secs() / 60)
}

#[derive(Deserialize)]
struct LinkToken {
    #[serde(default)]
    token: String,
}

/// What a link signs in, with a button: opening it uses nothing up.
async fn link_page(
    State(state): State<AppState>,
    PageQuery(query): PageQuery<LinkToken>,
) -> Result<Response, HtmlError> {
    let account = super::links::peek(&state.storage, query.token.trim()).await?;
    let found = account.is_some();
    let mut response = render(&LinkPage {
        account: account.map(|a| a.email),
        token: query.token.trim(),
        lasts: minutes(crate::limits::SIGN_IN_LINK_LIFETIME),
    });
    if !found {
        *response.status_mut() = StatusCode::GONE;
    }
    Ok(response)
}

/// Uses the link and starts the account's session; a link that does not
/// work counts as a failed sign-in against the client.
async fn use_link(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<LinkToken>,
) -> Result<Response, HtmlError> {
    let headers = &parts.headers;
    if !same_origin(&state.config, headers) {
        return Err(ApiError::CrossSite.into());
    }
    let client = client_of(&state.config, &parts);
    let Some(account) = super::links::redeem(&state.storage, form.token.trim()).await? else {
        // Counted like a wrong token (the throttle, the log, the alarm).
        let refused = super::refuse_attempt(&state, client, FailedVia::SignIn).await;
        if let error @ ApiError::TooManyAttempts { .. } = refused {
            return Err(error.into());
        }
        let mut response = render(&LinkPage {
            account: None,
            token: "",
            lasts: minutes(crate::limits::SIGN_IN_LINK_LIFETIME),
        });
        *response.status_mut() = StatusCode::GONE;
        return Ok(response);
    };
    tracing::info!(account = account.id, "signed in with a link");
    let presented = session_cookie(headers);
    let id = super::start_account_session(&state, &account, presented.as_deref()).await?;
    let target = if account.partner_id.is_some() {
        "/partner"
    } else {
        "/admin"
    };
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
