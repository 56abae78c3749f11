//! Email in the configuration: the mail server (`[smtp]`) and, per call, the
//! safeguarding contacts and the acknowledgement to respondents. Checked at
//! load like the rest; addresses are parsed into lettre's types here, so
//! the outbox never meets an unparsed address.

use std::fmt;
use std::time::Duration;

use lettre::Address;
use lettre::message::Mailbox;
use serde::Deserialize;

use super::{ConfigError, invalid};
use crate::limits::DEFAULT_RESEND_AFTER;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSmtp {
    host: String,
    port: Option<u16>,
    tls: Option<String>,
    username: Option<String>,
    password: Option<Secret>,
    from: String,
    staff_base_url: String,
}

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text: only for a mail server on the same machine or network.
    None,
    /// Plain connection upgraded with STARTTLS (usually port 587); refused
    /// if the server does not offer it.
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// A value that must never be printed: `Debug` shows `[redacted]`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub(crate) fn new(secret: String) -> Self {
        Self(secret)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The mail server the outbox sends through.
#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// User name and password, when the server asks for them.
    pub credentials: Option<(String, Secret)>,
    /// Who the messages come from.
    pub from: Mailbox,
    /// Where the staff pages are, without a trailing slash: alerts link to
    /// `{staff_base_url}/admin/submissions/{reference}`.
    pub staff_base_url: String,
}

pub(super) fn check_smtp(raw: RawSmtp) -> Result<Smtp, ConfigError> {
    let tls = match raw.tls.as_deref().unwrap_or("starttls") {
        "none" => TlsMode::None,
        "starttls" => TlsMode::StartTls,
        "tls" => TlsMode::Tls,
        _ => return Err(invalid("smtp.tls", "must be none, starttls or tls")),
    };
    if raw.host.trim().is_empty() {
        return Err(invalid("smtp.host", "must not be empty"));
    }
    let port = raw.port.unwrap_or(match tls {
        TlsMode::None => 25,
        TlsMode::StartTls => 587,
        TlsMode::Tls => 465,
    });
    if port == 0 {
        return Err(invalid("smtp.port", "must be from 1 to 65535"));
    }
    let credentials = match (raw.username, raw.password) {
        (Some(user), Some(password)) => Some((user, password)),
        (None, None) => None,
        _ => {
            return Err(invalid(
                "smtp.username",
                "give both username and password, or neither",
            ));
        }
    };
    let from: Mailbox = raw.from.parse().map_err(|_| {
        invalid(
            "smtp.from",
            "must be an address like \"Call for Ideas <alerts@example.org>\"",
        )
    })?;
    let base = raw.staff_base_url.trim_end_matches('/').to_owned();
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(invalid("smtp.staff_base_url", "must be an http(s) URL"));
    }
    Ok(Smtp {
        host: raw.host,
        port,
        tls,
        credentials,
        from,
        staff_base_url: base,
    })
}

/// A safeguarding contact as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawContact {
    name: String,
    email: String,
}

/// Someone who is told at once when a submission is flagged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub address: Address,
}

/// A call's email settings.
#[derive(Debug, Clone, Default)]
pub struct CallMail {
    /// In order: the first is alerted at once, each next one after
    /// `resend_after` more if the flag is still open.
    pub safeguarding_contacts: Vec<Contact>,
    pub resend_after: Duration,
    /// Respondents who gave an email address get an acknowledgement.
    pub acknowledgements: bool,
    /// The acknowledgement repeats the ideas the person sent.
    pub acknowledgements_quote_ideas: bool,
}

/// The call's email keys as written in the file, checked against whether a
/// mail server is configured at all.
pub(super) struct RawCallMail {
    pub contacts: Vec<RawContact>,
    pub resend_after_secs: Option<u64>,
    pub acknowledgements: bool,
    pub quote_ideas: bool,
}

pub(super) fn check_call_mail(
    key: &dyn Fn(&str) -> String,
    raw: RawCallMail,
    has_smtp: bool,
) -> Result<CallMail, ConfigError> {
    let mut contacts = Vec::with_capacity(raw.contacts.len());
    for (j, c) in raw.contacts.into_iter().enumerate() {
        if c.name.trim().is_empty() {
            return Err(invalid(
                key(&format!("safeguarding_contacts[{j}].name")),
                "must not be empty",
            ));
        }
        let address: Address = c.email.trim().parse().map_err(|_| {
            invalid(
                key(&format!("safeguarding_contacts[{j}].email")),
                "must be an email address like lead@example.org",
            )
        })?;
        if contacts.iter().any(|k: &Contact| k.address == address) {
            return Err(invalid(
                key(&format!("safeguarding_contacts[{j}].email")),
                "listed twice",
            ));
        }
        contacts.push(Contact {
            name: c.name.trim().to_owned(),
            address,
        });
    }
    if !has_smtp && !contacts.is_empty() {
        return Err(invalid(
            key("safeguarding_contacts"),
            "needs an [smtp] section to send alerts through",
        ));
    }
    if !has_smtp && raw.acknowledgements {
        return Err(invalid(
            key("acknowledgements"),
            "needs an [smtp] section to send acknowledgements through",
        ));
    }
    if raw.quote_ideas && !raw.acknowledgements {
        return Err(invalid(
            key("acknowledgements_quote_ideas"),
            "needs acknowledgements = true",
        ));
    }
    let resend_after = match raw.resend_after_secs {
        Some(0) => {
            return Err(invalid(
                key("safeguarding_resend_after_secs"),
                "must be at least 1",
            ));
        }
        Some(_) if contacts.len() < 2 => {
            return Err(invalid(
                key("safeguarding_resend_after_secs"),
                "needs a second safeguarding contact to send to",
            ));
        }
        Some(secs) => Duration::from_secs(secs),
        None => DEFAULT_RESEND_AFTER,
    };
    Ok(CallMail {
        safeguarding_contacts: contacts,
        resend_after,
        acknowledgements: raw.acknowledgements,
        acknowledgements_quote_ideas: raw.quote_ideas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_printed() {
        let smtp = check_smtp(RawSmtp {
            host: "mail.example.org".into(),
            port: None,
            tls: Some("tls".into()),
            username: Some("alerts".into()),
            password: Some(Secret("hunter2-very-secret".into())),
            from: "Call for Ideas <alerts@example.org>".into(),
            staff_base_url: "https://review.example/".into(),
        })
        .expect("valid");
        let printed = format!("{smtp:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("[redacted]"));
        assert_eq!(smtp.port, 465);
        assert_eq!(smtp.staff_base_url, "https://review.example");
    }
}
