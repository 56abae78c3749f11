//! A call's codebook: its codes, the codes applied to ideas with their
//! trail and undo, "read" marks to share the reading out, counts by code and
//! the public summary. [`service`] (with [`counts`] and [`summary`]) is what
//! the staff JSON API ([`api`]) and the staff pages ([`pages`]) share; the
//! analyses code groups and campaigns through [`service`] too. The codebook
//! uses nothing of the analyses.

pub mod api;
pub mod counts;
pub mod model;
pub mod pages;
pub mod persistence;
pub mod service;
pub mod summary;

use crate::{AppState, Router};

/// Every codebook route: the staff API, the public summary and the staff
/// pages.
pub fn router() -> Router<AppState> {
    Router::new().merge(api::router()).merge(pages::router())
}
