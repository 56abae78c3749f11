//! Similar ideas, computed in the server from the call's [`Corpus`] (no
//! hosted model, no network) and the same for the same data:
//!
//! - a [`Model`] per corpus: the TF-IDF vectors of [`super::text`] and an
//!   inverted index (for each term, the ideas that use it), and, where the
//!   corpus has them, the ideas' meaning vectors (sentence embeddings, see
//!   [`Corpus::with_meaning`]);
//! - the ideas most like one idea: cosine similarity scored through the
//!   postings of the idea's strongest terms, then checked exactly, each with
//!   the shared words that explain it. With meaning, the similarity is the
//!   blend w·words + (1−w)·meaning ([`WORDS_WEIGHT`]): every idea's meaning
//!   is compared, its words through the postings, and the best candidates
//!   are checked exactly. Other ideas of the same submission
//!   are left out: they are on the same page already, and one person
//!   writing about one subject twice says nothing about the call.
//!
//! Groups of similar ideas are in [`super::groups`], suggested codes in
//! [`super::suggestions`]. The model and the groups are kept with the corpus
//! they came from, built once per state of the call on a blocking thread.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cfi_rules::Reference;
use serde::Serialize;

use super::corpus::{Corpus, IdeaText, corpus};
use super::groups::{Groups, group};
use super::service::AnalysisError;
use super::text::{Sparse, Term, dot, tf_idf};
use crate::AppState;
use crate::limits::{
    SHARED_WORDS, SIMILAR_CANDIDATES, SIMILAR_IDEAS, SIMILAR_MIN_SCORE, SIMILAR_QUERY_TERMS,
    WORDS_WEIGHT,
};
use crate::model::cosine;

/// What is derived from one corpus, computed on first use.
#[derive(Default)]
pub struct Similarity {
    model: OnceLock<Model>,
    pub(super) groups: OnceLock<Groups>,
}

/// The vectors of a corpus's ideas and their inverted index.
pub struct Model {
    pub terms: Vec<Term>,
    /// One per idea of the corpus, in its order.
    pub vectors: Vec<Sparse>,
    /// For each term, the ideas using it and its weight there.
    postings: Vec<Vec<(u32, f32)>>,
    /// The position of each submission's first idea in the corpus.
    first_idea: HashMap<String, usize>,
    /// The ideas' meaning, if the corpus has it.
    meaning: Option<Meaning>,
}

/// The ideas' meaning beside their words.
struct Meaning {
    /// One unit vector per idea of the corpus, in its order.
    vectors: Arc<[Vec<f32>]>,
    /// The share of the words in a similarity, 0 to 1; the meaning has the
    /// rest.
    words_weight: f32,
}

impl Model {
    /// Words only: TF-IDF cosine similarity.
    pub fn build(ideas: &[IdeaText]) -> Self {
        Self::build_with(ideas, None, WORDS_WEIGHT)
    }

