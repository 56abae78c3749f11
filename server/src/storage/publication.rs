//! The state of a call's publication, read with one cheap query, so the
//! published output can be cached per state and rebuilt only when it
//! changes. It comes from the database, not from a process's memory, so a
//! replica never serves output older than a change another replica made.

use super::{Sql, Storage, StorageError};

/// What the published output of a call depends on, in one comparable value.
/// `staff_changes` is raised in the same transaction as every staff change
/// (moderation, the publication switch, erasure, retention); between two of
/// them submissions are only added, so their count names the rest. The
/// count is read from `submission_counts`, which triggers keep in the same
/// statement as each insert and delete (migration 0010), so no request
/// counts the call's submissions. Later states compare greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicationVersion {
    pub staff_changes: i64,
    pub submissions: i64,
}

/// Whether a call is published, and its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicationState {
    pub published: bool,
    pub version: PublicationVersion,
}

/// Raises a call's counter; run inside every transaction that changes what
/// the call publishes.
pub(crate) const BUMP: &str = "INSERT INTO publication_versions (call_id, version) VALUES (?, 1) \
     ON CONFLICT (call_id) DO UPDATE SET version = publication_versions.version + 1";

impl Storage {
    /// Whether the call is published, and the version of what it publishes.
    pub async fn publication_state(&self, call_id: &str) -> Result<PublicationState, StorageError> {
        let row = Sql::new(
            "SELECT \
             CAST(coalesce((SELECT version FROM publication_versions WHERE call_id = ?), 0) \
             AS BIGINT) AS staff_changes, \
             CAST(coalesce((SELECT sum(submissions) FROM submission_counts \
             WHERE call_id = ?), 0) AS BIGINT) AS submissions, \
             CAST(coalesce((SELECT CASE WHEN published THEN 1 ELSE 0 END \
             FROM call_publication WHERE call_id = ?), 0) AS BIGINT) AS published",
        )
        .bind(call_id)
        .bind(call_id)
        .bind(call_id)
        .fetch_one(self)
        .await?;
        Ok(PublicationState {
            published: row.try_get::<i64, _>("published")? != 0,
            version: PublicationVersion {
                staff_changes: row.try_get("staff_changes")?,
                submissions: row.try_get("submissions")?,
            },
        })
    }
}
