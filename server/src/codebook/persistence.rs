//! Storage for the codebook: codes per call, the codes applied to each idea
//! with their audit trail, "read" marks and the switch of the public summary.
//! Portable SQL for both engines (see [`crate::storage::Sql`]). Changes to ideas
//! take a list of ideas, so one request can code many ideas at once.

use std::collections::HashMap;

use crate::storage::{AuditLine, PublicationVersion, Sql, Storage, StorageError, Switch, now_text};

pub use super::model::{Code, Coding, CodingAction, CodingKind, IdeaRef, ReadMark};

pub(crate) fn index(value: i64) -> Result<usize, StorageError> {
    usize::try_from(value).map_err(|_| StorageError::Corrupt(format!("idea index {value}")))
}

pub(crate) fn stored_index(idea: usize) -> Result<i64, StorageError> {
    i64::try_from(idea).map_err(|_| StorageError::Corrupt(format!("idea index {idea}")))
}

const CODE_COLUMNS: &str = "id, call_id, name, description, parent_id, created_by, created_at";

fn code_of(row: &crate::storage::SqlRow) -> Result<Code, StorageError> {
    Ok(Code {
        id: row.try_get("id")?,
        call: row.try_get("call_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        parent: row.try_get("parent_id")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

/// The codebook of a call, by name.
pub async fn codes(db: &Storage, call_id: &str) -> Result<Vec<Code>, StorageError> {
    let sql = format!("SELECT {CODE_COLUMNS} FROM codes WHERE call_id = ? ORDER BY name, id");
    let rows = Sql::new(&sql).bind(call_id).fetch_all(db).await?;
    rows.iter().map(code_of).collect()
}

/// Adds a code to a call's codebook, with a line in the audit log.
pub async fn create_code(
    db: &Storage,
    call_id: &str,
    name: &str,
    description: &str,
    parent: Option<i64>,
    staff: &str,
) -> Result<Code, StorageError> {
    let at = now_text();
    let mut tx = db.begin().await?;
    let row = Sql::new(
        "INSERT INTO codes (call_id, name, description, parent_id, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(call_id)
    .bind(name)
    .bind(description)
    .bind(parent)
    .bind(staff)
    .bind(&at)
    .fetch_one(&mut tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    let detail = format!("code {id} created: {name}");
    AuditLine {
        staff,
        action: "code_create",
        call: Some(call_id),
        reference: None,
        detail: &detail,
    }
    .insert(&at)
    .execute(&mut tx)
    .await?;
    let value = Code {
        id,
        call: call_id.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        parent,
        created_by: staff.to_owned(),
        created_at: at.clone(),
    };
    tx.commit().await?;
    Ok(value)
}

/// Renames or redescribes a code (and moves it under another parent),
/// with a line in the audit log saying what it was before. Returns `false`,
/// writing nothing, when the new parent sits under the code itself (or is
/// it): checked inside the transaction against the codebook as committed,
/// with the call's codes locked on PostgreSQL (SQLite's writes are one at a
/// time), so two edits at once cannot make a loop between them.
pub async fn edit_code(
    db: &Storage,
    before: &Code,
    name: &str,
    description: &str,
    parent: Option<i64>,
    staff: &str,
) -> Result<bool, StorageError> {
    let at = now_text();
    let mut tx = db.begin().await?;
    let lock = if tx.is_postgres() { " FOR UPDATE" } else { "" };
    let parents: HashMap<i64, Option<i64>> = Sql::new(format!(
        "SELECT id, parent_id FROM codes WHERE call_id = ? ORDER BY id{lock}"
    ))
    .bind(&before.call)
    .fetch_all(&mut tx)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("id")?, row.try_get("parent_id")?)))
    .collect::<Result<_, sqlx::Error>>()?;
    let mut at_code = parent;
    let mut steps = 0;
    while let Some(id) = at_code {
        if id == before.id || steps > parents.len() {
            return Ok(false);
        }
        at_code = parents.get(&id).copied().flatten();
        steps += 1;
    }
    Sql::new("UPDATE codes SET name = ?, description = ?, parent_id = ? WHERE id = ?")
        .bind(name)
        .bind(description)
        .bind(parent)
        .bind(before.id)
        .execute(&mut tx)
        .await?;
    let detail = format!(
        "code {} edited: was {} ({}), now {name} ({description})",
        before.id, before.name, before.description
    );
    AuditLine {
        staff,
        action: "code_edit",
        call: Some(&before.call),
        reference: None,
        detail: &detail,
    }
    .insert(&at)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The codes now applied to one submission's ideas.
pub async fn codings_of(db: &Storage, reference: &str) -> Result<Vec<Coding>, StorageError> {
    codings_where(db, "s.reference = ?", &[reference]).await
}

/// The codes now applied to every idea of a call.
pub async fn call_codings(db: &Storage, call_id: &str) -> Result<Vec<Coding>, StorageError> {
    codings_where(db, "s.call_id = ?", &[call_id]).await
}

/// The codes now applied to the ideas of several submissions (a page of
/// an export).
pub async fn codings_of_many(
    db: &Storage,
    references: &[&str],
) -> Result<Vec<Coding>, StorageError> {
    if references.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; references.len()].join(", ");
    codings_where(db, &format!("s.reference IN ({marks})"), references).await
}

async fn codings_where(
    db: &Storage,
    filter: &str,
    values: &[&str],
) -> Result<Vec<Coding>, StorageError> {
    let sql = format!(
        "SELECT s.reference, c.idea, c.code_id FROM codings AS c \
         JOIN submissions AS s ON s.id = c.submission_id WHERE {filter} \
         ORDER BY s.id, c.idea, c.code_id"
    );
    let mut query = Sql::new(&sql);
    for value in values {
        query = query.bind(*value);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|row| {
            Ok(Coding {
                reference: row.try_get("reference")?,
                idea: index(row.try_get("idea")?)?,
                code: row.try_get("code_id")?,
            })
        })
        .collect()
}

/// The coding trail of one submission, oldest first.
pub async fn coding_actions(
    db: &Storage,
    reference: &str,
) -> Result<Vec<CodingAction>, StorageError> {
    let rows = Sql::new(
        "SELECT a.id, s.reference, a.idea, a.code_id, a.action, a.undoes, a.staff, a.at \
         FROM coding_actions AS a JOIN submissions AS s ON s.id = a.submission_id \
         WHERE s.reference = ? ORDER BY a.id",
    )
    .bind(reference)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let action: String = row.try_get("action")?;
            Ok(CodingAction {
                id: row.try_get("id")?,
                reference: row.try_get("reference")?,
                idea: index(row.try_get("idea")?)?,
                code: row.try_get("code_id")?,
                action: CodingKind::from_wire(&action).ok_or_else(|| {
                    StorageError::Corrupt(format!("unknown coding action {action}"))
                })?,
                undoes: row.try_get("undoes")?,
                staff: row.try_get("staff")?,
                at: row.try_get("at")?,
            })
        })
        .collect()
}

/// Applies (`add`) or removes `code` on every idea of `ideas`, one trail
/// row each, in one transaction; `undoes` names the row an undo reverses
/// (its kind is then [`CodingKind::Undo`]). Ideas whose codes already
/// say so are left as they are, without a row. Returns the rows written.
pub async fn record_codings(
    db: &Storage,
    code: &Code,
    ideas: &[IdeaRef],
    add: bool,
    undoes: Option<i64>,
    staff: &str,
) -> Result<Vec<CodingAction>, StorageError> {
    let at = now_text();
    let kind = match (undoes, add) {
        (Some(_), _) => CodingKind::Undo,
        (None, true) => CodingKind::Apply,
        (None, false) => CodingKind::Remove,
    };
    let mut tx = db.begin().await?;
    let mut written = Vec::new();
    for target in ideas {
        let idea = stored_index(target.idea)?;
        let changed = if add {
            Sql::new(
                "INSERT INTO codings (submission_id, idea, code_id, applied_by, applied_at) \
                     SELECT id, ?, ?, ?, ? FROM submissions WHERE reference = ? \
                     ON CONFLICT DO NOTHING",
            )
            .bind(idea)
            .bind(code.id)
            .bind(staff)
            .bind(&at)
            .bind(&target.reference)
            .execute(&mut tx)
            .await?
        } else {
            Sql::new(
                "DELETE FROM codings WHERE idea = ? AND code_id = ? AND submission_id = \
                     (SELECT id FROM submissions WHERE reference = ?)",
            )
            .bind(idea)
            .bind(code.id)
            .bind(&target.reference)
            .execute(&mut tx)
            .await?
        };
        if changed == 0 {
            continue;
        }
        let row = Sql::new(
            "INSERT INTO coding_actions (submission_id, call_id, idea, code_id, action, \
                 undoes, staff, at) SELECT id, call_id, ?, ?, ?, ?, ?, ? FROM submissions \
                 WHERE reference = ? RETURNING id",
        )
        .bind(idea)
        .bind(code.id)
        .bind(kind.as_str())
        .bind(undoes)
        .bind(staff)
        .bind(&at)
        .bind(&target.reference)
        .fetch_one(&mut tx)
        .await?;
        written.push(CodingAction {
            id: row.try_get("id")?,
            reference: target.reference.clone(),
            idea: target.idea,
            code: code.id,
            action: kind,
            undoes,
            staff: staff.to_owned(),
            at: at.clone(),
        });
    }
    let value = written;
    tx.commit().await?;
    Ok(value)
}

/// Who read which idea of a submission.
pub async fn read_marks(db: &Storage, reference: &str) -> Result<Vec<ReadMark>, StorageError> {
    let rows = Sql::new(
        "SELECT r.idea, r.staff, r.at FROM idea_reads AS r \
         JOIN submissions AS s ON s.id = r.submission_id WHERE s.reference = ? \
         ORDER BY r.idea",
    )
    .bind(reference)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ReadMark {
                idea: index(row.try_get("idea")?)?,
                staff: row.try_get("staff")?,
                at: row.try_get("at")?,
            })
        })
        .collect()
}

