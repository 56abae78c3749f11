//! The safeguarding net: what a submission says is checked when it arrives,
//! before it is stored, so nothing is published (or even listed) unchecked.
//!
//! Two levels. **Urgent**: someone may be at risk now (a disclosure of abuse,
//! neglect, sexual abuse, exploitation, self-harm or suicide, going missing
//! or having nowhere safe to sleep, by the writer or about a child they
//! know): the call's contacts are alerted. **Sensitive**: the subject
//! without a disclosure (policy ideas, a professional's view, past
//! experience): kept from publication until a moderator decides, no alert.
//!
//! Two ways of finding: the configured phrases, matched in text normalised
//! the same way however it was typed ([`normalise`]), and, when the model is
//! loaded, the sentence-embedding model comparing each sentence with written
//! examples of disclosures and of non-disclosures per category ([`net`]).
//! Every flag says why: the phrase, or the example it was closest to.
//!
//! It is a net, not a guarantee: `cfi-bench --safeguarding` measures what it
//! catches and misses on a labelled set (`server/data/safeguarding/`).

pub mod examples;
pub mod net;
pub mod normalise;
pub mod persistence;

use std::ops::Range;

use cfi_rules::Submission;

pub use crate::storage::{Flag, FlagLevel};
pub use net::Net;

use crate::limits::SAFEGUARDING_CONTEXT_CHARS as CONTEXT_CHARS;
use normalise::Normalised;

/// What a flag is about. The seven kinds of harm the net knows, a phrase a
/// call added to its own list, and a flag staff raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Abuse,
    Neglect,
    SexualAbuse,
    Exploitation,
    SelfHarm,
    Suicide,
    Missing,
    CallPhrase,
}

impl Category {
    /// The seven kinds of harm, in the order the bench and dashboard list
    /// them.
    pub const HARMS: [Self; 7] = [
        Self::Abuse,
        Self::Neglect,
        Self::SexualAbuse,
        Self::Exploitation,
        Self::SelfHarm,
        Self::Suicide,
        Self::Missing,
    ];

    pub const ALL: [Self; 8] = [
        Self::Abuse,
        Self::Neglect,
        Self::SexualAbuse,
        Self::Exploitation,
        Self::SelfHarm,
        Self::Suicide,
        Self::Missing,
        Self::CallPhrase,
    ];

    /// As stored and as the labelled set writes it.
    pub fn id(self) -> &'static str {
        match self {
            Self::Abuse => "abuse",
            Self::Neglect => "neglect",
            Self::SexualAbuse => "sexual-abuse",
            Self::Exploitation => "exploitation",
            Self::SelfHarm => "self-harm",
            Self::Suicide => "suicide",
            Self::Missing => "missing",
            Self::CallPhrase => "call-phrase",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    /// In words, for the alert (which never quotes the person) and the
    /// staff pages.
    pub fn words(self) -> &'static str {
        match self {
            Self::Abuse => "abuse",
            Self::Neglect => "neglect",
            Self::SexualAbuse => "sexual abuse",
            Self::Exploitation => "exploitation",
            Self::SelfHarm => "self-harm",
            Self::Suicide => "suicide",
            Self::Missing => "going missing or nowhere safe to sleep",
            Self::CallPhrase => "a phrase on the call's own list",
        }
    }
}

/// The words of a stored category id ("abuse", "call-phrase"...), or the
/// id itself when it is not one the server knows.
pub fn category_words(id: &str) -> String {
    Category::from_id(id).map_or_else(|| id.to_owned(), |c| c.words().to_owned())
}

/// The category of a configured phrase: the default phrases each have one;
/// a phrase a call adds is "a phrase on the call's own list".
pub fn phrase_category(phrase: &str) -> Category {
    const SUICIDE: &[&str] = &[
        "kill myself",
        "killing myself",
        "end my life",
        "want to die",
        "suicide",
        "suicidal",
    ];
    const SELF_HARM: &[&str] = &[
        "self-harm",
        "self harm",
        "hurt myself",
        "hurting myself",
        "cutting myself",
    ];
    const ABUSE: &[&str] = &[
        "abusing me",
        "abused me",
        "being abused",
        "hits me",
        "hitting me",
        "beats me",
        // Afraid of home: most often what happens there.
        "not safe at home",
        "scared to go home",
        "afraid to go home",
    ];
    const SEXUAL_ABUSE: &[&str] = &["touches me", "touching me"];
    const EXPLOITATION: &[&str] = &["groomed"];
    const MISSING: &[&str] = &["in danger", "run away from home"];
    let phrase = phrase.trim();
    [
        (SUICIDE, Category::Suicide),
        (SELF_HARM, Category::SelfHarm),
        (ABUSE, Category::Abuse),
        (SEXUAL_ABUSE, Category::SexualAbuse),
        (EXPLOITATION, Category::Exploitation),
        (MISSING, Category::Missing),
    ]
    .into_iter()
    .find(|(list, _)| list.contains(&phrase))
    .map_or(Category::CallPhrase, |(_, category)| category)
}

