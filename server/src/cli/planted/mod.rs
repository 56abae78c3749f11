//! `cfi-server seed --planted --truth FILE`: a synthetic call whose right
//! answers are known, to judge the analyses. Every idea belongs to one of
//! [`TOPICS`], written from that topic's own words, so similar ideas and
//! groups can be checked; about a fifth of the ideas are planted campaigns,
//! groups of 5 to 500 near-copies of one text with small edits (a typo, two
//! words swapped or replaced, a sentence added or dropped, another title,
//! changed case or punctuation). The truth file holds one JSON line per idea:
//! `{"reference","idea" (from 1),"campaign" (number or null),"topic"}`.
//!
//! Deterministic: the same count gives the same texts (the references are
//! given by the database, and written to the truth file as stored).

mod texts;
mod topics;
mod truth;

use cfi_rules::{RawIdea, RawRespondent, RawSubmission};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::{FIRST_NAMES, SURNAMES, pick};
use crate::config::Call;
use texts::{near_copy, sentences, title};
pub use topics::TOPICS;
pub use truth::seed_planted;

/// One planted submission: its body, and for each of its ideas the planted
/// campaign (numbered from 1) and topic.
pub struct Planted {
    pub raw: RawSubmission,
    pub truth: Vec<(Option<usize>, &'static str)>,
}

fn respondent(rng: &mut StdRng, call: &Call) -> RawRespondent {
    let name = format!("{} {}", pick(rng, FIRST_NAMES), pick(rng, SURNAMES));
    RawRespondent {
        capacity: Some("individual".into()),
        name: Some(name),
        organisation: None,
        email: None,
        perspectives: Some(
            call.perspectives
                .first()
                .map(|p| vec![pick(rng, &call.perspectives).id.clone(), p.id.clone()])
                .map(|mut v| {
                    v.dedup();
                    v
                })
                .unwrap_or_default(),
        ),
        age_band: Some((*pick(rng, &["16_17", "18_25", "26_plus", "26_plus"])).into()),
    }
}

fn submission(rng: &mut StdRng, call: &Call, ideas: Vec<RawIdea>) -> RawSubmission {
    RawSubmission {
        partner: None,
        respondent: Some(respondent(rng, call)),
        ideas: Some(ideas),
        publication: Some(
            if rng.random_bool(0.35) {
                "anonymous"
            } else {
                "named"
            }
            .into(),
        ),
        privacy_notice_read: Some(true),
        website: Some(String::new()),
    }
}

/// Submissions holding `count` ideas (or a few more), in sending order.
pub fn generate(rng: &mut StdRng, call: &Call, count: usize) -> Vec<Planted> {
    let max_words = call.limits.max_words.clamp(20, 120);
    let max_ideas = call.limits.max_ideas.clamp(1, 3);
    let mut planted: Vec<Planted> = Vec::new();
    // Campaigns: about a fifth of the ideas, sizes spread evenly on a log
    // scale from 5 to 500 (never more than a fifth of the call).
    let campaign_ideas = count / 5;
    let largest = (campaign_ideas / 2).clamp(5, 500);
    let mut placed = 0;
    let mut campaign = 0;
    while placed + 5 <= campaign_ideas {
        campaign += 1;
        let log = rng.random_range(5f64.ln()..=(largest as f64).ln());
        let size = (log.exp().round() as usize).clamp(5, campaign_ideas - placed);
        let (topic, nouns) = *pick(rng, TOPICS);
        let n = rng.random_range(5..=8);
        let base = sentences(rng, nouns, n, max_words - 15);
        let base_title = title(rng, nouns);
        let mut left = size;
        while left > 0 {
            // One in thirty pastes it into two ideas of one submission.
            let copies = if left > 1 && max_ideas > 1 && rng.random_bool(1.0 / 30.0) {
                2
            } else {
                1
            };
            let ideas: Vec<RawIdea> = (0..copies)
                .map(|_| RawIdea {
                    title: Some(if rng.random_bool(0.5) {
                        base_title.clone()
                    } else {
                        title(rng, nouns)
                    }),
                    theme: None,
                    description: Some(near_copy(rng, &base, nouns, max_words)),
                })
                .collect();
            left -= copies;
            planted.push(Planted {
                raw: submission(rng, call, ideas),
                truth: vec![(Some(campaign), topic); copies],
            });
        }
        placed += size;
    }
    // Everyone else: one to three ideas of their own, each on a topic.
    let mut left = count.saturating_sub(placed);
    while left > 0 {
        let n = rng.random_range(1..=max_ideas).min(left);
        let mut truth = Vec::new();
        let ideas = (0..n)
            .map(|_| {
                let (topic, nouns) = *pick(rng, TOPICS);
                truth.push((None, topic));
                let count = rng.random_range(4..=8);
                RawIdea {
                    title: Some(title(rng, nouns)),
                    theme: None,
                    description: Some(sentences(rng, nouns, count, max_words).join(" ")),
                }
            })
            .collect();
        left -= n;
        planted.push(Planted {
            raw: submission(rng, call, ideas),
            truth,
        });
    }
    planted.shuffle(rng);
    planted
}

/// Campaign detection's load on its own, without submissions: `copies`
/// near-copies of one text, edited as [`generate`] edits a campaign's, and
/// `others` descriptions of their own, shuffled, each with whether it is a
/// copy. Deterministic for a seed.
pub fn campaign_and_others(seed: u64, copies: usize, others: usize) -> Vec<(bool, String)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let max_words = 120;
    let (_, nouns) = TOPICS[0];
    let n = rng.random_range(5..=8);
    let base = sentences(&mut rng, nouns, n, max_words - 15);
    let mut texts: Vec<(bool, String)> = (0..copies)
        .map(|_| (true, near_copy(&mut rng, &base, nouns, max_words)))
        .collect();
    for _ in 0..others {
        let (_, nouns) = *pick(&mut rng, TOPICS);
        let count = rng.random_range(4..=8);
        texts.push((
            false,
            sentences(&mut rng, nouns, count, max_words).join(" "),
        ));
    }
    texts.shuffle(&mut rng);
    texts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::campaigns::{detect, normalise};
    use crate::analysis::corpus::IdeaText;
    use cfi_rules::Submission;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    #[test]
    fn planted_submissions_are_valid_and_the_truth_matches_them() {
        let text = include_str!("../../../../demo/review.toml");
        let config =
            crate::config::Config::from_toml(text, Path::new("demo/review.toml"), |_| None)
                .expect("demo config");
        let call = &config.calls[0];
        let mut rng = StdRng::seed_from_u64(1);
        let planted = generate(&mut rng, call, 3_000);
        let again = generate(&mut StdRng::seed_from_u64(1), call, 3_000);
        assert_eq!(
            serde_json::to_string(&planted[7].raw).ok(),
            serde_json::to_string(&again[7].raw).ok()
        );
        let mut ideas = Vec::new();
        let mut truth: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        let mut sizes: BTreeMap<usize, usize> = BTreeMap::new();
        for (n, one) in planted.iter().enumerate() {
            let parsed = Submission::parse(&one.raw, &call.rules).expect("valid");
            assert_eq!(parsed.ideas().len(), one.truth.len());
            assert!(!parsed.honeypot_filled());
            for (i, (idea, (campaign, topic))) in parsed.ideas().iter().zip(&one.truth).enumerate()
            {
                assert!(TOPICS.iter().any(|t| t.0 == *topic));
                let position = ideas.len();
                ideas.push(IdeaText {
                    reference: format!("CFI-{n:06}"),
                    idea: i,
                    title: idea.title().to_owned(),
                    description: idea.description().to_owned(),
                });
                if let Some(c) = campaign {
                    truth.entry(*c).or_default().insert(position);
                    *sizes.entry(*c).or_default() += 1;
                }
            }
        }
        assert!((3_000..3_003).contains(&ideas.len()), "{}", ideas.len());
        let in_campaigns: usize = sizes.values().sum();
        assert!((500..=620).contains(&in_campaigns), "{in_campaigns}");
        assert!(sizes.values().all(|&s| s >= 5));
        assert!(sizes.values().any(|&s| s > 100), "{sizes:?}");
        // Copies differ: most campaigns have several distinct texts.
        let varied = truth
            .values()
            .filter(|members| {
                members
                    .iter()
                    .map(|&m| normalise(&ideas[m].description))
                    .collect::<BTreeSet<_>>()
                    .len()
                    > 1
            })
            .count();
        assert!(varied * 2 > truth.len(), "{varied} of {}", truth.len());
        // And the planted campaigns are found as planted.
        let found = detect(&ideas);
        let detected: BTreeSet<BTreeSet<usize>> = found
            .campaigns
            .iter()
            .map(|c| {
                c.members
                    .iter()
                    .map(|m| {
                        ideas
                            .iter()
                            .position(|i| i.reference == m.reference && i.idea + 1 == m.idea)
                            .unwrap_or(usize::MAX)
                    })
                    .collect()
            })
            .collect();
        let planted_sets: BTreeSet<BTreeSet<usize>> = truth.into_values().collect();
        assert_eq!(detected, planted_sets);
    }
}
