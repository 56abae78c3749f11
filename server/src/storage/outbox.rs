//! The outbox table: messages written with their submission, taken by a
//! worker under a lease, and marked sent, retried, failed or cancelled.
//! What the messages say is the outbox feature's (`crate::outbox`); this is
//! only how they are kept.

use std::time::Duration;

use serde::Serialize;
use sqlx::QueryBuilder;

use super::{Row, StorageError, now_text};

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A safeguarding alert to the call's first contact.
    Alert,
    /// The same alert to a later contact, sent only if the flag is still
    /// open when it is due.
    Resend,
    /// The respondent's acknowledgement.
    Acknowledgement,
    /// A sign-in link to a staff account's address.
    SignIn,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::Resend => "resend",
            Self::Acknowledgement => "acknowledgement",
            Self::SignIn => "sign-in",
        }
    }

    pub(crate) fn parse(text: &str) -> Result<Self, StorageError> {
        match text {
            "alert" => Ok(Self::Alert),
            "resend" => Ok(Self::Resend),
            "acknowledgement" => Ok(Self::Acknowledgement),
            "sign-in" => Ok(Self::SignIn),
            other => Err(StorageError::Corrupt(format!("message kind {other:?}"))),
        }
    }
}

/// A message to store with a new submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub kind: MessageKind,
    pub recipient_name: Option<String>,
    /// `None`: the submission's own email address (acknowledgements).
    pub recipient: Option<String>,
    /// Not sent before this long after the submission.
    pub delay: Duration,
}

/// The row values of an outgoing message.
pub(super) struct MessageRow {
    kind: &'static str,
    recipient_name: Option<String>,
    recipient: Option<String>,
    not_before: String,
}

impl MessageRow {
    pub(super) fn from_new(message: &OutgoingMessage) -> Self {
        let now = jiff::Timestamp::now();
        let due = jiff::SignedDuration::try_from(message.delay)
            .ok()
            .and_then(|d| now.checked_add(d).ok())
            .unwrap_or(now);
        Self {
            kind: message.kind.as_str(),
            recipient_name: message.recipient_name.clone(),
            recipient: message.recipient.clone(),
            not_before: text_of(due),
        }
    }
}

