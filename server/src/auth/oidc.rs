//! Single sign-on with the review's identity provider (OpenID Connect),
//! with the `openidconnect` crate: the authorization code flow with PKCE,
//! `state` and `nonce`, and the ID token checked for its issuer, audience,
//! expiry, nonce and signature (the provider's published keys). The
//! provider's verified email address is matched to an active account;
//! there is no self-registration.
//!
//! `GET /admin/sign-in/oidc` stores the sign-in under way (by the SHA-256
//! of its `state`, shared by every replica), binds it to the browser with
//! a short cookie, and sends the browser to the provider;
//! `GET /admin/sign-in/oidc/callback` takes it (once), checks the cookie,
//! exchanges the code, checks the ID token and starts the account's
//! session. The provider's discovery document is read at the first
//! sign-in (and again after a failure), so the server starts whether or not
//! the provider answers.

use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::Deserialize;

use super::pages::{HtmlError, PageQuery};
use super::{FailedVia, accounts, client_of, over_https, session_cookie};
use crate::config::Oidc;
use crate::http::html::{private_pages, render};
use crate::storage::outbox::after;
use crate::storage::{Sql, Storage, StorageError, now_text};
use crate::{AppState, Router};

/// The browser cookie that binds a sign-in under way to the browser that
/// started it (`SameSite=Lax`: it must come back on the provider's
/// redirect, a top-level navigation from another site).
const STATE_COOKIE: &str = "cfi_oidc";
/// A sign-in under way must come back within this long.
const SIGN_IN_WINDOW: Duration = Duration::from_secs(10 * 60);
/// The provider must answer each request within this long.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Sign-ins under way at once, across every browser: past it a new one is
/// refused until some end, so nobody can fill the table by asking.
const PENDING_MAX: i64 = 1_000;

/// The configured provider, discovered at the first sign-in, and again
/// after an ID token failed its checks (the provider may have rotated its
/// signing keys).
pub struct Sso {
    config: Oidc,
    http: openidconnect::reqwest::Client,
    discovered: tokio::sync::RwLock<Option<std::sync::Arc<Client>>>,
}

