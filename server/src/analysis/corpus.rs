//! The text of a call's ideas as the analyses read it, loaded once per
//! state of the call and shared by every staff request, so that similar
//! ideas, groups and campaigns over a large call do not read and tokenise
//! every submission on each page.
//!
//! The state is the call's [`PublicationVersion`] (raised by every staff
//! change, including moderation and erasure, and naming the number of
//! submissions): one cheap query per request tells whether the corpus held
//! here is current. Analyses derived from the text are computed on first
//! use and kept with the corpus they came from.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::AppState;
use crate::moderation::ModerationState;
use crate::storage::PublicationVersion;

use super::campaigns::Campaigns;
use super::service::AnalysisError;

/// One idea's words, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdeaText {
    pub reference: String,
    /// 0-based position of the idea in its submission.
    pub idea: usize,
    pub title: String,
    pub description: String,
}

/// What the counts by code need of a counted submission: who sent it, as
/// they told it, and how many ideas it holds. Nothing of what they wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Respondent {
    pub reference: String,
    pub partner: Option<String>,
    pub capacity: String,
    pub perspectives: Vec<String>,
    pub age_band: String,
    pub ideas: usize,
}

/// A call's ideas (spam left out, as in the counts), in the order they were
/// submitted, then by position in the submission.
pub struct Corpus {
    pub version: PublicationVersion,
    pub ideas: Vec<IdeaText>,
    /// The submissions the ideas come from, in the same order.
    pub respondents: Vec<Respondent>,
    /// Similar ideas and groups, computed on first use.
    similarity: super::similar::Similarity,
    /// The campaigns found in these ideas, computed on first use.
    campaigns: OnceLock<Arc<Campaigns>>,
}

impl Corpus {
    pub fn new(
        version: PublicationVersion,
        ideas: Vec<IdeaText>,
        respondents: Vec<Respondent>,
    ) -> Self {
        Self {
            version,
            ideas,
            respondents,
            similarity: super::similar::Similarity::default(),
            campaigns: OnceLock::new(),
        }
    }

    /// The similarity model and groups of this corpus.
    pub fn similarity(&self) -> &super::similar::Similarity {
        &self.similarity
    }

    /// Where this corpus keeps its campaigns once found ([`super::campaigns`]).
    pub fn campaigns_cell(&self) -> &OnceLock<Arc<Campaigns>> {
        &self.campaigns
    }
}

/// The corpus of every call, the latest state of each.
#[derive(Default)]
pub struct CorpusCache {
    calls: Mutex<HashMap<String, Arc<CallCorpus>>>,
}

/// One call's latest corpus and the lock its rebuilders queue on, so that
/// many staff opening pages at once load it once.
#[derive(Default)]
struct CallCorpus {
    latest: Mutex<Option<Arc<Corpus>>>,
    building: tokio::sync::Mutex<()>,
}

impl CallCorpus {
    fn at_least(&self, version: PublicationVersion) -> Option<Arc<Corpus>> {
        self.latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|c| c.version >= version)
            .cloned()
    }
}

/// The call's corpus in its current state, loaded if what is held is older.
/// The caller checks that the call exists.
pub async fn corpus(state: &AppState, call: &str) -> Result<Arc<Corpus>, AnalysisError> {
    let version = state.storage.publication_state(call).await?.version;
    let entry = {
        let mut calls = state
            .analysis
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(calls.entry(call.to_owned()).or_default())
    };
    if let Some(held) = entry.at_least(version) {
        return Ok(held);
    }
    let _building = entry.building.lock().await;
    if let Some(held) = entry.at_least(version) {
        return Ok(held);
    }
    // Read the version again under the lock: what is loaded next is at
    // least this state, which is what the snapshot is labelled with.
    let version = state.storage.publication_state(call).await?.version;
    let submissions = state.storage.list(call).await?;
    let moderation = ModerationState::by_reference(&state.storage.call_actions(call).await?);
    let mut ideas = Vec::new();
    let mut respondents = Vec::new();
    for s in submissions.into_iter().filter(|s| {
        !s.spam
            && moderation
                .get(&s.reference)
                .is_none_or(|m| m.spam.is_none())
    }) {
        respondents.push(Respondent {
            reference: s.reference.clone(),
            partner: s.partner,
            capacity: s.capacity,
            perspectives: s.perspectives,
            age_band: s.age_band,
            ideas: s.ideas.len(),
        });
        ideas.extend(s.ideas.into_iter().enumerate().map(|(idea, i)| IdeaText {
            reference: s.reference.clone(),
            idea,
            title: i.title,
            description: i.description,
        }));
    }
    let built = Arc::new(Corpus::new(version, ideas, respondents));
    *entry.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&built));
    Ok(built)
}
