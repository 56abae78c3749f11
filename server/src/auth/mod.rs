//! Who is asking: staff (admin tokens) or a partner charity (partner
//! tokens, own counts only).
//!
//! Tokens are configured as SHA-256 digests and compared in constant time
//! against every digest. Programs send `Authorization: Bearer <token>` (the
//! scheme in any case); people sign in on `/admin/sign-in`, which POSTs the
//! token once and sets a session cookie holding a random id (`HttpOnly`,
//! `SameSite=Strict`, `Secure` when the page was reached over https), so no
//! token ever appears in a URL. A POST authenticated by the cookie must also
//! carry an `Origin` of this server, scheme, host and port (CSRF defence
//! beside SameSite).
//!
//! Sessions are stored in the database by the SHA-256 of their id, so a
//! restart and every replica keep them; one ends after
//! `session_idle_timeout_secs` unused or [`SESSION_LIFETIME`] after it began,
//! and signing in again ends the session the browser presented. Every token
//! that is not right counts against its client ([`throttle`]), is logged
//! once and is counted in the database for the dashboard.

pub mod access;
pub mod accounts;
pub mod guard;
pub mod links;
pub mod oidc;
pub mod pages;
pub mod persistence;
pub mod roles;
pub mod staff_pages;
pub mod throttle;
pub mod tokens;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue, Method, Uri, header};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::config::Config;
use crate::http::client::client_bucket;
use crate::http::problem::ApiError;
use crate::limits::{AUTH_ALARM_FAILURES, AUTH_ALARM_WINDOW, AUTH_FAILURES_KEPT};
use crate::storage::StorageError;
pub use persistence::{FailedVia, FailureCounts, SessionOwner, SessionTimes};
pub use roles::{Permission, Role, Roles};

/// The session cookie's name.
pub const COOKIE: &str = "cfi_session";
pub use crate::limits::SESSION_LIFETIME;

/// Who a token or session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The review team: an account (its email address), a program token
    /// ("NAME (token)") or a configured token (its name), with its roles.
    Staff { name: String, roles: Roles },
    /// A partner charity, by id.
    Partner(String),
}

impl Principal {
    /// A configured `[[admin_tokens]]` token: every staff role.
    fn configured_staff(name: &str) -> Self {
        Self::Staff {
            name: name.to_owned(),
            roles: Roles::CONFIGURED_STAFF,
        }
    }

    /// The roles held.
    pub fn roles(&self) -> Roles {
        match self {
            Self::Staff { roles, .. } => *roles,
            Self::Partner(_) => Roles::of([Role::Partner]),
        }
    }

    /// The principal of an active account.
    fn of_account(account: &accounts::Account) -> Self {
        match (&account.partner_id, account.roles.contains(Role::Partner)) {
            (Some(partner), true) => Self::Partner(partner.clone()),
            _ => Self::Staff {
                name: account.email.clone(),
                roles: account.roles,
            },
        }
    }

    fn owner(&self, token: String) -> SessionOwner {
        let (kind, name) = match self {
            Self::Staff { name, .. } => ("staff", name),
            Self::Partner(id) => ("partner", id),
        };
        SessionOwner {
            kind: kind.to_owned(),
            name: name.clone(),
            token,
        }
    }

    /// The principal of a stored session of a configured token, while the
    /// configuration still has the token it signed in with (same owner,
    /// same digest): a token removed or rotated ends its sessions.
    fn from_owner(config: &Config, owner: SessionOwner) -> Option<Self> {
        let principal = match owner.kind.as_str() {
            "staff" => Self::configured_staff(&owner.name),
            "partner" => Self::Partner(owner.name),
            _ => return None,
        };
        let still = configured_digests(config)
            .any(|(p, digest)| p == principal && token_fingerprint(digest) == owner.token);
        still.then_some(principal)
    }
}

