//! SQLite engine: WAL with `synchronous=FULL`, one writer task that commits
//! submissions in batches (group commit), and a small pool of readers.
//!
//! Every request waiting on the writer gets its answer only after the batch
//! holding it has committed, so an acknowledgement always means "on disk";
//! batching is what lets many concurrent submissions share one fsync.

use std::str::FromStr;
use std::sync::Arc;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Row as _};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use super::{
    NewSubmission, REFERENCE_ATTEMPTS, Receipt, Row, SELECT_COLUMNS, StorageError,
    StoredSubmission, SubmissionRow, SubmitOutcome, insert_new, new_reference, now_text, stored,
};

use crate::limits::{DATABASE_WAIT, MAX_BATCH, QUEUE_DEPTH, SQLITE_READERS};
use crate::metrics::Metrics;

struct Job {
    row: Row,
    reply: oneshot::Sender<Result<SubmitOutcome, StorageError>>,
}

/// The SQLite store. Cloning shares it.
#[derive(Clone)]
pub struct SqliteStore {
    pub(super) readers: SqlitePool,
    /// Staff actions (moderation, publication, erasure, retention) write on
    /// this pool's one connection in `BEGIN IMMEDIATE` transactions
    /// ([`super::Tx`]); the busy timeout lets them wait for a group commit
    /// in progress and the other way round.
    pub(super) staff_writer: SqlitePool,
    jobs: mpsc::Sender<Job>,
    writer: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
    pub(super) metrics: Metrics,
}

fn options(url: &str) -> Result<SqliteConnectOptions, StorageError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(DATABASE_WAIT)
        // Freed content is overwritten with zeros, so an erased submission
        // cannot be read back from the file's free pages.
        .pragma("secure_delete", "on")
        .disable_statement_logging())
}

impl SqliteStore {
    /// Copies every page of the write-ahead log into the database and
    /// truncates the log to nothing, waiting (up to the busy timeout) for
    /// readers and the group commit. Called after personal data is removed.
    pub(super) async fn empty_write_ahead_log(&self) -> Result<(), StorageError> {
        let mut conn = self.staff_writer.acquire().await?;
        let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut *conn)
            .await?;
        let busy: i64 = row.try_get(0)?;
        if busy != 0 {
            tracing::warn!(
                "the write-ahead log could not be emptied after a removal: \
                 the next checkpoint will"
            );
        }
        Ok(())
    }

    pub async fn open(url: &str, metrics: Metrics) -> Result<Self, StorageError> {
        let mut writer = options(url)?.connect().await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&mut writer)
            .await?;
        let staff_writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(DATABASE_WAIT)
            // A `BEGIN IMMEDIATE` whose future was dropped just after it
            // took the lock leaves no `Transaction` to roll back (sqlx
            // 0.8's SQLite transaction manager): such a connection is
            // closed, which ends its transaction and frees the write lock,
            // instead of going back to the pool.
            .after_release(|conn, _| Box::pin(super::sql::outside_transaction(conn)))
            .connect_with(options(url)?)
            .await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(SQLITE_READERS)
            .connect_with(options(url)?.read_only(true))
            .await?;
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        let handle = tokio::spawn(run_writer(writer, queue, metrics.clone()));
        Ok(Self {
            readers,
            staff_writer,
            jobs,
            writer: Arc::new(Mutex::new(Some(handle))),
            metrics,
        })
    }

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
        let mut conn = self.readers.acquire().await?;
        find_by_key(&mut conn, call_id, &key.hyphenated().to_string()).await
    }

    pub async fn list(&self, call_id: &str) -> Result<Vec<StoredSubmission>, StorageError> {
        let sql = format!("SELECT {SELECT_COLUMNS} FROM submissions WHERE call_id = ? ORDER BY id");
        let rows = sqlx::query_as::<_, SubmissionRow>(&sql)
            .bind(call_id)
            .fetch_all(&self.readers)
            .await?;
        stored(rows)
    }

    pub async fn health(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        if self.jobs.is_closed() {
            return Err(StorageError::WriterGone);
        }
        Ok(())
    }

    pub async fn close(&self) {
        let handle = self.writer.lock().await.take();
        if let Some(handle) = handle {
            // Dropping our sender is not enough while clones live in handlers;
            // the writer drains and exits when every sender is gone. Abort
            // only happens at process exit, after in-flight requests finished.
            handle.abort();
        }
        self.readers.close().await;
    }
}

async fn run_writer(mut conn: SqliteConnection, mut queue: mpsc::Receiver<Job>, metrics: Metrics) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match write_batch(&mut conn, &batch).await {
            Ok(outcomes) => {
                metrics.sqlite_batch(batch.len());
                for (job, outcome) in batch.drain(..).zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
                let message = error.to_string();
                tracing::error!(error = %message, size = batch.len(), "batch not committed");
                for job in batch.drain(..) {
                    let _ = job
                        .reply
                        .send(Err(StorageError::BatchFailed(message.clone())));
                }
                // A broken connection stays broken: reopen before going on.
                if conn.ping().await.is_err() {
                    tracing::error!("writer connection lost; stopping the writer");
                    return;
                }
            }
        }
    }
}

async fn write_batch(
    conn: &mut SqliteConnection,
    batch: &[Job],
) -> Result<Vec<SubmitOutcome>, StorageError> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        outcomes.push(insert(conn, &job.row).await?);
    }
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(outcomes)
}

async fn insert(conn: &mut SqliteConnection, row: &Row) -> Result<SubmitOutcome, StorageError> {
    // Erasures commit on the staff connection under the same write lock, so
    // this check and the INSERT cannot interleave with one.
    if was_erased(conn, &row.erased_hash).await? {
        return Ok(SubmitOutcome::Erased);
    }
    for _ in 0..REFERENCE_ATTEMPTS {
        let reference = new_reference();
        let submitted_at = row.submitted_at.clone().unwrap_or_else(now_text);
        let done = insert_new::<sqlx::Sqlite>(row, reference.as_str(), &submitted_at)
            .build()
            .execute(&mut *conn)
            .await?;
        if done.rows_affected() == 1 {
            super::outbox::insert_sqlite(conn, done.last_insert_rowid(), reference.as_str(), row)
                .await?;
            return Ok(SubmitOutcome::Created(Receipt {
                reference,
                submitted_at,
            }));
        }
        // A conflict: either the key was used before, or (rarely) the
        // reference was taken; in that case try another reference.
        if let Some((hash, receipt)) = find_by_key(conn, &row.call_id, &row.key).await? {
            return Ok(if hash == row.body_hash {
                SubmitOutcome::Replayed(receipt)
            } else {
                SubmitOutcome::KeyReused
            });
        }
    }
    Err(StorageError::ReferencesExhausted)
}

async fn was_erased(conn: &mut SqliteConnection, hash: &str) -> Result<bool, StorageError> {
    let row = sqlx::query(super::erased::WAS_ERASED)
        .bind(hash)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

async fn find_by_key(
    conn: &mut SqliteConnection,
    call_id: &str,
    key: &str,
) -> Result<Option<(String, Receipt)>, StorageError> {
    let row = sqlx::query(
        "SELECT body_hash, reference, submitted_at FROM submissions \
         WHERE call_id = ? AND idempotency_key = ?",
    )
    .bind(call_id)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let reference: String = row.try_get("reference")?;
    let reference = cfi_rules::Reference::parse(&reference)
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    Ok(Some((
        row.try_get("body_hash")?,
        Receipt {
            reference,
            submitted_at: row.try_get("submitted_at")?,
        },
    )))
}