/// Phrases that name a subject rather than disclose anything ("suicide
/// prevention", "self-harm services"): when one of these is what a phrase
/// match found, the flag is sensitive, not urgent. Professionals and policy
/// ideas use them all the time; the model, or a disclosure phrase, decides
/// whether someone is at risk.
pub const SUBJECT_PHRASES: &[&str] = &[
    "suicide",
    "suicidal",
    "self-harm",
    "self harm",
    "in danger",
    "groomed",
    "grooming",
    "abuse",
    "abused",
    "neglect",
    "exploitation",
    "exploited",
    "county lines",
    "sexual",
    "homeless",
    "sofa surfing",
    "sofa-surfing",
    "sleeping rough",
    "go missing",
    "going missing",
    "went missing",
    "overdose",
    "domestic violence",
];

/// Whether a configured phrase only names a subject (see
/// [`SUBJECT_PHRASES`]).
fn is_subject(phrase: &str) -> bool {
    SUBJECT_PHRASES.contains(&phrase.trim())
}

/// The first phrase found in the submission's ideas: a disclosure phrase
/// (or one on the call's own list) gives an urgent flag, a subject phrase
/// a sensitive one. An urgent match anywhere wins over a sensitive one.
pub fn find(phrases: &[String], submission: &Submission) -> Option<Flag> {
    find_in(phrases, &texts(submission))
}

/// Every title and description of a submission, in order.
pub fn texts(submission: &Submission) -> Vec<&str> {
    submission
        .ideas()
        .iter()
        .flat_map(|idea| [idea.title(), idea.description()])
        .collect()
}

/// [`find`] over plain texts, with the subject phrases added to the
/// configured ones (as sensitive).
pub fn find_in(phrases: &[String], texts: &[&str]) -> Option<Flag> {
    let subjects: Vec<String> = SUBJECT_PHRASES.iter().map(|p| (*p).to_owned()).collect();
    let mut sensitive = None;
    // Disclosure phrases are looked for before subject ones, so "self-harm
    // and I hurt myself" is urgent for "hurt myself".
    let (disclosures, configured_subjects): (Vec<String>, Vec<String>) =
        phrases.iter().cloned().partition(|p| !is_subject(p));
    for text in texts {
        let normalised = Normalised::new(text);
        for (list, subject) in [
            (&disclosures[..], false),
            (&configured_subjects[..], true),
            (&subjects[..], true),
        ] {
            let Some((phrase, range)) = first_match(list, &normalised) else {
                continue;
            };
            let category = phrase_category(&phrase);
            let flag = Flag {
                level: if subject {
                    FlagLevel::Sensitive
                } else {
                    FlagLevel::Urgent
                },
                category: category_for_subject(category, &phrase).id().to_owned(),
                reason: format!("the phrase \"{phrase}\""),
                passage: passage(text, range),
                phrase,
            };
            if !subject {
                return Some(flag);
            }
            sensitive.get_or_insert(flag);
        }
    }
    sensitive
}

/// A subject phrase that is not one of the defaults still belongs to a
/// category of harm, not to "the call's own list".
fn category_for_subject(category: Category, phrase: &str) -> Category {
    if category != Category::CallPhrase || !is_subject(phrase) {
        return category;
    }
    match phrase {
        "grooming" | "exploitation" | "exploited" | "county lines" => Category::Exploitation,
        "abuse" | "abused" | "domestic violence" => Category::Abuse,
        "neglect" => Category::Neglect,
        "sexual" => Category::SexualAbuse,
        "overdose" => Category::Suicide,
        _ => Category::Missing,
    }
}

/// The first of `phrases` found in `text` (normalised), with the original
/// byte range it covers.
fn first_match(phrases: &[String], text: &Normalised) -> Option<(String, Range<usize>)> {
    phrases
        .iter()
        .filter_map(|p| {
            let wanted = normalise::phrase(p);
            let at = find_word_start(&text.text, &wanted)?;
            Some((at, wanted))
        })
        .min_by_key(|(at, wanted)| (*at, std::cmp::Reverse(wanted.len())))
        .map(|(at, wanted)| {
            let range = text.original(at..at + wanted.len());
            (wanted, range)
        })
}

