//! The analyses' own table: suggested codes staff rejected, so they are not
//! suggested again (migration `0009_code_suggestions.sql`).

use crate::codebook::persistence::{IdeaRef, index, stored_index};
use crate::storage::{Sql, Storage, StorageError, now_text};

/// The suggested codes staff rejected for a submission's ideas, as
/// (0-based idea, code).
pub async fn rejected_suggestions(
    db: &Storage,
    reference: &str,
) -> Result<Vec<(usize, i64)>, StorageError> {
    let rows = Sql::new(
        "SELECT r.idea, r.code_id FROM rejected_suggestions AS r \
         JOIN submissions AS s ON s.id = r.submission_id WHERE s.reference = ? \
         ORDER BY r.idea, r.code_id",
    )
    .bind(reference)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| Ok((index(row.try_get("idea")?)?, row.try_get("code_id")?)))
        .collect()
}

/// Records that `staff` rejected `code` as a suggestion for an idea
/// (once: rejecting again keeps the first who and when).
pub async fn reject_suggestion(
    db: &Storage,
    target: &IdeaRef,
    code: i64,
    staff: &str,
) -> Result<(), StorageError> {
    let idea = stored_index(target.idea)?;
    let at = now_text();
    let mut tx = db.begin().await?;
    Sql::new(
        "INSERT INTO rejected_suggestions (submission_id, idea, code_id, staff, at) \
             SELECT id, ?, ?, ?, ? FROM submissions WHERE reference = ? \
             ON CONFLICT DO NOTHING",
    )
    .bind(idea)
    .bind(code)
    .bind(staff)
    .bind(&at)
    .bind(&target.reference)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
