//! Parsing the raw form into a valid submission: each field's checks and
//! the sentence a person reads when one fails.

use super::{
    AgeBand, Capacity, Idea, Identity, RawIdea, RawRespondent, Respondent, is_id, looks_like_email,
};
use crate::call::CallRules;
use crate::errors::{ErrorCode, FieldError};
use crate::limits::{
    MAX_DESCRIPTION_CHARS, MAX_EMAIL_CHARS, MAX_FIELD_ERRORS, MAX_NAME_CHARS, MAX_PERSPECTIVES,
    MAX_TITLE_CHARS,
};
use crate::text::{Lines, TextProblem, clean};
use crate::words::count_words;

pub(super) const PUBLICATION_REQUIRED: &str =
    "Select how you would like your ideas to be published";
pub(super) const CAPACITY_REQUIRED: &str =
    "Select whether you are answering as an individual or on behalf of an organisation";
pub(super) const PERSPECTIVES_REQUIRED: &str =
    "Select at least one that applies to you, or 'Other'";
pub(super) const AGE_REQUIRED: &str = "Select your age group, or 'Prefer not to say'";

pub(super) fn respondent_required_messages() -> [(&'static str, ErrorCode, &'static str); 3] {
    [
        ("capacity", ErrorCode::Required, CAPACITY_REQUIRED),
        ("perspectives", ErrorCode::Required, PERSPECTIVES_REQUIRED),
        ("age_band", ErrorCode::Required, AGE_REQUIRED),
    ]
}

#[derive(Default)]
pub(super) struct Errors(pub(super) Vec<FieldError>);

impl Errors {
    pub(super) fn push(
        &mut self,
        pointer: impl Into<String>,
        code: ErrorCode,
        detail: impl Into<String>,
    ) {
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

pub(super) fn parse_partner(raw: Option<&str>, errors: &mut Errors) -> Option<String> {
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

pub(super) fn parse_respondent(
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

pub(super) fn parse_ideas(
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
