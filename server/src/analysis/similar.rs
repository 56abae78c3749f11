//! Similar ideas, groups of similar ideas and suggested codes, computed in
//! the server from the call's [`Corpus`] (no hosted model, no network) and
//! the same for the same data:
//!
//! - a [`Model`] per corpus: the TF-IDF vectors of [`super::text`] and an
//!   inverted index (for each term, the ideas that use it);
//! - the ideas most like one idea: cosine similarity scored through the
//!   postings of the idea's strongest terms, then checked exactly, each with
//!   the shared words that explain it. Other ideas of the same submission
//!   are left out: they are on the same page already, and one person
//!   writing about one subject twice says nothing about the call;
//! - [`Groups`] over the whole call: spherical k-means on the vectors,
//!   seeded the same way every time (greedy k-means++ from a fixed seed),
//!   each group named by the words that set it apart from the rest; ideas
//!   close to no group go to "other";
//! - suggested codes for an idea without codes: the codes of its most
//!   similar coded ideas (codings are read live), with the reason in words.
//!   Nothing is applied until a person accepts; a rejection is kept so the
//!   suggestion is not made again.
//!
//! The model and the groups are kept with the corpus they came from, built
//! once per state of the call on a blocking thread.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use cfi_rules::Reference;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::corpus::{Corpus, IdeaText, corpus};
use super::service::{AnalysisError, CodingRequest, change_coding};
use super::text::{Sparse, Term, dot, tf_idf};
use crate::AppState;
use crate::auth::Staff;
use crate::limits::{
    GROUP_ROUNDS, GROUP_WORDS, MAX_GROUPS, MIN_GROUP_FIT, MIN_GROUP_SIZE, SHARED_WORDS,
    SIMILAR_CANDIDATES, SIMILAR_IDEAS, SIMILAR_MIN_SCORE, SIMILAR_QUERY_TERMS,
    SUGGESTION_NEIGHBOURS,
};
use crate::storage::{Code, CodingKind, IdeaRef};

/// The seed of the groups' first centres: fixed, so the same ideas always
/// make the same groups.
const GROUP_SEED: u64 = 13;

/// What is derived from one corpus, computed on first use.
#[derive(Default)]
pub struct Similarity {
    model: OnceLock<Model>,
    groups: OnceLock<Groups>,
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
}

