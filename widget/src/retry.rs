//! What to do with each answer to a submission attempt.
//!
//! Network failures, 5xx, 429 and "the first request with this key is still
//! in flight" (409 of that type) are retried with the same idempotency key, so
//! a retry can never create a second record. Everything else is final.
//! Problem types come from the shared contract ([`ProblemType`]); a type it
//! does not define is never taken for one it does.

use cfi_rules::ProblemType;

/// Automatic attempts before the widget stops and waits for the person to
/// press "Try again" (the draft stays saved on the device meanwhile).
pub const MAX_AUTOMATIC_ATTEMPTS: u32 = 5;

/// The longest the widget waits between attempts, even if told to wait longer.
pub const MAX_DELAY_MS: u32 = 60_000;

/// The result of one attempt, as far as the widget cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Stored: show the confirmation and clear the draft.
    Done,
    /// Try again after this many milliseconds.
    RetryAfter(u32),
    /// The answers were refused field by field (422 validation).
    FixFields,
    /// The call is not open (409 with a call-window type).
    CallNotOpen,
    /// What was sent under this key was erased by the review team (410
    /// submission-erased): the draft and its key must go.
    Erased,
    /// This page may not send ideas (403 partner-not-allowed): retrying
    /// cannot help, the review's own page can.
    NotAllowed,
    /// Nothing the person can fix by retrying now.
    Fail,
}

/// Decides what follows an attempt. `status` is `None` when the request
/// failed without an answer (offline, connection dropped, CORS refusal);
/// `problem` is the answer's problem type, if the contract defines it.
/// `attempt` counts from 1.
pub fn decide(
    status: Option<u16>,
    problem: Option<ProblemType>,
    retry_after: Option<&str>,
    attempt: u32,
) -> Next {
    let retry = || {
        if attempt >= MAX_AUTOMATIC_ATTEMPTS {
            Next::Fail
        } else {
            let told = retry_after.and_then(parse_retry_after_ms);
            Next::RetryAfter(
                told.unwrap_or_else(|| backoff_ms(attempt))
                    .min(MAX_DELAY_MS),
            )
        }
    };
    match status {
        None => retry(),
        Some(200..=299) => Next::Done,
        Some(409) => match problem {
            Some(ProblemType::CallClosed | ProblemType::CallNotOpenYet) => Next::CallNotOpen,
            // Our own first attempt is still being processed.
            Some(ProblemType::RequestInFlight) => retry(),
            _ => Next::Fail,
        },
        Some(403) if problem == Some(ProblemType::PartnerNotAllowed) => Next::NotAllowed,
        Some(422) if problem == Some(ProblemType::Validation) => Next::FixFields,
        Some(410) if problem == Some(ProblemType::SubmissionErased) => Next::Erased,
        Some(408 | 429) | Some(500..=599) => retry(),
        Some(_) => Next::Fail,
    }
}

/// Exponential backoff: 1 s, 2 s, 4 s, ... for attempts 1, 2, 3, ...
pub fn backoff_ms(attempt: u32) -> u32 {
    1_000u32
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_DELAY_MS)
}

/// `Retry-After` in whole seconds (the HTTP-date form is not used by the
/// server and is treated as absent).
pub fn parse_retry_after_ms(value: &str) -> Option<u32> {
    let secs: u32 = value.trim().parse().ok()?;
    Some(secs.saturating_mul(1_000))
}

/// "Trying again in 4 seconds" for a delay in milliseconds (a sentence
/// without its full stop: [`crate::messages::waiting`] ends it).
pub fn wait_text(ms: u32) -> String {
    let secs = ms.div_ceil(1_000).max(1);
    let unit = if secs == 1 { "second" } else { "seconds" };
    format!("Trying again in {secs} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_is_done() {
        assert_eq!(decide(Some(201), None, None, 1), Next::Done);
        assert_eq!(decide(Some(200), None, None, 3), Next::Done);
    }

    #[test]
    fn network_failures_and_server_trouble_back_off() {
        assert_eq!(decide(None, None, None, 1), Next::RetryAfter(1_000));
        assert_eq!(decide(None, None, None, 2), Next::RetryAfter(2_000));
        assert_eq!(decide(Some(503), None, None, 3), Next::RetryAfter(4_000));
        assert_eq!(decide(Some(502), None, None, 4), Next::RetryAfter(8_000));
        assert_eq!(decide(None, None, None, MAX_AUTOMATIC_ATTEMPTS), Next::Fail);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        assert_eq!(
            decide(Some(429), None, Some("7"), 1),
            Next::RetryAfter(7_000)
        );
        assert_eq!(
            decide(Some(429), None, Some("86400"), 1),
            Next::RetryAfter(MAX_DELAY_MS)
        );
        assert_eq!(
            decide(Some(503), None, Some("Wed, 21 Oct 2015 07:28:00 GMT"), 1),
            Next::RetryAfter(1_000)
        );
    }

    fn t(uri: &str) -> Option<ProblemType> {
        ProblemType::from_uri(uri)
    }

    #[test]
    fn conflicts_are_told_apart_by_type() {
        assert_eq!(
            decide(Some(409), t("/problems/call-closed"), None, 1),
            Next::CallNotOpen
        );
        assert_eq!(
            decide(Some(409), t("/problems/call-not-open-yet"), None, 1),
            Next::CallNotOpen
        );
        assert_eq!(
            decide(Some(409), t("/problems/request-in-flight"), Some("1"), 1),
            Next::RetryAfter(1_000)
        );
        // A conflict the contract does not define is not taken for ours.
        assert_eq!(
            decide(Some(409), t("/problems/something-new"), None, 1),
            Next::Fail
        );
    }

    #[test]
    fn an_erased_submission_is_final_and_told_apart_by_type() {
        assert_eq!(
            decide(Some(410), t("/problems/submission-erased"), None, 1),
            Next::Erased
        );
        assert_eq!(decide(Some(410), None, None, 1), Next::Fail);
    }

    #[test]
    fn a_partner_refusal_is_not_a_connection_problem() {
        assert_eq!(
            decide(Some(403), t("/problems/partner-not-allowed"), None, 1),
            Next::NotAllowed
        );
        assert_eq!(decide(Some(403), None, None, 1), Next::Fail);
    }

    #[test]
    fn refusals_are_final() {
        assert_eq!(
            decide(Some(422), t("/problems/validation"), None, 1),
            Next::FixFields
        );
        assert_eq!(
            decide(Some(422), t("/problems/idempotency-key-reused"), None, 1),
            Next::Fail
        );
        for status in [400, 403, 404, 413, 415] {
            assert_eq!(decide(Some(status), None, None, 1), Next::Fail);
        }
    }

    #[test]
    fn waiting_is_said_in_seconds() {
        assert_eq!(wait_text(1_000), "Trying again in 1 second");
        assert_eq!(wait_text(1_500), "Trying again in 2 seconds");
        assert_eq!(wait_text(0), "Trying again in 1 second");
    }
}