/// Marks an idea as read by `staff` (replacing an earlier mark), or
/// clears the mark.
pub async fn mark_read(
    db: &Storage,
    target: &IdeaRef,
    read: bool,
    staff: &str,
) -> Result<(), StorageError> {
    let idea = stored_index(target.idea)?;
    let at = now_text();
    let mut tx = db.begin().await?;
    Sql::new(
        "DELETE FROM idea_reads WHERE idea = ? AND submission_id = \
             (SELECT id FROM submissions WHERE reference = ?)",
    )
    .bind(idea)
    .bind(&target.reference)
    .execute(&mut tx)
    .await?;
    if read {
        Sql::new(
            "INSERT INTO idea_reads (submission_id, idea, staff, at) \
                 SELECT id, ?, ?, ? FROM submissions WHERE reference = ?",
        )
        .bind(idea)
        .bind(staff)
        .bind(&at)
        .bind(&target.reference)
        .execute(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether staff chose to publish the call's summary of counts by code.
pub async fn is_code_summary_published(db: &Storage, call_id: &str) -> Result<bool, StorageError> {
    Switch::CodeSummary.is_on(db, call_id).await
}

/// Switches the public summary of counts by code on or off, with a line
/// in the audit log.
pub async fn set_code_summary_published(
    db: &Storage,
    call_id: &str,
    published: bool,
    staff: &str,
) -> Result<(), StorageError> {
    let at = now_text();
    let mut tx = db.begin().await?;
    Sql::new(Switch::CodeSummary.upsert())
        .bind(call_id)
        .bind(published)
        .bind(staff)
        .bind(&at)
        .execute(&mut tx)
        .await?;
    let detail = if published {
        "summary of counts by code published"
    } else {
        "summary of counts by code withdrawn"
    };
    AuditLine {
        staff,
        action: "code_summary",
        call: Some(call_id),
        reference: None,
        detail,
    }
    .insert(&at)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a call's summary of counts by code is published (the call and
/// the summary both switched on), and what it is computed from: the
/// publication's version and the codebook's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeSummaryState {
    pub published: bool,
    pub version: PublicationVersion,
    /// Raised by every change to codes or codings: the last coding action
    /// and the last audit line (creating or editing a code writes one), of
    /// any call. Both are a primary key's largest value, found without a
    /// scan; a change in another call only costs a rebuild.
    pub codebook: (i64, i64),
}

/// The state of a call's public summary of counts by code, in one query.
pub async fn code_summary_state(
    db: &Storage,
    call_id: &str,
) -> Result<CodeSummaryState, StorageError> {
    let row = Sql::new(
        "SELECT \
         CAST(coalesce((SELECT version FROM publication_versions WHERE call_id = ?), 0) \
         AS BIGINT) AS staff_changes, \
         CAST(coalesce((SELECT sum(submissions) FROM submission_counts \
         WHERE call_id = ?), 0) AS BIGINT) AS submissions, \
         CAST(coalesce((SELECT CASE WHEN published THEN 1 ELSE 0 END \
         FROM call_publication WHERE call_id = ?), 0) AS BIGINT) AS published, \
         CAST(coalesce((SELECT CASE WHEN published THEN 1 ELSE 0 END \
         FROM code_summary_publication WHERE call_id = ?), 0) AS BIGINT) AS summary, \
         CAST(coalesce((SELECT max(id) FROM coding_actions), 0) AS BIGINT) AS codings, \
         CAST(coalesce((SELECT max(id) FROM audit_log), 0) AS BIGINT) AS audit",
    )
    .bind(call_id)
    .bind(call_id)
    .bind(call_id)
    .bind(call_id)
    .fetch_one(db)
    .await?;
    Ok(CodeSummaryState {
        published: row.try_get::<i64, _>("published")? != 0
            && row.try_get::<i64, _>("summary")? != 0,
        version: PublicationVersion {
            staff_changes: row.try_get("staff_changes")?,
            submissions: row.try_get("submissions")?,
        },
        codebook: (row.try_get("codings")?, row.try_get("audit")?),
    })
}