/// Where `phrase` first occurs in `text` starting a word (so "abuse" is not
/// found in "disabused", while "self-harm" is found in "self-harming").
fn find_word_start(text: &str, phrase: &str) -> Option<usize> {
    if phrase.is_empty() {
        return None;
    }
    text.match_indices(phrase).map(|(at, _)| at).find(|&at| {
        text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// Byte ranges in `text` where any of `phrases` occurs, however it was typed
/// (see [`normalise`]); sorted, not overlapping. The staff pages mark these.
pub fn matches(phrases: &[String], text: &str) -> Vec<Range<usize>> {
    let normalised = Normalised::new(text);
    let mut found: Vec<Range<usize>> = Vec::new();
    for phrase in phrases {
        let wanted = normalise::phrase(phrase);
        if wanted.is_empty() {
            continue;
        }
        for (start, m) in normalised.text.match_indices(wanted.as_str()) {
            found.push(normalised.original(start..start + m.len()));
        }
    }
    found.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(found.len());
    for range in found {
        match merged.last_mut() {
            Some(last) if range.start < last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged.retain(|r| !r.is_empty());
    merged
}

/// The range with up to [`CONTEXT_CHARS`] characters either side, white
/// space collapsed, "…" where cut.
pub fn passage(text: &str, range: Range<usize>) -> String {
    let start = text[..range.start]
        .char_indices()
        .rev()
        .nth(CONTEXT_CHARS - 1)
        .map_or(0, |(i, _)| i);
    let end = text[range.end..]
        .char_indices()
        .nth(CONTEXT_CHARS)
        .map_or(text.len(), |(i, _)| range.end + i);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(
        &text[start..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    );
    if end < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn matching_ignores_case_and_keeps_original_offsets() {
        let text = "Ünder the stairs, he HITS ME when mum is out";
        let found = matches(&phrases(&["hits me"]), text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].clone()], "HITS ME");
    }

    #[test]
    fn overlapping_matches_merge() {
        let text = "I want to die, I want to";
        let found = matches(&phrases(&["want to die", "to die"]), text);
        assert_eq!(found, vec![2..13]);
    }

    #[test]
    fn the_passage_keeps_context_and_marks_cuts() {
        let long = format!(
            "{} I am not safe at home {}",
            "a ".repeat(100),
            "b ".repeat(100)
        );
        let found = matches(&phrases(&["not safe at home"]), &long);
        let p = passage(&long, found[0].clone());
        assert!(p.starts_with('…') && p.ends_with('…'), "{p}");
        assert!(p.contains("I am not safe at home"));
        assert!(p.chars().count() < 200);
    }

    #[test]
    fn every_default_phrase_has_a_category() {
        for phrase in crate::config::DEFAULT_SAFEGUARDING_PHRASES {
            assert_ne!(phrase_category(phrase), Category::CallPhrase, "{phrase}");
        }
    }

    #[test]
    fn a_disclosure_phrase_is_urgent_and_a_subject_phrase_sensitive() {
        let list = phrases(crate::config::DEFAULT_SAFEGUARDING_PHRASES);
        let urgent = find_in(&list, &["Help. my dad hits  me when he's drunk"]).expect("present");
        assert_eq!(urgent.level, FlagLevel::Urgent);
        assert_eq!(urgent.category, "abuse");
        assert_eq!(urgent.phrase, "hits me");
        let sensitive = find_in(
            &list,
            &["Suicide prevention plans should be part of every pathway plan."],
        )
        .expect("present");
        assert_eq!(sensitive.level, FlagLevel::Sensitive);
        assert_eq!(sensitive.category, "suicide");
        let both =
            find_in(&list, &["Self-harm services are thin.", "i want to\ndie"]).expect("present");
        assert_eq!(both.level, FlagLevel::Urgent);
        assert_eq!(both.passage, "i want to die");
    }

    #[test]
    fn a_phrase_must_start_a_word() {
        let list = phrases(&["abuse"]);
        assert!(find_in(&list, &["He was disabused of the idea"]).is_none());
        assert!(find_in(&list, &["Abuse of trust"]).is_some());
    }

    #[test]
    fn no_phrase_no_match() {
        assert!(matches(&phrases(&["suicide"]), "A mentor for every care leaver").is_empty());
        assert!(matches(&[], "anything").is_empty());
    }
}
