//! Storage for the review team: moderation actions, the publication switch,
//! the audit log, erasure, retention and counts. Written once for both
//! engines (see [`super::engine`]), in portable SQL only (booleans are
//! compared as expressions, never with literals).

use serde::Serialize;

use crate::moderation::{ActionKind, ModerationAction, NewAction};

use super::{AuditLine, Sql, Storage, StorageError, Switch, now_text};

/// A line of the audit log not tied to a stored submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at: String,
    pub staff: String,
    pub action: String,
    pub call: Option<String>,
    pub reference: Option<String>,
    pub detail: String,
}

/// Submissions per call, partner and day (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub call: String,
    pub partner: Option<String>,
    pub day: String,
    pub submissions: i64,
    pub flagged: i64,
    pub open_flags: i64,
    pub spam: i64,
}

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
                Some(text) => super::parse_list(&text)?,
                None => Vec::new(),
            },
            undoes: row.undoes,
            reason: row.reason,
            staff: row.staff,
            at: row.at,
        })
    }
}

fn actions(rows: Vec<ActionRow>) -> Result<Vec<ModerationAction>, StorageError> {
    rows.into_iter().map(ModerationAction::try_from).collect()
}

impl Storage {
    /// The audit trail of one submission, oldest first.
    pub async fn actions(&self, reference: &str) -> Result<Vec<ModerationAction>, StorageError> {
        let sql = format!(
            "SELECT {ACTION_COLUMNS} FROM moderation_actions AS m \
             JOIN submissions AS s ON s.id = m.submission_id \
             WHERE s.reference = ? ORDER BY m.id"
        );

        let rows = Sql::new(&sql)
            .bind(reference)
            .fetch_all_as::<ActionRow>(self)
            .await?;
        actions(rows)
    }

    /// Every moderation action of a call, oldest first.
    pub async fn call_actions(&self, call_id: &str) -> Result<Vec<ModerationAction>, StorageError> {
        let sql = format!(
            "SELECT {ACTION_COLUMNS} FROM moderation_actions AS m \
             JOIN submissions AS s ON s.id = m.submission_id \
             WHERE m.call_id = ? ORDER BY m.id"
        );

        let rows = Sql::new(&sql)
            .bind(call_id)
            .fetch_all_as::<ActionRow>(self)
            .await?;
        actions(rows)
    }

    /// The audit trails of several submissions at once (one query for a
    /// page of results), oldest first.
    pub async fn actions_of(
        &self,
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
        actions(query.fetch_all_as::<ActionRow>(self).await?)
    }

