//! Every question, hint, choice and heading of the form, in one place: the
//! widget and the server's own form (for people without WebAssembly or
//! JavaScript) both show these, so the two can never ask different
//! questions. Error sentences come from [`crate::Submission::parse`], which
//! both run. The call's own words (title, introduction, themes,
//! perspectives, guidance, helplines) come from its definition.

/// A question with its label (or legend) and hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    /// The control's id and name (see [`crate::form::field_id`]).
    pub id: &'static str,
    pub label: &'static str,
    pub hint: Option<&'static str>,
}

// The first screen.

/// "Send your ideas by 5pm on 15 December 2021 (UK time)."
pub fn deadline(closes_text: &str) -> String {
    format!("Send your ideas by {closes_text}.")
}

/// How many ideas and words the call takes.
pub fn limits(max_ideas: usize, max_words: usize) -> String {
    format!("You can send up to {max_ideas} ideas. Each idea can be up to {max_words} words.")
}

pub const HOW_PUBLISHED_HEADING: &str = "How your ideas will be published";
pub const HOW_PUBLISHED: &str = "At the end of the review, every idea will be published in full, with your name or your organisation's name, unless you ask for it to be published anonymously. Ideas from people under 18 are always published anonymously. Your email address and age are never published.";
/// A link that opens the call's privacy notice.
pub const PRIVACY_LINK: &str = "Read the privacy notice (opens in new tab)";
/// The first screen's button.
pub const START: &str = "Start now";
/// Every other step's button.
pub const CONTINUE: &str = "Continue";
pub const BACK: &str = "Back";

/// The call is not open yet: when it will be.
pub fn not_open_yet(opens_text: &str, closes_text: &str) -> String {
    format!("You can send your ideas from {opens_text} until {closes_text}.")
}

/// The first screen's heading before the call opens.
pub fn not_open_yet_heading(title: &str) -> String {
    format!("{title} is not open yet")
}

/// The first screen's heading after the call closed.
pub fn closed_heading(title: &str) -> String {
    format!("{title} has closed")
}

/// The call has closed.
pub fn closed(closes_text: &str) -> String {
    format!("This call for ideas closed at {closes_text}. You can no longer send ideas.")
}

// About you.

pub const ABOUT_YOU_HEADING: &str = "About you";
pub const CAPACITY: Question = Question {
    id: "respondent-capacity",
    label: "Are you answering as an individual or on behalf of an organisation?",
    hint: None,
};
pub const ORGANISATION: Question = Question {
    id: "respondent-organisation",
    label: "Name of your organisation",
    hint: Some("We publish this with your ideas, unless you choose to be anonymous."),
};
/// A person's name when they answer for an organisation.
pub const NAME_FOR_ORGANISATION: Question = Question {
    id: "respondent-name",
    label: "Your name (optional)",
    hint: Some(
        "So that we know who to contact. We never publish it when you answer for an organisation.",
    ),
};
pub const NAME: Question = Question {
    id: "respondent-name",
    label: "Your name",
    hint: Some("We publish this with your ideas, unless you choose to be anonymous."),
};
pub const EMAIL: Question = Question {
    id: "respondent-email",
    label: "Email address (optional)",
    hint: Some("Only for us to contact you about your ideas. It is never published."),
};
pub const PERSPECTIVES: Question = Question {
    id: "respondent-perspectives",
    label: "Which of these describe you?",
    hint: Some("Select all that apply."),
};
pub const AGE_BAND: Question = Question {
    id: "respondent-age_band",
    label: "How old are you?",
    hint: Some(
        "Your age is never published. If you are under 18, your ideas will always be published anonymously, whatever you choose later.",
    ),
};

// Your ideas.

pub const IDEAS_HEADING: &str = "Your ideas";

pub fn ideas_intro(max_ideas: usize) -> String {
    format!(
        "Tell us what should change. You can send up to {max_ideas} ideas. Structure each one however you like."
    )
}

/// "Idea 2" (`n` counts from 1).
pub fn idea_heading(n: usize) -> String {
    format!("Idea {n}")
}

pub fn idea_title(n: usize) -> String {
    format!("Title of idea {n}")
}

pub const IDEA_TITLE_HINT: &str = "A short headline for your idea.";

pub fn idea_theme(n: usize) -> String {
    format!("Theme of idea {n} (optional)")
}

/// The empty first choice of a theme list.
pub const CHOOSE_THEME: &str = "Choose a theme";

pub fn idea_description(n: usize) -> String {
    format!("Describe idea {n}")
}

/// Above the call's guidance under a description.
pub const YOU_COULD_COVER: &str = "You could cover:";

pub fn word_limit(max_words: usize) -> String {
    format!("You can enter up to {max_words} words")
}

pub const ADD_IDEA: &str = "Add another idea";

pub fn remove_idea(n: usize) -> String {
    format!("Remove idea {n}")
}

pub fn most_ideas(max_ideas: usize) -> String {
    format!("You have added the most ideas you can send ({max_ideas}).")
}

// Publishing and privacy.

pub const PUBLISHING_HEADING: &str = "Publishing and privacy";
pub const UNDER_18: &str =
    "Because you are under 18, your ideas will be published anonymously, whatever you choose here.";
pub const PUBLICATION: Question = Question {
    id: "publication",
    label: "How would you like your ideas to be published?",
    hint: Some("At the end of the review, every idea is published in full."),
};

/// The "named" choice and its hint, for a person or an organisation.
pub fn named(organisation: bool) -> (&'static str, &'static str) {
    if organisation {
        (
            "With my organisation's name",
            "Your organisation's name will be shown next to your ideas.",
        )
    } else {
        (
            "With my name",
            "Your name will be shown next to your ideas.",
        )
    }
}