pub(crate) fn text_of(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(crate) fn after(delay: Duration) -> String {
    let now = jiff::Timestamp::now();
    text_of(
        jiff::SignedDuration::try_from(delay)
            .ok()
            .and_then(|d| now.checked_add(d).ok())
            .unwrap_or(now),
    )
}

/// Queues a sign-in link's email to `recipient` inside `tx`: about no
/// submission or call, with the link's token kept in `secret` until the
/// message is sent or given up.
pub(crate) async fn queue_sign_in(
    tx: &mut super::Tx,
    recipient_name: &str,
    recipient: &str,
    token: &str,
) -> Result<(), StorageError> {
    let now = now_text();
    super::Sql::new(
        "INSERT INTO outbox (reference, call_id, kind, recipient_name, recipient, not_before, \
         created_at, secret) VALUES ('', '', ?, ?, ?, ?, ?, ?)",
    )
    .bind(MessageKind::SignIn.as_str())
    .bind(recipient_name)
    .bind(recipient)
    .bind(now.as_str())
    .bind(now.as_str())
    .bind(token)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Queues `messages` about a stored submission inside `tx` (a flag staff
/// raise alerts like one found on arrival), on either engine.
pub(crate) async fn queue_in(
    tx: &mut super::Tx,
    submission_id: i64,
    reference: &str,
    call_id: &str,
    messages: &[OutgoingMessage],
) -> Result<(), StorageError> {
    let created_at = now_text();
    for message in messages {
        let m = MessageRow::from_new(message);
        super::Sql::new(
            "INSERT INTO outbox (submission_id, reference, call_id, kind, recipient_name, \
             recipient, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(submission_id)
        .bind(reference)
        .bind(call_id)
        .bind(m.kind)
        .bind(m.recipient_name)
        .bind(m.recipient)
        .bind(m.not_before)
        .bind(created_at.as_str())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The outbox rows of a submission just inserted on SQLite, in the same
/// transaction (the group commit's).
pub(super) async fn insert_sqlite(
    conn: &mut sqlx::SqliteConnection,
    submission_id: i64,
    reference: &str,
    row: &Row,
) -> Result<(), StorageError> {
    if row.messages.is_empty() {
        return Ok(());
    }
    let created_at = now_text();
    let mut query = QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO outbox (submission_id, reference, call_id, kind, recipient_name, \
         recipient, not_before, created_at) ",
    );
    query.push_values(&row.messages, |mut values, m| {
        values
            .push_bind(submission_id)
            .push_bind(reference)
            .push_bind(row.call_id.as_str())
            .push_bind(m.kind)
            .push_bind(m.recipient_name.as_deref())
            .push_bind(m.recipient.as_deref())
            .push_bind(m.not_before.as_str())
            .push_bind(created_at.as_str());
    });
    query.build().execute(&mut *conn).await?;
    Ok(())
}

/// On PostgreSQL, the outbox rows are written by the batch's own statement
/// (see `postgres::batch_insert`): after `s AS (INSERT INTO submissions …
/// RETURNING id, reference, call_id)`, this adds `o`, which inserts one row
/// per message of each submission `s` inserted, matched by the reference it
/// was given (none for a row whose key or reference was taken). The
/// messages go as arrays, so the statement's text is the same for any batch.
pub(super) fn push_postgres_batch_messages<'a>(
    query: &mut QueryBuilder<'a, sqlx::Postgres>,
    rows: &[(&'a str, &'a Row)],
    created_at: &'a str,
) {
    let messages = || {
        rows.iter()
            .flat_map(|(reference, row)| row.messages.iter().map(move |m| (*reference, m)))
    };
    query.push(
        ", o AS (INSERT INTO outbox (submission_id, reference, call_id, kind, \
         recipient_name, recipient, not_before, created_at) \
         SELECT s.id, s.reference, s.call_id, m.kind, m.recipient_name, m.recipient, \
         m.not_before, ",
    );
    query.push_bind(created_at);
    query.push(" FROM unnest(");
    query.push_bind(
        messages()
            .map(|(reference, _)| reference)
            .collect::<Vec<_>>(),
    );
    query.push("::text[], ");
    query.push_bind(messages().map(|(_, m)| m.kind).collect::<Vec<_>>());
    query.push("::text[], ");
    query.push_bind(
        messages()
            .map(|(_, m)| m.recipient_name.as_deref())
            .collect::<Vec<_>>(),
    );
    query.push("::text[], ");
    query.push_bind(
        messages()
            .map(|(_, m)| m.recipient.as_deref())
            .collect::<Vec<_>>(),
    );
    query.push("::text[], ");
    query.push_bind(
        messages()
            .map(|(_, m)| m.not_before.as_str())
            .collect::<Vec<_>>(),
    );
    query.push(
        "::text[]) WITH ORDINALITY AS m (reference, kind, recipient_name, recipient, \
         not_before, ord) JOIN s ON s.reference = m.reference ORDER BY m.ord)",
    );
}

/// Deletes, in the erasure's transaction, the messages of the submission
/// `reference` that must not outlive it: every unsent one (so nothing is
/// sent about an erased submission) and every acknowledgement (it was the
/// person's own). Sent alerts stay, holding the reference only.
pub(crate) const FORGET_SUBMISSION: &str = "DELETE FROM outbox WHERE submission_id = \
     (SELECT id FROM submissions WHERE reference = ?) \
     AND (state = 'queued' OR kind = 'acknowledgement')";

/// Deletes, in the retention run's transaction, the queued
/// acknowledgements of the submissions whose email address it removes.
pub(crate) const FORGET_ACKNOWLEDGEMENTS: &str = "DELETE FROM outbox \
     WHERE kind = 'acknowledgement' AND state = 'queued' AND submission_id IN \
     (SELECT id FROM submissions WHERE call_id = ? AND submitted_at < ? \
     AND personal_data_removed_at IS NULL)";
