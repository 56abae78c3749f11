//! The text of a call's ideas as the analyses read it, loaded once per
//! state of the call and shared by every staff request (a
//! [`CallCache`]), so that similar ideas, groups and campaigns over a large
//! call do not read and tokenise every submission on each page. Analyses
//! derived from the text are computed on first use and kept with the
//! corpus they came from.

use std::sync::{Arc, OnceLock};

use crate::AppState;
use crate::call_cache::CallCache;
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

/// A call's ideas (spam left out, as in the counts), in the order they were
/// submitted, then by position in the submission.
pub struct Corpus {
    pub version: PublicationVersion,
    pub ideas: Vec<IdeaText>,
    /// One unit meaning vector per idea, in the order of `ideas`, if every
    /// idea has one (see [`Corpus::with_meaning`]).
    meaning: Option<Arc<[Vec<f32>]>>,
    /// Loaded while some of its ideas were still waiting to be read for
    /// meaning: loaded again once they are.
    meaning_pending: bool,
    /// Similar ideas and groups, computed on first use.
    similarity: super::similar::Similarity,
    /// The campaigns found in these ideas, computed on first use.
    campaigns: OnceLock<Arc<Campaigns>>,
}

impl Corpus {
    /// The ideas' words only: the analyses compare words.
    pub fn new(version: PublicationVersion, ideas: Vec<IdeaText>) -> Self {
        Self {
            version,
            ideas,
            meaning: None,
            meaning_pending: false,
            similarity: super::similar::Similarity::default(),
            campaigns: OnceLock::new(),
        }
    }

    /// The ideas with their meaning: `meaning` holds one sentence embedding
    /// per idea, in the order of `ideas` (the model's
    /// [`crate::model::DIMENSIONS`] numbers, all finite). Similar ideas,
    /// groups and suggested codes then blend words and meaning. Anything
    /// else (a vector missing, of another length, not finite, or all
    /// zeros) and the corpus is words only, as [`Corpus::new`]: a partial
    /// meaning would make ideas with and without it incomparable. Vectors
    /// are scaled to length 1.
    pub fn with_meaning(
        version: PublicationVersion,
        ideas: Vec<IdeaText>,
        meaning: Vec<Vec<f32>>,
    ) -> Self {
        let usable = meaning.len() == ideas.len()
            && meaning.iter().all(|v| {
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.len() == crate::model::DIMENSIONS && norm.is_finite() && norm > 0.0
            });
        let meaning = usable.then(|| {
            meaning
                .into_iter()
                .map(|v| {
                    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                    v.into_iter().map(|x| x / norm).collect()
                })
                .collect()
        });
        Self {
            meaning,
            ..Self::new(version, ideas)
        }
    }

    /// The ideas' meaning vectors, if the corpus has them.
    pub fn meaning(&self) -> Option<&[Vec<f32>]> {
        self.meaning.as_deref()
    }

    /// The same vectors, shared (the similarity model holds them too; at
    /// 100,000 ideas a copy would be 150 MB).
    pub fn shared_meaning(&self) -> Option<Arc<[Vec<f32>]>> {
        self.meaning.clone()
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
pub type CorpusCache = CallCache<Corpus>;

/// The call's corpus in its current state, loaded if what is held is older
/// or was loaded before its ideas' meaning vectors were all stored.
/// The caller checks that the call exists.
pub async fn corpus(state: &AppState, call: &str) -> Result<Arc<Corpus>, AnalysisError> {
    let held = load(state, call).await?;
    if held.meaning_pending
        && crate::embeddings::persistence::waiting(&state.storage, call).await? == 0
    {
        state.analysis.forget(call);
        return load(state, call).await;
    }
    Ok(held)
}

/// Whether this server reads ideas for meaning (the model is loaded and
/// `embed_ideas` is on): then the corpus uses the stored vectors.
fn reads_meaning(state: &AppState) -> bool {
    state.model.is_some() && state.config.embed_ideas
}

async fn load(state: &AppState, call: &str) -> Result<Arc<Corpus>, AnalysisError> {
    state
        .analysis
        .get(&state.storage, call, |version| async move {
            // Counted before the vectors are read: a submission read in
            // between is counted as waiting, and the corpus is loaded again.
            let waiting = if reads_meaning(state) {
                crate::embeddings::persistence::waiting(&state.storage, call).await?
            } else {
                0
            };
            let submissions = state.storage.list(call).await?;
            let moderation = ModerationState::by_reference(
                &crate::moderation::persistence::call_actions(&state.storage, call).await?,
            );
            let mut ideas = Vec::new();
            for s in submissions.into_iter().filter(|s| {
                !s.spam
                    && moderation
                        .get(&s.reference)
                        .is_none_or(|m| m.spam.is_none())
            }) {
                ideas.extend(s.ideas.into_iter().enumerate().map(|(idea, i)| IdeaText {
                    reference: s.reference.clone(),
                    idea,
                    title: i.title,
                    description: i.description,
                }));
            }
            if !reads_meaning(state) {
                return Ok(Corpus::new(version, ideas));
            }
            let mut vectors =
                crate::embeddings::persistence::for_call(&state.storage, call, crate::model::NAME)
                    .await?;
            let meaning: Option<Vec<Vec<f32>>> = ideas
                .iter()
                .map(|i| vectors.remove(&(i.reference.clone(), i.idea)))
                .collect();
            let mut corpus = match meaning {
                Some(meaning) => Corpus::with_meaning(version, ideas, meaning),
                None => Corpus::new(version, ideas),
            };
            corpus.meaning_pending = corpus.meaning.is_none() && waiting > 0;
            Ok(corpus)
        })
        .await
}
