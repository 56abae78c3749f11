//! What the net's flags came to, per category: how many were raised at each
//! level and how many staff marked "not a concern" (an action not undone),
//! so the net's noise is visible on the dashboard and in `/metrics`.

use crate::storage::{Sql, Storage, StorageError};

/// The flags of one category and level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagCount {
    /// The category's id.
    pub category: String,
    /// `urgent` or `sensitive`.
    pub level: String,
    pub raised: i64,
    pub not_a_concern: i64,
}

/// Every category and level with at least one flag, in every call.
pub async fn counts(db: &Storage) -> Result<Vec<FlagCount>, StorageError> {
    let rows = Sql::new(
        "SELECT coalesce(s.flag_category, 'call-phrase') AS category, \
         coalesce(s.flag_level, 'urgent') AS level, count(*) AS raised, \
         sum(CASE WHEN EXISTS (SELECT 1 FROM moderation_actions AS a \
             WHERE a.submission_id = s.id AND a.action = 'not_a_concern' \
             AND NOT EXISTS (SELECT 1 FROM moderation_actions AS u \
                 WHERE u.action = 'undo' AND u.undoes = a.id)) \
             THEN 1 ELSE 0 END) AS noise \
         FROM submissions AS s WHERE s.flag_phrase IS NOT NULL \
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(FlagCount {
                category: row.try_get("category")?,
                level: row.try_get("level")?,
                raised: row.try_get("raised")?,
                not_a_concern: row.try_get("noise")?,
            })
        })
        .collect()
}
