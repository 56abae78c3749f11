//! The built widget: `GET /embed.js` (the one URL partners paste; cached for
//! minutes so a new release reaches every page quickly) and
//! `GET /assets/{version}/...` (content-versioned, cached for a year as
//! immutable). Precompressed `.br` and `.gz` files are served when the client
//! accepts them.

use std::path::Path;

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::http::problem::ApiError;
use crate::{AppState, Router};

pub fn router(assets_dir: &Path) -> Router<AppState> {
    let not_found = || async {
        ApiError::NotFound("No such widget file; is the widget built?").into_response()
    };
    let loader = ServeFile::new(assets_dir.join("embed.js"))
        .precompressed_br()
        .precompressed_gzip();
    let versioned = ServeDir::new(assets_dir.join("assets"))
        .precompressed_br()
        .precompressed_gzip()
        .not_found_service(axum::routing::get(not_found));
    Router::new()
        .route_service("/embed.js", loader)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ))
        .merge(Router::new().nest_service("/assets", versioned).layer(
            SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ))
}
