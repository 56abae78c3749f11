//! Word counting that matches what a person sees.
//!
//! The rule, in the order it is applied:
//!
//! 1. Text is split into tokens at whitespace (any Unicode white space, so
//!    several spaces, tabs, line breaks and no-break spaces all separate words
//!    and never add words).
//! 2. Each Chinese or Japanese character (Han ideographs, hiragana, katakana)
//!    is a word of its own, as word processors count them, because those
//!    scripts are written without spaces.
//! 3. Any other run of characters between separators is one word if it holds
//!    at least one letter, digit or symbol (emoji included). So `well-being`,
//!    `don't`, `children's`, `£20`, `1,000` and `🙂` are one word each, while a
//!    dash, ellipsis or quote mark standing on its own (` - `, ` — `, `...`)
//!    is not a word.
//! 4. Zero-width and formatting characters (zero-width space and joiners,
//!    variation selectors, direction marks) are invisible, so they neither
//!    split nor make words: an emoji sequence joined with ZWJ is one word.
//!
//! Scripts written without spaces other than Chinese and Japanese (Thai, Lao,
//! Khmer, Burmese) count a run between spaces as one word; word processors
//! need a dictionary to do better.

/// Counts the words in `text` by the rule in this module's documentation.
pub fn count_words(text: &str) -> usize {
    let mut count = 0;
    let mut run_has_word_char = false;
    for c in text.chars() {
        if c.is_whitespace() {
            count += usize::from(run_has_word_char);
            run_has_word_char = false;
        } else if is_cjk(c) {
            count += usize::from(run_has_word_char) + 1;
            run_has_word_char = false;
        } else if is_word_char(c) {
            run_has_word_char = true;
        }
    }
    count + usize::from(run_has_word_char)
}

/// Han ideographs, hiragana and katakana: one word per character.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'      // hiragana, katakana
        | '\u{3400}'..='\u{4DBF}'    // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'    // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'    // CJK compatibility ideographs
        | '\u{20000}'..='\u{3134F}') // CJK extensions B to G
}

/// Letters, digits and symbols make a run a word; punctuation, combining marks
/// on their own and invisible formatting characters do not.
fn is_word_char(c: char) -> bool {
    if c.is_alphanumeric() {
        return true;
    }
    let invisible_or_punctuation = c.is_ascii()
        || c.is_control()
        || matches!(c,
            '\u{00A0}'..='\u{00BF}'     // Latin-1 punctuation: « » ¡ ¿ § ...
            | '\u{0300}'..='\u{036F}'   // combining diacritical marks
            | '\u{2000}'..='\u{206F}'   // general punctuation, zero-width, bidi
            | '\u{3000}'..='\u{303F}'   // CJK punctuation
            | '\u{FE00}'..='\u{FE0F}'   // variation selectors
            | '\u{FE30}'..='\u{FE4F}'   // CJK compatibility forms
            | '\u{FEFF}'                // byte order mark
            | '\u{FF01}'..='\u{FF0F}'   // full-width punctuation
            | '\u{E0000}'..='\u{E007F}' // tags
            | '\u{1F3FB}'..='\u{1F3FF}'); // skin-tone modifiers
    // Currency signs such as £ and € are symbols worth a word only next to
    // digits, which already count; everything else left (emoji, arrows, maths
    // and other symbols, letters the standard library does not know) counts.
    !invisible_or_punctuation && !matches!(c, '\u{20A0}'..='\u{20CF}')
}

#[cfg(test)]
mod tests {
    use super::count_words;
    use proptest::prelude::*;

    #[test]
    fn counts_what_a_person_sees() {
        let cases: &[(&str, usize)] = &[
            ("", 0),
            ("   \n\t  ", 0),
            ("one", 1),
            ("one two  three", 3),
            ("  leading and trailing  ", 3),
            ("well-being matters", 2),
            ("don't stop, children's rights", 4),
            ("children’s rights", 2),
            ("a - b — c", 3),
            ("wait...", 1),
            ("...", 0),
            ("« quoted »", 1),
            ("£20 a week", 3),
            ("£ 20", 1),
            ("1,000 carers", 2),
            ("I 🙂 this", 3),
            ("👩‍👧‍👦", 1),
            ("👍🏽 yes", 2),
            ("line\nbreaks\r\nand\ttabs", 4),
            ("no\u{00A0}break", 2),
            ("zero\u{200B}width", 1),
            ("\u{200B}\u{200B}", 0),
            ("Привет мир", 2),
            ("مرحبا بالعالم", 2),
            ("שלום עולם", 2),
            ("नमस्ते दुनिया", 2),
            ("子供の権利", 5),
            ("ケア leaver", 3),
            ("e\u{0301}cole", 1),
            ("\u{0301}", 0),
        ];
        for (text, expected) in cases {
            assert_eq!(count_words(text), *expected, "{text:?}");
        }
    }

    fn word() -> impl Strategy<Value = String> {
        // A word: letters with optional inner hyphens/apostrophes.
        "[A-Za-zÀ-ÿ]{1,8}([-'’][A-Za-z]{1,6})?"
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>()) {
            let _ = count_words(&text);
        }

        #[test]
        fn joined_words_count_once_each(words in prop::collection::vec(word(), 0..60), sep in "[ \t\n\u{00A0}]{1,4}") {
            let text = words.join(&sep);
            prop_assert_eq!(count_words(&text), words.len());
        }

        #[test]
        fn counting_is_additive_across_whitespace(a in any::<String>(), b in any::<String>(), sep in "[ \n\t]{1,3}") {
            let joined = format!("{a}{sep}{b}");
            prop_assert_eq!(count_words(&joined), count_words(&a) + count_words(&b));
        }

        #[test]
        fn extra_whitespace_changes_nothing(words in prop::collection::vec(word(), 0..30)) {
            let tight = words.join(" ");
            let loose = format!("  {}\n\n", words.join("   \t "));
            prop_assert_eq!(count_words(&tight), count_words(&loose));
        }

        #[test]
        fn never_more_words_than_visible_characters(text in any::<String>()) {
            let visible = text.chars().filter(|c| !c.is_whitespace()).count();
            prop_assert!(count_words(&text) <= visible);
        }
    }
}
