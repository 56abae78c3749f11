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
use crate::limits::{
    MAX_DESCRIPTION_CHARS, MAX_EMAIL_CHARS, MAX_FIELD_ERRORS, MAX_ID_CHARS, MAX_NAME_CHARS,
    MAX_PERSPECTIVES, MAX_TITLE_CHARS,
};
use crate::text::{Lines, TextProblem, clean};
use crate::words::count_words;

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

const PUBLICATION_REQUIRED: &str = "Select how you would like your ideas to be published";
const CAPACITY_REQUIRED: &str =
    "Select whether you are answering as an individual or on behalf of an organisation";
const PERSPECTIVES_REQUIRED: &str = "Select at least one that applies to you, or 'Other'";
const AGE_REQUIRED: &str = "Select your age group, or 'Prefer not to say'";

fn respondent_required_messages() -> [(&'static str, ErrorCode, &'static str); 3] {
    [
        ("capacity", ErrorCode::Required, CAPACITY_REQUIRED),
        ("perspectives", ErrorCode::Required, PERSPECTIVES_REQUIRED),
        ("age_band", ErrorCode::Required, AGE_REQUIRED),
    ]
}

#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, pointer: impl Into<String>, code: ErrorCode, detail: impl Into<String>) {
        if self.0.len() < MAX_FIELD_ERRORS {
            self.0.push(FieldError::new(pointer, code, detail));
        }
    }

    /// Cleans a text field, reporting problems; `None` if it is unusable or
    /// empty.
    fn text(
        &mut self,
        pointer: &str,
        raw: Option<&str>,
        lines: Lines,
        max_chars: usize,
        required: Option<&str>,
    ) -> Option<String> {
        match clean(raw.unwrap_or(""), lines) {
            Ok(text) if text.chars().count() > max_chars => {
                self.push(
                    pointer,
                    ErrorCode::TooLong,
                    format!("This must be {max_chars} characters or fewer"),
                );
                None
            }
            Ok(text) => Some(text),
            Err(TextProblem::Empty) => {
                if let Some(message) = required {
                    self.push(pointer, ErrorCode::Required, message);
                }
                None
            }
            Err(TextProblem::ControlCharacters) => {
                self.push(
                    pointer,
                    ErrorCode::ControlCharacters,
                    "Remove the hidden control characters from this answer (they can come from copying and pasting)",
                );
                None
            }
        }
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

fn parse_partner(raw: Option<&str>, errors: &mut Errors) -> Option<String> {
    let text = raw.map(str::trim).filter(|t| !t.is_empty())?;
    if is_id(text) {
        Some(text.to_owned())
    } else {
        errors.push(
            "#/partner",
            ErrorCode::InvalidChoice,
            "The partner is not one of this call's partners: check the data-partner attribute",
        );
        None
    }
}

fn parse_respondent(
    raw: &RawRespondent,
    rules: &CallRules,
    errors: &mut Errors,
) -> Option<Respondent> {
    let capacity = match raw.capacity.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(
                "#/respondent/capacity",
                ErrorCode::Required,
                CAPACITY_REQUIRED,
            );
            None
        }
        Some(text) => {
            let parsed = Capacity::from_wire(text);
            if parsed.is_none() {
                errors.push(
                    "#/respondent/capacity",
                    ErrorCode::InvalidChoice,
                    CAPACITY_REQUIRED,
                );
            }
            parsed
        }
    };
    let identity = match capacity {
        Some(Capacity::Individual) => {
            if raw
                .organisation
                .as_deref()
                .is_some_and(|o| !o.trim().is_empty())
            {
                errors.push(
                    "#/respondent/organisation",
                    ErrorCode::Unexpected,
                    "Leave the organisation empty when answering as an individual, or choose 'on behalf of an organisation'",
                );
            }
            errors
                .text(
                    "#/respondent/name",
                    raw.name.as_deref(),
                    Lines::Single,
                    MAX_NAME_CHARS,
                    Some("Enter your name"),
                )
                .map(|name| Identity::Individual { name })
        }
        Some(Capacity::Organisation) => {
            let contact_name = errors.text(
                "#/respondent/name",
                raw.name.as_deref(),
                Lines::Single,
                MAX_NAME_CHARS,
                None,
            );
            errors
                .text(
                    "#/respondent/organisation",
                    raw.organisation.as_deref(),
                    Lines::Single,
                    MAX_NAME_CHARS,
                    Some("Enter the name of your organisation"),
                )
                .map(|organisation| Identity::Organisation {
                    organisation,
                    contact_name,
                })
        }
        None => None,
    };
    let email = parse_email(raw.email.as_deref(), errors);
    let perspectives = parse_perspectives(raw.perspectives.as_deref(), rules, errors);
    let age_band = match raw.age_band.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push("#/respondent/age_band", ErrorCode::Required, AGE_REQUIRED);
            None
        }
        Some(text) => {
            let parsed = AgeBand::from_wire(text);
            if parsed.is_none() {
                errors.push(
                    "#/respondent/age_band",
                    ErrorCode::InvalidChoice,
                    AGE_REQUIRED,
                );
            }
            parsed
        }
    };
    Some(Respondent {
        identity: identity?,
        email: email.ok()?,
        perspectives: perspectives?,
        age_band: age_band?,
    })
}

