//! The current moderation state of a submission: the fold of its audit trail
//! (every action not undone), and redaction of text. The review team records
//! actions; publication reads their fold.

pub mod persistence;

use std::collections::{BTreeMap, HashMap, HashSet};

use caseless::Caseless as _;
use serde::{Deserialize, Serialize};

/// What a moderation action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Withhold the whole submission from publication.
    Withhold,
    /// Withhold one idea.
    WithholdIdea,
    /// Replace spans of a title or description with "[redacted]".
    Redact,
    /// Mark as spam (never published).
    Spam,
    /// The safeguarding flag was dealt with; the note says how.
    HandleFlag,
    /// Undo an earlier action.
    Undo,
    /// The moderator's decision to publish a flagged submission (as it is,
    /// or after redactions). Handling a flag never publishes by itself.
    Publish,
    /// Staff raise a safeguarding flag after arrival: it alerts the
    /// contacts like one found on arrival.
    RaiseFlag,
    /// The flag was noise: counted per category, so the net's noise shows.
    NotAConcern,
}

impl ActionKind {
    pub const ALL: &'static [Self] = &[
        Self::Withhold,
        Self::WithholdIdea,
        Self::Redact,
        Self::Spam,
        Self::HandleFlag,
        Self::Undo,
        Self::Publish,
        Self::RaiseFlag,
        Self::NotAConcern,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Withhold => "withhold",
            Self::WithholdIdea => "withhold_idea",
            Self::Redact => "redact",
            Self::Spam => "spam",
            Self::HandleFlag => "handle_flag",
            Self::Undo => "undo",
            Self::Publish => "publish",
            Self::RaiseFlag => "raise_flag",
            Self::NotAConcern => "not_a_concern",
        }
    }

    pub fn from_wire(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == text)
    }

    /// Words for the audit trail.
    pub fn label(self) -> &'static str {
        match self {
            Self::Withhold => "Withheld the submission",
            Self::WithholdIdea => "Withheld an idea",
            Self::Redact => "Redacted text",
            Self::Spam => "Marked as spam",
            Self::HandleFlag => "Handled the safeguarding flag",
            Self::Undo => "Undid an action",
            Self::Publish => "Decided to publish",
            Self::RaiseFlag => "Raised a safeguarding flag",
            Self::NotAConcern => "Marked the flag not a concern",
        }
    }
}

/// One row of the audit trail of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModerationAction {
    pub id: i64,
    pub reference: String,
    pub action: ActionKind,
    /// The idea (0-based) for `withhold_idea` and `redact`.
    pub idea: Option<usize>,
    /// `title` or `description` for `redact`.
    pub field: Option<String>,
    /// `[start, end)` character offsets for `redact`.
    pub spans: Vec<(usize, usize)>,
    /// The action an `undo` undoes.
    pub undoes: Option<i64>,
    /// Why (or, for a handled flag, what was done).
    pub reason: String,
    /// The staff token's name.
    pub staff: String,
    pub at: String,
}

/// An action to record.
#[derive(Debug, Clone)]
pub struct NewAction {
    pub action: ActionKind,
    pub idea: Option<usize>,
    pub field: Option<String>,
    pub spans: Vec<(usize, usize)>,
    pub undoes: Option<i64>,
    pub reason: String,
    pub staff: String,
    /// For `raise_flag`: the flag's category and the alerts it sends.
    pub raise: Option<RaisedFlag>,
}

/// A flag staff raise: its category id and the messages to queue in the
/// same transaction (the alerts).
#[derive(Debug, Clone)]
pub struct RaisedFlag {
    pub category: String,
    pub messages: Vec<crate::storage::OutgoingMessage>,
}

/// What the actions not undone say about a submission.
#[derive(Debug, Clone, Default)]
pub struct ModerationState {
    /// The whole submission is withheld.
    pub withheld: Option<ModerationAction>,
    /// Withheld ideas, by index.
    pub withheld_ideas: BTreeMap<usize, ModerationAction>,
    /// Redactions in force.
    pub redactions: Vec<ModerationAction>,
    /// Staff marked it as spam.
    pub spam: Option<ModerationAction>,
    /// The safeguarding flag was handled (the note is the reason), or
    /// marked not a concern.
    pub flag_handled: Option<ModerationAction>,
    /// A moderator decided to publish it (needed for a flagged submission).
    pub publish_decided: Option<ModerationAction>,
    /// Ids of actions that were undone.
    pub undone: HashSet<i64>,
}

impl ModerationState {
    /// Folds one submission's actions, oldest first.
    pub fn fold(actions: &[ModerationAction]) -> Self {
        let undone: HashSet<i64> = actions
            .iter()
            .filter(|a| a.action == ActionKind::Undo)
            .filter_map(|a| a.undoes)
            .collect();
        let mut state = Self {
            undone,
            ..Self::default()
        };
        for action in actions.iter().filter(|a| !state.undone.contains(&a.id)) {
            match action.action {
                ActionKind::Withhold => state.withheld = Some(action.clone()),
                ActionKind::WithholdIdea => {
                    if let Some(idea) = action.idea {
                        state.withheld_ideas.insert(idea, action.clone());
                    }
                }
                ActionKind::Redact => state.redactions.push(action.clone()),
                ActionKind::Spam => state.spam = Some(action.clone()),
                ActionKind::HandleFlag | ActionKind::NotAConcern => {
                    state.flag_handled = Some(action.clone());
                }
                ActionKind::Publish => state.publish_decided = Some(action.clone()),
                ActionKind::RaiseFlag | ActionKind::Undo => {}
            }
        }
        state
    }

