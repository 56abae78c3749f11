//! The built widget: `GET /embed.js` (the one URL partners paste; cached for
//! minutes so a new release reaches every page quickly) and
//! `GET /assets/{version}/...` (content-versioned, cached for a year as
//! immutable). Precompressed `.br` and `.gz` files are served when the client
//! accepts them, so every file answer says `Vary: Accept-Encoding`. A
//! directory is not a file: it is a 404 problem, never a redirect, and
//! errors are sent `no-store`.

use std::path::Path;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::http::problem::ApiError;
use crate::{AppState, Router};

/// A widget file that is not there (or a widget not built).
pub fn not_found() -> ApiError {
    ApiError::NotFound("No such widget file; is the widget built?")
}

pub fn router(assets_dir: &Path) -> Router<AppState> {
    let not_found = || async { not_found().into_response() };
    let loader = ServeFile::new(assets_dir.join("embed.js"))
        .precompressed_br()
        .precompressed_gzip();
    let versioned = ServeDir::new(assets_dir.join("assets"))
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false)
        .not_found_service(axum::routing::get(not_found));
    Router::new()
        .route_service("/embed.js", loader)
        .layer(file_header(header::CACHE_CONTROL, "public, max-age=300"))
        .merge(
            Router::new()
                .nest_service("/assets", versioned)
                .layer(file_header(
                    header::CACHE_CONTROL,
                    "public, max-age=31536000, immutable",
                )),
        )
        .layer(file_header(header::VARY, "accept-encoding"))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// Sets `name: value` on the answers that are a file (or part of one, or
/// "not modified"), and never on errors.
fn file_header(
    name: header::HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<impl Fn(&Response) -> Option<HeaderValue> + Clone> {
    SetResponseHeaderLayer::overriding(name, move |response: &Response| {
        let status = response.status();
        (status.is_success() || status == StatusCode::NOT_MODIFIED)
            .then(|| HeaderValue::from_static(value))
    })
}