/// Why a sign-in with the provider did not happen, in words for the page.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error(
        "The identity provider could not be reached. Try again in a minute, or sign in with an email link."
    )]
    Unreachable,
    #[error("Too many sign-ins are under way. Try again in a few minutes.")]
    Busy,
    #[error(
        "This sign-in did not start in this browser, was used already, or took more than ten minutes. Sign in again."
    )]
    UnknownState,
    #[error("The identity provider did not sign you in. Sign in again.")]
    Refused,
    #[error(
        "The identity provider's answer could not be trusted. Sign in again; if it happens again, tell an administrator."
    )]
    BadToken,
    #[error("The identity provider did not give a verified email address. Ask an administrator.")]
    NoVerifiedEmail,
    #[error("There is no active account for {0}. Ask an administrator to add you.")]
    NoAccount(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl SsoError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Unreachable => StatusCode::BAD_GATEWAY,
            Self::UnknownState | Self::Refused | Self::BadToken => StatusCode::BAD_REQUEST,
            Self::NoVerifiedEmail | Self::NoAccount(_) => StatusCode::FORBIDDEN,
            Self::Storage(_) | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl Sso {
    /// The provider of `config`; `None` when its HTTP client cannot be made.
    pub fn new(config: Oidc) -> Option<Self> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let a provider's answer send this
            // server anywhere.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|error| tracing::error!(%error, "single sign-on is off: no HTTP client"))
            .ok()?;
        Some(Self {
            config,
            http,
            discovered: tokio::sync::RwLock::new(None),
        })
    }

    pub fn provider_name(&self) -> &str {
        &self.config.provider_name
    }

    async fn client(&self) -> Result<std::sync::Arc<Client>, SsoError> {
        if let Some(client) = self.discovered.read().await.as_ref() {
            return Ok(client.clone());
        }
        let mut slot = self.discovered.write().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(|error| {
            tracing::error!(%error, "oidc.issuer is not a URL");
            SsoError::Unreachable
        })?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|error| {
                tracing::error!(%error, "the identity provider's discovery document could not be read");
                SsoError::Unreachable
            })?;
        let redirect = RedirectUrl::new(self.config.redirect_url.clone()).map_err(|error| {
            tracing::error!(%error, "oidc.redirect_url is not a URL");
            SsoError::Unreachable
        })?;
        let client = std::sync::Arc::new(
            CoreClient::from_provider_metadata(
                metadata,
                ClientId::new(self.config.client_id.clone()),
                Some(ClientSecret::new(
                    self.config.client_secret.expose().to_owned(),
                )),
            )
            .set_redirect_uri(redirect),
        );
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Forgets what discovery found, so the next sign-in reads it (and the
    /// provider's keys) again.
    async fn forget(&self) {
        *self.discovered.write().await = None;
    }

    /// Whether this server's own address is https (for the cookies it sets
    /// on the provider's redirect, a GET that carries no `Origin`).
    fn secure(&self) -> bool {
        self.config.redirect_url.starts_with("https://")
    }

    /// Starts a sign-in: stores it and returns the provider's address to
    /// send the browser to, and the `state` for the browser's cookie.
    async fn start(&self, db: &Storage) -> Result<(String, String), SsoError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        let now = now_text();
        let mut tx = db.begin().await?;
        Sql::new("DELETE FROM oidc_logins WHERE expires_at < ?")
            .bind(&now)
            .execute(&mut tx)
            .await?;
        let pending = Sql::new("SELECT COUNT(*) AS n FROM oidc_logins")
            .fetch_one(&mut tx)
            .await?;
        if pending.try_get::<i64, _>("n").map_err(StorageError::from)? >= PENDING_MAX {
            return Err(SsoError::Busy);
        }
        Sql::new(
            "INSERT INTO oidc_logins (state_hash, pkce_verifier, nonce, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(super::tokens::stored_hash(state.secret()))
        .bind(verifier.secret().as_str())
        .bind(nonce.secret().as_str())
        .bind(&now)
        .bind(after(SIGN_IN_WINDOW))
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok((url.to_string(), state.secret().clone()))
    }

    /// Finishes a sign-in: takes it (once), exchanges the code, checks the
    /// ID token and returns the verified email address.
    async fn finish(&self, db: &Storage, state: &str, code: &str) -> Result<String, SsoError> {
        let now = now_text();
        let mut tx = db.begin().await?;
        let row = Sql::new(
            "DELETE FROM oidc_logins WHERE state_hash = ? AND expires_at >= ? \
             RETURNING pkce_verifier, nonce",
        )
        .bind(super::tokens::stored_hash(state))
        .bind(&now)
        .fetch_optional(&mut tx)
        .await?;
        tx.commit().await?;
        let row = row.ok_or(SsoError::UnknownState)?;
        let verifier =
            PkceCodeVerifier::new(row.try_get("pkce_verifier").map_err(StorageError::from)?);
        let nonce = Nonce::new(row.try_get("nonce").map_err(StorageError::from)?);
        let client = self.client().await?;
        let exchange = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|error| {
                tracing::error!(%error, "the identity provider has no token endpoint");
                SsoError::Unreachable
            })?;
        let tokens = exchange
            .set_pkce_verifier(verifier)
            .request_async(&self.http)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "the identity provider refused the code");
                SsoError::Refused
            })?;
        let id_token = tokens.id_token().ok_or_else(|| {
            tracing::warn!("the identity provider sent no ID token");
            SsoError::BadToken
        })?;
        let verifier = client.id_token_verifier();
        let claims = match id_token.claims(&verifier, &nonce) {
            Ok(claims) => claims,
            Err(error) => {
                tracing::warn!(%error, "an ID token failed its checks: the provider's keys are read again at the next sign-in");
                self.forget().await;
                return Err(SsoError::BadToken);
            }
        };
        if let Some(expected) = claims.access_token_hash() {
            let algorithm = id_token.signing_alg().map_err(|_| SsoError::BadToken)?;
            let key = id_token
                .signing_key(&verifier)
                .map_err(|_| SsoError::BadToken)?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), algorithm, key)
                .map_err(|_| SsoError::BadToken)?;
            if actual != *expected {
                tracing::warn!("an ID token's access token hash did not match");
                return Err(SsoError::BadToken);
            }
        }
        if let Some(email) = claims.email() {
            return match claims.email_verified() {
                Some(true) => Ok(email.as_str().trim().to_lowercase()),
                _ => Err(SsoError::NoVerifiedEmail),
            };
        }
        // Providers that keep the address out of the ID token give it from
        // the user info endpoint, for the same subject (checked).
        let request = client
            .user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            )
            .map_err(|_| SsoError::NoVerifiedEmail)?;
        let info: openidconnect::core::CoreUserInfoClaims =
            request.request_async(&self.http).await.map_err(|error| {
                tracing::warn!(%error, "the identity provider's user info could not be read");
                SsoError::BadToken
            })?;
        match (info.email(), info.email_verified()) {
            (Some(email), Some(true)) => Ok(email.as_str().trim().to_lowercase()),
            _ => Err(SsoError::NoVerifiedEmail),
        }
    }
}

