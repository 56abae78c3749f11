//! The review team's own SQL: erasure and retention, the audit log, counts
//! by day and the search with filters. Written once for both engines (see
//! [`crate::storage::Sql`]), in portable SQL only (booleans are compared as
//! expressions, never with literals).

use serde::Serialize;

use super::filter::{Filter, FlagFilter, Partner};
use crate::limits::MAX_SEARCH_WORDS;
use crate::storage::{
    AuditLine, SELECT_COLUMNS, Sql, Storage, StorageError, StoredSubmission, SubmissionRow,
    now_text, stored,
};

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

/// Deletes a submission and its moderation notes, leaving an audit line
/// with its reference only and the hash of its key (so a retry of it is
/// refused, not stored again). Returns its call, `None` when unknown.
/// Runs to completion in a task of its own, so a request that goes
/// away cannot leave the removal committed and the write-ahead log
/// still holding it.
pub async fn erase(
    db: &Storage,
    reference: &str,
    staff: &str,
) -> Result<Option<String>, StorageError> {
    let storage = db.clone();
    let (reference, staff) = (reference.to_owned(), staff.to_owned());
    crate::storage::to_completion(async move { erase_now(&storage, &reference, &staff).await })
        .await
}

async fn erase_now(
    db: &Storage,
    reference: &str,
    staff: &str,
) -> Result<Option<String>, StorageError> {
    let mut tx = db.begin().await?;
    Sql::new(crate::storage::outbox::FORGET_SUBMISSION)
        .bind(reference)
        .execute(&mut tx)
        .await?;
    for statement in crate::storage::erased::erasure_statements() {
        Sql::new(statement).bind(reference).execute(&mut tx).await?;
    }
    let row =
        Sql::new("DELETE FROM submissions WHERE reference = ? RETURNING call_id, idempotency_key")
            .bind(reference)
            .fetch_optional(&mut tx)
            .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let call: String = row.try_get("call_id")?;
    let key: String = row.try_get("idempotency_key")?;
    Sql::new(crate::storage::erased::REMEMBER)
        .bind(crate::storage::erased_key_hash(&call, &key))
        .execute(&mut tx)
        .await?;
    Sql::new(crate::storage::publication::BUMP)
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
    db.forget_removed().await?;
    Ok(Some(call))
}

/// Removes the respondents' personal data (names, contact names, emails,
/// age bands, flagged passages, moderation notes) from a call's
/// submissions, those sent before `submitted_before` when given. The
/// ideas and organisation names stay. Their keys are remembered as
/// erased (a retry is refused, not stored again). Returns how many were
/// changed. Runs to completion in a task of its own, like [`Storage::erase`].
pub async fn remove_personal_data(
    db: &Storage,
    call_id: &str,
    submitted_before: Option<&str>,
    staff: &str,
) -> Result<u64, StorageError> {
    let storage = db.clone();
    let (call_id, staff) = (call_id.to_owned(), staff.to_owned());
    let before = submitted_before.map(str::to_owned);
    crate::storage::to_completion(async move {
        remove_personal_data_now(&storage, &call_id, before.as_deref(), &staff).await
    })
    .await
}

async fn remove_personal_data_now(
    db: &Storage,
    call_id: &str,
    submitted_before: Option<&str>,
    staff: &str,
) -> Result<u64, StorageError> {
    let before = submitted_before.unwrap_or("9999");
    let now = now_text();
    let mut tx = db.begin().await?;
    Sql::new(crate::storage::outbox::FORGET_ACKNOWLEDGEMENTS)
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
    for chunk in keys.chunks(crate::storage::erased::REMEMBER_CHUNK) {
        let mut insert = Sql::new(crate::storage::erased::remember_many(chunk.len()));
        for key in chunk {
            insert = insert.bind(crate::storage::erased_key_hash(call_id, key));
        }
        insert.execute(&mut tx).await?;
    }
    Sql::new(crate::storage::publication::BUMP)
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
        db.forget_removed().await?;
    }
    Ok(count)
}

