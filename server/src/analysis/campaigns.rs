//! Campaigns: the same text pasted by many people. The sets of
//! near-copies among a call's descriptions are found in [`super::near_copies`]
//! (shingles, MinHash and LSH bands, an exact check); a set of ideas from at
//! least [`CAMPAIGN_MIN_PEOPLE`] submissions is a campaign, shown once with
//! its count, its variants and its members, and coded once for all of them.
//!
//! Campaigns are computed once per state of the call's [`Corpus`], off the
//! async threads, and kept with it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::corpus::{Corpus, IdeaText, corpus};
pub use super::near_copies::normalise;
use super::near_copies::{join, sign};
use super::service::AnalysisError;
use crate::AppState;
use crate::auth::Staff;
use crate::codebook::persistence::IdeaRef;
use crate::limits::{CAMPAIGN_MIN_PEOPLE, CAMPAIGN_VARIANTS_SHOWN};

/// One distinct text of a campaign and how many of its ideas have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    /// The first description sent with this text (as sent).
    pub text: String,
    pub count: usize,
}

/// An idea of a campaign; ideas are numbered from 1, as in the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub reference: String,
    pub idea: usize,
}

/// Near-copies of one text sent by several people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    /// Its place in the call's list (1 = largest).
    pub id: usize,
    /// A digest of its members: a form drawn with it codes exactly these.
    pub version: String,
    /// Ideas.
    pub size: usize,
    /// Distinct submissions: someone pasting it twice counts once.
    pub people: usize,
    /// The most common title of its ideas.
    pub title: String,
    /// The most common exact description.
    pub text: String,
    /// Distinct texts (lower case, words only).
    pub variant_count: usize,
    /// The most common [`CAMPAIGN_VARIANTS_SHOWN`] texts, most common first.
    pub variants: Vec<Variant>,
    /// In the order they were sent.
    pub members: Vec<Member>,
}

/// The campaigns of a call's corpus, largest first, then earliest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaigns {
    /// Ideas looked at (spam left out).
    pub ideas: usize,
    pub campaigns: Vec<Campaign>,
}

/// The campaigns among `ideas` (in corpus order). Deterministic: the same
/// ideas give the same campaigns, in the same order, with the same ids.
pub fn detect(ideas: &[IdeaText]) -> Campaigns {
    let signed = sign(ideas);
    let mut sets = join(&signed);
    let (text_of, shingled) = (signed.text_of, signed.shingled);
    // Ideas by set, each set's ideas in corpus order.
    let mut by_set: HashMap<usize, Vec<usize>> = HashMap::new();
    for (position, &text) in text_of.iter().enumerate() {
        if !shingled[text].is_empty() {
            by_set.entry(sets.find(text)).or_default().push(position);
        }
    }
    let mut found: Vec<Vec<usize>> = by_set
        .into_values()
        .filter(|members| {
            let people: BTreeSet<&str> = members
                .iter()
                .map(|&m| ideas[m].reference.as_str())
                .collect();
            people.len() >= CAMPAIGN_MIN_PEOPLE
        })
        .collect();
    found.sort_by_key(|members| (std::cmp::Reverse(members.len()), members[0]));
    Campaigns {
        ideas: ideas.len(),
        campaigns: found
            .iter()
            .enumerate()
            .map(|(i, members)| campaign(i + 1, members, ideas, &text_of))
            .collect(),
    }
}

/// The most common of `items` (as `key`), the earliest on a tie, with each
/// key's count and first item, most common first.
fn tally<'a, K: std::hash::Hash + Eq>(
    items: impl Iterator<Item = (K, &'a str)>,
) -> Vec<(&'a str, usize)> {
    let mut counts: HashMap<K, (usize, usize, &'a str)> = HashMap::new();
    for (order, (key, first)) in items.enumerate() {
        counts.entry(key).or_insert((0, order, first)).0 += 1;
    }
    let mut rows: Vec<(usize, usize, &str)> = counts.into_values().collect();
    rows.sort_by_key(|&(count, order, _)| (std::cmp::Reverse(count), order));
    rows.into_iter()
        .map(|(count, _, first)| (first, count))
        .collect()
}

fn campaign(id: usize, members: &[usize], ideas: &[IdeaText], text_of: &[usize]) -> Campaign {
    let list: Vec<Member> = members
        .iter()
        .map(|&m| Member {
            reference: ideas[m].reference.clone(),
            idea: ideas[m].idea + 1,
        })
        .collect();
    let mut digest = Sha256::new();
    for member in &list {
        digest.update(format!("{}\n{}\n", member.reference, member.idea));
    }
    let version = hex::encode(&digest.finalize()[..8]);
    let people: BTreeSet<&str> = list.iter().map(|m| m.reference.as_str()).collect();
    let exact = tally(members.iter().map(|&m| {
        let text = ideas[m].description.trim();
        (text, text)
    }));
    let titles = tally(members.iter().map(|&m| {
        let title = ideas[m].title.trim();
        (title, title)
    }));
    let variants = tally(
        members
            .iter()
            .map(|&m| (text_of[m], ideas[m].description.trim())),
    );
    Campaign {
        id,
        version,
        size: members.len(),
        people: people.len(),
        title: titles.first().map(|t| t.0.to_owned()).unwrap_or_default(),
        text: exact.first().map(|t| t.0.to_owned()).unwrap_or_default(),
        variant_count: variants.len(),
        variants: variants
            .into_iter()
            .take(CAMPAIGN_VARIANTS_SHOWN)
            .map(|(text, count)| Variant {
                text: text.to_owned(),
                count,
            })
            .collect(),
        members: list,
    }
}

const NO_CALL: AnalysisError = AnalysisError::NotFound("There is no call with this id.");

/// The campaigns of a call in its current state, found on first use of that
/// state (once, however many ask at the same time) and kept with its corpus.
pub async fn campaigns(state: &AppState, call: &str) -> Result<Arc<Campaigns>, AnalysisError> {
    state.config.call(call).ok_or(NO_CALL)?;
    let corpus: Arc<Corpus> = corpus(state, call).await?;
    if let Some(found) = corpus.campaigns_cell().get() {
        return Ok(Arc::clone(found));
    }
    let started = std::time::Instant::now();
    let held = Arc::clone(&corpus);
    let joined = tokio::task::spawn_blocking(move || {
        // Later callers wait here for the first one's result.
        Arc::clone(
            held.campaigns_cell()
                .get_or_init(|| Arc::new(detect(&held.ideas))),
        )
    })
    .await;
    match joined {
        Ok(found) => {
            tracing::debug!(
                call,
                ideas = found.ideas,
                campaigns = found.campaigns.len(),
                ms = started.elapsed().as_millis() as u64,
                "campaigns found"
            );
            Ok(found)
        }
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => Err(AnalysisError::Invalid(
            "The server is stopping: try again in a moment.",
        )),
    }
}

/// A code applied to (or removed from) every idea of a campaign, as drawn.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignCoding {
    pub code: i64,
    pub campaign: usize,
    /// The campaign's `version` when the page was drawn.
    pub version: String,
    /// Remove the code from every member instead of applying it.
    #[serde(default)]
    pub remove: bool,
}

