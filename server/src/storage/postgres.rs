//! PostgreSQL engine, for several server replicas on one database.
//!
//! Submissions are stored by a group commit, as on SQLite: requests put
//! theirs on a queue, and a task takes whatever has arrived (up to
//! [`MAX_BATCH`]) as one batch, stored by ONE statement in autocommit
//! ([`batch_insert`]): `INSERT … SELECT FROM unnest(arrays) … ON CONFLICT
//! DO NOTHING` against the unique `(call_id, idempotency_key)` and
//! `reference` constraints, with the batch's outbox messages in the same
//! data-modifying `WITH`. One round trip, one commit and one flush serve
//! the whole batch, and every request is answered only after that commit
//! (`synchronous_commit` is forced on for this pool, so it is durable).
//! Up to [`POSTGRES_BATCHES_IN_FLIGHT`] batches are in the database at
//! once, so the next batch gathers while one commits.
//!
//! A row the statement did not insert (its key, or rarely its reference,
//! was taken) is looked up after the commit, for all such rows of the
//! batch in one query: a replay gets the first reference, the same key with
//! another body is `KeyReused`, an erased key is refused, and a taken
//! reference is retried with a new one. Two rows with one key in a batch
//! store the first; rows are inserted in key order, so two replicas' (or
//! two batches') statements waiting on each other's keys take them in the
//! same order and cannot deadlock; two replicas racing on one key store one
//! row and return the same reference. No lock lives in any one process.
//!
//! The trigger of migration 0005 refuses a key of an erased submission
//! (error CFI01), after any wait on the key's row, so an erasure committing
//! meanwhile is seen; it fails the whole statement, and nothing of the batch
//! is kept. A batch the database refuses is then stored one submission at a
//! time with the same statement, so only the erased one (or whichever the
//! database refuses) is refused.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;

use cfi_rules::Reference;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Postgres, QueryBuilder, Row as _};
use tokio::sync::{Mutex, Semaphore, mpsc, oneshot};
use uuid::Uuid;

use crate::limits::{
    DATABASE_WAIT, MAX_BATCH, POSTGRES_BATCHES_IN_FLIGHT, POSTGRES_CONNECTIONS, QUEUE_DEPTH,
};
use crate::metrics::Metrics;

use super::{
    INSERT_COLUMNS, NewSubmission, REFERENCE_ATTEMPTS, Receipt, Row, SELECT_COLUMNS, StorageError,
    StoredSubmission, SubmissionRow, SubmitOutcome, new_reference, now_text, stored,
};

/// The error code the trigger of migration 0005 raises for a key of an
/// erased submission.
const ERASED_SQLSTATE: &str = "CFI01";

struct Job {
    row: Row,
    reply: oneshot::Sender<Result<SubmitOutcome, StorageError>>,
}