    /// The states of many submissions from a call's actions, by reference.
    pub fn by_reference(actions: &[ModerationAction]) -> HashMap<String, Self> {
        let mut grouped: HashMap<&str, Vec<ModerationAction>> = HashMap::new();
        for action in actions {
            grouped
                .entry(action.reference.as_str())
                .or_default()
                .push(action.clone());
        }
        grouped
            .into_iter()
            .map(|(reference, actions)| (reference.to_owned(), Self::fold(&actions)))
            .collect()
    }

    /// `[start, end)` character spans redacted in one field of one idea.
    pub fn spans(&self, idea: usize, field: &str) -> Vec<(usize, usize)> {
        self.redactions
            .iter()
            .filter(|r| r.idea == Some(idea) && r.field.as_deref() == Some(field))
            .flat_map(|r| r.spans.iter().copied())
            .collect()
    }

    /// One word for lists: what happens to this submission on publication.
    pub fn summary(&self) -> &'static str {
        if self.spam.is_some() {
            "spam"
        } else if self.withheld.is_some() {
            "withheld"
        } else if !self.withheld_ideas.is_empty() || !self.redactions.is_empty() {
            "moderated"
        } else {
            ""
        }
    }
}

/// What replaces redacted text.
pub const REDACTED: &str = "[redacted]";

/// `text` with every `[start, end)` character span replaced by
/// [`REDACTED`] (overlapping spans become one).
pub fn redact(text: &str, spans: &[(usize, usize)]) -> String {
    if spans.is_empty() {
        return text.to_owned();
    }
    let covered = |i: usize| spans.iter().any(|&(s, e)| s <= i && i < e);
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for (i, c) in text.chars().enumerate() {
        if covered(i) {
            if !inside {
                out.push_str(REDACTED);
            }
            inside = true;
        } else {
            inside = false;
            out.push(c);
        }
    }
    out
}

/// Character spans of every occurrence of `needle` in `text`, in any case:
/// "John Smith" also finds "john smith" and "JOHN SMITH", so a redaction
/// leaves no case variant of the passage behind. Both are compared after
/// Unicode full case folding (so "STRASSE" finds "Straße"), character by
/// character, and each match is mapped back to the characters of `text`
/// whose folding it touches: a character whose folding a match covers only
/// in part (the "s" of "ß") is covered whole, so a redaction errs on hiding
/// more.
pub fn spans_of(text: &str, needle: &str) -> Vec<(usize, usize)> {
    let needle = caseless::default_case_fold_str(needle);
    if needle.is_empty() {
        return Vec::new();
    }
    // The folded text, and for each of its bytes the character of `text`
    // it came from (a character may fold to several, or longer, ones).
    let mut folded = String::with_capacity(text.len());
    let mut source = Vec::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        folded.extend(std::iter::once(c).default_case_fold());
        source.resize(folded.len(), i);
    }
    let mut spans: Vec<(usize, usize)> = folded
        .match_indices(&needle)
        .map(|(byte, found)| (source[byte], source[byte + found.len() - 1] + 1))
        .collect();
    spans.dedup();
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_replaces_spans_by_characters() {
        assert_eq!(
            redact("My name is Sam Jones.", &[(11, 20)]),
            "My name is [redacted]."
        );
        assert_eq!(redact("é Sam é", &[(2, 5)]), "é [redacted] é");
        assert_eq!(redact("abcdef", &[(0, 2), (1, 4)]), "[redacted]ef");
        assert_eq!(
            redact("abcdef", &[(0, 1), (3, 6)]),
            "[redacted]bc[redacted]"
        );
        assert_eq!(redact("abc", &[]), "abc");
        assert_eq!(redact("abc", &[(1, 99)]), "a[redacted]");
    }

    #[test]
    fn every_occurrence_is_found() {
        let text = "Sam said Sam";
        let spans = spans_of(text, "Sam");
        assert_eq!(spans, vec![(0, 3), (9, 12)]);
        assert_eq!(redact(text, &spans), "[redacted] said [redacted]");
    }

    #[test]
    fn every_case_variant_is_found_by_characters() {
        let text = "John Smith met JOHN SMITH and john smith.";
        let spans = spans_of(text, "John Smith");
        assert_eq!(spans, vec![(0, 10), (15, 25), (30, 40)]);
        assert_eq!(
            redact(text, &spans),
            "[redacted] met [redacted] and [redacted]."
        );
        // Case mappings that change length keep the spans on characters.
        assert_eq!(
            spans_of("Straße, STRASSE", "strasse"),
            vec![(0, 6), (8, 15)]
        );
        assert_eq!(spans_of("İstanbul é ÉCOLE", "école"), vec![(11, 16)]);
        assert_eq!(spans_of("ΣΟΦΊΑ σοφία", "Σοφία"), vec![(0, 5), (6, 11)]);
        // Part of a character's folding covers the whole character.
        assert_eq!(spans_of("Maß", "s"), vec![(2, 3)]);
        assert_eq!(spans_of("abc", ""), Vec::<(usize, usize)>::new());
    }
}
