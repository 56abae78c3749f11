//! The submission: raw as sent, and valid as stored.
//!
//! [`RawSubmission`] mirrors the JSON body of `POST /api/calls/{call}/submissions`
//! with every field optional and every choice as text, so that one parse can
//! report every mistake with a pointer to its field. [`Submission`] is the only
//! valid form; its fields are private and it can only be built by
//! [`Submission::parse`].

use serde::{Deserialize, Serialize};

use crate::call::CallRules;
use crate::errors::{ErrorCode, FieldError};
use crate::limits::MAX_ID_CHARS;

/// The body as sent. Unknown fields are refused so that a typo in a partner's
/// integration is reported rather than silently dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSubmission {
    #[serde(default)]
    pub partner: Option<String>,
    #[serde(default)]
    pub respondent: Option<RawRespondent>,
    #[serde(default)]
    pub ideas: Option<Vec<RawIdea>>,
    #[serde(default)]
    pub publication: Option<String>,
    #[serde(default)]
    pub privacy_notice_read: Option<bool>,
    /// Honeypot: hidden from people, so it is only ever filled by bots.
    #[serde(default)]
    pub website: Option<String>,
}

/// The "about you" part as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRespondent {
    #[serde(default)]
    pub capacity: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub perspectives: Option<Vec<String>>,
    #[serde(default)]
    pub age_band: Option<String>,
}

/// One idea as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdea {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub theme: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Answering for oneself or for an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capacity {
    Individual,
    Organisation,
}

/// How the respondent asked to be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Publication {
    Named,
    Anonymous,
}

/// Age band; never published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgeBand {
    Under16,
    From16To17,
    From18To25,
    From26,
    PreferNotToSay,
}

macro_rules! wire_names {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the order forms show them.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];

            /// The id used in JSON and storage.
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $name),+ }
            }

            /// Reads the id used in JSON and storage.
            pub fn from_wire(text: &str) -> Option<Self> {
                match text { $($name => Some(<$ty>::$variant),)+ _ => None }
            }
        }
    };
}

wire_names!(Capacity { Individual => "individual", Organisation => "organisation" });
wire_names!(Publication { Named => "named", Anonymous => "anonymous" });
wire_names!(AgeBand {
    Under16 => "under_16",
    From16To17 => "16_17",
    From18To25 => "18_25",
    From26 => "26_plus",
    PreferNotToSay => "prefer_not_to_say",
});

impl AgeBand {
    /// Under 18s are always published anonymously.
    pub fn is_under_18(self) -> bool {
        matches!(self, Self::Under16 | Self::From16To17)
    }

    /// The words a form shows for this band.
    pub fn label(self) -> &'static str {
        match self {
            Self::Under16 => "Under 16",
            Self::From16To17 => "16 to 17",
            Self::From18To25 => "18 to 25",
            Self::From26 => "26 or over",
            Self::PreferNotToSay => "Prefer not to say",
        }
    }
}

/// Who is answering: a person, or an organisation (with an optional contact
/// name that is never published).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Individual {
        name: String,
    },
    Organisation {
        organisation: String,
        contact_name: Option<String>,
    },
}

/// The valid "about you" part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Respondent {
    identity: Identity,
    email: Option<String>,
    perspectives: Vec<String>,
    age_band: AgeBand,
}

impl Respondent {
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
    pub fn capacity(&self) -> Capacity {
        match self.identity {
            Identity::Individual { .. } => Capacity::Individual,
            Identity::Organisation { .. } => Capacity::Organisation,
        }
    }
    /// The person's name (individual) or the contact's name (organisation).
    pub fn name(&self) -> Option<&str> {
        match &self.identity {
            Identity::Individual { name } => Some(name),
            Identity::Organisation { contact_name, .. } => contact_name.as_deref(),
        }
    }
    pub fn organisation(&self) -> Option<&str> {
        match &self.identity {
            Identity::Individual { .. } => None,
            Identity::Organisation { organisation, .. } => Some(organisation),
        }
    }
    /// For contact only; never published.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }
    pub fn perspectives(&self) -> &[String] {
        &self.perspectives
    }
    /// Never published.
    pub fn age_band(&self) -> AgeBand {
        self.age_band
    }
}

