//! Every sentence the widget says about what is happening (loading,
//! sending, failures), in one place. Each ends with a full stop, so a screen
//! reader pauses and no message runs into the next (a test below walks them
//! all). Field errors come from the shared rules.

/// While the call definition loads.
pub const LOADING: &str = "Loading the form.";
/// The call definition is not one (or says something this version does not
/// know).
pub const UNREADABLE_CALL: &str = "The call's definition could not be read.";
/// `data-call` names no call.
pub const UNKNOWN_CALL: &str =
    "This call for ideas could not be found. Check the data-call attribute.";
/// The definition could not be fetched.
pub const NOT_LOADED: &str =
    "The form could not be loaded. Check your connection and reload the page.";

/// The first attempt to send.
pub const SENDING: &str = "Sending your ideas.";
/// No answer came back.
pub const UNREACHABLE: &str = "We could not reach the server.";
/// 5xx or 429 after every automatic attempt.
pub const BUSY: &str = "The server is busy or unavailable.";
/// Refused for a reason retrying cannot change.
pub const REFUSED: &str = "The server could not accept your answers.";
/// After a failure that a later attempt may get past.
pub const TRY_AGAIN: &str = "Your ideas have not been sent yet, and your answers are still here. Check your connection and try again.";
/// 403 partner-not-allowed: this page may not send ideas to the review.
pub const NOT_ALLOWED: &str = "This page cannot send ideas to the review, so trying again will not help. Your answers are still here: you can copy them and send your ideas on the review's own page instead.";
/// 410 submission-erased: what the person sent earlier under this draft was
/// erased at someone's request, so the draft was cleared.
pub const ERASED: &str = "What you sent us earlier was removed by the review team at someone's request, so it has not been sent again, and your answers have been cleared from this device. You are welcome to write to us again if you wish.";
/// The link after [`NOT_ALLOWED`].
pub const REVIEW_PAGE_LINK: &str = "Send your ideas on the review's own page (opens in new tab).";

/// A later automatic attempt: "Sending your ideas again (attempt 2 of 5)."
pub fn sending_again(attempt: u32, of: u32) -> String {
    format!("Sending your ideas again (attempt {attempt} of {of}).")
}

/// Waiting before the next attempt.
pub fn waiting(wait: &str) -> String {
    format!("We could not send your ideas yet. Your answers are still saved. {wait}.")
}

/// What the person sees when sending stopped: the reason, then what to do.
pub fn failed(reason: &str) -> String {
    format!("{reason} {TRY_AGAIN}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_ends_with_a_full_stop() {
        let fixed = [
            LOADING,
            UNREADABLE_CALL,
            UNKNOWN_CALL,
            NOT_LOADED,
            SENDING,
            UNREACHABLE,
            BUSY,
            REFUSED,
            TRY_AGAIN,
            NOT_ALLOWED,
            ERASED,
            REVIEW_PAGE_LINK,
        ];
        let built = [
            sending_again(2, 5),
            waiting(&crate::retry::wait_text(4_000)),
            failed(UNREACHABLE),
            failed(BUSY),
            failed(REFUSED),
        ];
        for message in fixed
            .iter()
            .copied()
            .chain(built.iter().map(String::as_str))
        {
            assert!(
                message.ends_with('.'),
                "{message:?} does not end with a full stop"
            );
            assert!(
                !message.ends_with(".."),
                "{message:?} ends with two full stops"
            );
        }
    }

    #[test]
    fn the_partner_refusal_does_not_send_the_person_to_their_connection() {
        assert!(!NOT_ALLOWED.contains("connection"));
        assert!(NOT_ALLOWED.contains("review's own page"));
    }
}
