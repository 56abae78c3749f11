//! Analysis of a call's ideas by the review team: a codebook per call, codes
//! applied to ideas with their audit trail and undo, "read" marks to share
//! the reading out, and counts by code ([`service`]); the staff JSON API
//! ([`api`]) and the staff pages ([`pages`]) call the same service functions.
//! Campaigns, near-copies of one text sent by many people, are found in
//! [`campaigns`] and served by [`campaign_routes`].

pub mod api;
pub mod campaign_routes;
pub mod campaigns;
pub mod corpus;
pub mod near_copies;
pub mod pages;
pub mod service;
pub mod similar;
pub mod similar_api;
pub mod similar_pages;
pub mod text;

use crate::{AppState, Router};

/// Every analysis route: the staff API and the staff pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(similar_api::router())
        .merge(similar_pages::router())
        .merge(campaign_routes::router())
}