/// `/admin/sign-in/oidc` and its callback.
pub fn router() -> Router<AppState> {
    private_pages(
        Router::new()
            .route("/admin/sign-in/oidc", get(start))
            .route(crate::config::CALLBACK_PATH, get(callback)),
    )
}

/// `signed_in.html`: goes on to `target` at once. A redirect would not do:
/// the session cookie is `SameSite=Strict`, and a redirect chain that
/// began on the provider's site is cross-site, so the first page would
/// not see it; this page's own refresh is same-site.
#[derive(Template)]
#[template(path = "signed_in.html")]
struct SignedInPage {
    target: &'static str,
}

/// `sign_in_failed.html`: why a sign-in with the provider did not happen.
#[derive(Template)]
#[template(path = "sign_in_failed.html")]
struct FailedPage {
    detail: String,
}

fn failed(error: &SsoError) -> Response {
    if let SsoError::Storage(cause) = error {
        tracing::error!(%cause, "a single sign-on could not be stored");
    }
    let mut response = render(&FailedPage {
        detail: error.to_string(),
    });
    *response.status_mut() = error.status();
    response
}

fn state_cookie(value: Option<&str>, secure: bool) -> HeaderValue {
    let lifetime = if value.is_some() {
        i64::try_from(SIGN_IN_WINDOW.as_secs()).unwrap_or(600)
    } else {
        0
    };
    let cookie = Cookie::build((STATE_COOKIE, value.unwrap_or_default().to_owned()))
        .path("/admin/sign-in/oidc")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(lifetime))
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn start(State(state): State<AppState>, parts: Parts) -> Response {
    let Some(sso) = state.sso.as_deref() else {
        return failed(&SsoError::Unreachable);
    };
    match sso.start(&state.storage).await {
        Ok((url, csrf)) => {
            let mut response = Redirect::to(&url).into_response();
            let secure = sso.secure() || over_https(&state.config, &parts.headers);
            response
                .headers_mut()
                .insert(header::SET_COOKIE, state_cookie(Some(&csrf), secure));
            response
        }
        Err(error) => failed(&error),
    }
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(app): State<AppState>,
    parts: Parts,
    PageQuery(query): PageQuery<Callback>,
) -> Result<Response, HtmlError> {
    let Some(sso) = app.sso.as_deref() else {
        return Ok(failed(&SsoError::Unreachable));
    };
    let headers = &parts.headers;
    let secure = sso.secure() || over_https(&app.config, headers);
    let outcome = async {
        if let Some(error) = &query.error {
            tracing::info!(error = %error, "the identity provider sent the browser back without signing in");
            return Err(SsoError::Refused);
        }
        let (Some(code), Some(returned)) = (&query.code, &query.state) else {
            return Err(SsoError::UnknownState);
        };
        let cookie = CookieJar::from_headers(headers)
            .get(STATE_COOKIE)
            .map(|c| c.value().to_owned())
            .unwrap_or_default();
        // The state must come back to the browser that started it: a
        // link from elsewhere cannot sign this browser in as someone else.
        if cookie.is_empty()
            || !super::constant_time_eq(cookie.as_bytes(), returned.as_bytes())
        {
            return Err(SsoError::UnknownState);
        }
        let email = sso.finish(&app.storage, returned, code).await?;
        let account = accounts::active_by_email(&app.storage, &email)
            .await?
            .ok_or(SsoError::NoAccount(email))?;
        Ok(account)
    }
    .await;
    let account = match outcome {
        Ok(account) => account,
        Err(error) => {
            if matches!(
                error,
                SsoError::UnknownState | SsoError::Refused | SsoError::BadToken
            ) {
                // Counted like a wrong token (the throttle, the log, the alarm).
                let client = client_of(&app.config, &parts);
                if let too_many @ crate::http::problem::ApiError::TooManyAttempts { .. } =
                    super::refuse_attempt(&app, client, FailedVia::SignIn).await
                {
                    return Err(too_many.into());
                }
            } else if matches!(error, SsoError::NoAccount(_)) {
                // The address is not logged: it is someone's.
                tracing::warn!("single sign-on by an address with no active account");
            }
            let mut response = failed(&error);
            response
                .headers_mut()
                .insert(header::SET_COOKIE, state_cookie(None, secure));
            return Ok(response);
        }
    };
    tracing::info!(account = account.id, "signed in with the identity provider");
    let presented = session_cookie(headers);
    let id = super::start_account_session(&app, &account, presented.as_deref()).await?;
    let target = if account.partner_id.is_some() {
        "/partner"
    } else {
        "/admin"
    };
    let mut response = render(&SignedInPage { target });
    response.headers_mut().append(
        header::SET_COOKIE,
        super::session_cookie_header(Some(&id), secure),
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, state_cookie(None, secure));
    Ok(response)
}
