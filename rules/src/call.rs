//! What a call is: the public definition the widget reads, and the subset of
//! it that validation needs.

use serde::{Deserialize, Serialize};

use crate::limits::{DEFAULT_MAX_IDEAS, DEFAULT_MAX_WORDS};
use crate::wire::{DEFAULT_LANG, TextDirection};

/// An option in a list (a theme or a perspective): a stable snake_case id and
/// the words people see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

impl Choice {
    pub fn new(id: &str, label: &str) -> Self {
        Self {
            id: id.to_owned(),
            label: label.to_owned(),
        }
    }
}

/// A helpline or other source of support shown on every step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportLine {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Who it is for and when it is open.
    #[serde(default)]
    pub description: String,
}

/// Per-call limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_ideas: usize,
    pub max_words: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_ideas: DEFAULT_MAX_IDEAS,
            max_words: DEFAULT_MAX_WORDS,
        }
    }
}

/// Where a call is in its window, on the server's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    NotYetOpen,
    Open,
    Closed,
}

/// `GET /api/calls/{call}`: everything the widget needs to show the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallDefinition {
    pub id: String,
    pub title: String,
    pub intro: String,
    /// RFC 3339 with the call's UTC offset at that instant.
    pub opens: String,
    pub closes: String,
    /// The same instants in words for people, e.g. "5pm on 15 December 2021
    /// (UK time)".
    pub opens_text: String,
    pub closes_text: String,
    pub is_open: bool,
    pub status: CallStatus,
    pub limits: Limits,
    pub themes: Vec<Choice>,
    pub perspectives: Vec<Choice>,
    /// The questions each idea should cover, shown as hints.
    pub guidance: Vec<String>,
    pub privacy_notice_url: String,
    pub support: Vec<SupportLine>,
    /// The language of the form's own text (a BCP 47 tag), `en` unless the
    /// call says otherwise; the widget sets it on its root so a screen reader
    /// on a Welsh or Arabic host page still reads English as English.
    #[serde(default = "default_lang")]
    pub lang: String,
    /// The direction of the form's own text, `ltr` unless the call says.
    #[serde(default)]
    pub dir: TextDirection,
    /// The review's own page for sending ideas, offered when a partner's
    /// page is refused; absent, the widget offers the server's origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
}

fn default_lang() -> String {
    DEFAULT_LANG.to_owned()
}

impl CallDefinition {
    /// The rules validation needs from this definition.
    pub fn rules(&self) -> CallRules {
        CallRules {
            limits: self.limits,
            themes: self.themes.iter().map(|c| c.id.clone()).collect(),
            perspectives: self.perspectives.iter().map(|c| c.id.clone()).collect(),
        }
    }
}

/// The per-call values validation depends on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallRules {
    pub limits: Limits,
    pub themes: Vec<String>,
    pub perspectives: Vec<String>,
}

/// The perspectives of the 2021 Call for Ideas, used when a call's config does
/// not list its own.
pub fn default_perspectives() -> Vec<Choice> {
    [
        (
            "care_experienced_young_person",
            "Care-experienced young person",
        ),
        ("care_experienced_adult", "Care-experienced adult"),
        (
            "parent_or_family_member",
            "Parent or family member with experience of children's social care",
        ),
        ("kinship_carer", "Kinship carer"),
        ("foster_carer", "Foster carer"),
        ("adoptive_parent", "Adoptive parent"),
        ("social_worker", "Social worker"),
        (
            "other_professional",
            "Other professional working with children and families",
        ),
        ("researcher", "Researcher"),
        ("charity_or_voluntary_sector", "Charity or voluntary sector"),
        ("other", "Other"),
    ]
    .into_iter()
    .map(|(id, label)| Choice::new(id, label))
    .collect()
}

/// The three questions the 2021 call asked people to cover in each idea.
pub fn default_guidance() -> Vec<String> {
    [
        "What will change as a result of your idea?",
        "Who will be affected if your idea is implemented?",
        "Are there any challenges or risks associated with implementing your idea?",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}
