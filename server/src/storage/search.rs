//! Reading submissions for the review team: one by reference, counts, and
//! search with filters (full-text on either engine).

use serde::Serialize;

use crate::limits::MAX_SEARCH_WORDS;
use crate::review::filter::{Filter, FlagFilter, Partner};

use super::{SELECT_COLUMNS, Sql, Storage, StorageError, StoredSubmission, SubmissionRow, stored};

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

    /// Submissions matching `filter`: open flags first, then newest first.
    pub async fn search(
        &self,
        filter: &Filter,
        offset: i64,
        limit: i64,
    ) -> Result<SearchPage, StorageError> {
        let conditions = conditions(filter, matches!(self, Self::Postgres(_)));

        let mut count = Sql::new("SELECT count(*) AS n FROM submissions");
        push_where(&mut count, &conditions);
        let total: i64 = count.fetch_one(self).await?.try_get("n")?;
        let mut page = Sql::new(format!("SELECT {SELECT_COLUMNS} FROM submissions"));
        push_where(&mut page, &conditions);
        page.push(" ORDER BY flag_open DESC, id DESC LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        let submissions = stored(page.fetch_all_as::<SubmissionRow>(self).await?)?;
        Ok(SearchPage { total, submissions })
    }
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
