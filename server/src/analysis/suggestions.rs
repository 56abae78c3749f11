//! Suggested codes for an idea without codes: the codes of its most
//! similar coded ideas (codings are read live), with the reason in words.
//! Nothing is applied until a person accepts, through the codebook's
//! service; a rejection is kept so the suggestion is not made again.

use std::collections::{BTreeMap, HashMap, HashSet};

use cfi_rules::Reference;
use serde::{Deserialize, Serialize};

use super::corpus::Corpus;
use super::service::{AnalysisError, codebook};
use super::similar::{
    Model, NO_IDEA, NO_SUBMISSION, Neighbour, SimilarIdea, model, rounded, similar_at,
    submission_corpus,
};
use crate::AppState;
use crate::auth::Staff;
use crate::codebook::persistence::{Code, CodingKind, IdeaRef};
use crate::codebook::service::{CodingRequest, change_coding};
use crate::limits::SUGGESTION_NEIGHBOURS;

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
pub fn suggest(
    corpus: &Corpus,
    model: &Model,
    position: usize,
    coded: &HashMap<usize, Vec<i64>>,
    codes: &[Code],
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
            let name = codes.iter().find(|c| c.id == code)?.name.clone();
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
    let codes = codebook(state, call).await?;
    if codes.is_empty() {
        return Ok(vec![Vec::new(); positions.len()]);
    }
    let own: HashSet<usize> =
        crate::codebook::persistence::codings_of(&state.storage, reference.as_str())
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
    for coding in crate::codebook::persistence::call_codings(&state.storage, call).await? {
        if let Some(p) = model.position(&corpus.ideas, &coding.reference, coding.idea) {
            coded.entry(p).or_default().push(coding.code);
        }
    }
    let rejected =
        crate::analysis::persistence::rejected_suggestions(&state.storage, reference.as_str())
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
                suggest(corpus, model, *p, &coded, &codes, &refused)
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
            let codes = codebook(state, &submission.call).await?;
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
            crate::analysis::persistence::reject_suggestion(
                &state.storage,
                &target,
                code.id,
                &staff.name,
            )
            .await?;
            tracing::info!(%reference, code = code.id, staff = %staff.name, "suggestion rejected");
        }
    }
    Ok(())
}