impl Model {
    pub fn build(ideas: &[IdeaText]) -> Self {
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
        // The exact cosine of the candidates, over all their terms.
        let mut scored: Vec<(usize, f32)> = candidates
            .into_iter()
            .filter_map(|(idea, _)| {
                let vector = self.vectors.get(idea as usize)?;
                Some((idea as usize, dot(query, vector)))
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
    /// Cosine similarity, 0 to 1.
    pub score: f32,
    /// The shared words that weigh most.
    pub words: Vec<String>,
}

/// A group of similar ideas.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// 1 for the largest group, and so on.
    pub id: usize,
    /// The words that set the group apart, most telling first.
    pub words: Vec<String>,
    /// Positions in the corpus, the most typical first.
    pub members: Vec<usize>,
    /// A fingerprint of the members: coding a group checks it, so a group
    /// that changed since the page was drawn is not coded.
    pub version: String,
}

/// The groups of a call, largest first, and the ideas in none.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    pub groups: Vec<Group>,
    /// Ideas close to no group (or in a group too small to keep), or with
    /// no words that count.
    pub other: Vec<usize>,
}

/// How many groups for `n` ideas: about √(n/2), at most [`MAX_GROUPS`].
pub fn group_count(n: usize) -> usize {
    let k = (n as f64 / 2.0).sqrt().ceil() as usize;
    k.clamp(1, MAX_GROUPS)
}

/// Dot products of one sparse vector with every centre; centres are stored
/// term by term (`centres[term * k + c]`), so each of the vector's terms
/// reads `k` neighbouring numbers.
fn centre_scores(vector: &[(u32, f32)], centres: &[f32], k: usize, scores: &mut [f32]) {
    scores.fill(0.0);
    for &(term, weight) in vector {
        let start = term as usize * k;
        if let Some(row) = centres.get(start..start + k) {
            for (score, centre) in scores.iter_mut().zip(row) {
                *score += weight * centre;
            }
        }
    }
}

/// The best centre for each vector and its score, over as many threads as
/// the machine has cores (the result does not depend on how many).
fn assign(vectors: &[Sparse], centres: &[f32], k: usize) -> Vec<(usize, f32)> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = vectors.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = vectors
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut scores = vec![0.0f32; k];
                    part.iter()
                        .map(|vector| {
                            centre_scores(vector, centres, k, &mut scores);
                            scores
                                .iter()
                                .enumerate()
                                .fold(
                                    (0, f32::MIN),
                                    |best, (c, &s)| {
                                        if s > best.1 { (c, s) } else { best }
                                    },
                                )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Greedy k-means++ seeding from a fixed seed: each next centre is the best
/// of a few candidates drawn in proportion to their distance from the
/// centres so far. Returns the chosen ideas.
fn seeds(vectors: &[Sparse], usable: &[usize], terms: usize, k: usize) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(GROUP_SEED);
    let mut dense = vec![0.0f32; terms];
    let mut similarity_to = |seed: usize, best: &[f32]| -> (Vec<f32>, f64) {
        for &(t, w) in &vectors[seed] {
            dense[t as usize] = w;
        }
        let updated: Vec<f32> = usable
            .iter()
            .zip(best)
            .map(|(&i, &b)| {
                let s: f32 = vectors[i].iter().map(|&(t, w)| w * dense[t as usize]).sum();
                s.max(b)
            })
            .collect();
        for &(t, _) in &vectors[seed] {
            dense[t as usize] = 0.0;
        }
        let potential = updated.iter().map(|&s| f64::from(1.0 - s).max(0.0)).sum();
        (updated, potential)
    };
    let first = usable[rng.random_range(0..usable.len())];
    let (mut best, mut potential) = similarity_to(first, &vec![f32::MIN; usable.len()]);
    let mut chosen = vec![first];
    let trials = 2 + (k as f64).ln() as usize;
    while chosen.len() < k && potential > 0.0 {
        let mut pick: Option<(usize, Vec<f32>, f64)> = None;
        for _ in 0..trials {
            let mut target = rng.random::<f64>() * potential;
            let mut candidate = usable[usable.len() - 1];
            for (&i, &b) in usable.iter().zip(&best) {
                target -= f64::from(1.0 - b).max(0.0);
                if target <= 0.0 {
                    candidate = i;
                    break;
                }
            }
            if chosen.contains(&candidate) {
                continue;
            }
            let (updated, after) = similarity_to(candidate, &best);
            if pick.as_ref().is_none_or(|p| after < p.2) {
                pick = Some((candidate, updated, after));
            }
        }
        let Some((candidate, updated, after)) = pick else {
            break;
        };
        chosen.push(candidate);
        best = updated;
        potential = after;
    }
    chosen
}

/// Spherical k-means: each idea goes to the centre it is most like, each
/// centre becomes the normalised sum of its ideas, until nothing moves or
/// after [`GROUP_ROUNDS`]. Returns each usable idea's group and score.
fn k_means(vectors: &[Sparse], usable: &[usize], terms: usize, k: usize) -> Vec<(usize, f32)> {
    let chosen = seeds(vectors, usable, terms, k);
    let k = chosen.len();
    let mut centres = vec![0.0f32; terms * k];
    for (c, &seed) in chosen.iter().enumerate() {
        for &(t, w) in &vectors[seed] {
            centres[t as usize * k + c] = w;
        }
    }
    let part: Vec<Sparse> = usable.iter().map(|&i| vectors[i].clone()).collect();
    let mut assigned = assign(&part, &centres, k);
    for _ in 0..GROUP_ROUNDS {
        centres.fill(0.0);
        for (vector, &(c, _)) in part.iter().zip(&assigned) {
            for &(t, w) in vector {
                centres[t as usize * k + c] += w;
            }
        }
        let mut norms = vec![0.0f32; k];
        for row in centres.chunks(k) {
            for (n, w) in norms.iter_mut().zip(row) {
                *n += w * w;
            }
        }
        for row in centres.chunks_mut(k) {
            for (w, n) in row.iter_mut().zip(&norms) {
                if *n > 0.0 {
                    *w /= n.sqrt();
                }
            }
        }
        let next = assign(&part, &centres, k);
        let moved = next.iter().zip(&assigned).any(|(a, b)| a.0 != b.0);
        assigned = next;
        if !moved {
            break;
        }
    }
    assigned
}

/// The words that set a group apart: terms used by a large share of its
/// ideas and a small share of the rest (share × log of the ratio, in the
/// spirit of class-based TF-IDF).
fn group_words(model: &Model, members: &[usize], total: usize) -> Vec<String> {
    let mut inside: HashMap<u32, u32> = HashMap::new();
    for &m in members {
        for &(t, _) in &model.vectors[m] {
            *inside.entry(t).or_default() += 1;
        }
    }
    let size = members.len() as f64;
    let rest = (total - members.len()) as f64;
    let mut scored: Vec<(u32, f64)> = inside
        .into_iter()
        .filter_map(|(t, n)| {
            let all = f64::from(model.terms.get(t as usize)?.ideas);
            let share_in = f64::from(n) / size;
            let share_out = (all - f64::from(n) + 1.0) / (rest + 2.0);
            (n >= 2 && share_in > share_out).then(|| (t, share_in * (share_in / share_out).ln()))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
        .into_iter()
        .take(GROUP_WORDS)
        .filter_map(|(t, _)| model.terms.get(t as usize).map(|t| t.surface.clone()))
        .collect()
}

/// Groups the ideas of a corpus.
pub fn group(model: &Model, ideas: &[IdeaText]) -> Groups {
    let usable: Vec<usize> = (0..model.vectors.len())
        .filter(|&i| !model.vectors[i].is_empty())
        .collect();
    let mut other: Vec<usize> = (0..model.vectors.len())
        .filter(|&i| model.vectors[i].is_empty())
        .collect();
    if usable.is_empty() {
        return Groups {
            groups: Vec::new(),
            other,
        };
    }
    let k = group_count(usable.len());
    let assigned = k_means(&model.vectors, &usable, model.terms.len(), k);
    let mut by_group: BTreeMap<usize, Vec<(usize, f32)>> = BTreeMap::new();
    for (&i, &(c, fit)) in usable.iter().zip(&assigned) {
        if fit >= MIN_GROUP_FIT {
            by_group.entry(c).or_default().push((i, fit));
        } else {
            other.push(i);
        }
    }
    let mut kept: Vec<Vec<usize>> = Vec::new();
    for (_, mut members) in by_group {
        if members.len() < MIN_GROUP_SIZE {
            other.extend(members.iter().map(|m| m.0));
            continue;
        }
        members.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        kept.push(members.into_iter().map(|m| m.0).collect());
    }
    kept.sort_by(|a, b| {
        b.len()
            .cmp(&a.len())
            .then_with(|| a.iter().min().cmp(&b.iter().min()))
    });
    other.sort_unstable();
    let total = model.vectors.len();
    let groups = kept
        .into_iter()
        .enumerate()
        .map(|(i, members)| {
            let mut hash = Sha256::new();
            for &m in &members {
                if let Some(idea) = ideas.get(m) {
                    hash.update(format!("{} {}\n", idea.reference, idea.idea));
                }
            }
            Group {
                id: i + 1,
                words: group_words(model, &members, total),
                version: hex::encode(hash.finalize().get(..8).unwrap_or_default()),
                members,
            }
        })
        .collect();
    Groups { groups, other }
}

/// The model (and, if asked, the groups) of a corpus, built on a blocking
/// thread the first time.
async fn ready(corpus: &Arc<Corpus>, with_groups: bool) -> Result<(), AnalysisError> {
    let held = corpus.similarity();
    if held.model.get().is_some() && (!with_groups || held.groups.get().is_some()) {
        return Ok(());
    }
    let corpus = Arc::clone(corpus);
    let built = tokio::task::spawn_blocking(move || {
        let held = corpus.similarity();
        let model = held.model.get_or_init(|| {
            let started = std::time::Instant::now();
            let model = Model::build(&corpus.ideas);
            tracing::info!(
                ideas = corpus.ideas.len(),
                terms = model.terms.len(),
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

fn model(corpus: &Corpus) -> Result<&Model, AnalysisError> {
    corpus
        .similarity()
        .model
        .get()
        .ok_or(AnalysisError::Invalid("The similarity model is not built."))
}

const NO_SUBMISSION: AnalysisError =
    AnalysisError::NotFound("There is no submission with this reference.");
const NO_CALL: AnalysisError = AnalysisError::NotFound("There is no call with this id.");
const NO_IDEA: AnalysisError = AnalysisError::Invalid("Choose one of the submission's ideas.");

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

fn rounded(score: f32) -> f64 {
    (f64::from(score) * 1000.0).round() / 1000.0
}

/// The ideas most like the idea at `position`, from other submissions.
fn similar_at(corpus: &Corpus, model: &Model, position: usize) -> Vec<SimilarIdea> {
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
async fn submission_corpus(
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

/// A coded idea a suggestion rests on (numbered from 1).
#[derive(Debug, Clone, Serialize)]
pub struct Because {
    pub reference: String,
    pub idea: usize,
    pub similarity: f64,
}

/// A code suggested for an idea, never applied until a person accepts it.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub code: i64,
    pub name: String,
    /// The summed similarity of the coded ideas that have the code.
    pub score: f64,
    pub reason: String,
    pub because: Vec<Because>,
}

/// The codes of the ideas most like the idea at `position` among the coded
/// ones (`coded`: codes by position), minus `refused` codes.
fn suggest(
    corpus: &Corpus,
    model: &Model,
    position: usize,
    coded: &HashMap<usize, Vec<i64>>,
    codebook: &[Code],
    refused: &HashSet<i64>,
) -> Vec<Suggestion> {
    let near = model.nearest(position, SUGGESTION_NEIGHBOURS, |i| coded.contains_key(&i));
    let mut by_code: BTreeMap<i64, Vec<&Neighbour>> = BTreeMap::new();
    for n in &near {
        for &code in coded.get(&n.position).map_or(&[][..], |c| c) {
            by_code.entry(code).or_default().push(n);
        }
    }
    let mut suggestions: Vec<Suggestion> = by_code
        .into_iter()
        .filter(|(code, _)| !refused.contains(code))
        .filter_map(|(code, holders)| {
            let name = codebook.iter().find(|c| c.id == code)?.name.clone();
            let because: Vec<Because> = holders
                .iter()
                .filter_map(|n| {
                    let idea = corpus.ideas.get(n.position)?;
                    Some(Because {
                        reference: idea.reference.clone(),
                        idea: idea.idea + 1,
                        similarity: rounded(n.score),
                    })
                })
                .collect();
            let listed = because
                .iter()
                .map(|b| {
                    format!(
                        "{} idea {} ({:.0}%)",
                        b.reference,
                        b.idea,
                        b.similarity * 100.0
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let reason = format!(
                "{} of the {} most similar coded ideas {} this code: {listed}",
                because.len(),
                near.len(),
                if because.len() == 1 { "has" } else { "have" }
            );
            Some(Suggestion {
                code,
                name,
                score: rounded(holders.iter().map(|n| n.score).sum()),
                reason,
                because,
            })
        })
        .collect();
    suggestions.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.name.cmp(&b.name))
    });
    suggestions
}

/// The similar ideas and suggested codes of every idea of a submission
/// (index 0 for idea 1); suggestions only for ideas without codes.
pub struct SubmissionSimilarity {
    pub similar: Vec<Vec<SimilarIdea>>,
    pub suggestions: Vec<Vec<Suggestion>>,
}

/// What the submission page shows: read-only, nothing is applied.
pub async fn submission_similarity(
    state: &AppState,
    reference: &Reference,
) -> Result<SubmissionSimilarity, AnalysisError> {
    let (submission, corpus) = submission_corpus(state, reference).await?;
    let model = model(&corpus)?;
    let positions: Vec<Option<usize>> = (0..submission.ideas.len())
        .map(|i| model.position(&corpus.ideas, reference.as_str(), i))
        .collect();
    let similar = positions
        .iter()
        .map(|p| p.map(|p| similar_at(&corpus, model, p)).unwrap_or_default())
        .collect();
    let suggestions = suggestions_for(
        state,
        &corpus,
        model,
        &submission.call,
        reference,
        &positions,
    )
    .await?;
    Ok(SubmissionSimilarity {
        similar,
        suggestions,
    })
}

/// Suggestions for each idea of one submission, from the codings now.
async fn suggestions_for(
    state: &AppState,
    corpus: &Corpus,
    model: &Model,
    call: &str,
    reference: &Reference,
    positions: &[Option<usize>],
) -> Result<Vec<Vec<Suggestion>>, AnalysisError> {
    let codebook = state.storage.codes(call).await?;
    if codebook.is_empty() {
        return Ok(vec![Vec::new(); positions.len()]);
    }
    let own: HashSet<usize> = state
        .storage
        .codings_of(reference.as_str())
        .await?
        .into_iter()
        .map(|c| c.idea)
        .collect();
    let wanted = |idea: usize, p: &Option<usize>| p.is_some() && !own.contains(&idea);
    if !positions.iter().enumerate().any(|(i, p)| wanted(i, p)) {
        // Every counted idea has codes: the call's codings are not read.
        return Ok(vec![Vec::new(); positions.len()]);
    }
    let mut coded: HashMap<usize, Vec<i64>> = HashMap::new();
    for coding in state.storage.call_codings(call).await? {
        if let Some(p) = model.position(&corpus.ideas, &coding.reference, coding.idea) {
            coded.entry(p).or_default().push(coding.code);
        }
    }
    let rejected = state
        .storage
        .rejected_suggestions(reference.as_str())
        .await?;
    Ok(positions
        .iter()
        .enumerate()
        .map(|(idea, p)| match p {
            Some(p) if !own.contains(&idea) => {
                let refused: HashSet<i64> = rejected
                    .iter()
                    .filter(|r| r.0 == idea)
                    .map(|r| r.1)
                    .collect();
                suggest(corpus, model, *p, &coded, &codebook, &refused)
            }
            _ => Vec::new(),
        })
        .collect())
}

/// The suggested codes of one idea (numbered from 1): none if it has codes.
pub async fn suggestions(
    state: &AppState,
    reference: &Reference,
    idea: usize,
) -> Result<Vec<Suggestion>, AnalysisError> {
    let (submission, corpus) = submission_corpus(state, reference).await?;
    let index = idea
        .checked_sub(1)
        .filter(|&i| i < submission.ideas.len())
        .ok_or(NO_IDEA)?;
    let model = model(&corpus)?;
    let positions = [model.position(&corpus.ideas, reference.as_str(), index)];
    let all = suggestions_for(
        state,
        &corpus,
        model,
        &submission.call,
        reference,
        &positions,
    )
    .await?;
    Ok(all.into_iter().next().unwrap_or_default())
}

/// What a person decided about a suggested code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Accept,
    Reject,
}

/// A decision on a suggestion. The idea is numbered from 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub idea: usize,
    pub code: i64,
    pub decision: Decision,
}

/// Accepting applies the code through the ordinary coding path (a trail
/// row with who and when); rejecting records who and when, and the code is
/// no longer suggested for that idea.
pub async fn decide(
    state: &AppState,
    staff: &Staff,
    reference: &Reference,
    request: &DecisionRequest,
) -> Result<(), AnalysisError> {
    match request.decision {
        Decision::Accept => {
            change_coding(
                state,
                staff,
                reference,
                &CodingRequest {
                    action: CodingKind::Apply,
                    idea: Some(request.idea),
                    code: Some(request.code),
                    undoes: None,
                },
            )
            .await?;
        }
        Decision::Reject => {
            let submission = state
                .storage
                .submission(reference.as_str())
                .await?
                .ok_or(NO_SUBMISSION)?;
            let idea = request
                .idea
                .checked_sub(1)
                .filter(|&i| i < submission.ideas.len())
                .ok_or(NO_IDEA)?;
            let codes = state.storage.codes(&submission.call).await?;
            let code =
                codes
                    .iter()
                    .find(|c| c.id == request.code)
                    .ok_or(AnalysisError::Invalid(
                        "Choose a code from this call's codebook.",
                    ))?;
            let target = IdeaRef {
                reference: reference.to_string(),
                idea,
            };
            state
                .storage
                .reject_suggestion(&target, code.id, &staff.name)
                .await?;
            tracing::info!(%reference, code = code.id, staff = %staff.name, "suggestion rejected");
        }
    }
    Ok(())
}

/// An idea of a group, as shown (numbered from 1).
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub reference: String,
    pub idea: usize,
    pub title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub id: usize,
    pub size: usize,
    pub words: Vec<String>,
    /// Give it back when coding the group.
    pub version: String,
    pub members: Vec<Member>,
}

/// A call's groups as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CallGroups {
    pub call: String,
    /// Ideas grouped (spam left out).
    pub ideas: usize,
    pub groups: Vec<GroupView>,
    /// Ideas close to no group.
    pub other: Vec<Member>,
}

fn member(corpus: &Corpus, position: usize) -> Option<Member> {
    corpus.ideas.get(position).map(|i| Member {
        reference: i.reference.clone(),
        idea: i.idea + 1,
        title: i.title.clone(),
    })
}

/// The groups of a known call's corpus, built on first use.
async fn built_groups(state: &AppState, call: &str) -> Result<Arc<Corpus>, AnalysisError> {
    state.config.call(call).ok_or(NO_CALL)?;
    let corpus = corpus(state, call).await?;
    ready(&corpus, true).await?;
    Ok(corpus)
}

fn groups_of(corpus: &Corpus) -> Result<&Groups, AnalysisError> {
    corpus
        .similarity()
        .groups
        .get()
        .ok_or(AnalysisError::Invalid("The groups are not built."))
}

pub async fn call_groups(state: &AppState, call: &str) -> Result<CallGroups, AnalysisError> {
    let corpus = built_groups(state, call).await?;
    let groups = groups_of(&corpus)?;
    Ok(CallGroups {
        call: call.to_owned(),
        ideas: corpus.ideas.len(),
        groups: groups
            .groups
            .iter()
            .map(|g| GroupView {
                id: g.id,
                size: g.members.len(),
                words: g.words.clone(),
                version: g.version.clone(),
                members: g
                    .members
                    .iter()
                    .filter_map(|&m| member(&corpus, m))
                    .collect(),
            })
            .collect(),
        other: groups
            .other
            .iter()
            .filter_map(|&m| member(&corpus, m))
            .collect(),
    })
}

/// Apply a code to every idea of a group, as drawn (`version`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupCodingRequest {
    pub code: i64,
    pub group: usize,
    pub version: String,
}

/// What coding a group did.
#[derive(Debug, Clone, Serialize)]
pub struct GroupCoded {
    pub call: String,
    pub group: usize,
    pub code: i64,
    /// Ideas that got the code (one trail row each).
    pub coded: usize,
    /// Ideas that already had it, left alone.
    pub unchanged: usize,
}

/// Applies a code to the ideas of a group in one transaction, one trail row
/// per idea (each undone on its own from its submission's page); refused
/// if the group is not the one drawn on the page.
pub async fn code_group(
    state: &AppState,
    staff: &Staff,
    call: &str,
    request: &GroupCodingRequest,
) -> Result<GroupCoded, AnalysisError> {
    let corpus = built_groups(state, call).await?;
    let codes = state.storage.codes(call).await?;
    let code = codes
        .iter()
        .find(|c| c.id == request.code)
        .ok_or(AnalysisError::Invalid(
            "Choose a code from this call's codebook.",
        ))?;
    let group = groups_of(&corpus)?
        .groups
        .iter()
        .find(|g| g.id == request.group && g.version == request.version)
        .ok_or(AnalysisError::Invalid(
            "The groups changed since the page was drawn (new or removed ideas): \
             reload the groups and apply the code again.",
        ))?;
    let targets: Vec<IdeaRef> = group
        .members
        .iter()
        .filter_map(|&m| corpus.ideas.get(m))
        .map(|i| IdeaRef {
            reference: i.reference.clone(),
            idea: i.idea,
        })
        .collect();
    let written = state
        .storage
        .record_codings(code, &targets, true, None, &staff.name)
        .await?;
    tracing::info!(call, group = group.id, code = code.id, coded = written.len(), staff = %staff.name, "group coded");
    Ok(GroupCoded {
        call: call.to_owned(),
        group: group.id,
        code: code.id,
        coded: written.len(),
        unchanged: targets.len() - written.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idea(reference: &str, idea: usize, title: &str, description: &str) -> IdeaText {
        IdeaText {
            reference: reference.to_owned(),
            idea,
            title: title.to_owned(),
            description: description.to_owned(),
        }
    }

    fn planted() -> Vec<IdeaText> {
        let topics = [
            (
                "Housing for care leavers",
                "flat rent deposit tenancy landlord housing",
            ),
            (
                "Mentors who stay",
                "mentor volunteer friendship trust adult mentoring",
            ),
            (
                "Foster carer pay",
                "allowance wages pay foster carers money income",
            ),
        ];
        // Three subjects of six ideas: three groups for 18 ideas.
        let mut ideas = Vec::new();
        for n in 0..18 {
            let (title, words) = topics[n % 3];
            let extra = ["quickly", "locally", "everywhere", "fairly", "soon"][n % 5];
            ideas.push(idea(
                &format!("REF-{n:04}"),
                0,
                title,
                &format!("{words} {extra} people children"),
            ));
        }
        ideas
    }

    #[test]
    fn groups_are_the_same_for_the_same_ideas_and_hold_planted_topics_together() {
        let ideas = planted();
        let model = Model::build(&ideas);
        let first = group(&model, &ideas);
        let again = group(&Model::build(&ideas), &ideas);
        assert_eq!(first, again);
        // Each planted topic is all in one group.
        for topic in 0..3 {
            let holding: HashSet<usize> = (topic..18)
                .step_by(3)
                .map(|m| {
                    first
                        .groups
                        .iter()
                        .find(|g| g.members.contains(&m))
                        .map_or(0, |g| g.id)
                })
                .collect();
            assert_eq!(holding.len(), 1, "topic {topic}: {first:?}");
            assert!(!holding.contains(&0), "topic {topic} not in other");
        }
        let words: Vec<&String> = first.groups.iter().flat_map(|g| &g.words).collect();
        assert!(
            words
                .iter()
                .any(|w| w.as_str() == "mentor" || w.as_str() == "mentors"),
            "{words:?}"
        );
    }

    #[test]
    fn the_nearest_idea_shares_the_topic_and_says_which_words() {
        let ideas = planted();
        let model = Model::build(&ideas);
        let near = model.nearest(0, 3, |_| true);
        assert_eq!(near.len(), 3);
        assert!(near.iter().all(|n| n.position % 3 == 0), "{near:?}");
        assert!(near[0].words.iter().any(|w| w == "housing"), "{near:?}");
        assert_eq!(model.position(&ideas, "REF-0004", 0), Some(4));
        assert_eq!(model.position(&ideas, "REF-0004", 1), None);
    }

    /// The scale check: `cargo test -p cfi-server --release --lib --
    /// --ignored --nocapture one_hundred_thousand` prints the times.
    #[test]
    #[ignore = "a measurement, not a check: run by hand"]
    fn one_hundred_thousand_ideas_are_modelled_and_grouped_in_time() {
        let mut rng = StdRng::seed_from_u64(1);
        // 200 subjects of 30 words each over a vocabulary of 20,000 words.
        let vocabulary: Vec<String> = (0..20_000).map(|n| format!("w{n}x")).collect();
        let subjects: Vec<Vec<usize>> = (0..200)
            .map(|_| (0..30).map(|_| rng.random_range(0..20_000)).collect())
            .collect();
        let ideas: Vec<IdeaText> = (0..100_000)
            .map(|n| {
                let subject = &subjects[rng.random_range(0..subjects.len())];
                let word = |rng: &mut StdRng| {
                    if rng.random_bool(0.6) {
                        vocabulary[subject[rng.random_range(0..subject.len())]].as_str()
                    } else {
                        vocabulary[rng.random_range(0..2_000)].as_str()
                    }
                };
                let title: Vec<&str> = (0..6).map(|_| word(&mut rng)).collect();
                let description: Vec<&str> = (0..60).map(|_| word(&mut rng)).collect();
                idea(
                    &format!("REF-{n}"),
                    0,
                    &title.join(" "),
                    &description.join(" "),
                )
            })
            .collect();
        let started = std::time::Instant::now();
        let model = Model::build(&ideas);
        let built = started.elapsed();
        let started = std::time::Instant::now();
        let groups = group(&model, &ideas);
        let grouped = started.elapsed();
        let started = std::time::Instant::now();
        for of in 0..100 {
            model.nearest(of * 997, SIMILAR_IDEAS, |_| true);
        }
        let query = started.elapsed() / 100;
        println!(
            "100,000 ideas: model {built:?}, groups {grouped:?} ({} groups, {} in none), one similar query {query:?}",
            groups.groups.len(),
            groups.other.len()
        );
        assert!(built + grouped < std::time::Duration::from_secs(30));
    }

    #[test]
    fn the_number_of_groups_grows_slowly_and_is_capped() {
        assert_eq!(group_count(1), 1);
        assert_eq!(group_count(300), 13);
        assert_eq!(group_count(100_000), MAX_GROUPS);
    }
}
