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

/// One piece of a call's first screen. The widget, the loader (which draws
/// the screen from the call definition's `first_screen` before the form's
/// code arrives) and the server's form all show [`first_screen`], each in
/// its own markup.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// The page's heading.
    Heading { text: String },
    /// A paragraph.
    Text { text: String },
    /// A paragraph in bold: the deadline, or why the call takes no ideas.
    Strong { text: String },
    /// A heading within the page.
    Subheading { text: String },
    /// A paragraph holding one link, which opens in a new tab.
    Link { text: String, href: String },
    /// The button that goes on to the first question.
    Start { text: String },
}

/// The call's first screen: its title, introduction, deadline and limits,
/// how ideas are published and the privacy notice, then "Start now"; when
/// the call is not open, why and when it is (and no button).
pub fn first_screen(call: &crate::CallDefinition) -> Vec<Block> {
    use crate::CallStatus;
    use crate::questions as q;
    let text = |text: String| Block::Text { text };
    let mut blocks = vec![Block::Heading {
        text: match call.status {
            CallStatus::Open => call.title.clone(),
            CallStatus::NotYetOpen => q::not_open_yet_heading(&call.title),
            CallStatus::Closed => q::closed_heading(&call.title),
        },
    }];
    blocks.extend(
        call.intro
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| text(p.to_owned())),
    );
    match call.status {
        CallStatus::NotYetOpen => blocks.push(Block::Strong {
            text: q::not_open_yet(&call.opens_text, &call.closes_text),
        }),
        CallStatus::Closed => blocks.push(Block::Strong {
            text: q::closed(&call.closes_text),
        }),
        CallStatus::Open => blocks.extend([
            Block::Strong {
                text: q::deadline(&call.closes_text),
            },
            text(q::limits(call.limits.max_ideas, call.limits.max_words)),
            Block::Subheading {
                text: q::HOW_PUBLISHED_HEADING.to_owned(),
            },
            text(q::HOW_PUBLISHED.to_owned()),
            Block::Link {
                text: q::PRIVACY_LINK.to_owned(),
                href: call.privacy_notice_url.clone(),
            },
            Block::Start {
                text: q::START.to_owned(),
            },
        ]),
    }
    blocks
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

    #[test]
    fn the_first_screen_says_what_the_call_is_and_when_it_takes_ideas() {
        let mut call: crate::CallDefinition = serde_json::from_value(serde_json::json!({
            "id": "c", "title": "Tell us", "intro": "One.\n\n  Two. \n\n",
            "opens": "2021-01-01T00:00:00Z", "closes": "2021-12-15T17:00:00Z",
            "opens_text": "1 January", "closes_text": "15 December",
            "is_open": true, "status": "open", "limits": {"max_ideas": 3, "max_words": 250},
            "themes": [], "perspectives": [], "guidance": [],
            "privacy_notice_url": "https://example.org/privacy", "support": []
        }))
        .expect("a call definition");
        let open = first_screen(&call);
        assert_eq!(
            open[0],
            Block::Heading {
                text: "Tell us".into()
            }
        );
        assert_eq!(
            open[1],
            Block::Text {
                text: "One.".into()
            }
        );
        assert_eq!(
            open[2],
            Block::Text {
                text: "Two.".into()
            }
        );
        assert_eq!(
            open[3],
            Block::Strong {
                text: crate::questions::deadline("15 December")
            }
        );
        assert!(open.contains(&Block::Link {
            text: crate::questions::PRIVACY_LINK.into(),
            href: "https://example.org/privacy".into()
        }));
        assert_eq!(
            open.last(),
            Some(&Block::Start {
                text: crate::questions::START.into()
            })
        );
        assert_eq!(
            serde_json::to_value(&open[0]).expect("json"),
            serde_json::json!({"kind": "heading", "text": "Tell us"})
        );

        call.status = crate::CallStatus::Closed;
        let closed = first_screen(&call);
        assert_eq!(
            closed[0],
            Block::Heading {
                text: crate::questions::closed_heading("Tell us")
            }
        );
        assert_eq!(
            closed.last(),
            Some(&Block::Strong {
                text: crate::questions::closed("15 December")
            })
        );
        assert!(!closed.iter().any(|b| matches!(b, Block::Start { .. })));

        call.status = crate::CallStatus::NotYetOpen;
        let early = first_screen(&call);
        assert_eq!(
            early[0],
            Block::Heading {
                text: crate::questions::not_open_yet_heading("Tell us")
            }
        );
        assert_eq!(
            early.last(),
            Some(&Block::Strong {
                text: crate::questions::not_open_yet("1 January", "15 December")
            })
        );
        assert_eq!(early.len(), 4);
    }
}
