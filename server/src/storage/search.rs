//! Reading submissions for the review team: one by reference, counts, and
//! search with filters (full-text on either engine).

use serde::Serialize;
use sqlx::Row as _;

use crate::limits::MAX_SEARCH_WORDS;
use crate::review::filter::{Filter, FlagFilter, Partner};

use super::{SELECT_COLUMNS, Storage, StorageError, StoredSubmission, SubmissionRow, stored};

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

/// WHERE clause (with `?`) and its values.
fn where_clause(filter: &Filter, postgres: bool) -> (String, Vec<String>) {
    let mut clauses: Vec<&str> = Vec::new();
    let mut values: Vec<String> = Vec::new();
    let mut push = |clause: &'static str, value: Option<String>| {
        clauses.push(clause);
        values.extend(value);
    };
    if let Some(q) = &filter.q {
        if let Ok(reference) = cfi_rules::Reference::parse(q) {
            push("reference = ?", Some(reference.as_str().to_owned()));
        } else if postgres {
            push(
                "to_tsvector('english', ideas::jsonb) @@ websearch_to_tsquery('english', ?)",
                Some(q.clone()),
            );
        } else if let Some(query) = fts5_query(q) {
            push(
                "id IN (SELECT rowid FROM submissions_fts WHERE submissions_fts MATCH ?)",
                Some(query),
            );
        }
    }
    if let Some(call) = &filter.call {
        push("call_id = ?", Some(call.clone()));
    }
    match &filter.partner {
        Some(Partner::OwnSite) => push("partner_id IS NULL", None),
        Some(Partner::Id(partner)) => push("partner_id = ?", Some(partner.clone())),
        None => {}
    }
    if let Some(capacity) = filter.capacity {
        push("capacity = ?", Some(capacity.as_str().to_owned()));
    }
    if let Some(perspective) = &filter.perspective {
        push("perspectives LIKE ?", Some(format!("%\"{perspective}\"%")));
    }
    if let Some(age_band) = filter.age_band {
        push("age_band = ?", Some(age_band.as_str().to_owned()));
    }
    if let Some(theme) = &filter.theme {
        push("ideas LIKE ?", Some(format!("%\"theme\":\"{theme}\"%")));
    }
    match filter.flag {
        Some(FlagFilter::Open) => push("flag_open", None),
        Some(FlagFilter::Handled) => push("flag_phrase IS NOT NULL AND NOT flag_open", None),
        Some(FlagFilter::Any) => push("flag_phrase IS NOT NULL", None),
        Some(FlagFilter::None) => push("flag_phrase IS NULL", None),
        None => {}
    }
    if let Some(from) = filter.from {
        push("submitted_at >= ?", Some(from.to_string()));
    }
    if let Some(before) = filter.before {
        push("submitted_at < ?", Some(before.to_string()));
    }
    if clauses.is_empty() {
        return (String::new(), values);
    }
    (format!(" WHERE {}", clauses.join(" AND ")), values)
}

impl Storage {
    /// One submission by its reference.
    pub async fn submission(
        &self,
        reference: &str,
    ) -> Result<Option<StoredSubmission>, StorageError> {
        let sql = format!("SELECT {SELECT_COLUMNS} FROM submissions WHERE reference = ?");
        read!(self, |pool, q| {
            let row = sqlx::query_as::<_, SubmissionRow>(&q(&sql))
                .bind(reference)
                .fetch_optional(pool)
                .await?;
            row.map(StoredSubmission::try_from).transpose()
        })
    }

    /// How many submissions are stored, in every call.
    pub async fn count_all(&self) -> Result<i64, StorageError> {
        read!(self, |pool, q| {
            let row = sqlx::query(&q("SELECT count(*) AS n FROM submissions"))
                .fetch_one(pool)
                .await?;
            Ok(row.try_get("n")?)
        })
    }

    /// Submissions matching `filter`: open flags first, then newest first.
    pub async fn search(
        &self,
        filter: &Filter,
        offset: i64,
        limit: i64,
    ) -> Result<SearchPage, StorageError> {
        let postgres = matches!(self, Self::Postgres(_));
        let (clause, values) = where_clause(filter, postgres);
        let count_sql = format!("SELECT count(*) AS n FROM submissions{clause}");
        let page_sql = format!(
            "SELECT {SELECT_COLUMNS} FROM submissions{clause} \
             ORDER BY flag_open DESC, id DESC LIMIT {limit} OFFSET {offset}"
        );
        read!(self, |pool, q| {
            let count_sql = q(&count_sql);
            let mut count = sqlx::query(&count_sql);
            for value in &values {
                count = count.bind(value);
            }
            let total: i64 = count.fetch_one(pool).await?.try_get("n")?;
            let page_sql = q(&page_sql);
            let mut page = sqlx::query_as::<_, SubmissionRow>(&page_sql);
            for value in &values {
                page = page.bind(value);
            }
            let submissions = stored(page.fetch_all(pool).await?)?;
            Ok(SearchPage { total, submissions })
        })
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
