//! Counts of a call's ideas by code, split by what the respondents told
//! about themselves: who sent what is kept per state of the call (a
//! [`CallCache`]), the codings are read on each request.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;

use super::service::{CodebookError, codebook};
use crate::AppState;
use crate::call_cache::CallCache;
use crate::codebook::persistence::{Code, Coding};
use crate::config::Config;
use crate::moderation::ModerationState;

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

/// The counted submissions of every call, the latest state of each.
pub type RespondentCache = CallCache<Vec<Respondent>>;

/// The submissions counted (spam left out), in the order they were sent.
async fn respondents(state: &AppState, call: &str) -> Result<Arc<Vec<Respondent>>, CodebookError> {
    state
        .respondents
        .get(&state.storage, call, |_| async move {
            let submissions = state.storage.list(call).await?;
            let moderation = ModerationState::by_reference(
                &crate::moderation::persistence::call_actions(&state.storage, call).await?,
            );
            Ok(submissions
                .into_iter()
                .filter(|s| {
                    !s.spam
                        && moderation
                            .get(&s.reference)
                            .is_none_or(|m| m.spam.is_none())
                })
                .map(|s| Respondent {
                    ideas: s.ideas.len(),
                    reference: s.reference,
                    partner: s.partner,
                    capacity: s.capacity,
                    perspectives: s.perspectives,
                    age_band: s.age_band,
                })
                .collect())
        })
        .await
}

/// How many ideas carry a code, from how many submissions (people or
/// organisations), split by what the respondents told about themselves.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CodeCount {
    pub code: i64,
    pub name: String,
    pub parent: Option<i64>,
    pub ideas: usize,
    pub people: usize,
    /// Ideas by perspective id (a respondent may give several).
    pub by_perspective: BTreeMap<String, usize>,
    /// Ideas by capacity (`individual`, `organisation`).
    pub by_capacity: BTreeMap<String, usize>,
    /// Ideas by age band (staff only).
    pub by_age_band: BTreeMap<String, usize>,
    /// Ideas by partner id (`own` for the review's own site).
    pub by_partner: BTreeMap<String, usize>,
}

/// Counts of a call's ideas by code.
#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    pub call: String,
    /// Ideas counted: every idea of the call not marked as spam.
    pub ideas: usize,
    pub codes: Vec<CodeCount>,
    /// Ideas with no code yet.
    pub uncoded: usize,
}

/// Counts over a call's ideas (spam left out).
pub async fn counts(state: &AppState, call: &str) -> Result<Counts, CodebookError> {
    let codes = codebook(state, call).await?;
    // Who sent what changes only with the call's state: the cache keeps it.
    // The codings change without it, so they are read each time.
    let respondents = respondents(state, call).await?;
    let codings = crate::codebook::persistence::call_codings(&state.storage, call).await?;
    Ok(count(call, &codes, &respondents, &codings))
}

/// The counting itself, over the submissions to count and their codings.
pub fn count(call: &str, codes: &[Code], submissions: &[Respondent], codings: &[Coding]) -> Counts {
    let by_reference: HashMap<&str, &Respondent> = submissions
        .iter()
        .map(|s| (s.reference.as_str(), s))
        .collect();
    let mut rows: Vec<CodeCount> = codes
        .iter()
        .map(|c| CodeCount {
            code: c.id,
            name: c.name.clone(),
            parent: c.parent,
            ..CodeCount::default()
        })
        .collect();
    let position: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.code, i)).collect();
    let mut coded: BTreeSet<(&str, usize)> = BTreeSet::new();
    let mut people: HashMap<i64, BTreeSet<&str>> = HashMap::new();
    for coding in codings {
        let Some(s) = by_reference.get(coding.reference.as_str()) else {
            continue;
        };
        let Some(row) = position.get(&coding.code).and_then(|&i| rows.get_mut(i)) else {
            continue;
        };
        coded.insert((s.reference.as_str(), coding.idea));
        people
            .entry(coding.code)
            .or_default()
            .insert(s.reference.as_str());
        row.ideas += 1;
        for p in &s.perspectives {
            *row.by_perspective.entry(p.clone()).or_default() += 1;
        }
        *row.by_capacity.entry(s.capacity.clone()).or_default() += 1;
        *row.by_age_band.entry(s.age_band.clone()).or_default() += 1;
        let partner = s.partner.clone().unwrap_or_else(|| "own".to_owned());
        *row.by_partner.entry(partner).or_default() += 1;
    }
    for row in &mut rows {
        row.people = people.get(&row.code).map_or(0, BTreeSet::len);
    }
    let ideas: usize = submissions.iter().map(|s| s.ideas).sum();
    Counts {
        call: call.to_owned(),
        ideas,
        codes: rows,
        uncoded: ideas - coded.len(),
    }
}

/// The label of a perspective id in the call, or the id.
pub fn perspective_label(config: &Config, call: &str, id: &str) -> String {
    config
        .call(call)
        .and_then(|c| c.perspectives.iter().find(|p| p.id == id))
        .map_or_else(|| id.to_owned(), |p| p.label.clone())
}