/// The PostgreSQL store. Cloning shares its pool and queue.
#[derive(Clone)]
pub struct PostgresStore {
    pub(super) pool: PgPool,
    pub(super) metrics: Metrics,
    jobs: mpsc::Sender<Job>,
    batcher: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl PostgresStore {
    pub async fn open(url: &str, metrics: Metrics) -> Result<Self, StorageError> {
        let options = PgConnectOptions::from_str(url)?
            .options([("synchronous_commit", "on")])
            .disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .acquire_timeout(DATABASE_WAIT)
            // As on SQLite: a connection still in a transaction when it
            // comes back is closed rather than reused.
            .after_release(|conn, _| {
                Box::pin(async move {
                    if !super::sql::outside_transaction(&mut *conn).await? {
                        return Ok(false);
                    }
                    // sqlx counts transactions on the client, and a request
                    // dropped while its BEGIN was on the wire leaves the
                    // server in one with a count of 0 (sqlx issue 4393): the
                    // next borrower's writes would run inside it, never
                    // committed. The server knows: inside a block, now() is
                    // the block's start; in the first statement of a
                    // transaction it equals the statement's own start.
                    let (inside,): (bool,) =
                        sqlx::query_as("SELECT now() <> statement_timestamp()")
                            .fetch_one(&mut *conn)
                            .await?;
                    if inside {
                        tracing::warn!(
                            "a connection left in a transaction by a dropped request is closed"
                        );
                    }
                    Ok(!inside)
                })
            })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        let handle = tokio::spawn(run_batches(pool.clone(), metrics.clone(), queue));
        Ok(Self {
            pool,
            metrics,
            jobs,
            batcher: Arc::new(Mutex::new(Some(handle))),
        })
    }

    /// Queues the submission for the next batch and waits for the batch's
    /// commit.
    pub async fn submit(&self, new: NewSubmission) -> Result<SubmitOutcome, StorageError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            row: Row::from_new(&new),
            reply,
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| StorageError::WriterGone)?;
        answer.await.map_err(|_| StorageError::WriterGone)?
    }

    pub async fn find_by_key(
        &self,
        call_id: &str,
        key: Uuid,
    ) -> Result<Option<(String, Receipt)>, StorageError> {
        let row = sqlx::query(
            "SELECT body_hash, reference, submitted_at FROM submissions \
             WHERE call_id = $1 AND idempotency_key = $2",
        )
        .bind(call_id)
        .bind(key.hyphenated().to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((
            row.try_get("body_hash")?,
            Receipt {
                reference: parse_reference(&row.try_get::<String, _>("reference")?)?,
                submitted_at: row.try_get("submitted_at")?,
            },
        )))
    }

    pub async fn list(&self, call_id: &str) -> Result<Vec<StoredSubmission>, StorageError> {
        let sql =
            format!("SELECT {SELECT_COLUMNS} FROM submissions WHERE call_id = $1 ORDER BY id");
        let rows = sqlx::query_as::<_, SubmissionRow>(&sql)
            .bind(call_id)
            .fetch_all(&self.pool)
            .await?;
        stored(rows)
    }

    pub async fn health(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        if self.jobs.is_closed() {
            return Err(StorageError::WriterGone);
        }
        Ok(())
    }

    pub async fn close(&self) {
        let handle = self.batcher.lock().await.take();
        if let Some(handle) = handle {
            // As on SQLite: only at process exit, after in-flight requests
            // finished (their batches have committed by then).
            handle.abort();
        }
        self.pool.close().await;
    }
}

fn parse_reference(text: &str) -> Result<Reference, StorageError> {
    Reference::parse(text).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// Takes submissions off the queue in batches and stores each batch in its
/// own task, at most [`POSTGRES_BATCHES_IN_FLIGHT`] at once.
async fn run_batches(pool: PgPool, metrics: Metrics, mut queue: mpsc::Receiver<Job>) {
    let in_flight = Arc::new(Semaphore::new(POSTGRES_BATCHES_IN_FLIGHT));
    while let Some(first) = queue.recv().await {
        // Wait for a free place before gathering: whatever arrives while the
        // batches in flight commit joins this one.
        let Ok(place) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let mut batch = Vec::with_capacity(MAX_BATCH);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        metrics.postgres_batch(batch.len());
        let pool = pool.clone();
        tokio::spawn(async move {
            let (rows, replies): (Vec<Row>, Vec<_>) =
                batch.into_iter().map(|job| (job.row, job.reply)).unzip();
            let outcomes = store(&pool, &rows).await;
            drop(place);
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(outcome);
            }
        });
    }
}

/// What became of one row after one statement: `None` when its reference
/// was taken and it must be tried again with another.
type Tried = Result<Option<SubmitOutcome>, StorageError>;

/// Stores `rows`, one outcome each, in their order.
async fn store(pool: &PgPool, rows: &[Row]) -> Vec<Result<SubmitOutcome, StorageError>> {
    let mut outcomes: Vec<Option<Result<SubmitOutcome, StorageError>>> =
        rows.iter().map(|_| None).collect();
    let mut pending: Vec<usize> = (0..rows.len()).collect();
    for _ in 0..REFERENCE_ATTEMPTS {
        if pending.is_empty() {
            break;
        }
        let tried: Vec<&Row> = pending.iter().map(|&i| &rows[i]).collect();
        let results = try_batch_or_each(pool, &tried).await;
        let mut again = Vec::new();
        for (i, result) in pending.into_iter().zip(results) {
            match result {
                Ok(None) => again.push(i),
                Ok(Some(outcome)) => outcomes[i] = Some(Ok(outcome)),
                Err(error) => outcomes[i] = Some(Err(error)),
            }
        }
        pending = again;
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Err(StorageError::ReferencesExhausted)))
        .collect()
}

