//! Reading stored submissions, for every feature: one by reference, counts,
//! and a call's submissions a page at a time.

use super::{SELECT_COLUMNS, Sql, Storage, StorageError, StoredSubmission, SubmissionRow};

/// A submission row with its place in the table, for reading in pages.
#[derive(sqlx::FromRow)]
struct PagedRow {
    id: i64,
    #[sqlx(flatten)]
    row: SubmissionRow,
}

impl Storage {
    /// Up to `limit` submissions of a call stored after the one at `after`
    /// (0 for the first page), oldest first, each with its place to pass as
    /// the next `after`: a whole call read a page at a time, in bounded
    /// memory.
    pub async fn list_page(
        &self,
        call_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, StoredSubmission)>, StorageError> {
        let sql = format!(
            "SELECT id, {SELECT_COLUMNS} FROM submissions WHERE call_id = ? AND id > ? \
             ORDER BY id LIMIT ?"
        );
        Sql::new(sql)
            .bind(call_id)
            .bind(after)
            .bind(limit)
            .fetch_all_as::<PagedRow>(self)
            .await?
            .into_iter()
            .map(|p| Ok((p.id, StoredSubmission::try_from(p.row)?)))
            .collect()
    }

    /// One submission by its reference.
    pub async fn submission(
        &self,
        reference: &str,
    ) -> Result<Option<StoredSubmission>, StorageError> {
        let sql = format!("SELECT {SELECT_COLUMNS} FROM submissions WHERE reference = ?");

        let row = Sql::new(&sql)
            .bind(reference)
            .fetch_optional_as::<SubmissionRow>(self)
            .await?;
        row.map(StoredSubmission::try_from).transpose()
    }

    /// How many flagged submissions are not yet handled, in every call.
    pub async fn open_flag_count(&self) -> Result<i64, StorageError> {
        let row = Sql::new("SELECT count(*) AS n FROM submissions WHERE flag_open")
            .fetch_one(self)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// How many submissions are stored, in every call.
    pub async fn count_all(&self) -> Result<i64, StorageError> {
        let row = Sql::new("SELECT count(*) AS n FROM submissions")
            .fetch_one(self)
            .await?;
        Ok(row.try_get("n")?)
    }
}
