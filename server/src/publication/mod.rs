//! What the public sees of a submission, built by one function,
//! [`public_view`], from stored data and its moderation state. The HTML, CSV
//! and JSON at `/published/{call}` are all rendered from its output, and its
//! output type has no field for an email, an age band or a contact name, so
//! none can be published by mistake.
//!
//! The rules:
//! - an individual who chose to be named (and is 18 or over) → their name;
//! - an organisation that chose to be named → the organisation's name only;
//! - anonymous, under 18, or an age band that is no longer known → "Anonymous";
//! - honeypot spam, staff-marked spam, withheld submissions and flagged
//!   submissions (urgent or sensitive) until a moderator records the
//!   decision to publish them are left out, as are withheld ideas;
//! - redactions are applied ("[redacted]").
//!
//! What is published is built once per publication state and shared by
//! every reader ([`cache`]).

pub mod cache;
pub mod pages;
pub mod persistence;
pub mod send;

use cfi_rules::model::effective_publication;
use cfi_rules::{AgeBand, Capacity, Publication};
use serde::Serialize;

use crate::config::Call;
use crate::moderation::{ModerationAction, ModerationState, redact};
use crate::storage::{Storage, StorageError, StoredSubmission};
use crate::{AppState, Router};

/// `/published/{call}` and its CSV and JSON.
pub fn router() -> Router<AppState> {
    pages::router()
}

/// The name shown for anyone published anonymously.
pub const ANONYMOUS: &str = "Anonymous";

/// A submission as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicSubmission {
    pub reference: String,
    /// The person's name, the organisation's name, or "Anonymous".
    pub published_as: String,
    /// `YYYY-MM-DD` (UTC).
    pub submitted_on: String,
    pub ideas: Vec<PublicIdea>,
}

/// An idea as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicIdea {
    /// 1-based, as the respondent numbered them (gaps where withheld).
    pub number: usize,
    pub title: String,
    /// The theme's label.
    pub theme: Option<String>,
    pub description: String,
}

/// The name a submission is published under.
fn published_as(stored: &StoredSubmission) -> String {
    let chosen = Publication::from_wire(&stored.publication_chosen);
    let applied = Publication::from_wire(&stored.publication);
    let age = AgeBand::from_wire(&stored.age_band);
    // Named only when every stored fact agrees: the choice, the rule applied
    // on arrival, and the age band (still known, 18 or over).
    let named = matches!(
        (chosen, applied, age),
        (Some(chosen), Some(Publication::Named), Some(age))
            if effective_publication(chosen, age) == Publication::Named
    );
    if !named {
        return ANONYMOUS.to_owned();
    }
    let name = match Capacity::from_wire(&stored.capacity) {
        Some(Capacity::Individual) => stored.name.as_deref(),
        // Never the contact's name.
        Some(Capacity::Organisation) => stored.organisation.as_deref(),
        None => None,
    };
    name.map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(ANONYMOUS)
        .to_owned()
}

/// The public view of one submission, or `None` when it must not be
/// published.
pub fn public_view(
    call: &Call,
    stored: &StoredSubmission,
    state: &ModerationState,
) -> Option<PublicSubmission> {
    // A flagged submission (urgent or sensitive) waits for a moderator's
    // decision to publish; an open flag keeps it out even then.
    let undecided =
        stored.flag_open || (stored.flag_phrase.is_some() && state.publish_decided.is_none());
    if stored.spam || state.spam.is_some() || state.withheld.is_some() || undecided {
        return None;
    }
    let ideas: Vec<PublicIdea> = stored
        .ideas
        .iter()
        .enumerate()
        .filter(|(i, _)| !state.withheld_ideas.contains_key(i))
        .map(|(i, idea)| PublicIdea {
            number: i + 1,
            title: redact(&idea.title, &state.spans(i, "title")),
            theme: idea.theme.as_deref().map(|id| {
                call.themes
                    .iter()
                    .find(|t| t.id == id)
                    .map_or_else(|| id.to_owned(), |t| t.label.clone())
            }),
            description: redact(&idea.description, &state.spans(i, "description")),
        })
        .collect();
    if ideas.is_empty() {
        return None;
    }
    Some(PublicSubmission {
        reference: stored.reference.clone(),
        published_as: published_as(stored),
        submitted_on: stored.submitted_at.chars().take(10).collect(),
        ideas,
    })
}

/// Everything published of a call, read from storage now (the public
/// summary of codes counts only these ideas).
pub async fn published(
    storage: &Storage,
    call: &Call,
) -> Result<Vec<PublicSubmission>, StorageError> {
    let submissions = storage.list(&call.id).await?;
    let actions = crate::moderation::persistence::call_actions(storage, &call.id).await?;
    Ok(public_views(call, &submissions, &actions))
}

/// Everything published for a call, oldest first, from its stored
/// submissions and every moderation action on them.
pub fn public_views(
    call: &Call,
    submissions: &[StoredSubmission],
    actions: &[ModerationAction],
) -> Vec<PublicSubmission> {
    let states = ModerationState::by_reference(actions);
    let none = ModerationState::default();
    submissions
        .iter()
        .filter_map(|s| public_view(call, s, states.get(&s.reference).unwrap_or(&none)))
        .collect()
}