/// One statement for all of `rows`; if the database refuses it (an erased
/// key, or any row it will not take), nothing of it was kept, and each row
/// is tried alone so that only the refused ones fail.
async fn try_batch_or_each(pool: &PgPool, rows: &[&Row]) -> Vec<Tried> {
    match try_rows(pool, rows).await {
        Ok(outcomes) => outcomes,
        Err(StorageError::Database(sqlx::Error::Database(error))) if rows.len() > 1 => {
            tracing::info!(
                error = %error,
                size = rows.len(),
                "a batch was refused; storing its submissions one by one"
            );
            let mut outcomes = Vec::with_capacity(rows.len());
            for &row in rows {
                outcomes.push(match try_rows(pool, &[row]).await {
                    Ok(mut one) => one.pop().unwrap_or(Ok(None)),
                    Err(error) => refused(error),
                });
            }
            outcomes
        }
        Err(error) if rows.len() == 1 => vec![refused(error)],
        Err(error) => {
            let message = error.to_string();
            tracing::error!(error = %message, size = rows.len(), "batch not committed");
            rows.iter()
                .map(|_| Err(StorageError::BatchFailed(message.clone())))
                .collect()
        }
    }
}

/// A statement of one row failed: the trigger's refusal of an erased key is
/// an answer, anything else an error.
fn refused(error: StorageError) -> Tried {
    match error {
        StorageError::Database(sqlx::Error::Database(e))
            if e.code().as_deref() == Some(ERASED_SQLSTATE) =>
        {
            Ok(Some(SubmitOutcome::Erased))
        }
        other => Err(other),
    }
}

/// Runs the batch statement once for `rows`, each with a new reference,
/// then looks up why the rows it did not insert were not. Only the
/// statement's failure is an `Err` (nothing of it was kept); a failed
/// lookup fails the rows not inserted and leaves the others stored.
async fn try_rows(pool: &PgPool, rows: &[&Row]) -> Result<Vec<Tried>, StorageError> {
    let now = now_text();
    let mut taken = HashSet::with_capacity(rows.len());
    let references: Vec<Reference> = rows
        .iter()
        .map(|_| {
            loop {
                // Distinct within the batch, so a returned reference names one row.
                let reference = new_reference();
                if taken.insert(reference.clone()) {
                    break reference;
                }
            }
        })
        .collect();
    let submitted: Vec<String> = rows
        .iter()
        .map(|row| row.submitted_at.clone().unwrap_or_else(|| now.clone()))
        .collect();
    let inserted: HashSet<String> = batch_insert(rows, &references, &submitted, &now)
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| r.try_get("reference"))
        .collect::<Result<_, _>>()?;
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut missing = Vec::new();
    for (i, (reference, submitted_at)) in references.into_iter().zip(submitted).enumerate() {
        if inserted.contains(reference.as_str()) {
            outcomes.push(Ok(Some(SubmitOutcome::Created(Receipt {
                reference,
                submitted_at,
            }))));
        } else {
            outcomes.push(Ok(None));
            missing.push(i);
        }
    }
    if !missing.is_empty() {
        let missing_rows: Vec<&Row> = missing.iter().map(|&i| rows[i]).collect();
        match why_not(pool, &missing_rows).await {
            Ok(found) => {
                for (i, outcome) in missing.into_iter().zip(found) {
                    outcomes[i] = Ok(outcome);
                }
            }
            Err(error) => {
                let message = error.to_string();
                for i in missing {
                    outcomes[i] = Err(StorageError::BatchFailed(message.clone()));
                }
            }
        }
    }
    Ok(outcomes)
}

