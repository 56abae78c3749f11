//! The outbox table: messages written with their submission, taken by a
//! worker under a lease, and marked sent, retried, failed or cancelled.
//! What the messages say is the outbox feature's (`crate::outbox`); this is
//! only how they are kept.

use std::time::Duration;

use serde::Serialize;
use sqlx::QueryBuilder;

use super::{Row, Sql, Storage, StorageError, StoredIdea, now_text, parse_list};

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
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::Resend => "resend",
            Self::Acknowledgement => "acknowledgement",
        }
    }

    fn parse(text: &str) -> Result<Self, StorageError> {
        match text {
            "alert" => Ok(Self::Alert),
            "resend" => Ok(Self::Resend),
            "acknowledgement" => Ok(Self::Acknowledgement),
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

fn text_of(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn after(delay: Duration) -> String {
    let now = jiff::Timestamp::now();
    text_of(
        jiff::SignedDuration::try_from(delay)
            .ok()
            .and_then(|d| now.checked_add(d).ok())
            .unwrap_or(now),
    )
}

/// The submission a taken message is about, as the worker needs it.
#[derive(Debug, Clone)]
pub struct MessageSubject {
    pub flag_phrase: Option<String>,
    pub flag_open: bool,
    pub email: Option<String>,
    pub ideas: Vec<StoredIdea>,
}

/// A message taken by a worker, leased to it.
#[derive(Debug, Clone)]
pub struct ClaimedMessage {
    pub id: i64,
    pub kind: MessageKind,
    pub reference: String,
    pub call_id: String,
    pub recipient_name: Option<String>,
    pub recipient: Option<String>,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// `None` when the submission is gone.
    pub subject: Option<MessageSubject>,
}

/// A message's state, for the staff pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageState {
    pub reference: String,
    pub call: String,
    pub kind: MessageKind,
    pub recipient_name: Option<String>,
    /// `queued`, `sent`, `failed` or `cancelled`.
    pub state: String,
    pub attempts: i64,
    /// The last failure, in plain words.
    pub last_error: Option<String>,
    pub created_at: String,
    pub not_before: String,
    pub sent_at: Option<String>,
}

/// How far behind the outbox is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueStats {
    /// Messages waiting to be sent (due or not).
    pub queued: i64,
    /// When the oldest of them was written.
    pub oldest_queued_at: Option<String>,
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
pub(super) const FORGET_SUBMISSION: &str = "DELETE FROM outbox WHERE submission_id = \
     (SELECT id FROM submissions WHERE reference = ?) \
     AND (state = 'queued' OR kind = 'acknowledgement')";

/// Deletes, in the retention run's transaction, the queued
/// acknowledgements of the submissions whose email address it removes.
pub(super) const FORGET_ACKNOWLEDGEMENTS: &str = "DELETE FROM outbox \
     WHERE kind = 'acknowledgement' AND state = 'queued' AND submission_id IN \
     (SELECT id FROM submissions WHERE call_id = ? AND submitted_at < ? \
     AND personal_data_removed_at IS NULL)";

const CLAIM: &str = "UPDATE outbox SET lease_until = ?, attempts = attempts + 1 \
     WHERE state = 'queued' AND (lease_until IS NULL OR lease_until <= ?) AND id IN \
     (SELECT id FROM outbox WHERE state = 'queued' AND not_before <= ? \
     AND (lease_until IS NULL OR lease_until <= ?) ORDER BY not_before, id LIMIT ?";

const STATE_COLUMNS: &str = "reference, call_id, kind, recipient_name, state, attempts, \
     last_error, created_at, not_before, sent_at";

#[derive(sqlx::FromRow)]
struct StateRow {
    reference: String,
    call_id: String,
    kind: String,
    recipient_name: Option<String>,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: String,
    not_before: String,
    sent_at: Option<String>,
}

fn states(rows: Vec<StateRow>) -> Result<Vec<MessageState>, StorageError> {
    rows.into_iter()
        .map(|r| {
            Ok(MessageState {
                kind: MessageKind::parse(&r.kind)?,
                reference: r.reference,
                call: r.call_id,
                recipient_name: r.recipient_name,
                state: r.state,
                attempts: r.attempts,
                last_error: r.last_error,
                created_at: r.created_at,
                not_before: r.not_before,
                sent_at: r.sent_at,
            })
        })
        .collect()
}

impl Storage {
    /// Takes up to `limit` due messages for this worker for
    /// [`OUTBOX_LEASE`](crate::limits::OUTBOX_LEASE). On PostgreSQL, rows
    /// another replica is taking at the same moment are skipped (`FOR
    /// UPDATE SKIP LOCKED`) and a row is taken only if it is still free
    /// when locked; on SQLite the one write connection takes them.
    pub async fn claim_messages(
        &self,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<ClaimedMessage>, StorageError> {
        let now = now_text();
        // A read first: when nothing is due (nearly always), no write lock
        // is taken at all.
        let due = async {
            Sql::new(
                "SELECT id FROM outbox WHERE state = 'queued' AND not_before <= ? \
                 AND (lease_until IS NULL OR lease_until <= ?) LIMIT 1",
            )
            .bind(&now)
            .bind(&now)
            .fetch_optional(self)
            .await
            .map(|row| row.is_some())
        }
        .await?;
        if !due {
            return Ok(Vec::new());
        }
        let until = after(lease);
        let mut tx = self.begin().await?;
        // PostgreSQL skips rows another replica is taking at this moment.
        let lock = if tx.is_postgres() {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let ids: Vec<i64> = Sql::new(format!("{CLAIM}{lock}) RETURNING id"))
            .bind(&until)
            .bind(&now)
            .bind(&now)
            .bind(&now)
            .bind(limit)
            .fetch_all(&mut tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        tx.commit().await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(message) = self.claimed(id).await? {
                claimed.push(message);
            }
        }
        Ok(claimed)
    }

    async fn claimed(&self, id: i64) -> Result<Option<ClaimedMessage>, StorageError> {
        let row = Sql::new(
            "SELECT o.id, o.kind, o.reference, o.call_id, o.recipient_name, o.recipient, \
             o.attempts, s.id AS submission, s.flag_phrase, s.flag_open, s.email, s.ideas \
             FROM outbox o LEFT JOIN submissions s ON s.id = o.submission_id \
             WHERE o.id = ?",
        )
        .bind(id)
        .fetch_optional(self)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let submission: Option<i64> = row.try_get("submission")?;
        let subject = match submission {
            None => None,
            Some(_) => Some(MessageSubject {
                flag_phrase: row.try_get("flag_phrase")?,
                flag_open: row
                    .try_get::<Option<bool>, _>("flag_open")?
                    .unwrap_or(false),
                email: row.try_get("email")?,
                ideas: parse_list(
                    &row.try_get::<Option<String>, _>("ideas")?
                        .unwrap_or_else(|| "[]".into()),
                )?,
            }),
        };
        Ok(Some(ClaimedMessage {
            id: row.try_get("id")?,
            kind: MessageKind::parse(&row.try_get::<String, _>("kind")?)?,
            reference: row.try_get("reference")?,
            call_id: row.try_get("call_id")?,
            recipient_name: row.try_get("recipient_name")?,
            recipient: row.try_get("recipient")?,
            attempts: row.try_get("attempts")?,
            subject,
        }))
    }

    /// The mail server accepted the message.
    pub async fn mark_sent(&self, id: i64) -> Result<(), StorageError> {
        self.finish(id, "sent", None, None).await
    }

    /// The message will not be sent: given up after `error`, or (`error`
    /// `None`) not needed any more.
    pub async fn mark_given_up(&self, id: i64, error: Option<&str>) -> Result<(), StorageError> {
        let state = if error.is_some() {
            "failed"
        } else {
            "cancelled"
        };
        self.finish(id, state, error, None).await
    }

    /// The attempt failed with `error`; try again after `wait`.
    pub async fn mark_retry(
        &self,
        id: i64,
        error: &str,
        wait: Duration,
    ) -> Result<(), StorageError> {
        self.finish(id, "queued", Some(error), Some(after(wait)))
            .await
    }

    /// Gives a taken message back untried (the worker is stopping).
    pub async fn release_message(&self, id: i64) -> Result<(), StorageError> {
        let mut tx = self.begin().await?;
        Sql::new("UPDATE outbox SET lease_until = NULL, attempts = attempts - 1 WHERE id = ?")
            .bind(id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn finish(
        &self,
        id: i64,
        state: &str,
        error: Option<&str>,
        not_before: Option<String>,
    ) -> Result<(), StorageError> {
        let sent_at = (state == "sent").then(now_text);
        let mut tx = self.begin().await?;
        Sql::new(
            "UPDATE outbox SET state = ?, lease_until = NULL, \
                 last_error = coalesce(?, last_error), sent_at = ?, \
                 not_before = coalesce(?, not_before) WHERE id = ?",
        )
        .bind(state)
        .bind(error)
        .bind(&sent_at)
        .bind(&not_before)
        .bind(id)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The messages about one submission, oldest first.
    pub async fn messages_of(&self, reference: &str) -> Result<Vec<MessageState>, StorageError> {
        let sql = format!("SELECT {STATE_COLUMNS} FROM outbox WHERE reference = ? ORDER BY id");
        states(
            Sql::new(&sql)
                .bind(reference)
                .fetch_all_as::<StateRow>(self)
                .await?,
        )
    }

    /// The latest safeguarding alerts and resends, newest first.
    pub async fn recent_alerts(&self, limit: i64) -> Result<Vec<MessageState>, StorageError> {
        let sql = format!(
            "SELECT {STATE_COLUMNS} FROM outbox WHERE kind IN ('alert', 'resend') \
             ORDER BY id DESC LIMIT ?"
        );
        states(
            Sql::new(&sql)
                .bind(limit)
                .fetch_all_as::<StateRow>(self)
                .await?,
        )
    }

    /// How many messages wait and since when.
    pub async fn outbox_stats(&self) -> Result<QueueStats, StorageError> {
        let row = Sql::new(
            "SELECT count(*) AS queued, min(created_at) AS oldest FROM outbox \
             WHERE state = 'queued'",
        )
        .fetch_one(self)
        .await?;
        Ok(QueueStats {
            queued: row.try_get("queued")?,
            oldest_queued_at: row.try_get("oldest")?,
        })
    }
}