/// What coding a campaign did.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignCoded {
    pub call: String,
    pub campaign: usize,
    pub code: i64,
    /// Ideas changed now, one trail row each.
    pub changed: usize,
    /// Ideas that already had the code (or, removing, did not).
    pub unchanged: usize,
}

/// Applies (or removes) a code on every member of a campaign in one
/// transaction, one trail row per idea changed; ideas already as asked are
/// left alone. Refused when the campaign is no longer what the page showed.
pub async fn code_campaign(
    state: &AppState,
    staff: &Staff,
    call: &str,
    request: &CampaignCoding,
) -> Result<CampaignCoded, AnalysisError> {
    let codes = super::service::codebook(state, call).await?;
    let code = codes
        .iter()
        .find(|c| c.id == request.code)
        .ok_or(AnalysisError::Invalid(
            "Choose a code from this call's codebook.",
        ))?;
    let found = campaigns(state, call).await?;
    let campaign = found
        .campaigns
        .iter()
        .find(|c| c.id == request.campaign && c.version == request.version)
        .ok_or(AnalysisError::Invalid(
            "The campaigns changed since this page was drawn (ideas were sent, moderated or \
             erased): reload the campaigns and code it again. Nothing was coded.",
        ))?;
    let targets: Vec<IdeaRef> = campaign
        .members
        .iter()
        .map(|m| IdeaRef {
            reference: m.reference.clone(),
            idea: m.idea - 1,
        })
        .collect();
    let written = crate::codebook::persistence::record_codings(
        &state.storage,
        code,
        &targets,
        !request.remove,
        None,
        &staff.name,
    )
    .await?;
    tracing::info!(
        call,
        campaign = campaign.id,
        code = code.id,
        changed = written.len(),
        remove = request.remove,
        staff = %staff.name,
        "campaign coded"
    );
    Ok(CampaignCoded {
        call: call.to_owned(),
        campaign: campaign.id,
        code: code.id,
        changed: written.len(),
        unchanged: targets.len() - written.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idea(reference: &str, idea: usize, description: &str) -> IdeaText {
        IdeaText {
            reference: reference.to_owned(),
            idea,
            title: "A title".to_owned(),
            description: description.to_owned(),
        }
    }

    const BASE: &str = "Every young person leaving care should have a mentor they choose, for as \
        long as they want one. It would change how supported they feel in their first home, at \
        college and at work. Care leavers and their personal advisers would be affected.";

    #[test]
    fn detection_is_the_same_on_every_run_and_in_order() {
        let mut ideas = Vec::new();
        for n in 0..12 {
            let text = if n % 3 == 0 {
                BASE.replace("mentor", "mentr")
            } else {
                BASE.to_uppercase()
            };
            ideas.push(idea(&format!("CFI-{n:04}"), 0, &text));
        }
        for n in 0..5 {
            ideas.push(idea(
                &format!("CFI-1{n:03}"),
                0,
                "Foster carers need training on trauma and on how children in their care \
                 react to change, with a trained person they can phone at night.",
            ));
        }
        ideas.push(idea(
            "CFI-2000",
            0,
            "Something else entirely, in other words.",
        ));
        let first = detect(&ideas);
        for _ in 0..3 {
            assert_eq!(detect(&ideas), first);
        }
        assert_eq!(first.campaigns.len(), 2);
        let big = &first.campaigns[0];
        assert_eq!((big.id, big.size, big.people), (1, 12, 12));
        assert_eq!(big.variant_count, 2);
        assert_eq!(big.variants[0].count, 8);
        assert_eq!(big.text, BASE.to_uppercase());
        assert_eq!(first.campaigns[1].size, 5);
    }

    #[test]
    fn one_person_pasting_twice_counts_once() {
        let ideas = vec![
            idea("CFI-0001", 0, BASE),
            idea("CFI-0001", 1, BASE),
            idea("CFI-0002", 0, BASE),
        ];
        assert!(detect(&ideas).campaigns.is_empty());
        let mut more = ideas;
        more.push(idea("CFI-0003", 0, BASE));
        let found = detect(&more);
        assert_eq!((found.campaigns[0].size, found.campaigns[0].people), (4, 3));
    }
}
