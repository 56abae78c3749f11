//! The outbox worker: a tokio task started with the server and stopped with
//! it. Every [`OUTBOX_POLL`] it takes the due messages under a lease, sends
//! each through the mail server, and marks it sent the moment the server
//! has accepted it; a failure is retried after a wait that doubles each
//! time ([`OUTBOX_FIRST_RETRY`] up to [`OUTBOX_LONGEST_RETRY`]), and a
//! refusal for good, or [`OUTBOX_MAX_ATTEMPTS`] failures, fail it for staff
//! to see.

use std::sync::Arc;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::mail::{Unsendable, build, build_sign_in};
use crate::config::{Config, Smtp, TlsMode};
use crate::limits::{
    OUTBOX_BATCH, OUTBOX_FIRST_RETRY, OUTBOX_LEASE, OUTBOX_LONGEST_RETRY, OUTBOX_MAX_ATTEMPTS,
    OUTBOX_POLL, SMTP_TIMEOUT,
};
use crate::outbox::persistence::ClaimedMessage;
use crate::storage::{MessageKind, Storage};

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// The running worker; [`Worker::stop`] ends it after the message in hand.
pub struct Worker {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl Worker {
    /// Starts the worker when the configuration names a mail server.
    pub fn start(storage: Storage, config: Arc<Config>) -> Option<Self> {
        let smtp = config.smtp.clone()?;
        let transport = match transport(&smtp) {
            Ok(transport) => transport,
            Err(error) => {
                tracing::error!(%error, "the mail server settings are not usable: no email will be sent");
                return None;
            }
        };
        let (stop, stopped) = watch::channel(false);
        let handle = tokio::spawn(run(storage, config, smtp, transport, stopped));
        Some(Self { stop, handle })
    }

    /// Asks the worker to stop and waits until it has: the message being
    /// sent is finished and marked, the others it had taken are released.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}

fn transport(smtp: &Smtp) -> Result<Transport, lettre::transport::smtp::Error> {
    let mut builder = match smtp.tls {
        TlsMode::None => Transport::builder_dangerous(&smtp.host),
        TlsMode::StartTls => Transport::starttls_relay(&smtp.host)?,
        TlsMode::Tls => Transport::relay(&smtp.host)?,
    }
    .port(smtp.port)
    .timeout(Some(SMTP_TIMEOUT));
    if let Some((user, password)) = &smtp.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
    }
    Ok(builder.build())
}

async fn run(
    storage: Storage,
    config: Arc<Config>,
    smtp: Smtp,
    transport: Transport,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        match crate::outbox::persistence::claim_messages(&storage, OUTBOX_LEASE, OUTBOX_BATCH).await
        {
            Ok(messages) => {
                let full = i64::try_from(messages.len()).unwrap_or(i64::MAX) >= OUTBOX_BATCH;
                for message in messages {
                    if *stopped.borrow() {
                        release(&storage, message.id).await;
                        continue;
                    }
                    send(&storage, &config, &smtp, &transport, message).await;
                }
                if full && !*stopped.borrow() {
                    continue;
                }
            }
            Err(error) => tracing::error!(%error, "the outbox could not be read"),
        }
        tokio::select! {
            _ = stopped.changed() => return,
            () = tokio::time::sleep(OUTBOX_POLL) => {}
        }
        if *stopped.borrow() {
            return;
        }
    }
}

async fn release(storage: &Storage, id: i64) {
    if let Err(error) = crate::outbox::persistence::release_message(storage, id).await {
        tracing::warn!(%error, id, "a taken message could not be released: it waits for its lease to end");
    }
}

/// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s … up to the
/// longest.
fn backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    OUTBOX_FIRST_RETRY
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(OUTBOX_LONGEST_RETRY)
}

/// A failure in plain words for staff (the cause itself goes to the log).
fn plain_words(error: &lettre::transport::smtp::Error) -> String {
    let code = error
        .status()
        .map(|c| format!(" (code {c})"))
        .unwrap_or_default();
    if error.is_permanent() {
        format!("the mail server refused the message{code}.")
    } else if error.is_transient() {
        format!("the mail server asked to try again later{code}.")
    } else if error.is_timeout() {
        "the mail server did not answer in time.".to_owned()
    } else if error.is_tls() {
        "the secure connection to the mail server failed.".to_owned()
    } else {
        "the mail server could not be reached.".to_owned()
    }
}

async fn send(
    storage: &Storage,
    config: &Config,
    smtp: &Smtp,
    transport: &Transport,
    message: ClaimedMessage,
) {
    let id = message.id;
    if message.kind == MessageKind::SignIn {
        let email = build_sign_in(smtp, &message);
        deliver(storage, transport, message, email).await;
        return;
    }
    let Some(call) = config.call(&message.call_id) else {
        finish(
            id,
            crate::outbox::persistence::mark_given_up(
                storage,
                id,
                Some("the call is no longer in the configuration."),
            )
            .await,
        );
        return;
    };
    let email = build(smtp, call, &message);
    deliver(storage, transport, message, email).await;
}

/// Sends a built message and marks it, or marks why it was not built.
async fn deliver(
    storage: &Storage,
    transport: &Transport,
    message: ClaimedMessage,
    email: Result<lettre::Message, Unsendable>,
) {
    let id = message.id;
    let email = match email {
        Ok(email) => email,
        Err(Unsendable::NotNeeded) => {
            finish(
                id,
                crate::outbox::persistence::mark_given_up(storage, id, None).await,
            );
            return;
        }
        Err(Unsendable::Broken(words)) => {
            tracing::error!(id, reference = %message.reference, problem = %words, "a message could not be built");
            finish(
                id,
                crate::outbox::persistence::mark_given_up(storage, id, Some(&words)).await,
            );
            return;
        }
    };
    match transport.send(email).await {
        Ok(_) => {
            // Marked at once: a crash between the server's acceptance and
            // this line is the one way a message can go twice (its
            // Message-ID is the same both times).
            let mut marked = crate::outbox::persistence::mark_sent(storage, id).await;
            for _ in 0..3 {
                if marked.is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                marked = crate::outbox::persistence::mark_sent(storage, id).await;
            }
            tracing::info!(id, reference = %message.reference, kind = message.kind.as_str(), "message sent");
            finish(id, marked);
        }
        Err(error) => {
            let words = plain_words(&error);
            tracing::warn!(id, reference = %message.reference, attempts = message.attempts, %error, "message not sent");
            let result = if error.is_permanent() || message.attempts >= OUTBOX_MAX_ATTEMPTS {
                crate::outbox::persistence::mark_given_up(storage, id, Some(&words)).await
            } else {
                crate::outbox::persistence::mark_retry(
                    storage,
                    id,
                    &words,
                    backoff(message.attempts),
                )
                .await
            };
            finish(id, result);
        }
    }
}

fn finish(id: i64, result: Result<(), crate::storage::StorageError>) {
    if let Err(error) = result {
        tracing::error!(%error, id, "a message's state could not be saved: it is taken again when its lease ends");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_the_longest() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(4), Duration::from_secs(8));
        assert_eq!(backoff(30), OUTBOX_LONGEST_RETRY);
    }
}
