//! What every HTML page shares: templates rendered by askama, the headers
//! every page sends (one tower layer), and dates in people's words.
//!
//! Askama, rather than maud or minijinja: its templates are plain HTML files
//! (easy to read beside the markup they make), they are checked against
//! their Rust structs at compile time, and every `{{ value }}` is escaped for
//! HTML unless it is explicitly marked safe (no template here does), so a
//! forgotten call can no longer let stored text become markup.

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use jiff::tz::TimeZone;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::http::problem::ApiError;
use axum::Router;

/// Pages with no scripts at all: even if some markup got through, it could
/// not run.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Renders a page template as `text/html`; a template that fails to render
/// is logged and answered as a 500 problem.
pub fn render(page: &impl askama::Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "a page did not render");
            ApiError::Internal.into_response()
        }
    }
}

/// The headers every staff and partner page sends, so each stays private
/// and inert: no scripts, never cached, never sniffed, no referrer outside.
pub fn private_pages<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let set =
        |name, value| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    router
        .layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(header::CACHE_CONTROL, "no-store"))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "same-origin"))
}

/// The review's time zone: staff read times as the clock on their wall.
const UK: &str = crate::config::UK_TIME_ZONE;

/// A stored RFC 3339 instant in people's words, in UK time: "12 October
/// 2026, 10:37 pm (UK time)". Text that is not an instant is shown as it is.
pub fn when(text: &str) -> String {
    let Ok(instant) = text.parse::<jiff::Timestamp>() else {
        return text.to_owned();
    };
    let zone = TimeZone::get(UK).unwrap_or(TimeZone::UTC);
    let local = instant.to_zoned(zone);
    format!("{} (UK time)", local.strftime("%-d %B %Y, %-I:%M %P"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_as_uk_wall_clock_time() {
        assert_eq!(
            when("2026-10-12T21:37:26.956Z"),
            "12 October 2026, 10:37 pm (UK time)"
        );
        assert_eq!(
            when("2026-01-05T09:05:00Z"),
            "5 January 2026, 9:05 am (UK time)"
        );
    }

    #[test]
    fn text_that_is_not_an_instant_is_shown_as_it_is() {
        assert_eq!(when("no"), "no");
    }
}
