//! The public contract's names, shared by the server and the widget: problem
//! types, the call definition's optional presentation fields, and the words
//! people see for wire values. The widget reads and writes JSON by hand (for
//! size) but takes every name from here.

use serde::{Deserialize, Serialize};

use crate::model::{AgeBand, Capacity, Publication, effective_publication};

/// The `type` of every problem document the server sends (see the README's
/// error table). The widget decides what to do by these, never by status
/// alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemType {
    MalformedRequest,
    IdempotencyKeyMissing,
    Unauthorized,
    PartnerNotAllowed,
    NotFound,
    MethodNotAllowed,
    BodyTimeout,
    CallNotOpenYet,
    CallClosed,
    RequestInFlight,
    BodyTooLarge,
    UnsupportedMediaType,
    Validation,
    IdempotencyKeyReused,
    SubmissionErased,
    TooManyRequests,
    StorageUnavailable,
}

impl ProblemType {
    /// Every problem type, in the README's order.
    pub const ALL: &'static [ProblemType] = &[
        Self::MalformedRequest,
        Self::IdempotencyKeyMissing,
        Self::Unauthorized,
        Self::PartnerNotAllowed,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::BodyTimeout,
        Self::CallNotOpenYet,
        Self::CallClosed,
        Self::RequestInFlight,
        Self::BodyTooLarge,
        Self::UnsupportedMediaType,
        Self::Validation,
        Self::IdempotencyKeyReused,
        Self::SubmissionErased,
        Self::TooManyRequests,
        Self::StorageUnavailable,
    ];

    /// The `type` as sent: `/problems/{code}`.
    pub const fn uri(self) -> &'static str {
        match self {
            Self::MalformedRequest => "/problems/malformed-request",
            Self::IdempotencyKeyMissing => "/problems/idempotency-key-missing",
            Self::Unauthorized => "/problems/unauthorized",
            Self::PartnerNotAllowed => "/problems/partner-not-allowed",
            Self::NotFound => "/problems/not-found",
            Self::MethodNotAllowed => "/problems/method-not-allowed",
            Self::BodyTimeout => "/problems/body-timeout",
            Self::CallNotOpenYet => "/problems/call-not-open-yet",
            Self::CallClosed => "/problems/call-closed",
            Self::RequestInFlight => "/problems/request-in-flight",
            Self::BodyTooLarge => "/problems/body-too-large",
            Self::UnsupportedMediaType => "/problems/unsupported-media-type",
            Self::Validation => "/problems/validation",
            Self::IdempotencyKeyReused => "/problems/idempotency-key-reused",
            Self::SubmissionErased => "/problems/submission-erased",
            Self::TooManyRequests => "/problems/too-many-requests",
            Self::StorageUnavailable => "/problems/storage-unavailable",
        }
    }

    /// The machine-readable code: the last part of the URI, e.g.
    /// `partner-not-allowed` (also the `code` of the widget's `cfi:error`).
    pub fn code(self) -> &'static str {
        &self.uri()[PROBLEMS_PATH.len()..]
    }

    /// Reads a `type`, relative (`/problems/x`) or absolute
    /// (`https://host/problems/x`); `None` for a type this contract does not
    /// define.
    pub fn from_uri(uri: &str) -> Option<Self> {
        let (_, code) = uri.trim_end_matches('/').rsplit_once(PROBLEMS_PATH)?;
        Self::ALL.iter().copied().find(|t| t.code() == code)
    }
}

/// Where problem types live on the server.
pub const PROBLEMS_PATH: &str = "/problems/";

/// The language of the widget's own text when the call definition does not
/// say (its optional `lang` field).
pub const DEFAULT_LANG: &str = "en";

/// The direction of the widget's own text (the call definition's optional
/// `dir` field; `ltr` when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextDirection {
    #[default]
    Ltr,
    Rtl,
}

impl TextDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ltr => "ltr",
            Self::Rtl => "rtl",
        }
    }

    pub fn from_wire(text: &str) -> Option<Self> {
        match text {
            "ltr" => Some(Self::Ltr),
            "rtl" => Some(Self::Rtl),
            _ => None,
        }
    }
}

/// Whether `text` can be a `lang` attribute: a BCP 47 shape (letters,
/// digits and hyphens, starting with 2 or 3 letters), at most 35 characters
/// (the longest tag the registry's rules allow in practice).
pub fn is_language_tag(text: &str) -> bool {
    let primary = text.split('-').next().unwrap_or_default();
    text.len() <= 35
        && (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && text.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

impl Capacity {
    /// The words people see for this capacity (forms and staff pages).
    pub fn label(self) -> &'static str {
        match self {
            Self::Individual => "As an individual",
            Self::Organisation => "On behalf of an organisation",
        }
    }
}

/// How ideas will be published, as far as the answers so far say: the
/// under-18 rule (see [`effective_publication`]) applied to a choice and an
/// age band that may not be given yet. `None` while nothing decides it.
pub fn publication_shown(
    chosen: Option<Publication>,
    age_band: Option<AgeBand>,
) -> Option<Publication> {
    match (chosen, age_band) {
        (Some(c), Some(a)) => Some(effective_publication(c, a)),
        (None, Some(a)) if a.is_under_18() => Some(Publication::Anonymous),
        (c, _) => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_types_round_trip_through_their_uris() {
        for t in ProblemType::ALL {
            assert_eq!(ProblemType::from_uri(t.uri()), Some(*t));
            assert_eq!(
                ProblemType::from_uri(&format!("https://review.example{}", t.uri())),
                Some(*t)
            );
        }
        assert_eq!(
            ProblemType::PartnerNotAllowed.uri(),
            "/problems/partner-not-allowed"
        );
        assert_eq!(ProblemType::from_uri("/problems/something-new"), None);
        assert_eq!(ProblemType::from_uri("about:blank"), None);
    }

    #[test]
    fn directions_and_language_tags_are_read_strictly() {
        assert_eq!(TextDirection::from_wire("rtl"), Some(TextDirection::Rtl));
        assert_eq!(TextDirection::from_wire("RTL"), None);
        assert_eq!(TextDirection::default().as_str(), "ltr");
        for ok in ["en", "cy", "en-GB", "zh-Hant-TW"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "e", "english", "en_GB", "en-", "\"><x"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn under_18s_are_shown_as_anonymous_whatever_they_chose() {
        use Publication::*;
        assert_eq!(
            publication_shown(Some(Named), Some(AgeBand::From16To17)),
            Some(Anonymous)
        );
        assert_eq!(
            publication_shown(None, Some(AgeBand::Under16)),
            Some(Anonymous)
        );
        assert_eq!(
            publication_shown(Some(Named), Some(AgeBand::From18To25)),
            Some(Named)
        );
        assert_eq!(publication_shown(Some(Named), None), Some(Named));
        assert_eq!(publication_shown(None, None), None);
    }

    #[test]
    fn capacities_have_the_words_people_see() {
        assert_eq!(Capacity::Individual.label(), "As an individual");
        assert_eq!(
            Capacity::Organisation.label(),
            "On behalf of an organisation"
        );
    }
}
