//! Who is asking: staff (admin tokens) or a partner charity (partner
//! tokens, own counts only).
//!
//! Tokens are configured as SHA-256 digests and compared in constant time
//! against every digest. Programs send `Authorization: Bearer <token>`;
//! people sign in on `/admin/sign-in`, which POSTs the token once and sets a
//! session cookie holding a random id (`HttpOnly`, `SameSite=Strict`,
//! `Secure` when the page was reached over https), so no token ever appears
//! in a URL. A POST authenticated by the cookie must also carry an `Origin`
//! of this server (CSRF defence beside SameSite). Sessions live in memory:
//! they end when the process restarts (sign in again), and with replicas a
//! browser must stick to one of them; bearer tokens work anywhere.

pub mod pages;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::config::Config;
use crate::http::problem::ApiError;

/// The session cookie's name.
pub const COOKIE: &str = "cfi_session";
pub use crate::limits::SESSION_LIFETIME;

/// Who a token or session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The review team; the name is the token's configured name.
    Staff(String),
    /// A partner charity, by id.
    Partner(String),
}

/// Signed-in browser sessions, by SHA-256 of their id.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
}

impl Sessions {
    /// Starts a session; returns its id (the cookie value).
    pub fn start(&self, principal: Principal) -> String {
        let id = hex::encode(rand::random::<[u8; 32]>());
        let now = Instant::now();
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, (_, expires)| *expires > now);
        map.insert(digest(&id), (principal, now + SESSION_LIFETIME));
        id
    }

    fn get(&self, id: &str) -> Option<Principal> {
        let map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&digest(id))
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(principal, _)| principal.clone())
    }

    /// Ends a session.
    pub fn end(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&digest(id));
    }
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
            found = Some(Principal::Staff(configured.name.clone()));
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

/// The request came from a page of this server: its `Origin` (or, when a
/// browser sent none, its `Referer`) names the host it was sent to.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else {
        return false;
    };
    let Some(rest) = source
        .strip_prefix("https://")
        .or_else(|| source.strip_prefix("http://"))
    else {
        return false;
    };
    rest.split('/').next() == Some(host)
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

/// Anyone signed in: staff or a partner.
#[derive(Debug, Clone)]
pub struct Viewer(pub Principal);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let Some(token) = bearer {
            return principal_for_token(&state.config, token)
                .map(Self)
                .ok_or(ApiError::Unauthorized);
        }
        let principal = session_cookie(&parts.headers)
            .and_then(|id| state.sessions.get(&id))
            .ok_or(ApiError::Unauthorized)?;
        let safe_method = matches!(parts.method, Method::GET | Method::HEAD);
        if !safe_method && !same_origin(&parts.headers) {
            return Err(ApiError::CrossSite);
        }
        Ok(Self(principal))
    }
}

/// Proof that the request came from staff; handlers that take it cannot run
/// without a staff token or session. A partner gets 403.
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
        match Viewer::from_request_parts(parts, state).await?.0 {
            Principal::Staff(name) => Ok(Self { name }),
            Principal::Partner(_) => Err(ApiError::Forbidden(
                "A partner's sign-in shows only that partner's submission counts",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_whole_slices() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn same_origin_needs_the_host() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(!same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080.evil.example"),
        );
        assert!(!same_origin(&headers));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; cfi_session=abc123; c=d"),
        );
        assert_eq!(session_cookie(&headers).as_deref(), Some("abc123"));
    }

    #[test]
    fn a_session_cookie_is_strict_http_only_and_ends_with_max_age_zero() {
        let start = session_cookie_header(Some("abc"), true);
        let text = start.to_str().expect("ascii");
        for part in [
            "cfi_session=abc",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/",
        ] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        assert!(text.contains(&format!("Max-Age={}", SESSION_LIFETIME.as_secs())));
        let end = session_cookie_header(None, false);
        let text = end.to_str().expect("ascii");
        assert!(text.starts_with("cfi_session=;") && text.contains("Max-Age=0"));
        assert!(!text.contains("Secure"));
    }
}
