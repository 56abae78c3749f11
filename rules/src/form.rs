//! The form's steps, shared by the widget and the server's form: which
//! step shows which field, the id of a field's control, and the word count
//! people see under a description. An error from [`crate::Submission::parse`]
//! points at a field with a JSON pointer; both forms show it on the step
//! [`step_of_pointer`] names, next to the control [`field_id`] names.

use crate::{CallRules, Capacity, FieldError, RawSubmission, Submission};

/// The steps of the form, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Start,
    AboutYou,
    Ideas,
    Publishing,
    Check,
    Done,
}

impl Step {
    /// The name stored with a saved draft.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Start => "start",
            Step::AboutYou => "about_you",
            Step::Ideas => "ideas",
            Step::Publishing => "publishing",
            Step::Check => "check",
            Step::Done => "done",
        }
    }

    pub fn from_name(name: &str) -> Option<Step> {
        [
            Step::Start,
            Step::AboutYou,
            Step::Ideas,
            Step::Publishing,
            Step::Check,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// The step before this one, for the "Back" link.
    pub fn previous(self) -> Option<Step> {
        match self {
            Step::Start | Step::Done => None,
            Step::AboutYou => Some(Step::Start),
            Step::Ideas => Some(Step::AboutYou),
            Step::Publishing => Some(Step::Ideas),
            Step::Check => Some(Step::Publishing),
        }
    }

    /// The step after this one once its answers are valid.
    pub fn next(self) -> Step {
        match self {
            Step::Start => Step::AboutYou,
            Step::AboutYou => Step::Ideas,
            Step::Ideas => Step::Publishing,
            Step::Publishing => Step::Check,
            Step::Check | Step::Done => Step::Done,
        }
    }

    /// Whether an error at `pointer` belongs to this step.
    pub fn owns(self, pointer: &str) -> bool {
        step_of_pointer(pointer) == Some(self)
    }
}

/// The step that shows the field an error points at (`None` for fields no
/// step shows, such as the partner).
pub fn step_of_pointer(pointer: &str) -> Option<Step> {
    let path = pointer.trim_start_matches('#').trim_start_matches('/');
    let head = path.split('/').next().unwrap_or_default();
    match head {
        "respondent" => Some(Step::AboutYou),
        "ideas" => Some(Step::Ideas),
        "publication" | "privacy_notice_read" => Some(Step::Publishing),
        _ => None,
    }
}

/// The id of the form control an error points at: `#/ideas/0/description`
/// is `ideas-0-description`; an item of a list of checkboxes
/// (`#/respondent/perspectives/2`) is the list's first checkbox,
/// `respondent-perspectives`.
pub fn field_id(pointer: &str) -> String {
    let path = pointer.trim_start_matches('#').trim_start_matches('/');
    let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.first() == Some(&"respondent")
        && parts.get(1) == Some(&"perspectives")
        && parts.len() > 2
    {
        parts.truncate(2);
    }
    if parts.is_empty() {
        return "form".into();
    }
    parts.join("-")
}

/// "You have 3 words remaining" / "You have 1 word too many", and whether the
/// description is over the limit.
pub fn word_count_message(text: &str, max: usize) -> (String, bool) {
    let words = crate::count_words(text);
    let plural = |n: usize| if n == 1 { "word" } else { "words" };
    if words > max {
        let n = words - max;
        (format!("You have {n} {} too many", plural(n)), true)
    } else {
        let n = max - words;
        (format!("You have {n} {} remaining", plural(n)), false)
    }
}

/// The body a form sends for `answers`: the organisation only for
/// organisations, blank optional answers as null, an empty list of
/// perspectives rather than none, and the empty honeypot.
pub fn as_sent(answers: &RawSubmission, partner: Option<&str>) -> RawSubmission {
    let mut raw = answers.clone();
    raw.partner = partner.map(str::to_owned);
    raw.website = Some(String::new());
    let blank_to_none = |s: &mut Option<String>| {
        if s.as_deref().is_some_and(|t| t.trim().is_empty()) {
            *s = None;
        }
    };
    if let Some(r) = raw.respondent.as_mut() {
        if r.capacity.as_deref().and_then(Capacity::from_wire) == Some(Capacity::Individual) {
            r.organisation = None;
        }
        blank_to_none(&mut r.email);
        blank_to_none(&mut r.organisation);
        blank_to_none(&mut r.name);
        if r.perspectives.is_none() {
            r.perspectives = Some(Vec::new());
        }
    }
    if let Some(ideas) = raw.ideas.as_mut() {
        for idea in ideas {
            blank_to_none(&mut idea.theme);
        }
    }
    raw
}

/// Every problem with the answers `step` shows (every answer for the check
/// step), by [`Submission::parse`] on the body that would be sent.
pub fn errors_for(
    answers: &RawSubmission,
    step: Step,
    partner: Option<&str>,
    rules: &CallRules,
) -> Vec<FieldError> {
    match Submission::parse(&as_sent(answers, partner), rules) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .filter(|e| step == Step::Check || step.owns(&e.pointer))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_map_to_fields_and_steps() {
        assert_eq!(field_id("#/respondent/name"), "respondent-name");
        assert_eq!(
            field_id("#/respondent/perspectives/3"),
            "respondent-perspectives"
        );
        assert_eq!(field_id("#/ideas/1/theme"), "ideas-1-theme");
        assert_eq!(field_id("#/ideas"), "ideas");
        assert_eq!(field_id("#/privacy_notice_read"), "privacy_notice_read");
        assert_eq!(field_id("#/"), "form");
        assert_eq!(step_of_pointer("#/ideas/0/title"), Some(Step::Ideas));
        assert_eq!(
            step_of_pointer("#/respondent/age_band"),
            Some(Step::AboutYou)
        );
        assert_eq!(step_of_pointer("#/publication"), Some(Step::Publishing));
        assert_eq!(step_of_pointer("#/partner"), None);
    }

    #[test]
    fn steps_round_trip_and_chain() {
        let mut s = Step::Start;
        let mut seen = vec![s];
        while s != Step::Done {
            s = s.next();
            seen.push(s);
        }
        assert_eq!(seen.len(), 6);
        for s in &seen[..5] {
            assert_eq!(Step::from_name(s.as_str()), Some(*s));
        }
        assert_eq!(Step::from_name("done"), None);
        assert_eq!(Step::Check.previous(), Some(Step::Publishing));
        assert_eq!(Step::Start.previous(), None);
    }

    #[test]
    fn word_count_messages() {
        assert_eq!(
            word_count_message("", 250),
            ("You have 250 words remaining".into(), false)
        );
        assert_eq!(
            word_count_message("a b c d", 5),
            ("You have 1 word remaining".into(), false)
        );
        assert_eq!(
            word_count_message("a b c d e f", 5),
            ("You have 1 word too many".into(), true)
        );
        assert_eq!(
            word_count_message("a b c d e f g", 5),
            ("You have 2 words too many".into(), true)
        );
    }
}
