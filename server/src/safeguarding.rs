//! Safeguarding triage: configured phrases (self-harm, abuse happening now, a
//! child in danger) are looked for, case-insensitively, in every idea's title
//! and description when a submission arrives. The first one found flags the
//! submission with the passage around it; the flag is stored in the same
//! INSERT as the submission.

use std::ops::Range;

use cfi_rules::Submission;

pub use crate::storage::Flag;

use crate::limits::SAFEGUARDING_CONTEXT_CHARS as CONTEXT_CHARS;

/// What kind of concern a matched phrase is about, in words for the
/// safeguarding alert (which never quotes the person). The default phrases
/// each have one; a phrase a call adds is "a phrase on the call's own list".
pub fn category(phrase: &str) -> &'static str {
    const SELF_HARM: &[&str] = &[
        "kill myself",
        "killing myself",
        "end my life",
        "want to die",
        "suicide",
        "suicidal",
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
        "touches me",
        "touching me",
        "groomed",
    ];
    const DANGER: &[&str] = &[
        "not safe at home",
        "scared to go home",
        "afraid to go home",
        "in danger",
        "run away from home",
    ];
    if SELF_HARM.contains(&phrase) {
        "self-harm or suicide"
    } else if ABUSE.contains(&phrase) {
        "abuse"
    } else if DANGER.contains(&phrase) {
        "a child or young person in danger"
    } else {
        "a phrase on the call's own list"
    }
}

/// The first configured phrase found in the submission's ideas, and the
/// passage around it.
pub fn find(phrases: &[String], submission: &Submission) -> Option<Flag> {
    if phrases.is_empty() {
        return None;
    }
    submission.ideas().iter().find_map(|idea| {
        [idea.title(), idea.description()]
            .into_iter()
            .find_map(|text| {
                let range = matches(phrases, text).into_iter().next()?;
                let phrase = text[range.clone()].to_lowercase();
                Some(Flag {
                    phrase,
                    passage: passage(text, range),
                })
            })
    })
}

/// Byte ranges in `text` where any of `phrases` (lower-case) occurs, ignoring
/// case; sorted, not overlapping.
pub fn matches(phrases: &[String], text: &str) -> Vec<Range<usize>> {
    // The lower-cased text, with the original byte offset of the character
    // each lower-cased byte came from.
    let mut lowered = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (at, c) in text.char_indices() {
        for lower in c.to_lowercase() {
            let before = lowered.len();
            lowered.push(lower);
            origin.extend(std::iter::repeat_n(at, lowered.len() - before));
        }
    }
    origin.push(text.len());
    let mut found: Vec<Range<usize>> = Vec::new();
    for phrase in phrases.iter().filter(|p| !p.is_empty()) {
        for (start, m) in lowered.match_indices(phrase.as_str()) {
            found.push(origin[start]..origin[start + m.len()]);
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

/// The phrase with up to [`CONTEXT_CHARS`] characters either side, white
/// space collapsed, "…" where cut.
fn passage(text: &str, range: Range<usize>) -> String {
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
            assert_ne!(
                category(phrase),
                category("a phrase nobody listed"),
                "{phrase}"
            );
        }
    }

    #[test]
    fn no_phrase_no_match() {
        assert!(matches(&phrases(&["suicide"]), "A mentor for every care leaver").is_empty());
        assert!(matches(&[], "anything").is_empty());
    }
}
