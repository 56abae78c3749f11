//! Campaigns: the same text pasted by many people. Descriptions are
//! normalised (lower case, words only), cut into word shingles
//! ([`CAMPAIGN_SHINGLE_WORDS`]), and each distinct text gets a MinHash
//! signature (`gaoya`, fixed seed and a seedless FNV hash, so the same ideas
//! give the same campaigns on every run); LSH banding proposes candidate
//! pairs, each checked by the exact share of shingles they have in common
//! ([`CAMPAIGN_SIMILARITY`]), and the pairs that pass are joined into sets.
//! A set of ideas from at least [`CAMPAIGN_MIN_PEOPLE`] submissions is a
//! campaign, shown once with its count, its variants and its members, and
//! coded once for all of them.
//!
//! Campaigns are computed once per state of the call's [`Corpus`], off the
//! async threads, and kept with it.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hasher;
use std::sync::Arc;

use fnv::{FnvBuildHasher, FnvHasher};
use gaoya::minhash::{MinHashIndex, MinHasher, MinHasher32, VecContainer};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::corpus::{Corpus, IdeaText, corpus};
use super::service::AnalysisError;
use crate::AppState;
use crate::auth::Staff;
use crate::codebook::persistence::IdeaRef;
use crate::limits::{
    CAMPAIGN_BAND_ROWS, CAMPAIGN_BANDS, CAMPAIGN_MIN_PEOPLE, CAMPAIGN_SHINGLE_WORDS,
    CAMPAIGN_SIMILARITY, CAMPAIGN_VARIANTS_SHOWN,
};

/// The seed of the MinHash permutations: any fixed number; changing it may
/// change which borderline pairs are proposed, never what a pair scores.
const MINHASH_SEED: u64 = 2021;

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

/// Lower case, words only (letters and digits), one space between them.
/// One pass into one string: it runs on every idea of the call.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// The hashed word shingles of a normalised text, sorted, each once; a text
/// shorter than a shingle is one shingle.
fn shingles(normalised: &str) -> Vec<u64> {
    let words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let size = CAMPAIGN_SHINGLE_WORDS.min(words.len());
    let mut hashes: Vec<u64> = words
        .windows(size)
        .map(|window| {
            let mut hasher = FnvHasher::default();
            for word in window {
                hasher.write(word.as_bytes());
                hasher.write_u8(0xff);
            }
            hasher.finish()
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// The exact Jaccard similarity of two sorted sets.
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    }
}

/// Disjoint sets over 0..n (path halving, union by index so the smallest
/// is the root). Hand-written: ten lines, where a graph crate would bring far
/// more than this.
struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        self.0[a.max(b)] = a.min(b);
    }
}

/// The campaigns among `ideas` (in corpus order). Deterministic: the same
/// ideas give the same campaigns, in the same order, with the same ids.
pub fn detect(ideas: &[IdeaText]) -> Campaigns {
    // Each distinct normalised text once, in order of first appearance.
    let mut distinct: Vec<String> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let text_of: Vec<usize> = ideas
        .iter()
        .map(|idea| {
            let text = normalise(&idea.description);
            *seen.entry(text).or_insert_with_key(|text| {
                distinct.push(text.clone());
                distinct.len() - 1
            })
        })
        .collect();
    drop(seen);
    let shingled: Vec<Vec<u64>> = distinct.iter().map(|t| shingles(t)).collect();
    let hasher = MinHasher32::new_with_hasher_and_seed(
        CAMPAIGN_BANDS * CAMPAIGN_BAND_ROWS,
        FnvBuildHasher::default(),
        MINHASH_SEED,
    );
    // Candidates come from the bands; the pair is then checked exactly, so
    // the index keeps every candidate (threshold 0). Buckets are plain
    // vectors: a text is inserted once, and a set per bucket would cost
    // hundreds of megabytes on a large call.
    let ids: Vec<usize> = (0..distinct.len())
        .filter(|&id| !shingled[id].is_empty())
        .collect();
    let signatures: Vec<Vec<u32>> = ids
        .par_iter()
        .map(|&id| hasher.create_signature(shingled[id].iter()))
        .collect();
    let mut index: MinHashIndex<u32, usize, VecContainer<usize>> =
        MinHashIndex::new_index(CAMPAIGN_BANDS, CAMPAIGN_BAND_ROWS, 0.0);
    index.par_bulk_insert(ids.clone(), signatures);
    // Each text's later candidates, found on every core.
    let candidates: Vec<(usize, Vec<usize>)> = ids
        .par_iter()
        .map(|&a| {
            let mut later: Vec<usize> = index
                .query_by_id_owned(&a)
                .into_iter()
                .filter(|&b| b > a)
                .collect();
            later.sort_unstable();
            (a, later)
        })
        .collect();
    drop(index);
    let mut sets = Sets((0..distinct.len()).collect());
    // Whether a pair is checked depends on the order (pairs already joined
    // are skipped), what is joined does not: the sets are the connected
    // parts of the pairs that pass.
    for (a, later) in candidates {
        for b in later {
            if sets.find(a) != sets.find(b)
                && jaccard(&shingled[a], &shingled[b]) >= CAMPAIGN_SIMILARITY
            {
                sets.join(a, b);
            }
        }
    }
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
    fn normalising_keeps_lower_case_words_only() {
        assert_eq!(
            normalise("  Keep   brothers & sisters TOGETHER!\n(Please.) 25's "),
            "keep brothers sisters together please 25 s"
        );
        assert_eq!(normalise("«Ça» — é"), "ça é");
        assert_eq!(normalise("!!! ..."), "");
    }

    #[test]
    fn shingles_of_short_texts_are_one_shingle() {
        assert_eq!(shingles("more money").len(), 1);
        assert!(shingles("").is_empty());
        assert_eq!(shingles("a b c d").len(), 2);
        assert_eq!(jaccard(&shingles("a b c d"), &shingles("a b c d")), 1.0);
    }

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