    /// Words and, if given, meaning (one unit vector per idea, as
    /// [`Corpus::meaning`] holds them), the words weighing `words_weight`
    /// (0 to 1) in every similarity: [`WORDS_WEIGHT`] in the server, other
    /// values only to measure (the bench).
    pub fn build_with(
        ideas: &[IdeaText],
        meaning: Option<Arc<[Vec<f32>]>>,
        words_weight: f32,
    ) -> Self {
        let built = tf_idf(
            ideas
                .iter()
                .map(|i| (i.title.as_str(), i.description.as_str())),
        );
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); built.terms.len()];
        for (position, vector) in built.vectors.iter().enumerate() {
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            for &(term, weight) in vector {
                if let Some(list) = postings.get_mut(term as usize) {
                    list.push((position, weight));
                }
            }
        }
        let mut first_idea = HashMap::new();
        for (position, idea) in ideas.iter().enumerate() {
            first_idea
                .entry(idea.reference.clone())
                .or_insert(position - idea.idea.min(position));
        }
        Self {
            terms: built.terms,
            vectors: built.vectors,
            postings,
            first_idea,
            meaning: meaning
                .filter(|m| m.len() == ideas.len())
                .map(|vectors| Meaning {
                    vectors,
                    words_weight: words_weight.clamp(0.0, 1.0),
                }),
        }
    }

    /// The ideas' meaning vectors and the words' weight, if the model has
    /// them.
    pub fn meaning(&self) -> Option<(&[Vec<f32>], f32)> {
        self.meaning.as_ref().map(|m| (&*m.vectors, m.words_weight))
    }

    /// The similarity of two ideas: the cosine of their words, blended
    /// with that of their meaning where the model has it.
    pub fn similarity(&self, a: usize, b: usize) -> f32 {
        let (Some(va), Some(vb)) = (self.vectors.get(a), self.vectors.get(b)) else {
            return 0.0;
        };
        let words = dot(va, vb);
        match &self.meaning {
            None => words,
            Some(m) => match (m.vectors.get(a), m.vectors.get(b)) {
                (Some(ma), Some(mb)) => {
                    m.words_weight * words + (1.0 - m.words_weight) * cosine(ma, mb)
                }
                _ => words,
            },
        }
    }

    /// The position in the corpus of an idea (0-based), if counted.
    pub fn position(&self, ideas: &[IdeaText], reference: &str, idea: usize) -> Option<usize> {
        let position = self.first_idea.get(reference)? + idea;
        ideas
            .get(position)
            .filter(|i| i.reference == reference && i.idea == idea)
            .map(|_| position)
    }

    /// The `count` ideas most like the idea at `of` among those `keep`
    /// accepts, best first, scored at least [`SIMILAR_MIN_SCORE`].
    pub fn nearest(&self, of: usize, count: usize, keep: impl Fn(usize) -> bool) -> Vec<Neighbour> {
        let Some(query) = self.vectors.get(of) else {
            return Vec::new();
        };
        let mut strongest: Vec<(u32, f32)> = query.clone();
        strongest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        strongest.truncate(SIMILAR_QUERY_TERMS);
        // Scores through the postings of the strongest terms only: a bound
        // on the work whatever the idea's length. One number per idea of
        // the corpus: cheaper than a map when common words have long lists.
        let mut partial = vec![0.0f32; self.vectors.len()];
        for &(term, weight) in &strongest {
            for &(idea, other) in self.postings.get(term as usize).map_or(&[][..], |p| p) {
                if let Some(score) = partial.get_mut(idea as usize) {
                    *score += weight * other;
                }
            }
        }
        // With meaning, every idea's meaning counts: an idea that says the
        // same in other words shares no term.
        if let Some(m) = &self.meaning
            && let Some(own) = m.vectors.get(of)
        {
            let w = m.words_weight;
            for (score, other) in partial.iter_mut().zip(m.vectors.iter()) {
                *score = w * *score + (1.0 - w) * cosine(own, other);
            }
        }
        let mut candidates: Vec<(u32, f32)> = partial
            .iter()
            .enumerate()
            .filter(|&(idea, &score)| score > 0.0 && idea != of && keep(idea))
            .map(|(idea, &score)| (u32::try_from(idea).unwrap_or(u32::MAX), score))
            .collect();
        let best_first = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if candidates.len() > SIMILAR_CANDIDATES {
            candidates.select_nth_unstable_by(SIMILAR_CANDIDATES, best_first);
            candidates.truncate(SIMILAR_CANDIDATES);
        }
        candidates.sort_by(best_first);
        // The exact similarity of the candidates, over all their terms.
        let mut scored: Vec<(usize, f32)> = candidates
            .into_iter()
            .filter_map(|(idea, _)| {
                let vector = self.vectors.get(idea as usize)?;
                Some(match self.meaning {
                    None => (idea as usize, dot(query, vector)),
                    Some(_) => (idea as usize, self.similarity(of, idea as usize)),
                })
            })
            .filter(|&(_, score)| score >= SIMILAR_MIN_SCORE)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(count);
        scored
            .into_iter()
            .map(|(position, score)| Neighbour {
                position,
                score,
                words: self.shared_words(of, position),
            })
            .collect()
    }

    /// The words two ideas share, the heaviest in both first.
    fn shared_words(&self, a: usize, b: usize) -> Vec<String> {
        let (Some(va), Some(vb)) = (self.vectors.get(a), self.vectors.get(b)) else {
            return Vec::new();
        };
        let weights: HashMap<u32, f32> = vb.iter().copied().collect();
        let mut shared: Vec<(u32, f32)> = va
            .iter()
            .filter_map(|&(t, w)| weights.get(&t).map(|o| (t, w * o)))
            .collect();
        shared.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        shared
            .into_iter()
            .take(SHARED_WORDS)
            .filter_map(|(t, _)| self.terms.get(t as usize).map(|t| t.surface.clone()))
            .collect()
    }
}

/// An idea like another, by position in the corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    pub position: usize,
    /// Cosine similarity, 0 to 1 (blended with meaning where the model has
    /// it).
    pub score: f32,
    /// The shared words that weigh most.
    pub words: Vec<String>,
}

