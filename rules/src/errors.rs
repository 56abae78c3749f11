//! Field-level validation errors, as the server sends them in a 422 body and as
//! the widget shows them next to each field.

use serde::{Deserialize, Serialize};

/// Why a field was refused. Serialized in snake_case; part of the public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A required field is missing or empty.
    Required,
    /// The value is not one of the allowed choices.
    InvalidChoice,
    /// Too many characters.
    TooLong,
    /// An idea description has more words than the call allows.
    TooManyWords,
    /// More ideas than the call allows.
    TooManyIdeas,
    /// Control or text-direction override characters.
    ControlCharacters,
    /// Not an email address.
    InvalidEmail,
    /// A confirmation that must be given (privacy notice read).
    MustBeTrue,
    /// The same value twice in a list.
    Duplicate,
    /// A field that does not belong with the other answers.
    Unexpected,
    /// The JSON value has the wrong type (a number where text belongs, ...).
    InvalidType,
    /// A field the API does not know.
    UnknownField,
}

impl ErrorCode {
    /// Every code, for documentation (the OpenAPI description lists them).
    pub const ALL: &'static [ErrorCode] = &[
        Self::Required,
        Self::InvalidChoice,
        Self::TooLong,
        Self::TooManyWords,
        Self::TooManyIdeas,
        Self::ControlCharacters,
        Self::InvalidEmail,
        Self::MustBeTrue,
        Self::Duplicate,
        Self::Unexpected,
        Self::InvalidType,
        Self::UnknownField,
    ];

    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::InvalidChoice => "invalid_choice",
            Self::TooLong => "too_long",
            Self::TooManyWords => "too_many_words",
            Self::TooManyIdeas => "too_many_ideas",
            Self::ControlCharacters => "control_characters",
            Self::InvalidEmail => "invalid_email",
            Self::MustBeTrue => "must_be_true",
            Self::Duplicate => "duplicate",
            Self::Unexpected => "unexpected",
            Self::InvalidType => "invalid_type",
            Self::UnknownField => "unknown_field",
        }
    }

    /// Reads the snake_case name; `None` for a code this version does not
    /// define (a reader must not take it for another).
    pub fn from_wire(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// JSON pointer in URI fragment form, e.g. `#/ideas/0/description`.
    pub pointer: String,
    pub code: ErrorCode,
    /// A sentence that tells the person what to do.
    pub detail: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            code,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn names_match_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).expect("serializes");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(*code));
        }
        assert_eq!(ErrorCode::from_wire("too_shiny"), None);
    }
}