/// One valid idea.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idea {
    title: String,
    theme: Option<String>,
    description: String,
    words: usize,
}

impl Idea {
    pub fn title(&self) -> &str {
        &self.title
    }
    pub fn theme(&self) -> Option<&str> {
        self.theme.as_deref()
    }
    pub fn description(&self) -> &str {
        &self.description
    }
    /// Words in the description, by [`count_words`].
    pub fn words(&self) -> usize {
        self.words
    }
}

/// A whole valid submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    partner: Option<String>,
    respondent: Respondent,
    ideas: Vec<Idea>,
    publication_chosen: Publication,
    honeypot_filled: bool,
}

impl Submission {
    /// Builds a valid submission from the raw form, or returns every problem
    /// found (at most [`MAX_FIELD_ERRORS`]), each pointing at its field.
    pub fn parse(raw: &RawSubmission, rules: &CallRules) -> Result<Self, Vec<FieldError>> {
        let mut errors = Errors::default();
        let partner = parse_partner(raw.partner.as_deref(), &mut errors);
        let respondent = match &raw.respondent {
            Some(r) => parse_respondent(r, rules, &mut errors),
            None => {
                for (field, code, detail) in respondent_required_messages() {
                    errors.push(format!("#/respondent/{field}"), code, detail);
                }
                None
            }
        };
        let ideas = parse_ideas(raw.ideas.as_deref(), rules, &mut errors);
        let publication = match raw.publication.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push("#/publication", ErrorCode::Required, PUBLICATION_REQUIRED);
                None
            }
            Some(text) => {
                let parsed = Publication::from_wire(text);
                if parsed.is_none() {
                    errors.push(
                        "#/publication",
                        ErrorCode::InvalidChoice,
                        PUBLICATION_REQUIRED,
                    );
                }
                parsed
            }
        };
        if raw.privacy_notice_read != Some(true) {
            errors.push(
                "#/privacy_notice_read",
                ErrorCode::MustBeTrue,
                "Confirm that you have read the privacy notice",
            );
        }
        let honeypot_filled = raw.website.as_deref().is_some_and(|w| !w.trim().is_empty());

        match (respondent, ideas, publication) {
            (Some(respondent), Some(ideas), Some(publication_chosen)) if errors.0.is_empty() => {
                Ok(Self {
                    partner,
                    respondent,
                    ideas,
                    publication_chosen,
                    honeypot_filled,
                })
            }
            _ => Err(errors.0),
        }
    }

    /// The partner the form was embedded by, as sent (the server checks it
    /// against its configured partners and the request's origin).
    pub fn partner(&self) -> Option<&str> {
        self.partner.as_deref()
    }
    pub fn respondent(&self) -> &Respondent {
        &self.respondent
    }
    pub fn ideas(&self) -> &[Idea] {
        &self.ideas
    }
    /// What the person chose.
    pub fn publication_chosen(&self) -> Publication {
        self.publication_chosen
    }
    /// What will be applied: under 18s are published anonymously whatever
    /// they chose.
    pub fn publication(&self) -> Publication {
        effective_publication(self.publication_chosen, self.respondent.age_band)
    }
    /// True when the hidden honeypot field was filled: a bot, most likely.
    pub fn honeypot_filled(&self) -> bool {
        self.honeypot_filled
    }
}

/// The under-18 rule: respondents under 18 are published anonymously whatever
/// they chose.
pub fn effective_publication(chosen: Publication, age_band: AgeBand) -> Publication {
    if age_band.is_under_18() {
        Publication::Anonymous
    } else {
        chosen
    }
}

/// An identifier (partner, call, theme, perspective): lower-case letters,
/// digits, `-` and `_`, at most [`MAX_ID_CHARS`].
pub fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_ID_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// One `@`, something before it, a dotted domain after it, no spaces. Whether
/// the address exists is not knowable here.
pub fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

mod parse;
use parse::{
    Errors, PUBLICATION_REQUIRED, parse_ideas, parse_partner, parse_respondent,
    respondent_required_messages,
};

#[cfg(test)]
mod tests;