    /// Records a moderation action on the submission `reference`; `None`
    /// when there is no such submission. Handling a flag closes it and
    /// undoing that reopens it, in the same transaction.
    pub async fn record_action(
        &self,
        reference: &str,
        new: &NewAction,
    ) -> Result<Option<ModerationAction>, StorageError> {
        let at = now_text();
        let spans = (!new.spans.is_empty())
            .then(|| serde_json::to_string(&new.spans))
            .transpose()
            .map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let idea = new.idea.and_then(|i| i64::try_from(i).ok());
        let mut tx = self.begin().await?;
        let row = Sql::new(
            "INSERT INTO moderation_actions (submission_id, call_id, action, idea, field, \
                 spans, undoes, reason, staff, at) \
                 SELECT id, call_id, ?, ?, ?, ?, ?, ?, ?, ? FROM submissions WHERE reference = ? \
                 RETURNING id, call_id",
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
        Sql::new(super::publication::BUMP)
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
                kind.as_deref() == Some(ActionKind::HandleFlag.as_str())
            }
            _ => false,
        };
        if new.action == ActionKind::HandleFlag {
            Sql::new("UPDATE submissions SET flag_open = ? WHERE reference = ?")
                .bind(false)
                .bind(reference)
                .execute(&mut tx)
                .await?;
        } else if reopen {
            Sql::new(
                "UPDATE submissions SET flag_open = (flag_phrase IS NOT NULL) \
                     WHERE reference = ?",
            )
            .bind(reference)
            .execute(&mut tx)
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

    /// Whether staff switched publication on for the call.
    pub async fn is_published(&self, call_id: &str) -> Result<bool, StorageError> {
        Switch::Submissions.is_on(self, call_id).await
    }

    /// Switches publication of a call on or off, with an audit line.
    pub async fn set_published(
        &self,
        call_id: &str,
        published: bool,
        staff: &str,
    ) -> Result<(), StorageError> {
        let mut tx = self.begin().await?;
        Sql::new(Switch::Submissions.upsert())
            .bind(call_id)
            .bind(published)
            .bind(staff)
            .bind(now_text())
            .execute(&mut tx)
            .await?;
        Sql::new(super::publication::BUMP)
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

    /// Deletes a submission and its moderation notes, leaving an audit line
    /// with its reference only and the hash of its key (so a retry of it is
    /// refused, not stored again). Returns its call, `None` when unknown.
    /// Runs to completion in a task of its own, so a request that goes
    /// away cannot leave the removal committed and the write-ahead log
    /// still holding it.
    pub async fn erase(
        &self,
        reference: &str,
        staff: &str,
    ) -> Result<Option<String>, StorageError> {
        let storage = self.clone();
        let (reference, staff) = (reference.to_owned(), staff.to_owned());
        super::to_completion(async move { storage.erase_now(&reference, &staff).await }).await
    }

    async fn erase_now(
        &self,
        reference: &str,
        staff: &str,
    ) -> Result<Option<String>, StorageError> {
        let mut tx = self.begin().await?;
        Sql::new(super::outbox::FORGET_SUBMISSION)
            .bind(reference)
            .execute(&mut tx)
            .await?;
        for statement in super::erased::erasure_statements() {
            Sql::new(statement).bind(reference).execute(&mut tx).await?;
        }
        let row = Sql::new(
            "DELETE FROM submissions WHERE reference = ? RETURNING call_id, idempotency_key",
        )
        .bind(reference)
        .fetch_optional(&mut tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let call: String = row.try_get("call_id")?;
        let key: String = row.try_get("idempotency_key")?;
        Sql::new(super::erased::REMEMBER)
            .bind(super::erased_key_hash(&call, &key))
            .execute(&mut tx)
            .await?;
        Sql::new(super::publication::BUMP)
            .bind(&call)
            .execute(&mut tx)
            .await?;
        let at = now_text();
        let line = AuditLine {
            staff,
            action: "erase",
            call: Some(&call),
            reference: Some(reference),
            detail: "submission erased on request: every answer and moderation note deleted",
        };
        line.insert(&at).execute(&mut tx).await?;
        tx.commit().await?;
        self.forget_removed().await?;
        Ok(Some(call))
    }

    /// Removes the respondents' personal data (names, contact names, emails,
    /// age bands, flagged passages, moderation notes) from a call's
    /// submissions, those sent before `submitted_before` when given. The
    /// ideas and organisation names stay. Their keys are remembered as
    /// erased (a retry is refused, not stored again). Returns how many were
    /// changed. Runs to completion in a task of its own, like [`Storage::erase`].
    pub async fn remove_personal_data(
        &self,
        call_id: &str,
        submitted_before: Option<&str>,
        staff: &str,
    ) -> Result<u64, StorageError> {
        let storage = self.clone();
        let (call_id, staff) = (call_id.to_owned(), staff.to_owned());
        let before = submitted_before.map(str::to_owned);
        super::to_completion(async move {
            storage
                .remove_personal_data_now(&call_id, before.as_deref(), &staff)
                .await
        })
        .await
    }

    async fn remove_personal_data_now(
        &self,
        call_id: &str,
        submitted_before: Option<&str>,
        staff: &str,
    ) -> Result<u64, StorageError> {
        let before = submitted_before.unwrap_or("9999");
        let now = now_text();
        let mut tx = self.begin().await?;
        Sql::new(super::outbox::FORGET_ACKNOWLEDGEMENTS)
            .bind(call_id)
            .bind(before)
            .execute(&mut tx)
            .await?;
        let keys: Vec<String> = Sql::new(
            "SELECT idempotency_key FROM submissions WHERE call_id = ? \
                 AND submitted_at < ? AND personal_data_removed_at IS NULL",
        )
        .bind(call_id)
        .bind(before)
        .fetch_all(&mut tx)
        .await?
        .iter()
        .map(|r| r.try_get("idempotency_key"))
        .collect::<Result<_, _>>()?;
        for chunk in keys.chunks(super::erased::REMEMBER_CHUNK) {
            let mut insert = Sql::new(super::erased::remember_many(chunk.len()));
            for key in chunk {
                insert = insert.bind(super::erased_key_hash(call_id, key));
            }
            insert.execute(&mut tx).await?;
        }
        Sql::new(super::publication::BUMP)
            .bind(call_id)
            .execute(&mut tx)
            .await?;
        Sql::new(
            "UPDATE moderation_actions SET reason = '[removed by retention]' \
                 WHERE submission_id IN (SELECT id FROM submissions WHERE call_id = ? \
                 AND submitted_at < ? AND personal_data_removed_at IS NULL)",
        )
        .bind(call_id)
        .bind(before)
        .execute(&mut tx)
        .await?;
        let done = Sql::new(
            "UPDATE submissions SET name = NULL, email = NULL, age_band = 'removed', \
                 body_hash = 'removed', flag_passage = NULL, personal_data_removed_at = ? \
                 WHERE call_id = ? AND submitted_at < ? AND personal_data_removed_at IS NULL",
        )
        .bind(&now)
        .bind(call_id)
        .bind(before)
        .execute(&mut tx)
        .await?;
        let count = done;
        let detail = format!("personal data removed from {count} submission(s)");
        let at = now_text();
        let line = AuditLine {
            staff,
            action: "retention",
            call: Some(call_id),
            reference: None,
            detail: &detail,
        };
        line.insert(&at).execute(&mut tx).await?;
        tx.commit().await?;
        if count > 0 {
            self.forget_removed().await?;
        }
        Ok(count)
    }

    /// After an erasure or a retention run, leaves nothing of what was
    /// removed readable in the database files. SQLite: deleted content is
    /// zeroed as it is freed (`secure_delete`, and FTS5's own secure-delete
    /// for the search index, both set when opening), and the write-ahead
    /// log, which still holds the rows as they were written, is folded into
    /// the database and emptied. PostgreSQL: a plain `VACUUM` of the table
    /// marks the dead rows' space free for reuse (what stays where is in the
    /// README).
    async fn forget_removed(&self) -> Result<(), StorageError> {
        match self {
            Storage::Sqlite(s) => s.empty_write_ahead_log().await,
            Storage::Postgres(s) => {
                sqlx::query(
                    "VACUUM submissions, moderation_actions, codings, coding_actions, idea_reads",
                )
                .execute(&s.pool)
                .await?;
                Ok(())
            }
        }
    }

    /// The audit log, newest first, of one call or of all.
    pub async fn audit_log(
        &self,
        call_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StorageError> {
        let filter = if call_id.is_some() {
            " WHERE call_id = ?"
        } else {
            ""
        };
        let sql = format!(
            "SELECT at, staff, action, call_id, reference, detail FROM audit_log{filter} \
             ORDER BY id DESC LIMIT {limit}"
        );

        let mut query = Sql::new(&sql);
        if let Some(call_id) = call_id {
            query = query.bind(call_id);
        }
        let rows = query.fetch_all(self).await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    at: row.try_get("at")?,
                    staff: row.try_get("staff")?,
                    action: row.try_get("action")?,
                    call: row.try_get("call_id")?,
                    reference: row.try_get("reference")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }

    /// Submissions per call, partner and day; only `partner`'s when given.
    pub async fn day_counts(&self, partner: Option<&str>) -> Result<Vec<DayCount>, StorageError> {
        let filter = if partner.is_some() {
            " WHERE partner_id = ?"
        } else {
            ""
        };
        let sql = format!(
            "SELECT call_id, partner_id, substr(submitted_at, 1, 10) AS day, count(*) AS n, \
             sum(CASE WHEN flag_phrase IS NOT NULL THEN 1 ELSE 0 END) AS flagged, \
             sum(CASE WHEN flag_open THEN 1 ELSE 0 END) AS open_flags, \
             sum(CASE WHEN spam THEN 1 ELSE 0 END) AS spam \
             FROM submissions{filter} GROUP BY call_id, partner_id, substr(submitted_at, 1, 10) \
             ORDER BY day, call_id, partner_id"
        );

        let mut query = Sql::new(&sql);
        if let Some(partner) = partner {
            query = query.bind(partner);
        }
        let rows = query.fetch_all(self).await?;
        rows.iter()
            .map(|row| {
                Ok(DayCount {
                    call: row.try_get("call_id")?,
                    partner: row.try_get("partner_id")?,
                    day: row.try_get("day")?,
                    submissions: row.try_get("n")?,
                    flagged: row.try_get("flagged")?,
                    open_flags: row.try_get("open_flags")?,
                    spam: row.try_get("spam")?,
                })
            })
            .collect()
    }
}