/// The audit log, newest first, of one call or of all.
pub async fn audit_log(
    db: &Storage,
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
    let rows = query.fetch_all(db).await?;
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
pub async fn day_counts(
    db: &Storage,
    partner: Option<&str>,
) -> Result<Vec<DayCount>, StorageError> {
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
    let rows = query.fetch_all(db).await?;
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

/// One page of search results and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchPage {
    pub total: i64,
    pub submissions: Vec<StoredSubmission>,
}

/// Words of a search as an FTS5 query: each word quoted (so no FTS syntax
/// gets through), all of them required.
fn fts5_query(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_SEARCH_WORDS)
        .map(|w| format!("\"{w}\""))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// One condition of a search: SQL, or SQL around one bound value.
enum Condition {
    Sql(&'static str),
    Bound(&'static str, String, &'static str),
}

/// The conditions a filter asks for, all of them required.
fn conditions(filter: &Filter, postgres: bool) -> Vec<Condition> {
    use Condition::{Bound, Sql};
    let mut all = Vec::new();
    if let Some(q) = &filter.q {
        if let Ok(reference) = cfi_rules::Reference::parse(q) {
            all.push(Bound("reference = ", reference.as_str().to_owned(), ""));
        } else if postgres {
            all.push(Bound(
                "to_tsvector('english', ideas::jsonb) @@ websearch_to_tsquery('english', ",
                q.clone(),
                ")",
            ));
        } else if let Some(query) = fts5_query(q) {
            all.push(Bound(
                "id IN (SELECT rowid FROM submissions_fts WHERE submissions_fts MATCH ",
                query,
                ")",
            ));
        }
    }
    if let Some(call) = &filter.call {
        all.push(Bound("call_id = ", call.clone(), ""));
    }
    match &filter.partner {
        Some(Partner::OwnSite) => all.push(Sql("partner_id IS NULL")),
        Some(Partner::Id(partner)) => all.push(Bound("partner_id = ", partner.clone(), "")),
        None => {}
    }
    if let Some(capacity) = filter.capacity {
        all.push(Bound("capacity = ", capacity.as_str().to_owned(), ""));
    }
    if let Some(perspective) = &filter.perspective {
        all.push(Bound(
            "perspectives LIKE ",
            format!("%\"{perspective}\"%"),
            "",
        ));
    }
    if let Some(age_band) = filter.age_band {
        all.push(Bound("age_band = ", age_band.as_str().to_owned(), ""));
    }
    if let Some(theme) = &filter.theme {
        all.push(Bound("ideas LIKE ", format!("%\"theme\":\"{theme}\"%"), ""));
    }
    match filter.flag {
        Some(FlagFilter::Open) => all.push(Sql("flag_open")),
        Some(FlagFilter::Handled) => all.push(Sql("flag_phrase IS NOT NULL AND NOT flag_open")),
        Some(FlagFilter::Any) => all.push(Sql("flag_phrase IS NOT NULL")),
        Some(FlagFilter::None) => all.push(Sql("flag_phrase IS NULL")),
        None => {}
    }
    if let Some(from) = filter.from {
        all.push(Bound("submitted_at >= ", from.to_string(), ""));
    }
    if let Some(before) = filter.before {
        all.push(Bound("submitted_at < ", before.to_string(), ""));
    }
    all
}

/// Appends ` WHERE …` for `conditions`; the builder numbers the engine's
/// placeholders.
fn push_where(query: &mut Sql, conditions: &[Condition]) {
    for (i, condition) in conditions.iter().enumerate() {
        query.push(if i == 0 { " WHERE " } else { " AND " });
        match condition {
            Condition::Sql(sql) => {
                query.push(sql);
            }
            Condition::Bound(before, value, after) => {
                query.push(before).push_bind(value.clone()).push(after);
            }
        }
    }
}

/// Submissions matching `filter`: open flags first, then newest first.
pub async fn search(
    db: &Storage,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> Result<SearchPage, StorageError> {
    let conditions = conditions(filter, matches!(db, Storage::Postgres(_)));

    let mut count = Sql::new("SELECT count(*) AS n FROM submissions");
    push_where(&mut count, &conditions);
    let total: i64 = count.fetch_one(db).await?.try_get("n")?;
    let mut page = Sql::new(format!("SELECT {SELECT_COLUMNS} FROM submissions"));
    push_where(&mut page, &conditions);
    page.push(" ORDER BY flag_open DESC, id DESC LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let submissions = stored(page.fetch_all_as::<SubmissionRow>(db).await?)?;
    Ok(SearchPage { total, submissions })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_cannot_inject_fts_syntax() {
        assert_eq!(
            fts5_query("mentor\" OR body:* NEAR(").as_deref(),
            Some("\"mentor\" \"OR\" \"body\" \"NEAR\"")
        );
        assert_eq!(fts5_query(" -- ** "), None);
    }
}