/// Every configured token digest (hex) and whose it is.
fn configured_digests(config: &Config) -> impl Iterator<Item = (Principal, &str)> {
    let staff = config
        .admin_tokens
        .iter()
        .map(|t| (Principal::configured_staff(&t.name), t.sha256.as_str()));
    let partners = config.partners.iter().filter_map(|p| {
        p.token_sha256
            .as_deref()
            .map(|digest| (Principal::Partner(p.id.clone()), digest))
    });
    staff.chain(partners)
}

/// What a session keeps of the token it signed in with: the SHA-256 of its
/// configured digest (lower case hex), which signs no one in.
fn token_fingerprint(configured_digest: &str) -> String {
    hex::encode(digest(&configured_digest.to_ascii_lowercase()))
}

fn session_times(config: &Config) -> SessionTimes {
    SessionTimes {
        idle_timeout: config.session_idle_timeout,
        lifetime: SESSION_LIFETIME,
    }
}

/// How a session id is stored: its SHA-256, so the database holds nothing
/// that signs anyone in.
fn stored_id(id: &str) -> String {
    hex::encode(digest(id))
}

/// Starts a session for `principal`, signed in with `token`, ending the one the browser presented
/// (`replaces`, its cookie value) if any; returns the new id (the cookie
/// value), new at every sign-in.
pub async fn start_session(
    state: &AppState,
    principal: &Principal,
    token: &str,
    replaces: Option<&str>,
) -> Result<String, StorageError> {
    let id = hex::encode(rand::random::<[u8; 32]>());
    let replaces = replaces.map(stored_id);
    persistence::start_session(
        &state.storage,
        &stored_id(&id),
        &principal.owner(token_fingerprint(&hex::encode(digest(token.trim())))),
        replaces.as_deref(),
        session_times(&state.config),
    )
    .await?;
    Ok(id)
}

/// Starts a session for the active account `account` (signed in by a
/// sign-in link or single sign-on), ending the one the browser presented.
pub async fn start_account_session(
    state: &AppState,
    account: &accounts::Account,
    replaces: Option<&str>,
) -> Result<String, StorageError> {
    let id = hex::encode(rand::random::<[u8; 32]>());
    let replaces = replaces.map(stored_id);
    let owner = SessionOwner {
        kind: "account".to_owned(),
        name: account.id.to_string(),
        token: String::new(),
    };
    persistence::start_session(
        &state.storage,
        &stored_id(&id),
        &owner,
        replaces.as_deref(),
        session_times(&state.config),
    )
    .await?;
    Ok(id)
}

/// Who the live session `id` belongs to, marking it used; a session whose
/// token is no longer configured, or whose account is deactivated, is
/// ended. An account's roles are read here, at every request.
async fn session_principal(state: &AppState, id: &str) -> Result<Option<Principal>, StorageError> {
    let stored = stored_id(id);
    let owner =
        persistence::use_session(&state.storage, &stored, session_times(&state.config)).await?;
    let Some(owner) = owner else { return Ok(None) };
    let principal = if owner.kind == "account" {
        let account = match owner.name.parse() {
            Ok(account_id) => accounts::by_id(&state.storage, account_id).await?,
            Err(_) => None,
        };
        account
            .filter(|a| a.active)
            .map(|a| Principal::of_account(&a))
    } else {
        Principal::from_owner(&state.config, owner)
    };
    match principal {
        Some(principal) => Ok(Some(principal)),
        None => {
            persistence::end_session(&state.storage, &stored).await?;
            Ok(None)
        }
    }
}

