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

use std::io::Write;
use std::path::Path;

use cfi_rules::{RawIdea, RawRespondent, RawSubmission};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::{CommandError, FIRST_NAMES, SURNAMES, pick, prepare};
use crate::config::Call;
use crate::storage::{Storage, SubmitOutcome};
use cfi_rules::count_words;

/// Topics, each with its own nouns: ideas on one topic share these words,
/// ideas on two topics hardly any.
pub const TOPICS: &[(&str, &[&str])] = &[
    (
        "leaving_care",
        &[
            "care leaver",
            "flat",
            "personal adviser",
            "setting-up grant",
            "tenancy",
            "staying put",
            "council tax",
            "first home",
            "rent deposit",
            "independence",
            "budgeting",
            "eighteenth birthday",
        ],
    ),
    (
        "kinship_care",
        &[
            "grandparent",
            "kinship carer",
            "special guardianship",
            "allowance",
            "aunt",
            "family network",
            "legal advice",
            "court order",
            "respite",
            "benefit cap",
            "spare room",
            "older sibling",
        ],
    ),
    (
        "fostering",
        &[
            "foster carer",
            "placement",
            "fostering allowance",
            "supervising social worker",
            "matching",
            "respite carer",
            "training day",
            "fostering agency",
            "recruitment",
            "sleepover",
            "placement breakdown",
            "carer retention",
        ],
    ),
    (
        "adoption",
        &[
            "adoptive parent",
            "adoption support fund",
            "life story book",
            "letterbox contact",
            "birth family",
            "therapy",
            "post-adoption support",
            "introductions",
            "adoption panel",
            "attachment",
            "adopted teenager",
            "regional agency",
        ],
    ),
    (
        "social_work_workforce",
        &[
            "caseload",
            "agency worker",
            "newly qualified worker",
            "supervision",
            "team manager",
            "paperwork",
            "burnout",
            "retention payment",
            "reflective practice",
            "recording system",
            "sickness absence",
            "career pathway",
        ],
    ),
    (
        "early_help",
        &[
            "family hub",
            "parenting course",
            "health visitor",
            "early help assessment",
            "lead professional",
            "children's centre",
            "home visit",
            "drop-in session",
            "waiting list",
            "threshold",
            "family worker",
            "toddler group",
        ],
    ),
    (
        "child_protection",
        &[
            "child protection plan",
            "strategy meeting",
            "case conference",
            "investigation",
            "risk assessment",
            "core group",
            "safeguarding partner",
            "police officer",
            "medical examination",
            "neglect",
            "threshold document",
            "section 47 enquiry",
        ],
    ),
    (
        "education",
        &[
            "virtual school",
            "designated teacher",
            "exclusion",
            "personal education plan",
            "pupil premium",
            "school move",
            "attendance",
            "tutoring",
            "university bursary",
            "exam season",
            "special educational need",
            "school place",
        ],
    ),
    (
        "mental_health",
        &[
            "counsellor",
            "CAMHS referral",
            "waiting time",
            "therapeutic support",
            "anxiety",
            "crisis line",
            "trauma",
            "psychologist",
            "wellbeing check",
            "self-esteem",
            "peer mentor",
            "talking therapy",
        ],
    ),
    (
        "residential_care",
        &[
            "children's home",
            "residential worker",
            "ofsted inspection",
            "out-of-area placement",
            "unregulated provider",
            "key worker",
            "house rules",
            "bedroom",
            "secure unit",
            "shift pattern",
            "home manager",
            "profit margin",
        ],
    ),
    (
        "disabled_children",
        &[
            "short break",
            "respite centre",
            "EHC plan",
            "occupational therapist",
            "wheelchair",
            "sensory room",
            "transition to adult services",
            "direct payment",
            "specialist nursery",
            "equipment",
            "personal assistant",
            "accessible transport",
        ],
    ),
    (
        "youth_justice",
        &[
            "youth offending team",
            "custody",
            "police station",
            "appropriate adult",
            "criminal exploitation",
            "county lines",
            "restorative justice",
            "court appearance",
            "criminal record",
            "bail",
            "youth worker",
            "diversion scheme",
        ],
    ),
    (
        "family_courts",
        &[
            "family court",
            "care proceedings",
            "guardian",
            "judge",
            "expert report",
            "legal aid",
            "solicitor",
            "hearing date",
            "parenting assessment",
            "contact order",
            "delay",
            "court bundle",
        ],
    ),
    (
        "contact_and_relationships",
        &[
            "brother",
            "sister",
            "contact centre",
            "family time",
            "video call",
            "birthday card",
            "relationship",
            "visit",
            "travel cost",
            "supervised contact",
            "life-long link",
            "grandmother",
        ],
    ),
    (
        "participation",
        &[
            "children in care council",
            "youth voice",
            "consultation",
            "young inspector",
            "advocate",
            "complaints process",
            "feedback form",
            "review meeting",
            "independent reviewing officer",
            "participation worker",
            "youth board",
            "care experienced panel",
        ],
    ),
    (
        "housing",
        &[
            "supported lodging",
            "hostel",
            "homelessness",
            "housing officer",
            "housing benefit",
            "tenancy deposit",
            "social housing",
            "semi-independent flat",
            "landlord",
            "eviction",
            "priority need",
            "waiting register",
        ],
    ),
    (
        "employment",
        &[
            "apprenticeship",
            "job interview",
            "work experience",
            "employer",
            "ring-fenced job",
            "internship",
            "payslip",
            "job centre",
            "training allowance",
            "CV",
            "first wage",
            "ring-fenced apprenticeship",
        ],
    ),
    (
        "health",
        &[
            "health assessment",
            "GP",
            "dentist",
            "immunisation",
            "looked after children nurse",
            "medical record",
            "prescription",
            "eye test",
            "sexual health",
            "health passport",
            "hospital appointment",
            "registration",
        ],
    ),
    (
        "records_and_identity",
        &[
            "case file",
            "subject access request",
            "redaction",
            "birth certificate",
            "passport",
            "identity document",
            "memory box",
            "photograph",
            "care record",
            "archive",
            "national insurance number",
            "bank account",
        ],
    ),
    (
        "funding",
        &[
            "budget",
            "grant",
            "ring-fenced fund",
            "national funding formula",
            "local authority spending",
            "commissioning",
            "value for money",
            "invest-to-save",
            "spending review",
            "business rate",
            "procurement",
            "public purse",
        ],
    ),
    (
        "unaccompanied_children",
        &[
            "asylum claim",
            "age assessment",
            "interpreter",
            "home office",
            "immigration status",
            "refugee",
            "trafficking",
            "national transfer scheme",
            "immigration solicitor",
            "english class",
            "hotel",
            "legal guardian",
        ],
    ),
    (
        "domestic_abuse",
        &[
            "domestic abuse",
            "refuge",
            "perpetrator programme",
            "independent advocate",
            "non-molestation order",
            "coercive control",
            "safety plan",
            "MARAC",
            "police callout",
            "survivor",
            "helpline",
            "children's worker",
        ],
    ),
    (
        "parental_substance_use",
        &[
            "drug service",
            "alcohol worker",
            "recovery programme",
            "family drug court",
            "detox",
            "relapse",
            "harm reduction",
            "treatment place",
            "sobriety",
            "methadone",
            "peer recovery",
            "residential rehab",
        ],
    ),
    (
        "digital_and_data",
        &[
            "online portal",
            "shared record",
            "data sharing",
            "case management system",
            "app",
            "text message reminder",
            "digital skill",
            "laptop",
            "wifi",
            "data protection",
            "dashboard",
            "information governance",
        ],
    ),
];