/// The ONE statement that stores a batch (and, tried alone, one submission):
/// the rows go as one array per column, in [`INSERT_COLUMNS`]' order, so the
/// statement's text is the same whatever the batch and is prepared once per
/// connection. It returns the reference of each row inserted. Rows are
/// inserted in key order (then queue order), see the module's comment.
/// Whatever else must be written with a submission is added here, as
/// another data-modifying `WITH` reading `s`.
fn batch_insert<'a>(
    rows: &[&'a Row],
    references: &'a [Reference],
    submitted: &'a [String],
    created_at: &'a str,
) -> QueryBuilder<'a, Postgres> {
    let mut query = QueryBuilder::new(format!(
        "WITH s AS (INSERT INTO submissions ({INSERT_COLUMNS}) SELECT {INSERT_COLUMNS} \
         FROM unnest("
    ));
    let text = |f: fn(&'a Row) -> &'a str| rows.iter().map(|&r| f(r)).collect::<Vec<&str>>();
    let optional = |f: fn(&'a Row) -> Option<&'a str>| {
        rows.iter().map(|&r| f(r)).collect::<Vec<Option<&str>>>()
    };
    let flag = |f: fn(&'a Row) -> bool| rows.iter().map(|&r| f(r)).collect::<Vec<bool>>();
    query.push_bind(references.iter().map(Reference::as_str).collect::<Vec<_>>());
    query.push("::text[], ");
    query.push_bind(text(|r| r.call_id.as_str()));
    query.push("::text[], ");
    query.push_bind(optional(|r| r.partner.as_deref()));
    query.push("::text[], ");
    query.push_bind(text(|r| r.key.as_str()));
    query.push("::text[], ");
    query.push_bind(text(|r| r.body_hash.as_str()));
    query.push("::text[], ");
    query.push_bind(text(|r| r.capacity));
    query.push("::text[], ");
    query.push_bind(optional(|r| r.name.as_deref()));
    query.push("::text[], ");
    query.push_bind(optional(|r| r.organisation.as_deref()));
    query.push("::text[], ");
    query.push_bind(optional(|r| r.email.as_deref()));
    query.push("::text[], ");
    query.push_bind(text(|r| r.perspectives.as_str()));
    query.push("::text[], ");
    query.push_bind(text(|r| r.age_band));
    query.push("::text[], ");
    query.push_bind(text(|r| r.publication_chosen));
    query.push("::text[], ");
    query.push_bind(text(|r| r.publication));
    query.push("::text[], ");
    query.push_bind(text(|r| r.ideas.as_str()));
    query.push("::text[], ");
    query.push_bind(flag(|r| r.spam));
    query.push("::boolean[], ");
    query.push_bind(submitted.iter().map(String::as_str).collect::<Vec<_>>());
    query.push("::text[], ");
    query.push_bind(optional(|r| r.flag_phrase.as_deref()));
    query.push("::text[], ");
    query.push_bind(optional(|r| r.flag_passage.as_deref()));
    query.push("::text[], ");
    query.push_bind(flag(|r| r.flag_open()));
    query.push("::boolean[], ");
    query.push_bind(optional(|r| r.flag_level));
    query.push("::text[], ");
    query.push_bind(optional(|r| r.flag_category.as_deref()));
    query.push("::text[], ");
    query.push_bind(optional(|r| r.flag_reason.as_deref()));
    query.push(format!(
        "::text[]) WITH ORDINALITY AS n ({INSERT_COLUMNS}, ord) \
         ORDER BY call_id, idempotency_key, ord \
         ON CONFLICT DO NOTHING RETURNING id, reference, call_id)"
    ));
    let with_references: Vec<(&'a str, &'a Row)> = references
        .iter()
        .map(Reference::as_str)
        .zip(rows.iter().copied())
        .collect();
    super::outbox::push_postgres_batch_messages(&mut query, &with_references, created_at);
    query.push(" SELECT reference FROM s");
    query
}

/// Why each of `rows` was not inserted, in one query after the commit:
/// its key is one of an erased submission (checked first, as retention may
/// have removed the personal data of the row still there), or its key's
/// row is there (a replay, or the key reused with another body), or
/// neither: its reference was taken (`None`, to try again).
async fn why_not(pool: &PgPool, rows: &[&Row]) -> Result<Vec<Option<SubmitOutcome>>, StorageError> {
    let found = sqlx::query(
        "SELECT u.ord, e.key_hash IS NOT NULL AS erased, s.body_hash, s.reference, \
         s.submitted_at \
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY \
         AS u (call_id, idempotency_key, key_hash, ord) \
         LEFT JOIN erased_submission_keys e ON e.key_hash = u.key_hash \
         LEFT JOIN submissions s \
         ON s.call_id = u.call_id AND s.idempotency_key = u.idempotency_key",
    )
    .bind(rows.iter().map(|r| r.call_id.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.key.as_str()).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| r.erased_hash.as_str())
            .collect::<Vec<_>>(),
    )
    .fetch_all(pool)
    .await?;
    let mut outcomes: Vec<Option<SubmitOutcome>> = rows.iter().map(|_| None).collect();
    for row in found {
        let ord: i64 = row.try_get("ord")?;
        let Some(i) = usize::try_from(ord - 1).ok().filter(|&i| i < rows.len()) else {
            continue;
        };
        if row.try_get::<bool, _>("erased")? {
            outcomes[i] = Some(SubmitOutcome::Erased);
        } else if let Some(hash) = row.try_get::<Option<String>, _>("body_hash")? {
            let receipt = Receipt {
                reference: parse_reference(&row.try_get::<String, _>("reference")?)?,
                submitted_at: row.try_get("submitted_at")?,
            };
            outcomes[i] = Some(if rows[i].body_hash == hash {
                SubmitOutcome::Replayed(receipt)
            } else {
                SubmitOutcome::KeyReused
            });
        }
    }
    Ok(outcomes)
}
