//! The review team's work: search and filters ([`filter`]), what staff can
//! do ([`service`]), the staff JSON API ([`api`]), exports ([`export`]) and
//! the staff and partner pages ([`pages`]). The API and the pages call the
//! same service functions.

pub mod api;
pub mod export;
pub mod filter;
pub mod pages;
pub mod persistence;
pub mod service;

use crate::{AppState, Router};

/// Every review route: the staff API, exports and pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .merge(export::router())
        .merge(pages::router())
}