/// `Ok(None)` when no email was given; `Err` when one was given and is wrong.
fn parse_email(raw: Option<&str>, errors: &mut Errors) -> Result<Option<String>, ()> {
    const POINTER: &str = "#/respondent/email";
    let Some(text) = errors.text(POINTER, raw, Lines::Single, MAX_EMAIL_CHARS, None) else {
        let blank = raw.is_none_or(|r| r.trim().is_empty());
        return if blank { Ok(None) } else { Err(()) };
    };
    if looks_like_email(&text) {
        Ok(Some(text))
    } else {
        errors.push(
            POINTER,
            ErrorCode::InvalidEmail,
            "Enter an email address in the correct format, like name@example.com, or leave it empty",
        );
        Err(())
    }
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

fn parse_perspectives(
    raw: Option<&[String]>,
    rules: &CallRules,
    errors: &mut Errors,
) -> Option<Vec<String>> {
    const POINTER: &str = "#/respondent/perspectives";
    let list = raw.unwrap_or_default();
    if list.is_empty() {
        errors.push(POINTER, ErrorCode::Required, PERSPECTIVES_REQUIRED);
        return None;
    }
    if list.len() > MAX_PERSPECTIVES.min(rules.perspectives.len().max(1)) {
        errors.push(
            POINTER,
            ErrorCode::TooLong,
            "Select each perspective only once",
        );
        return None;
    }
    let mut seen: Vec<String> = Vec::with_capacity(list.len());
    let mut ok = true;
    for (i, item) in list.iter().enumerate() {
        let id = item.trim();
        if !rules.perspectives.iter().any(|p| p == id) {
            errors.push(
                format!("{POINTER}/{i}"),
                ErrorCode::InvalidChoice,
                "Select perspectives from the list",
            );
            ok = false;
        } else if seen.iter().any(|s| s == id) {
            errors.push(
                format!("{POINTER}/{i}"),
                ErrorCode::Duplicate,
                "Select each perspective only once",
            );
            ok = false;
        } else {
            seen.push(id.to_owned());
        }
    }
    ok.then_some(seen)
}

fn parse_ideas(
    raw: Option<&[RawIdea]>,
    rules: &CallRules,
    errors: &mut Errors,
) -> Option<Vec<Idea>> {
    let list = raw.unwrap_or_default();
    let max = rules.limits.max_ideas;
    if list.is_empty() {
        errors.push("#/ideas", ErrorCode::Required, "Add at least one idea");
        return None;
    }
    if list.len() > max {
        errors.push(
            "#/ideas",
            ErrorCode::TooManyIdeas,
            format!(
                "You can send up to {max} ideas – remove {}",
                list.len() - max
            ),
        );
        return None;
    }
    let mut ideas = Vec::with_capacity(list.len());
    for (i, raw_idea) in list.iter().enumerate() {
        if let Some(idea) = parse_idea(i, raw_idea, rules, errors) {
            ideas.push(idea);
        }
    }
    (ideas.len() == list.len()).then_some(ideas)
}

fn parse_idea(i: usize, raw: &RawIdea, rules: &CallRules, errors: &mut Errors) -> Option<Idea> {
    let n = i + 1;
    let title = errors.text(
        &format!("#/ideas/{i}/title"),
        raw.title.as_deref(),
        Lines::Single,
        MAX_TITLE_CHARS,
        Some(&format!("Enter a short title for idea {n}")),
    );
    let theme = match raw.theme.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(id) if rules.themes.iter().any(|t| t == id) => Ok(Some(id.to_owned())),
        Some(_) => {
            errors.push(
                format!("#/ideas/{i}/theme"),
                ErrorCode::InvalidChoice,
                "Select a theme from the list, or leave it empty",
            );
            Err(())
        }
    };
    let pointer = format!("#/ideas/{i}/description");
    // Words are checked before characters: "remove 30 words" helps a person
    // more than a character count they cannot see.
    let description = errors.text(
        &pointer,
        raw.description.as_deref(),
        Lines::Multi,
        usize::MAX,
        Some(&format!("Describe idea {n}")),
    );
    let description = description.and_then(|text| {
        let words = count_words(&text);
        let max = rules.limits.max_words;
        if words <= max && text.chars().count() > MAX_DESCRIPTION_CHARS {
            errors.push(
                pointer,
                ErrorCode::TooLong,
                format!("Idea {n} must be {MAX_DESCRIPTION_CHARS} characters or fewer"),
            );
            None
        } else if words > max {
            errors.push(
                pointer,
                ErrorCode::TooManyWords,
                format!(
                    "Idea {n} must be {max} words or fewer – it has {words}, so remove {}",
                    words - max
                ),
            );
            None
        } else {
            Some((text, words))
        }
    });
    let (description, words) = description?;
    Some(Idea {
        title: title?,
        theme: theme.ok()?,
        description,
        words,
    })
}

#[cfg(test)]
mod tests;
