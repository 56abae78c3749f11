//! Text as the net compares it: how a phone or a keyboard typed a phrase
//! must not decide whether it is found. Unicode compatibility form (NFKC:
//! full-width letters, ligatures, no-break spaces), lower case, every run of
//! white space or line breaks as one space, every hyphen and dash as `-`,
//! every apostrophe as `'`. Each byte of the normalised text remembers where
//! in the original it came from, so a match still points at what the person
//! wrote.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization as _;

/// Normalised text with the original byte offset of every byte.
#[derive(Debug, Clone)]
pub struct Normalised {
    pub text: String,
    /// `origin[i]` is where the original character behind byte `i` of
    /// `text` starts; one more entry, the original's length, ends it.
    origin: Vec<usize>,
}

impl Normalised {
    pub fn new(original: &str) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len() + 1);
        // Leading white space is dropped; a run inside becomes one space,
        // which comes from the run's first character.
        let mut space_from: Option<usize> = None;
        for (at, c) in original.char_indices() {
            for folded in std::iter::once(c).nfkc() {
                if folded.is_whitespace() {
                    if !text.is_empty() && space_from.is_none() {
                        space_from = Some(at);
                    }
                    continue;
                }
                if let Some(from) = space_from.take() {
                    text.push(' ');
                    origin.push(from);
                }
                for lower in fold(folded).to_lowercase() {
                    let before = text.len();
                    text.push(lower);
                    origin.extend(std::iter::repeat_n(at, text.len() - before));
                }
            }
        }
        origin.push(original.len());
        Self { text, origin }
    }

    /// The original byte range behind `range` of the normalised text.
    pub fn original(&self, range: Range<usize>) -> Range<usize> {
        self.origin[range.start]..self.origin[range.end]
    }
}

/// One spelling for characters people type in several ways.
fn fold(c: char) -> char {
    match c {
        // Hyphens, dashes and minus signs.
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
        // Apostrophes and the quotes phones put in their place.
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{FF07}' | '`' | '\u{00B4}' => '\'',
        other => other,
    }
}

/// A phrase as the net looks for it (the same normalisation).
pub fn phrase(text: &str) -> String {
    Normalised::new(text).text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(phrase_text: &str, typed: &str) -> Option<String> {
        let n = Normalised::new(typed);
        let at = n.text.find(&phrase(phrase_text))?;
        let range = n.original(at..at + phrase(phrase_text).len());
        Some(typed[range].to_owned())
    }

    #[test]
    fn phrases_are_found_however_they_were_typed() {
        assert_eq!(
            finds("hits me", "my dad hits  me").as_deref(),
            Some("hits  me")
        );
        assert_eq!(
            finds("want to die", "i want to\ndie").as_deref(),
            Some("want to\ndie")
        );
        assert_eq!(
            finds("hits me", "he hits\u{00A0}me").as_deref(),
            Some("hits\u{00A0}me")
        );
        assert_eq!(
            finds("self-harm", "I self\u{2010}harm").as_deref(),
            Some("self\u{2010}harm")
        );
        assert_eq!(
            finds("don't want to be alive", "I DON\u{2019}T want to be alive").as_deref(),
            Some("DON\u{2019}T want to be alive")
        );
        assert_eq!(
            finds("hits me", "ｈｉｔｓ ｍｅ").as_deref(),
            Some("ｈｉｔｓ ｍｅ")
        );
    }

    #[test]
    fn white_space_at_the_ends_is_dropped_and_offsets_stay_right() {
        let n = Normalised::new("  \n Ünder\r\n\tthe stairs ");
        assert_eq!(n.text, "ünder the stairs");
        let at = n.text.find("the").expect("present");
        assert_eq!(n.original(at..at + 3), 13..16);
    }
}
