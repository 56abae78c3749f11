//! The publication switch of each call: whether staff publish its
//! submissions, changed with a line in the audit log.

use crate::storage::{AuditLine, Sql, Storage, StorageError, Switch, now_text};

/// Whether staff switched publication on for the call.
pub async fn is_published(db: &Storage, call_id: &str) -> Result<bool, StorageError> {
    Switch::Submissions.is_on(db, call_id).await
}

/// Switches publication of a call on or off, with an audit line.
pub async fn set_published(
    db: &Storage,
    call_id: &str,
    published: bool,
    staff: &str,
) -> Result<(), StorageError> {
    let mut tx = db.begin().await?;
    Sql::new(Switch::Submissions.upsert())
        .bind(call_id)
        .bind(published)
        .bind(staff)
        .bind(now_text())
        .execute(&mut tx)
        .await?;
    Sql::new(crate::storage::publication::BUMP)
        .bind(call_id)
        .execute(&mut tx)
        .await?;
    let action = if published { "publish" } else { "unpublish" };
    let detail = if published {
        "publication switched on"
    } else {
        "publication switched off"
    };
    let at = now_text();
    let line = AuditLine {
        staff,
        action,
        call: Some(call_id),
        reference: None,
        detail,
    };
    line.insert(&at).execute(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
