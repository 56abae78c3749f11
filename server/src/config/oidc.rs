//! `[oidc]`: single sign-on with the review's identity provider (OpenID
//! Connect, for example Microsoft Entra ID): its issuer, this server's
//! client id and secret there, and the address the provider sends people
//! back to.

use serde::Deserialize;

use super::{ConfigError, Secret, invalid};

/// The path the provider sends people back to; `redirect_url` ends with it.
pub const CALLBACK_PATH: &str = "/admin/sign-in/oidc/callback";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOidc {
    issuer: String,
    client_id: String,
    client_secret: String,
    redirect_url: String,
    provider_name: Option<String>,
}

/// The checked `[oidc]` settings.
#[derive(Debug, Clone)]
pub struct Oidc {
    /// The issuer, exactly as the provider's ID tokens name it; its
    /// discovery document is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// `https://review.example/admin/sign-in/oidc/callback`, registered
    /// with the provider.
    pub redirect_url: String,
    /// What the sign-in button says after "Sign in with" (default "your
    /// organisation's account").
    pub provider_name: String,
}

fn http_url(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

pub(super) fn check_oidc(raw: RawOidc) -> Result<Oidc, ConfigError> {
    if !http_url(&raw.issuer) {
        return Err(invalid("oidc.issuer", "must be an http(s) URL"));
    }
    if raw.client_id.trim().is_empty() {
        return Err(invalid("oidc.client_id", "must not be empty"));
    }
    if raw.client_secret.trim().is_empty() {
        return Err(invalid("oidc.client_secret", "must not be empty"));
    }
    if !http_url(&raw.redirect_url) || !raw.redirect_url.ends_with(CALLBACK_PATH) {
        return Err(invalid(
            "oidc.redirect_url",
            format!("must be this server's address followed by {CALLBACK_PATH}"),
        ));
    }
    Ok(Oidc {
        issuer: raw.issuer,
        client_id: raw.client_id.trim().to_owned(),
        client_secret: Secret::new(raw.client_secret),
        redirect_url: raw.redirect_url,
        provider_name: raw
            .provider_name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "your organisation's account".to_owned()),
    })
}
