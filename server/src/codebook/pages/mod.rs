//! The codebook's staff pages, server-rendered without scripts: the
//! codebook page and each code's edit page ([`codebook`]), and the coding
//! controls on the submission page ([`coding`]), with the forms they post.

pub mod codebook;
pub mod coding;

use axum::routing::{get, post};

use crate::http::html::private_pages;
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    private_pages(
        Router::new()
            .route(
                "/admin/calls/{call}/codes",
                get(codebook::show_codebook).post(codebook::create),
            )
            .route(
                "/admin/calls/{call}/codes/publication",
                post(codebook::switch_summary),
            )
            .route(
                "/admin/calls/{call}/codes/{code}",
                get(codebook::show_code).post(codebook::edit),
            )
            .route(
                "/admin/submissions/{reference}/codings",
                post(coding::code_idea),
            )
            .route("/admin/submissions/{reference}/read", post(coding::read)),
    )
}
