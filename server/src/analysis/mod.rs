//! Analyses of a call's ideas for the review team, computed in the server
//! from the call's [`corpus`]: words ([`text`]), similar ideas
//! ([`similar`]), groups of similar ideas ([`groups`], over [`kmeans`]),
//! suggested codes ([`suggestions`]) and campaigns, near-copies of one text
//! sent by many people ([`campaigns`]). The staff JSON API ([`api`]) and the
//! staff pages ([`pages`]) call the same functions and share [`service`].
//! Coding a group, a campaign or an accepted suggestion goes through the
//! codebook's service ([`crate::codebook::service`]); the codebook uses
//! nothing of the analyses.

pub mod api;
pub mod campaigns;
pub mod corpus;
pub mod groups;
pub mod kmeans;
pub mod near_copies;
pub mod pages;
pub mod persistence;
pub mod service;
pub mod similar;
pub mod suggestions;
pub mod text;

#[cfg(test)]
mod tests;

use crate::{AppState, Router};

/// Every analysis route: the staff API and the staff pages.
pub fn router() -> Router<AppState> {
    Router::new().merge(api::router()).merge(pages::router())
}
