//! What each message says (askama text templates in `templates/mail/`), and
//! the message as lettre sends it, with a Message-ID that stays the same on
//! every attempt so a receiver can drop a duplicate.

use askama::Template;
use cfi_rules::SupportLine;
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;

use crate::config::{Call, Smtp};
use crate::outbox::persistence::ClaimedMessage;
use crate::safeguarding::category_words;
use crate::storage::{MessageKind, StoredIdea};

#[derive(Template)]
#[template(path = "mail/alert.txt")]
struct Alert<'a> {
    resend: bool,
    waited: String,
    call_title: &'a str,
    call_id: &'a str,
    reference: &'a str,
    category: String,
    link: String,
}

#[derive(Template)]
#[template(path = "mail/acknowledgement.txt")]
struct Acknowledgement<'a> {
    call_title: &'a str,
    reference: &'a str,
    ideas: &'a [StoredIdea],
    support: &'a [SupportLine],
}

#[derive(Template)]
#[template(path = "mail/sign_in.txt")]
struct SignIn<'a> {
    name: &'a str,
    link: String,
    lasts: String,
}

/// Why a message is not built.
#[derive(Debug)]
pub enum Unsendable {
    /// Not needed any more: a resend whose flag was handled, or a message
    /// whose submission or address is gone.
    NotNeeded,
    /// It cannot be built; the words say why (for staff).
    Broken(String),
}

/// "30 minutes", "1 hour", "45 seconds".
fn duration_words(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = if secs.is_multiple_of(3600) && secs >= 3600 {
        (secs / 3600, "hour")
    } else if secs.is_multiple_of(60) && secs >= 60 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// A sign-in link's email, to the account's address; not needed once its
/// token is gone (the link was given up on).
pub fn build_sign_in(smtp: &Smtp, message: &ClaimedMessage) -> Result<Message, Unsendable> {
    let token = message.secret.as_deref().ok_or(Unsendable::NotNeeded)?;
    // A link that has run out is not worth an email (retries after a mail
    // server outage would send dead links).
    let lifetime = jiff::SignedDuration::try_from(crate::limits::SIGN_IN_LINK_LIFETIME)
        .unwrap_or(jiff::SignedDuration::ZERO);
    let queued: Option<jiff::Timestamp> = message.created_at.parse().ok();
    if queued.is_none_or(|at| at + lifetime < jiff::Timestamp::now()) {
        return Err(Unsendable::NotNeeded);
    }
    let address = message
        .recipient
        .as_deref()
        .ok_or_else(|| Unsendable::Broken("the sign-in link has no address.".into()))?;
    let to = Mailbox::new(
        message.recipient_name.clone(),
        address
            .parse()
            .map_err(|_| Unsendable::Broken("the account's address is not valid.".into()))?,
    );
    let body = SignIn {
        name: message.recipient_name.as_deref().unwrap_or(address),
        link: format!(
            "{}/admin/sign-in/link?token={token}",
            smtp.staff_base_url.trim_end_matches('/')
        ),
        lasts: duration_words(crate::limits::SIGN_IN_LINK_LIFETIME),
    }
    .render()
    .map_err(|e| Unsendable::Broken(format!("the message could not be written: {e}.")))?;
    let domain = smtp.from.email.domain();
    Message::builder()
        .message_id(Some(format!("<sign-in.{}@{domain}>", message.id)))
        .from(smtp.from.clone())
        .to(to)
        .subject("Your sign-in link for the Call for Ideas review")
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| Unsendable::Broken(format!("the message could not be built: {e}.")))
}

/// The email for `message`, or why there is none.
pub fn build(smtp: &Smtp, call: &Call, message: &ClaimedMessage) -> Result<Message, Unsendable> {
    let subject = message.subject.as_ref().ok_or(Unsendable::NotNeeded)?;
    let (to, title, body) = match message.kind {
        MessageKind::Alert | MessageKind::Resend => {
            let resend = message.kind == MessageKind::Resend;
            if resend && !subject.flag_open {
                return Err(Unsendable::NotNeeded);
            }
            let address = message
                .recipient
                .as_deref()
                .ok_or_else(|| Unsendable::Broken("the alert has no address.".into()))?;
            let to = Mailbox::new(
                message.recipient_name.clone(),
                address.parse().map_err(|_| {
                    Unsendable::Broken("the contact's address is not valid.".into())
                })?,
            );
            let page = Alert {
                resend,
                waited: duration_words(call.mail.resend_after),
                call_title: &call.title,
                call_id: &call.id,
                reference: &message.reference,
                category: category_words(subject.flag_category.as_deref().unwrap_or("call-phrase")),
                link: format!(
                    "{}/admin/submissions/{}",
                    smtp.staff_base_url, message.reference
                ),
            };
            let title = format!(
                "{}Safeguarding alert: submission {} to {}",
                if resend { "Still open: " } else { "" },
                message.reference,
                call.title
            );
            (to, title, page.render())
        }
        MessageKind::SignIn => return build_sign_in(smtp, message),
        MessageKind::Acknowledgement => {
            let address = subject.email.as_deref().ok_or(Unsendable::NotNeeded)?;
            let to = Mailbox::new(
                None,
                address.parse().map_err(|_| {
                    Unsendable::Broken("the respondent's address is not valid.".into())
                })?,
            );
            let ideas: &[StoredIdea] = if call.mail.acknowledgements_quote_ideas {
                &subject.ideas
            } else {
                &[]
            };
            let page = Acknowledgement {
                call_title: &call.title,
                reference: &message.reference,
                ideas,
                support: &call.support,
            };
            let title = format!(
                "Your ideas for {}: reference {}",
                call.title, message.reference
            );
            (to, title, page.render())
        }
    };
    let body =
        body.map_err(|e| Unsendable::Broken(format!("the message could not be written: {e}.")))?;
    let domain = smtp.from.email.domain();
    Message::builder()
        .message_id(Some(format!(
            "<{}.{}.{}@{domain}>",
            message.reference,
            message.kind.as_str(),
            message.id
        )))
        .from(smtp.from.clone())
        .to(to)
        .subject(title)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| Unsendable::Broken(format!("the message could not be built: {e}.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_said_in_words() {
        use std::time::Duration;
        assert_eq!(duration_words(Duration::from_secs(1800)), "30 minutes");
        assert_eq!(duration_words(Duration::from_secs(3600)), "1 hour");
        assert_eq!(duration_words(Duration::from_secs(2)), "2 seconds");
    }
}
