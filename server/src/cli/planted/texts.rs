//! The planted corpus's texts: sentences filled from a topic's nouns and
//! shared verbs, adjectives and groups, titles, and near-copies of a
//! campaign's text with small edits.

use rand::Rng;
use rand::rngs::StdRng;

use crate::cli::pick;
use cfi_rules::count_words;

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
pub(super) fn sentence(rng: &mut StdRng, nouns: &[&str]) -> String {
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
pub(super) fn sentences(
    rng: &mut StdRng,
    nouns: &[&str],
    n: usize,
    max_words: usize,
) -> Vec<String> {
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
pub(super) fn title(rng: &mut StdRng, nouns: &[&str]) -> String {
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
pub(super) fn near_copy(
    rng: &mut StdRng,
    base: &[String],
    nouns: &[&str],
    max_words: usize,
) -> String {
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
