//! The embeddings' SQL: submissions taken from the queue under a lease,
//! vectors stored with the queue row removed in one transaction, and the
//! vectors read back for the analyses.

use std::collections::HashMap;
use std::time::Duration;

use crate::storage::outbox::after;
use crate::storage::{Sql, Storage, StorageError, StoredIdea, now_text, parse_list};

/// A submission taken from the queue, with the ideas to read.
#[derive(Debug, Clone)]
pub struct Taken {
    pub submission_id: i64,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub ideas: Vec<StoredIdea>,
}

/// How far the embeddings are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Submissions whose ideas are still to be read.
    pub queued: i64,
    /// Ideas with a stored vector.
    pub stored: i64,
}

const FREE: &str = "(lease_until IS NULL OR lease_until <= ?)";

/// Takes up to `limit` queued submissions for [`lease`](Duration), oldest
/// first. On PostgreSQL rows another replica is taking at this moment are
/// skipped (`FOR UPDATE SKIP LOCKED`) and a row is taken only if it is
/// still free when locked; on SQLite the one write connection takes them.
pub async fn take(db: &Storage, lease: Duration, limit: i64) -> Result<Vec<Taken>, StorageError> {
    let now = now_text();
    // A read first: when nothing waits (nearly always), no write lock is
    // taken at all.
    let waiting = Sql::new(format!(
        "SELECT submission_id FROM embedding_queue WHERE {FREE} LIMIT 1"
    ))
    .bind(&now)
    .fetch_optional(db)
    .await?;
    if waiting.is_none() {
        return Ok(Vec::new());
    }
    let mut tx = db.begin().await?;
    let lock = if tx.is_postgres() {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let rows = Sql::new(format!(
        "UPDATE embedding_queue SET lease_until = ?, attempts = attempts + 1 \
         WHERE {FREE} AND submission_id IN (SELECT submission_id FROM embedding_queue \
         WHERE {FREE} ORDER BY submission_id LIMIT ?{lock}) \
         RETURNING submission_id, attempts"
    ))
    .bind(after(lease))
    .bind(&now)
    .bind(&now)
    .bind(limit)
    .fetch_all(&mut tx)
    .await?;
    tx.commit().await?;
    let mut taken = Vec::with_capacity(rows.len());
    for row in rows {
        let submission_id: i64 = row.try_get("submission_id")?;
        let attempts: i64 = row.try_get("attempts")?;
        let ideas = Sql::new("SELECT ideas FROM submissions WHERE id = ?")
            .bind(submission_id)
            .fetch_optional(db)
            .await?;
        // Erased meanwhile: its queue row went with it.
        if let Some(row) = ideas {
            taken.push(Taken {
                submission_id,
                attempts,
                ideas: parse_list(&row.try_get::<String, _>("ideas")?)?,
            });
        }
    }
    taken.sort_by_key(|t| t.submission_id);
    Ok(taken)
}

/// Stores a submission's vectors (one per idea, in order) made by `model`,
/// and removes it from the queue, in one transaction. A submission erased
/// meanwhile stores nothing.
pub async fn store(
    db: &Storage,
    submission_id: i64,
    model: &str,
    vectors: &[Vec<f32>],
) -> Result<(), StorageError> {
    let mut tx = db.begin().await?;
    for (idea, vector) in vectors.iter().enumerate() {
        Sql::new(
            "INSERT INTO idea_embeddings (submission_id, idea, model, vector) \
             SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM submissions WHERE id = ?) \
             ON CONFLICT (submission_id, idea) DO UPDATE \
             SET model = excluded.model, vector = excluded.vector",
        )
        .bind(submission_id)
        .bind(i64::try_from(idea).unwrap_or(i64::MAX))
        .bind(model)
        .bind(crate::model::to_bytes(vector))
        .bind(submission_id)
        .execute(&mut tx)
        .await?;
    }
    Sql::new("DELETE FROM embedding_queue WHERE submission_id = ?")
        .bind(submission_id)
        .execute(&mut tx)
        .await?;
    tx.commit().await
}

/// The attempt failed (`error`, in plain words); the submission is taken
/// again after `wait`.
pub async fn retry_later(
    db: &Storage,
    submission_id: i64,
    error: &str,
    wait: Duration,
) -> Result<(), StorageError> {
    let mut tx = db.begin().await?;
    Sql::new("UPDATE embedding_queue SET lease_until = ?, last_error = ? WHERE submission_id = ?")
        .bind(after(wait))
        .bind(error)
        .bind(submission_id)
        .execute(&mut tx)
        .await?;
    tx.commit().await
}

/// Every stored vector of `call`'s ideas made by `model`, by submission
/// reference and 0-based idea position.
pub async fn for_call(
    db: &Storage,
    call: &str,
    model: &str,
) -> Result<HashMap<(String, usize), Vec<f32>>, StorageError> {
    let rows = Sql::new(
        "SELECT s.reference, e.idea, e.vector FROM idea_embeddings e \
         JOIN submissions s ON s.id = e.submission_id WHERE s.call_id = ? AND e.model = ?",
    )
    .bind(call)
    .bind(model)
    .fetch_all(db)
    .await?;
    let mut vectors = HashMap::with_capacity(rows.len());
    for row in rows {
        let reference: String = row.try_get("reference")?;
        let idea: i64 = row.try_get("idea")?;
        let bytes: Vec<u8> = row.try_get("vector")?;
        let vector = crate::model::from_bytes(&bytes).ok_or_else(|| {
            StorageError::Corrupt(format!("the vector of {reference} idea {idea}"))
        })?;
        vectors.insert(
            (reference, usize::try_from(idea).unwrap_or(usize::MAX)),
            vector,
        );
    }
    Ok(vectors)
}

/// Submissions of `call` whose ideas are still to be read.
pub async fn waiting(db: &Storage, call: &str) -> Result<i64, StorageError> {
    Sql::new(
        "SELECT count(*) AS n FROM embedding_queue q JOIN submissions s \
         ON s.id = q.submission_id WHERE s.call_id = ?",
    )
    .bind(call)
    .fetch_one(db)
    .await?
    .try_get("n")
    .map_err(Into::into)
}

/// Submissions still to be read, over every call (the dashboard's count).
pub async fn queued(db: &Storage) -> Result<i64, StorageError> {
    Sql::new("SELECT count(*) AS n FROM embedding_queue")
        .fetch_one(db)
        .await?
        .try_get("n")
        .map_err(Into::into)
}

/// Submissions queued and ideas stored, over every call.
pub async fn totals(db: &Storage) -> Result<Totals, StorageError> {
    let row = Sql::new(
        "SELECT (SELECT count(*) FROM embedding_queue) AS queued, \
         (SELECT count(*) FROM idea_embeddings) AS stored",
    )
    .fetch_one(db)
    .await?;
    Ok(Totals {
        queued: row.try_get("queued")?,
        stored: row.try_get("stored")?,
    })
}
