//! Named limits. Per-call values (ideas, words) come from the server's config;
//! these are the defaults and the hard ceilings that no config may exceed.

/// Ideas per submission when a call does not say: the Call for Ideas allowed a
/// handful per person, and five keeps the check-your-answers page readable.
pub const DEFAULT_MAX_IDEAS: usize = 5;
/// Words per idea description when a call does not say: the 2021 Call for Ideas
/// limit.
pub const DEFAULT_MAX_WORDS: usize = 250;
/// No call may allow more ideas than this: a submission must fit in one request
/// body (see the server's body limit) and be readable by a reviewer.
pub const HARD_MAX_IDEAS: usize = 20;
/// No call may allow longer descriptions than this, for the same reason.
pub const HARD_MAX_WORDS: usize = 1_000;

/// Names of people and organisations: longer than any real name, short enough
/// to show in one line of the published page.
pub const MAX_NAME_CHARS: usize = 200;
/// RFC 5321 limits a forward path to 256 octets including the angle brackets.
pub const MAX_EMAIL_CHARS: usize = 254;
/// An idea's title is a headline, not a paragraph.
pub const MAX_TITLE_CHARS: usize = 150;
/// Characters per description regardless of words, so one "word" of 50,000
/// characters cannot pass the word limit. 250 words of long English words and
/// punctuation stay well under 2,000; this leaves room for 1,000-word calls.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// Perspectives one person may tick: more than the list offers is an error.
pub const MAX_PERSPECTIVES: usize = 20;
/// Identifiers (partner, theme, perspective): short snake or kebab case.
pub const MAX_ID_CHARS: usize = 64;
/// Field errors reported for one submission: enough to show every mistake a
/// person can make in a form of this size, bounded for hostile input.
pub const MAX_FIELD_ERRORS: usize = 100;
