//! PostgreSQL engine, for several server replicas on one database.
//!
//! Each submission is one statement in autocommit (its own transaction, one
//! round trip): `INSERT ... ON CONFLICT DO NOTHING` against the unique
//! `(call_id, idempotency_key)` constraint, with its outbox messages in the
//! same statement, then, only if nothing was inserted, a read of the row
//! that won. Two replicas racing on one key therefore store one row
//! and return the same reference; no lock lives in any one process.
//! `synchronous_commit` is forced on for this connection pool, so a 2xx is
//! only sent after the commit is durable.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Row as _};
use uuid::Uuid;

use crate::limits::{DATABASE_WAIT, POSTGRES_CONNECTIONS};
use crate::metrics::Metrics;

use super::{
    NewSubmission, REFERENCE_ATTEMPTS, Receipt, Row, SELECT_COLUMNS, StorageError,
    StoredSubmission, SubmissionRow, SubmitOutcome, insert_new, new_reference, now_text, stored,
};

/// The error code the trigger of migration 0005 raises for a key of an
/// erased submission.
const ERASED_SQLSTATE: &str = "CFI01";

/// The PostgreSQL store. Cloning shares its pool.
#[derive(Clone)]
pub struct PostgresStore {
    pub(super) pool: PgPool,
    pub(super) metrics: Metrics,
}

impl PostgresStore {
    pub async fn open(url: &str, metrics: Metrics) -> Result<Self, StorageError> {
        let options = PgConnectOptions::from_str(url)?
            .options([("synchronous_commit", "on")])
            .disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .acquire_timeout(DATABASE_WAIT)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool, metrics })
    }

    /// One statement in autocommit, so one round trip when the key is new:
    /// the INSERT of the submission (with its flag) and of its outbox
    /// messages, as a data-modifying `WITH`. Only when it inserts nothing
    /// (the key or, rarely, the reference was taken) does a second query
    /// find out why.
    pub async fn submit(&self, new: NewSubmission) -> Result<SubmitOutcome, StorageError> {
        let row = Row::from_new(&new);
        let created_at = now_text();
        for _ in 0..REFERENCE_ATTEMPTS {
            let reference = new_reference();
            let submitted_at = row.submitted_at.clone().unwrap_or_else(now_text);
            let mut query = insert_new::<sqlx::Postgres>(
                "WITH s AS (",
                &row,
                reference.as_str(),
                &submitted_at,
            );
            super::outbox::push_postgres_tail(&mut query, &row, &created_at);
            // A key of an erased submission is refused by the trigger of
            // migration 0005, after any wait on the key's row, so an
            // erasure committing meanwhile is seen and nothing is kept.
            let inserted = match query.build().fetch_optional(&self.pool).await {
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(ERASED_SQLSTATE) => {
                    return Ok(SubmitOutcome::Erased);
                }
                other => other?,
            };
            if inserted.is_some() {
                return Ok(SubmitOutcome::Created(Receipt {
                    reference,
                    submitted_at,
                }));
            }
            // The key's row is there: a retry, unless retention removed its
            // personal data (the key is then remembered as erased).
            if self.was_erased_hash(&row.erased_hash).await? {
                return Ok(SubmitOutcome::Erased);
            }
            if let Some((hash, receipt)) = self.find_by_key_text(&row.call_id, &row.key).await? {
                return Ok(if hash == row.body_hash {
                    SubmitOutcome::Replayed(receipt)
                } else {
                    SubmitOutcome::KeyReused
                });
            }
        }
        Err(StorageError::ReferencesExhausted)
    }

    async fn was_erased_hash(&self, hash: &str) -> Result<bool, StorageError> {
        Ok(
            sqlx::query(&super::engine::dollar(super::erased::WAS_ERASED))
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    pub async fn find_by_key(
        &self,
        call_id: &str,
        key: Uuid,
    ) -> Result<Option<(String, Receipt)>, StorageError> {
        self.find_by_key_text(call_id, &key.hyphenated().to_string())
            .await
    }

    async fn find_by_key_text(
        &self,
        call_id: &str,
        key: &str,
    ) -> Result<Option<(String, Receipt)>, StorageError> {
        let row = sqlx::query(
            "SELECT body_hash, reference, submitted_at FROM submissions \
             WHERE call_id = $1 AND idempotency_key = $2",
        )
        .bind(call_id)
        .bind(key)
        .fetch_optional(&self.pool)
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
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