/// Ends the session `id` (signing out).
pub async fn end_session(state: &AppState, id: &str) -> Result<(), StorageError> {
    persistence::end_session(&state.storage, &stored_id(id)).await
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The principal a token belongs to. Every configured digest is compared,
/// in constant time and without stopping early.
pub fn principal_for_token(config: &Config, token: &str) -> Option<Principal> {
    let token = token.trim();
    if token.is_empty() {
        return None;
    }
    let digest = Sha256::digest(token.as_bytes());
    let mut found = None;
    for configured in &config.admin_tokens {
        if let Ok(expected) = hex::decode(&configured.sha256)
            && constant_time_eq(&expected, &digest)
        {
            found = Some(Principal::configured_staff(&configured.name));
        }
    }
    for partner in &config.partners {
        if let Some(Ok(expected)) = partner.token_sha256.as_deref().map(hex::decode)
            && constant_time_eq(&expected, &digest)
            && found.is_none()
        {
            found = Some(Principal::Partner(partner.id.clone()));
        }
    }
    found
}

/// The session id in the request's cookies, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// The scheme this request reached the server with: `https` when a proxy
/// of the review's own says so (`X-Forwarded-Proto`, trusted only with
/// `trust_forwarded_for`), otherwise `http`, which is all the server itself
/// speaks.
fn own_scheme(config: &Config, headers: &HeaderMap) -> &'static str {
    let forwarded_https = config.trust_forwarded_for
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    if forwarded_https { "https" } else { "http" }
}

/// The port a scheme uses when none is written.
fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// The request came from a page of this server: its `Origin` (or, when a
/// browser sent none, its `Referer`) has the scheme the request arrived with
/// and the host and port it was sent to (a default port written or not).
pub fn same_origin(config: &Config, headers: &HeaderMap) -> bool {
    let Some(host) = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Authority>().ok())
    else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Uri>().ok());
    let Some(source) = source else {
        return false;
    };
    let scheme = own_scheme(config, headers);
    let (Some(source_scheme), Some(source_host)) = (source.scheme_str(), source.host()) else {
        return false;
    };
    source_scheme.eq_ignore_ascii_case(scheme)
        && source_host.eq_ignore_ascii_case(host.host())
        && source.port_u16().or(default_port(scheme)) == host.port_u16().or(default_port(scheme))
}

/// Whether the browser reached this server over https (directly, or behind a
/// proxy that says so when `trust_forwarded_for` is on).
pub fn over_https(config: &Config, headers: &HeaderMap) -> bool {
    let origin_https = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|o| o.starts_with("https://"));
    let forwarded_https = config.trust_forwarded_for
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    origin_https || forwarded_https
}

/// The `Set-Cookie` value starting (or, with `None`, ending) a session.
pub fn session_cookie_header(id: Option<&str>, secure: bool) -> HeaderValue {
    let lifetime = match id {
        Some(_) => i64::try_from(SESSION_LIFETIME.as_secs()).unwrap_or(i64::MAX),
        None => 0,
    };
    let cookie = Cookie::build((COOKIE, id.unwrap_or_default()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(lifetime))
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The token of an `Authorization: Bearer` header; the scheme is matched in
/// any case (RFC 9110).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// The client bucket a request counts against (see [`crate::http::client`]).
pub fn client_of(config: &Config, parts: &Parts) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)), |c| c.0);
    client_bucket(config, &parts.headers, peer)
}

/// The principal `token` belongs to, tried by `client`. A right token is
/// always taken, whatever the client's earlier failures (an office behind
/// one address, or an IPv6 /64, must not lock its staff out). A token that
/// is not right is counted against the client, logged once (never the
/// token) and counted in the database; past [`AUTH_ALARM_FAILURES`] across
/// all clients, no client has free failures; while the client must wait,
/// a wrong token is answered 429 with the wait, and not counted again.
///
/// Configured tokens are tried first; then, for a bearer token
/// (`FailedVia::Bearer`), the live program tokens: those never sign a
/// person in on the sign-in page.
pub async fn check_token(
    state: &AppState,
    client: IpAddr,
    via: FailedVia,
    token: &str,
) -> Result<Principal, ApiError> {
    if let Some(principal) = principal_for_token(&state.config, token) {
        return Ok(principal);
    }
    if via == FailedVia::Bearer
        && !token.trim().is_empty()
        && let Some(program) = tokens::live(&state.storage, token).await?
        && program.role != Role::Partner
    {
        return Ok(Principal::Staff {
            name: tokens::principal_name(&program.name),
            roles: Roles::of([program.role]),
        });
    }
    Err(refuse_attempt(state, client, via).await)
}