const VERBS: &[&str] = &[
    "support",
    "protect",
    "fund",
    "review",
    "improve",
    "change",
    "replace",
    "explain",
    "share",
    "guarantee",
    "simplify",
    "extend",
    "monitor",
    "respect",
    "strengthen",
    "speed up",
    "listen to",
    "plan for",
    "pay for",
    "join up",
];
const ADJECTIVES: &[&str] = &[
    "better",
    "local",
    "regular",
    "independent",
    "trusted",
    "flexible",
    "clear",
    "proper",
    "national",
    "long-term",
    "fair",
    "consistent",
    "free",
    "specialist",
    "simple",
    "stable",
    "early",
    "honest",
    "affordable",
    "secure",
];
const GROUPS: &[&str] = &[
    "young people",
    "children",
    "parents",
    "carers",
    "families",
    "social workers",
    "teachers",
    "councils",
    "grandparents",
    "care leavers",
    "managers",
    "professionals",
];
/// Sentences with slots: `N` a noun of the topic, `V` a verb, `A` an
/// adjective, `G` a group.
const TEMPLATES: &[&str] = &[
    "We need more A N for G in every area.",
    "The N should V the N before it is too late.",
    "G often tell us that the N does not V their N.",
    "One A N would V G and their N.",
    "Councils could V the N by funding A N.",
    "Nobody listens when G ask about the N or the N.",
    "Every N needs a A plan for the N.",
    "It would help if the N and the N worked together.",
    "Without A N, G lose trust in the N.",
    "I would like to see the N V the N within a year.",
    "Government must V the N so that G get A help.",
    "Too many G wait months for a N.",
    "The N is not A enough for G.",
    "Give G a say in the N and the N.",
];

