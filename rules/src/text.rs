//! Text cleaning shared by every free-text field.

/// What is wrong with a piece of text before any length rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// Nothing but white space (or nothing at all).
    Empty,
    /// Control characters (null bytes included), or characters that reverse
    /// the direction of text and could make published text misleading.
    ControlCharacters,
}

/// Whether line breaks and tabs are allowed (descriptions) or not (names,
/// titles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Trims, normalises line endings to `\n`, and refuses control characters and
/// bidirectional overrides. Returns the cleaned text.
pub fn clean(raw: &str, lines: Lines) -> Result<String, TextProblem> {
    let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
    let trimmed = normalised.trim();
    // Zero-width characters alone look like nothing: treat them as empty.
    if trimmed
        .chars()
        .all(|c| c.is_whitespace() || is_invisible(c))
    {
        return Err(TextProblem::Empty);
    }
    let allowed_control = |c: char| lines == Lines::Multi && (c == '\n' || c == '\t');
    let bad = trimmed
        .chars()
        .any(|c| (c.is_control() && !allowed_control(c)) || is_direction_override(c));
    if bad {
        return Err(TextProblem::ControlCharacters);
    }
    Ok(trimmed.to_owned())
}

/// Characters that take no space: zero-width space, joiners, word joiner,
/// byte order mark, Mongolian vowel separator, variation selectors.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' | '\u{FE00}'..='\u{FE0F}')
}

/// Embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069).
/// Right-to-left text itself is fine; these invisible controls are not needed
/// to write it and can disguise what a published name says.
fn is_direction_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_normalises_line_endings() {
        assert_eq!(clean("  a\r\nb\rc  ", Lines::Multi), Ok("a\nb\nc".into()));
    }

    #[test]
    fn refuses_empty_and_blank() {
        assert_eq!(clean("", Lines::Single), Err(TextProblem::Empty));
        assert_eq!(
            clean("\u{200B}\u{FEFF} \u{200D}", Lines::Single),
            Err(TextProblem::Empty)
        );
        assert_eq!(clean(" \n\t ", Lines::Multi), Err(TextProblem::Empty));
    }

    #[test]
    fn refuses_control_characters() {
        assert_eq!(
            clean("a\0b", Lines::Multi),
            Err(TextProblem::ControlCharacters)
        );
        assert_eq!(
            clean("a\u{7}b", Lines::Multi),
            Err(TextProblem::ControlCharacters)
        );
        assert_eq!(
            clean("a\nb", Lines::Single),
            Err(TextProblem::ControlCharacters)
        );
        assert_eq!(
            clean("evil\u{202E}txt", Lines::Single),
            Err(TextProblem::ControlCharacters)
        );
    }

    #[test]
    fn keeps_right_to_left_and_emoji_text() {
        assert_eq!(clean("مرحبا 👩‍👧", Lines::Single), Ok("مرحبا 👩‍👧".into()));
    }
}
