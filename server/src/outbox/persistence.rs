//! The outbox as the worker and the staff pages see it: due messages taken
//! under a lease, marked sent, retried or given up, and each message's
//! state. (Messages are written with their submission, in the group
//! commit's transaction: `storage::outbox`.)

use std::time::Duration;

use serde::Serialize;

use crate::storage::outbox::after;
use crate::storage::{MessageKind, Sql, Storage, StorageError, StoredIdea, now_text, parse_list};

/// The submission a taken message is about, as the worker needs it.
#[derive(Debug, Clone)]
pub struct MessageSubject {
    pub flag_category: Option<String>,
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
    /// A sign-in link's token, until the message is sent or given up.
    pub secret: Option<String>,
    /// When it was queued.
    pub created_at: String,
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

/// Takes up to `limit` due messages for this worker for
/// [`OUTBOX_LEASE`](crate::limits::OUTBOX_LEASE). On PostgreSQL, rows
/// another replica is taking at the same moment are skipped (`FOR
/// UPDATE SKIP LOCKED`) and a row is taken only if it is still free
/// when locked; on SQLite the one write connection takes them.
pub async fn claim_messages(
    db: &Storage,
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
        .fetch_optional(db)
        .await
        .map(|row| row.is_some())
    }
    .await?;
    if !due {
        return Ok(Vec::new());
    }
    let until = after(lease);
    let mut tx = db.begin().await?;
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
        if let Some(message) = claimed_message(db, id).await? {
            claimed.push(message);
        }
    }
    Ok(claimed)
}

async fn claimed_message(db: &Storage, id: i64) -> Result<Option<ClaimedMessage>, StorageError> {
    let row = Sql::new(
        "SELECT o.id, o.kind, o.reference, o.call_id, o.recipient_name, o.recipient, \
         o.attempts, o.secret, o.created_at, s.id AS submission, s.flag_category, s.flag_open, s.email, s.ideas \
         FROM outbox o LEFT JOIN submissions s ON s.id = o.submission_id \
         WHERE o.id = ?",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let submission: Option<i64> = row.try_get("submission")?;
    let subject = match submission {
        None => None,
        Some(_) => Some(MessageSubject {
            flag_category: row.try_get("flag_category")?,
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
        secret: row.try_get("secret")?,
        created_at: row.try_get("created_at")?,
    }))
}

/// The mail server accepted the message.
pub async fn mark_sent(db: &Storage, id: i64) -> Result<(), StorageError> {
    finish(db, id, "sent", None, None).await
}

/// The message will not be sent: given up after `error`, or (`error`
/// `None`) not needed any more.
pub async fn mark_given_up(db: &Storage, id: i64, error: Option<&str>) -> Result<(), StorageError> {
    let state = if error.is_some() {
        "failed"
    } else {
        "cancelled"
    };
    finish(db, id, state, error, None).await
}

/// The attempt failed with `error`; try again after `wait`.
pub async fn mark_retry(
    db: &Storage,
    id: i64,
    error: &str,
    wait: Duration,
) -> Result<(), StorageError> {
    finish(db, id, "queued", Some(error), Some(after(wait))).await
}

/// Gives a taken message back untried (the worker is stopping).
pub async fn release_message(db: &Storage, id: i64) -> Result<(), StorageError> {
    let mut tx = db.begin().await?;
    Sql::new("UPDATE outbox SET lease_until = NULL, attempts = attempts - 1 WHERE id = ?")
        .bind(id)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn finish(
    db: &Storage,
    id: i64,
    state: &str,
    error: Option<&str>,
    not_before: Option<String>,
) -> Result<(), StorageError> {
    let sent_at = (state == "sent").then(now_text);
    let mut tx = db.begin().await?;
    // A sign-in link's token is forgotten once its message is done with.
    Sql::new(
        "UPDATE outbox SET state = ?, lease_until = NULL, \
             last_error = coalesce(?, last_error), sent_at = ?, \
             not_before = coalesce(?, not_before), \
             secret = CASE WHEN ? THEN secret ELSE NULL END WHERE id = ?",
    )
    .bind(state)
    .bind(error)
    .bind(&sent_at)
    .bind(&not_before)
    .bind(state == "queued")
    .bind(id)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The messages about one submission, oldest first.
pub async fn messages_of(db: &Storage, reference: &str) -> Result<Vec<MessageState>, StorageError> {
    let sql = format!("SELECT {STATE_COLUMNS} FROM outbox WHERE reference = ? ORDER BY id");
    states(
        Sql::new(&sql)
            .bind(reference)
            .fetch_all_as::<StateRow>(db)
            .await?,
    )
}

/// The latest safeguarding alerts and resends, newest first.
pub async fn recent_alerts(db: &Storage, limit: i64) -> Result<Vec<MessageState>, StorageError> {
    let sql = format!(
        "SELECT {STATE_COLUMNS} FROM outbox WHERE kind IN ('alert', 'resend') \
         ORDER BY id DESC LIMIT ?"
    );
    states(
        Sql::new(&sql)
            .bind(limit)
            .fetch_all_as::<StateRow>(db)
            .await?,
    )
}

/// How many messages wait and since when.
pub async fn outbox_stats(db: &Storage) -> Result<QueueStats, StorageError> {
    let row = Sql::new(
        "SELECT count(*) AS queued, min(created_at) AS oldest FROM outbox \
         WHERE state = 'queued'",
    )
    .fetch_one(db)
    .await?;
    Ok(QueueStats {
        queued: row.try_get("queued")?,
        oldest_queued_at: row.try_get("oldest")?,
    })
}