/// One sentence of a topic, its slots filled at random.
fn sentence(rng: &mut StdRng, nouns: &[&str]) -> String {
    let template = *pick(rng, TEMPLATES);
    let mut out: Vec<String> = Vec::new();
    for word in template.split(' ') {
        let (slot, rest) = word.split_at(1);
        let filled = match slot {
            "N" => (*pick(rng, nouns)).to_owned(),
            "V" => (*pick(rng, VERBS)).to_owned(),
            "A" => (*pick(rng, ADJECTIVES)).to_owned(),
            "G" => (*pick(rng, GROUPS)).to_owned(),
            _ => {
                out.push(word.to_owned());
                continue;
            }
        };
        // Only whole slots ("N", "N.", "N,") are filled; "Nobody" is a word.
        if rest.is_empty() || rest == "." || rest == "," {
            out.push(format!("{filled}{rest}"));
        } else {
            out.push(word.to_owned());
        }
    }
    let mut text = out.join(" ");
    if let Some(first) = text.get(..1) {
        text = format!("{}{}", first.to_uppercase(), &text[1..]);
    }
    text
}

/// `n` sentences of a topic, kept within `max_words`.
fn sentences(rng: &mut StdRng, nouns: &[&str], n: usize, max_words: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut words = 0;
    for _ in 0..n {
        let s = sentence(rng, nouns);
        let more = count_words(&s);
        if words + more > max_words && !out.is_empty() {
            break;
        }
        words += more;
        out.push(s);
    }
    out
}

/// A title for an idea of a topic.
fn title(rng: &mut StdRng, nouns: &[&str]) -> String {
    let adjective = *pick(rng, ADJECTIVES);
    let noun = *pick(rng, nouns);
    let mut text = format!("{adjective} {noun} for {}", pick(rng, GROUPS));
    if let Some(first) = text.get(..1) {
        text = format!("{}{}", first.to_uppercase(), &text[1..]);
    }
    text
}