/// The model (and, if asked, the groups) of a corpus, built on a blocking
/// thread the first time.
pub(super) async fn ready(corpus: &Arc<Corpus>, with_groups: bool) -> Result<(), AnalysisError> {
    let held = corpus.similarity();
    if held.model.get().is_some() && (!with_groups || held.groups.get().is_some()) {
        return Ok(());
    }
    let corpus = Arc::clone(corpus);
    let built = tokio::task::spawn_blocking(move || {
        let held = corpus.similarity();
        let model = held.model.get_or_init(|| {
            let started = std::time::Instant::now();
            let model = Model::build_with(&corpus.ideas, corpus.shared_meaning(), WORDS_WEIGHT);
            tracing::info!(
                ideas = corpus.ideas.len(),
                terms = model.terms.len(),
                meaning = model.meaning.is_some(),
                ms = started.elapsed().as_millis(),
                "similarity model built"
            );
            model
        });
        if with_groups {
            held.groups.get_or_init(|| {
                let started = std::time::Instant::now();
                let groups = group(model, &corpus.ideas);
                tracing::info!(
                    ideas = corpus.ideas.len(),
                    groups = groups.groups.len(),
                    ms = started.elapsed().as_millis(),
                    "groups built"
                );
                groups
            });
        }
    })
    .await;
    if let Err(error) = built {
        std::panic::resume_unwind(error.into_panic());
    }
    Ok(())
}

pub(super) fn model(corpus: &Corpus) -> Result<&Model, AnalysisError> {
    corpus
        .similarity()
        .model
        .get()
        .ok_or(AnalysisError::Invalid("The similarity model is not built."))
}

pub(super) const NO_SUBMISSION: AnalysisError =
    AnalysisError::NotFound("There is no submission with this reference.");
pub(super) const NO_CALL: AnalysisError = AnalysisError::NotFound("There is no call with this id.");
pub(super) const NO_IDEA: AnalysisError =
    AnalysisError::Invalid("Choose one of the submission's ideas.");
/// An idea like another, as shown. Ideas are numbered from 1.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarIdea {
    pub reference: String,
    pub idea: usize,
    pub title: String,
    /// Cosine similarity, 0 to 1, rounded to 3 decimals.
    pub score: f64,
    pub words: Vec<String>,
}

/// The ideas most like one idea.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarIdeas {
    pub reference: String,
    pub idea: usize,
    pub similar: Vec<SimilarIdea>,
}

pub(super) fn rounded(score: f32) -> f64 {
    (f64::from(score) * 1000.0).round() / 1000.0
}

/// The ideas most like the idea at `position`, from other submissions.
pub(super) fn similar_at(corpus: &Corpus, model: &Model, position: usize) -> Vec<SimilarIdea> {
    let own = corpus.ideas.get(position).map(|i| i.reference.as_str());
    model
        .nearest(position, SIMILAR_IDEAS, |i| {
            corpus.ideas.get(i).map(|i| i.reference.as_str()) != own
        })
        .into_iter()
        .filter_map(|n| {
            let idea = corpus.ideas.get(n.position)?;
            Some(SimilarIdea {
                reference: idea.reference.clone(),
                idea: idea.idea + 1,
                title: idea.title.clone(),
                score: rounded(n.score),
                words: n.words,
            })
        })
        .collect()
}

/// The submission, its call's corpus, and the model built.
pub(super) async fn submission_corpus(
    state: &AppState,
    reference: &Reference,
) -> Result<(crate::storage::StoredSubmission, Arc<Corpus>), AnalysisError> {
    let submission = state
        .storage
        .submission(reference.as_str())
        .await?
        .ok_or(NO_SUBMISSION)?;
    let corpus = corpus(state, &submission.call).await?;
    ready(&corpus, false).await?;
    Ok((submission, corpus))
}

/// `idea` numbered from 1; an idea not counted (spam) has no similar ideas.
pub async fn similar_ideas(
    state: &AppState,
    reference: &Reference,
    idea: usize,
) -> Result<SimilarIdeas, AnalysisError> {
    let (submission, corpus) = submission_corpus(state, reference).await?;
    let index = idea
        .checked_sub(1)
        .filter(|&i| i < submission.ideas.len())
        .ok_or(NO_IDEA)?;
    let model = model(&corpus)?;
    let similar = model
        .position(&corpus.ideas, reference.as_str(), index)
        .map(|p| similar_at(&corpus, model, p))
        .unwrap_or_default();
    Ok(SimilarIdeas {
        reference: reference.to_string(),
        idea,
        similar,
    })
}