pub const ANONYMOUS: (&str, &str) = (
    "Anonymously",
    "Your ideas will be published without any name.",
);
pub const PRIVACY_EXPLAINED: &str =
    "The privacy notice explains how your answers are used and kept, and your rights. ";
pub const PRIVACY_NOTICE: Question = Question {
    id: "privacy_notice_read",
    label: "Privacy notice",
    hint: None,
};
pub const PRIVACY_READ: &str = "I have read the privacy notice";

// Check your answers.

pub const CHECK_HEADING: &str = "Check your answers before sending your ideas";
pub const CHANGE: &str = "Change";
pub const ROW_CAPACITY: &str = "Answering";
pub const ROW_ORGANISATION: &str = "Organisation";
pub const ROW_NAME: &str = "Name";
pub const ROW_EMAIL: &str = "Email address";
pub const ROW_PERSPECTIVES: &str = "Which of these describe you";
pub const ROW_AGE: &str = "Age";
pub const ROW_PUBLISHED: &str = "Published";
pub const ROW_PRIVACY: &str = "Privacy notice";
pub const PRIVACY_WAS_READ: &str = "Read";
pub const PRIVACY_NOT_READ: &str = "Not read";
pub const NO_THEME: &str = "None";

pub fn row_title(n: usize) -> String {
    format!("Title of idea {n}")
}

pub fn row_theme(n: usize) -> String {
    format!("Theme of idea {n}")
}

pub fn row_description(n: usize) -> String {
    format!("Description of idea {n}")
}

/// How the ideas will be published, in the check-your-answers list.
pub fn published_as(anonymous: bool, under_18: bool, organisation: bool) -> &'static str {
    match (anonymous, under_18) {
        (true, true) => "Anonymously (you are under 18)",
        (true, false) => ANONYMOUS.0,
        (false, _) => named(organisation).0,
    }
}

pub const SEND_HEADING: &str = "Now send your ideas";
pub const DECLARATION: &str = "By sending your ideas you confirm that, to the best of your knowledge, what you have written is true and does not identify a child or anyone else without their permission.";
pub const SEND: &str = "Send ideas";

// When the server's own form could not send (the widget says these in its
// own words, with the draft it keeps on the device).

/// The form's key was used before with other answers.
pub const SENT_DIFFERENT: &str = "These answers are different from the ideas you already sent with this form. Press Send ideas to send them as new ideas.";
/// What was sent under the form's key was erased at someone's request.
pub const ERASED_BEFORE: &str = "What you sent us earlier with this form was removed by the review team at someone's request. Press Send ideas to send these answers as new ideas.";
/// The same answers are still being saved (a double tap that took long).
pub const STILL_SAVING: &str = "Your ideas are still being saved. Wait a moment, then press Send ideas again: they will not be sent twice.";
/// Storage did not answer.
pub const NOT_SAVED: &str = "We could not save your ideas just now. Your answers are still here: press Send ideas again in a minute.";

// Sent.

pub const SENT_HEADING: &str = "Ideas sent";
pub const YOUR_REFERENCE: &str = "Your reference number";
pub const KEEP_REFERENCE: &str = "Keep this reference: quote it if you contact the review about your ideas, or want them removed.";
pub const WHAT_NEXT_HEADING: &str = "What happens next";
pub const WHAT_NEXT: &str = "The review team will read every idea. At the end of the review, ideas are published as you chose; some may be withheld or edited to protect people's privacy. If you gave an email address, we will only use it to contact you about your ideas.";
pub const SEND_MORE: &str = "Send more ideas";

// On every step.

pub const ERROR_SUMMARY: &str = "There is a problem";
/// Before an inline error message, for screen readers.
pub const ERROR_PREFIX: &str = "Error: ";
pub const SUPPORT_SUMMARY: &str = "Get support: helplines";
pub const SUPPORT_INTRO: &str = "If anything you write about, or anything in this form, upsets you, or you are worried about a child, you can talk to someone:";
pub const SUPPORT_RESPONDS: &str =
    "The review team responds to any safeguarding concern raised in an idea.";

pub fn visit_website(name: &str) -> String {
    format!("Visit the {name} website (opens in new tab)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_question_names_the_control_its_errors_point_at() {
        use crate::form::field_id;
        for (q, pointer) in [
            (CAPACITY, "#/respondent/capacity"),
            (ORGANISATION, "#/respondent/organisation"),
            (NAME, "#/respondent/name"),
            (NAME_FOR_ORGANISATION, "#/respondent/name"),
            (EMAIL, "#/respondent/email"),
            (PERSPECTIVES, "#/respondent/perspectives/0"),
            (AGE_BAND, "#/respondent/age_band"),
            (PUBLICATION, "#/publication"),
            (PRIVACY_NOTICE, "#/privacy_notice_read"),
        ] {
            assert_eq!(q.id, field_id(pointer), "{}", q.label);
        }
    }

    #[test]
    fn sentences_end_with_a_full_stop_and_labels_do_not() {
        for s in [
            HOW_PUBLISHED,
            UNDER_18,
            DECLARATION,
            SENT_DIFFERENT,
            ERASED_BEFORE,
            STILL_SAVING,
            NOT_SAVED,
            KEEP_REFERENCE,
            WHAT_NEXT,
            SUPPORT_RESPONDS,
        ] {
            assert!(s.ends_with('.'), "{s}");
        }
        for q in [CAPACITY, ORGANISATION, NAME, EMAIL, AGE_BAND, PUBLICATION] {
            assert!(!q.label.ends_with('.'), "{}", q.label);
            if let Some(hint) = q.hint {
                assert!(hint.ends_with('.'), "{hint}");
            }
        }
    }
}
