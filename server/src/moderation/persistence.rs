//! The moderation actions table: each submission's audit trail, read by the
//! review team and by publication, written one action at a time.

use super::{ActionKind, ModerationAction, NewAction};
use crate::storage::{Sql, Storage, StorageError, now_text};

const ACTION_COLUMNS: &str = "m.id, s.reference, m.action, m.idea, m.field, m.spans, m.undoes, \
     m.reason, m.staff, m.at";

/// A `moderation_actions` row as [`ACTION_COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
struct ActionRow {
    id: i64,
    reference: String,
    action: String,
    idea: Option<i64>,
    field: Option<String>,
    spans: Option<String>,
    undoes: Option<i64>,
    reason: String,
    staff: String,
    at: String,
}

impl TryFrom<ActionRow> for ModerationAction {
    type Error = StorageError;

    fn try_from(row: ActionRow) -> Result<Self, StorageError> {
        Ok(Self {
            id: row.id,
            reference: row.reference,
            action: ActionKind::from_wire(&row.action)
                .ok_or_else(|| StorageError::Corrupt(format!("unknown action {}", row.action)))?,
            idea: row.idea.and_then(|i| usize::try_from(i).ok()),
            field: row.field,
            spans: match row.spans {
                Some(text) => crate::storage::parse_list(&text)?,
                None => Vec::new(),
            },
            undoes: row.undoes,
            reason: row.reason,
            staff: row.staff,
            at: row.at,
        })
    }
}

fn from_rows(rows: Vec<ActionRow>) -> Result<Vec<ModerationAction>, StorageError> {
    rows.into_iter().map(ModerationAction::try_from).collect()
}

/// The audit trail of one submission, oldest first.
pub async fn actions(db: &Storage, reference: &str) -> Result<Vec<ModerationAction>, StorageError> {
    actions_where(db, "s.reference = ?", reference).await
}

/// Every moderation action of a call, oldest first.
pub async fn call_actions(
    db: &Storage,
    call_id: &str,
) -> Result<Vec<ModerationAction>, StorageError> {
    actions_where(db, "m.call_id = ?", call_id).await
}

async fn actions_where(
    db: &Storage,
    filter: &str,
    value: &str,
) -> Result<Vec<ModerationAction>, StorageError> {
    let sql = format!(
        "SELECT {ACTION_COLUMNS} FROM moderation_actions AS m \
         JOIN submissions AS s ON s.id = m.submission_id WHERE {filter} ORDER BY m.id"
    );
    let rows = Sql::new(&sql)
        .bind(value)
        .fetch_all_as::<ActionRow>(db)
        .await?;
    from_rows(rows)
}

/// The audit trails of several submissions at once (one query for a
/// page of results), oldest first.
pub async fn actions_of(
    db: &Storage,
    references: &[&str],
) -> Result<Vec<ModerationAction>, StorageError> {
    if references.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; references.len()].join(", ");
    let sql = format!(
        "SELECT {ACTION_COLUMNS} FROM moderation_actions AS m \
         JOIN submissions AS s ON s.id = m.submission_id \
         WHERE s.reference IN ({marks}) ORDER BY m.id"
    );
    let mut query = Sql::new(&sql);
    for reference in references {
        query = query.bind(*reference);
    }
    from_rows(query.fetch_all_as::<ActionRow>(db).await?)
}

/// Records a moderation action on the submission `reference`; `None`
/// when there is no such submission. Handling a flag closes it and
/// undoing that reopens it, in the same transaction.
pub async fn record_action(
    db: &Storage,
    reference: &str,
    new: &NewAction,
) -> Result<Option<ModerationAction>, StorageError> {
    let at = now_text();
    let spans = (!new.spans.is_empty())
        .then(|| serde_json::to_string(&new.spans))
        .transpose()
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let idea = new.idea.and_then(|i| i64::try_from(i).ok());
    let mut tx = db.begin().await?;
    let row = Sql::new(
        "INSERT INTO moderation_actions (submission_id, call_id, action, idea, field, \
             spans, undoes, reason, staff, at) \
             SELECT id, call_id, ?, ?, ?, ?, ?, ?, ?, ? FROM submissions WHERE reference = ? \
             RETURNING id, call_id, submission_id",
    )
    .bind(new.action.as_str())
    .bind(idea)
    .bind(&new.field)
    .bind(&spans)
    .bind(new.undoes)
    .bind(&new.reason)
    .bind(&new.staff)
    .bind(&at)
    .bind(reference)
    .fetch_optional(&mut tx)
    .await?;
    let Some(row) = row else {
        return Ok::<_, StorageError>(None);
    };
    let id: i64 = row.try_get("id")?;
    let call: String = row.try_get("call_id")?;
    let submission_id: i64 = row.try_get("submission_id")?;
    Sql::new(crate::storage::publication::BUMP)
        .bind(&call)
        .execute(&mut tx)
        .await?;
    let reopen = match (new.action, new.undoes) {
        (ActionKind::Undo, Some(target)) => {
            let kind: Option<String> =
                Sql::new("SELECT action FROM moderation_actions WHERE id = ?")
                    .bind(target)
                    .fetch_optional(&mut tx)
                    .await?
                    .map(|r| r.try_get("action"))
                    .transpose()?;
            [ActionKind::HandleFlag, ActionKind::NotAConcern]
                .iter()
                .any(|k| kind.as_deref() == Some(k.as_str()))
        }
        _ => false,
    };
    if matches!(new.action, ActionKind::HandleFlag | ActionKind::NotAConcern) {
        Sql::new("UPDATE submissions SET flag_open = ? WHERE reference = ?")
            .bind(false)
            .bind(reference)
            .execute(&mut tx)
            .await?;
    } else if reopen {
        Sql::new(
            "UPDATE submissions SET flag_open = (flag_level = 'urgent') \
                 WHERE reference = ?",
        )
        .bind(reference)
        .execute(&mut tx)
        .await?;
    } else if let (ActionKind::RaiseFlag, Some(raise)) = (new.action, &new.raise) {
        // Urgent and open, whatever it was before; what was found on
        // arrival (phrase, passage) stays.
        Sql::new(
            "UPDATE submissions SET flag_phrase = coalesce(flag_phrase, ''), \
                 flag_level = 'urgent', flag_category = ?, flag_reason = ?, flag_open = ? \
                 WHERE id = ?",
        )
        .bind(raise.category.as_str())
        .bind(format!("raised by {}", new.staff))
        .bind(true)
        .bind(submission_id)
        .execute(&mut tx)
        .await?;
        crate::storage::outbox::queue_in(&mut tx, submission_id, reference, &call, &raise.messages)
            .await?;
    }
    let value = Some(ModerationAction {
        id,
        reference: reference.to_owned(),
        action: new.action,
        idea: new.idea,
        field: new.field.clone(),
        spans: new.spans.clone(),
        undoes: new.undoes,
        reason: new.reason.clone(),
        staff: new.staff.clone(),
        at: at.clone(),
    });
    tx.commit().await?;
    Ok(value)
}