/// A near-copy of a campaign's sentences: most copies have one to three
/// small edits; some are exact, some change only case or punctuation.
fn near_copy(rng: &mut StdRng, base: &[String], nouns: &[&str], max_words: usize) -> String {
    let mut parts: Vec<String> = base.to_vec();
    let edits = if rng.random_bool(0.3) {
        0
    } else {
        rng.random_range(1..=3)
    };
    for _ in 0..edits {
        let at = rng.random_range(0..parts.len());
        let mut words: Vec<String> = parts[at].split(' ').map(str::to_owned).collect();
        match rng.random_range(0..5) {
            // Two neighbouring words swapped.
            0 if words.len() > 2 => {
                let i = rng.random_range(0..words.len() - 1);
                words.swap(i, i + 1);
            }
            // A typo: two letters swapped, or one dropped.
            1 => {
                let i = rng.random_range(0..words.len());
                let mut letters: Vec<char> = words[i].chars().collect();
                if letters.len() > 3 {
                    let j = rng.random_range(1..letters.len() - 2);
                    if rng.random_bool(0.5) {
                        letters.swap(j, j + 1);
                    } else {
                        letters.remove(j);
                    }
                    words[i] = letters.into_iter().collect();
                }
            }
            // A sentence of one's own added.
            2 => {
                let added = sentence(rng, nouns);
                let total: usize = parts.iter().map(|p| count_words(p)).sum();
                if total + count_words(&added) <= max_words {
                    parts.insert(rng.random_range(0..=parts.len()), added);
                }
                continue;
            }
            // A sentence dropped.
            3 if parts.len() > 3 => {
                parts.remove(at);
                continue;
            }
            // A word replaced by another.
            _ => {
                let i = rng.random_range(0..words.len());
                words[i] = (*pick(rng, ADJECTIVES)).to_owned();
            }
        }
        parts[at] = words.join(" ");
    }
    let text = parts.join(" ");
    match rng.random_range(0..10) {
        0 => text.to_lowercase(),
        1 => text.replace('.', "!"),
        2 => text.replace(['.', ','], ""),
        3 => parts.join("\n\n"),
        _ => text,
    }
}

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

/// A stored submission's outcome, and the truth of its ideas.
type Stored = (
    Result<SubmitOutcome, crate::storage::StorageError>,
    Vec<(Option<usize>, &'static str)>,
);

/// Stores a planted corpus of `count` ideas in `call` and writes the truth
/// to `truth` (JSON lines). Returns how many submissions were stored.
pub async fn seed_planted(
    storage: &Storage,
    call: &Call,
    count: usize,
    truth: &Path,
) -> Result<usize, CommandError> {
    let mut rng = StdRng::seed_from_u64(2026);
    let now = jiff::Timestamp::now();
    let span_seconds: i64 = 42 * 24 * 60 * 60;
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(truth).map_err(|e| CommandError::Truth(e.to_string()))?,
    );
    let mut tasks = tokio::task::JoinSet::new();
    let mut stored = 0usize;
    let mut write = |done: Result<_, tokio::task::JoinError>| -> Result<usize, CommandError> {
        let (outcome, answers): Stored = done.map_err(|_| CommandError::Generator)?;
        let SubmitOutcome::Created(receipt) = outcome? else {
            return Ok(0);
        };
        for (i, (campaign, topic)) in answers.into_iter().enumerate() {
            let line = serde_json::json!({
                "reference": receipt.reference.as_str(),
                "idea": i + 1,
                "campaign": campaign,
                "topic": topic,
            });
            writeln!(file, "{line}").map_err(|e| CommandError::Truth(e.to_string()))?;
        }
        Ok(1)
    };
    for one in generate(&mut rng, call, count) {
        let new = prepare(&one.raw, call, &call.rules, &mut rng, now, span_seconds)?;
        let storage = storage.clone();
        let answers = one.truth;
        tasks.spawn(async move { (storage.submit(new).await, answers) });
        // Enough in flight for SQLite's group commit to batch them.
        while tasks.len() >= 256 {
            if let Some(done) = tasks.join_next().await {
                stored += write(done)?;
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        stored += write(done)?;
    }
    file.flush()
        .map_err(|e| CommandError::Truth(e.to_string()))?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::campaigns::{detect, normalise};
    use crate::analysis::corpus::IdeaText;
    use cfi_rules::Submission;
    use std::collections::{BTreeMap, BTreeSet};

    #[test]
    fn planted_submissions_are_valid_and_the_truth_matches_them() {
        let text = include_str!("../../../demo/review.toml");
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