/// A sign-in that did not work (a wrong token, a sign-in link or single
/// sign-on answer that does not work): 429 with the wait while the client
/// must wait; otherwise counted against the client, logged once (never what
/// was tried) and counted in the database, and 401.
pub async fn refuse_attempt(state: &AppState, client: IpAddr, via: FailedVia) -> ApiError {
    if let Err(retry_after_secs) = state.throttle.check(client) {
        return ApiError::TooManyAttempts { retry_after_secs };
    }
    let recent = match persistence::record_auth_failure(
        &state.storage,
        via,
        AUTH_FAILURES_KEPT,
        AUTH_ALARM_WINDOW,
    )
    .await
    {
        Ok(recent) => recent,
        Err(error) => {
            tracing::error!(%error, "a refused token could not be counted");
            0
        }
    };
    let under_attack = recent >= AUTH_ALARM_FAILURES;
    let failures = state.throttle.failed(client, under_attack);
    tracing::warn!(
        client = %client,
        via = via.as_str(),
        failures,
        under_attack,
        "a token that is not right was refused"
    );
    ApiError::Unauthorized
}

/// Failed sign-ins and bearer tokens in the last day and in all still kept,
/// counted by every replica alike (for the dashboard).
pub async fn failure_counts(state: &AppState) -> Result<FailureCounts, StorageError> {
    persistence::auth_failure_counts(&state.storage, AUTH_FAILURES_KEPT).await
}

/// Who is asking, from a bearer token or the session cookie; a cookie
/// POST must come from a page of this server. Run once per request, by the
/// guard ([`guard`]), which keeps the answer for the extractors below.
pub async fn authenticate(state: &AppState, parts: &Parts) -> Result<Principal, ApiError> {
    if let Some(token) = bearer_token(&parts.headers) {
        let client = client_of(&state.config, parts);
        return check_token(state, client, FailedVia::Bearer, token).await;
    }
    let Some(id) = session_cookie(&parts.headers) else {
        return Err(ApiError::Unauthorized);
    };
    let principal = session_principal(state, &id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let safe_method = matches!(parts.method, Method::GET | Method::HEAD);
    if !safe_method && !same_origin(&state.config, &parts.headers) {
        return Err(ApiError::CrossSite);
    }
    Ok(principal)
}

/// Anyone signed in: staff or a partner (as the guard found them).
#[derive(Debug, Clone)]
pub struct Viewer(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Only a route the guard let through has one; any other is refused.
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Self)
            .ok_or(ApiError::Unauthorized)
    }
}

/// Proof that the request came from staff; handlers that take it cannot run
/// without a staff token or session. A partner gets 403.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The account's email address or the token's name, for audit lines.
    pub name: String,
    pub roles: Roles,
}

impl Staff {
    /// Whether the roles held grant `permission` (for what a route does
    /// beyond what its entry in [`roles::ROUTES`] needs: one action of
    /// several, a passage only safeguarding sees).
    pub fn can(&self, permission: Permission) -> bool {
        self.roles.can(permission)
    }

    /// `Ok` when [`Self::can`], else the 403 that names the role needed.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(permission.refusal()))
        }
    }
}

/// What a partner is told on a staff route.
pub const PARTNER_REFUSAL: &str = "A partner's sign-in shows only that partner's submission counts";

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Viewer::from_request_parts(parts, state).await?.0 {
            Principal::Staff { name, roles } => Ok(Self { name, roles }),
            Principal::Partner(_) => Err(ApiError::Forbidden(PARTNER_REFUSAL)),
        }
    }
}

#[cfg(test)]
mod tests;
