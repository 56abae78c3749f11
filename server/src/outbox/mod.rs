//! Email: safeguarding alerts to a call's contacts and acknowledgements to
//! respondents, through an outbox.
//!
//! A submission's messages are decided on arrival ([`messages_for`]) and
//! stored in the same transaction as the submission, so a stored submission
//! always has its messages and a refused one none. The [`Worker`] sends them
//! over SMTP (lettre), retrying with exponential backoff, and marks each
//! sent as soon as the mail server has accepted it. Messages are rendered
//! when sent, from the submission as it is then: no row of the outbox holds
//! what the person wrote, and an acknowledgement is addressed to the
//! submission's own email address, which erasure and retention remove.
//!
//! Sending never blocks a submission: the request answers as soon as the
//! commit is done, whether the mail server is up or not.

mod mail;
pub mod persistence;
mod worker;

use cfi_rules::Submission;

use crate::config::Call;
use crate::outbox::persistence::{MessageState, QueueStats};
use crate::storage::{MessageKind, OutgoingMessage, Storage, StorageError};

pub use worker::Worker;

/// The messages a new submission to `call` brings: an alert to the first
/// safeguarding contact when it is flagged (and a resend to each next
/// contact, due one `resend_after` later than the one before, sent only if
/// the flag is still open then), and an acknowledgement when the call sends
/// them, the person gave an address and the honeypot was not filled.
pub fn messages_for(
    call: &Call,
    submission: &Submission,
    flagged: bool,
    spam: bool,
) -> Vec<OutgoingMessage> {
    let mut messages = if flagged {
        alerts_for(call)
    } else {
        Vec::new()
    };
    if call.mail.acknowledgements && !spam && submission.respondent().email().is_some() {
        messages.push(OutgoingMessage {
            kind: MessageKind::Acknowledgement,
            recipient_name: None,
            recipient: None,
            delay: std::time::Duration::ZERO,
        });
    }
    messages
}

/// The alert to the call's first safeguarding contact and a resend to each
/// next one, due one `resend_after` later than the one before (sent only if
/// the flag is still open then): for an urgent flag on arrival or raised by
/// staff.
pub fn alerts_for(call: &Call) -> Vec<OutgoingMessage> {
    call.mail
        .safeguarding_contacts
        .iter()
        .enumerate()
        .map(|(i, contact)| {
            let steps = u32::try_from(i).unwrap_or(u32::MAX);
            OutgoingMessage {
                kind: if i == 0 {
                    MessageKind::Alert
                } else {
                    MessageKind::Resend
                },
                recipient_name: Some(contact.name.clone()),
                recipient: Some(contact.address.to_string()),
                delay: call.mail.resend_after.saturating_mul(steps),
            }
        })
        .collect()
}

/// How many messages wait to be sent and when the oldest was written (for
/// metrics and health pages).
pub async fn queue_stats(storage: &Storage) -> Result<QueueStats, StorageError> {
    crate::outbox::persistence::outbox_stats(storage).await
}

/// A message's state in plain words for the staff pages, ending with a full
/// stop.
pub fn describe(message: &MessageState) -> String {
    let what = match message.kind {
        MessageKind::Alert => "Safeguarding alert",
        MessageKind::Resend => "Safeguarding alert sent again",
        MessageKind::Acknowledgement => "Acknowledgement to the respondent",
        MessageKind::SignIn => "Sign-in link",
    };
    let to = message
        .recipient_name
        .as_deref()
        .map(|n| format!(" to {n}"))
        .unwrap_or_default();
    let at = |t: &str| crate::http::html::when(t);
    let state = match (message.state.as_str(), &message.last_error) {
        ("sent", _) => format!(
            "sent {}",
            message.sent_at.as_deref().map(at).unwrap_or_default()
        ),
        ("failed", Some(error)) => format!(
            "failed after {} attempts; the last error: {}",
            message.attempts,
            error.trim_end_matches('.')
        ),
        ("failed", None) => "failed".to_owned(),
        ("cancelled", _) => {
            "not sent: the flag was handled first, or the address was removed".to_owned()
        }
        (_, Some(error)) => format!(
            "queued, trying again (attempt {} failed: {})",
            message.attempts,
            error.trim_end_matches('.')
        ),
        _ if message.kind == MessageKind::Resend => format!(
            "queued: sent {} if the flag is still open",
            at(&message.not_before)
        ),
        _ => "queued".to_owned(),
    };
    format!("{what}{to}: {state}.")
}
