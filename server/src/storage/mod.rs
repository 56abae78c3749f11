//! Storage of submissions behind one small interface with two engines:
//! SQLite (the embedded default, one process) and PostgreSQL (several
//! replicas). Both acknowledge a submission only after its transaction has
//! committed durably.

mod audit;
pub(crate) mod erased;
pub(crate) mod outbox;
mod postgres;
pub(crate) mod publication;
mod sql;
mod sqlite;
mod submissions;

use cfi_rules::{Reference, Submission};
use serde::Serialize;
use sqlx::QueryBuilder;
use uuid::Uuid;

use std::time::Instant;

use crate::metrics::Metrics;

pub(crate) use audit::{AuditLine, Switch};
pub use erased::erased_key_hash;
pub use outbox::{MessageKind, OutgoingMessage};
pub use postgres::PostgresStore;
pub use publication::{PublicationState, PublicationVersion};
pub use sql::{Record, Row as SqlRow, Sql, Target, Tx, Value};
pub use sqlite::SqliteStore;

/// Failures of the storage layer. Their text is logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the batch this submission was part of failed: {0}")]
    BatchFailed(String),
    #[error("the writer task has stopped")]
    WriterGone,
    #[error("could not find a free reference after several attempts")]
    ReferencesExhausted,
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("the database cannot take a write: {0}")]
    CannotWrite(&'static str),
    #[error("a write run to completion failed: {0}")]
    Task(String),
}

/// Runs `write` in a task of its own and waits for it: the request that
/// asked for it may go away, the write still runs to its end (for work of
/// several steps that must all happen, such as a removal and then the
/// emptying of SQLite's write-ahead log).
pub(crate) async fn to_completion<T: Send + 'static>(
    write: impl Future<Output = Result<T, StorageError>> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::spawn(write)
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
}

/// A safeguarding flag found on arrival (see `safeguarding`), stored with
/// the submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub level: FlagLevel,
    /// The category's id (`abuse`, `self-harm`, `call-phrase`...).
    pub category: String,
    /// The phrase found; empty when the model raised it.
    pub phrase: String,
    /// Why, for staff: the phrase, or the example the text was closest to.
    pub reason: String,
    /// The passage around what was found.
    pub passage: String,
}

/// How pressing a flag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagLevel {
    /// Someone may be at risk now: the contacts are alerted.
    Urgent,
    /// The subject without a disclosure: a moderator decides before
    /// publication; no alert.
    Sensitive,
}

impl FlagLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::Sensitive => "sensitive",
        }
    }

    pub fn from_wire(text: &str) -> Option<Self> {
        match text {
            "urgent" => Some(Self::Urgent),
            "sensitive" => Some(Self::Sensitive),
            _ => None,
        }
    }
}

/// A valid submission ready to store.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub call_id: String,
    pub partner: Option<String>,
    pub key: Uuid,
    /// SHA-256 of the canonical JSON body, to tell a retry from a different
    /// submission under the same key.
    pub body_hash: String,
    pub submission: Submission,
    /// The honeypot was filled.
    pub spam: bool,
    /// A safeguarding phrase found on arrival, stored in the same INSERT.
    pub flag: Option<Flag>,
    /// When it was submitted; `None` means now (demo seeding sets it).
    pub submitted_at: Option<String>,
    /// Emails about it (the outbox), stored in the same transaction.
    pub messages: Vec<OutgoingMessage>,
}

/// What the client is told on success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub reference: Reference,
    pub submitted_at: String,
}

/// The result of storing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Stored now.
    Created(Receipt),
    /// Stored before under the same key with the same body.
    Replayed(Receipt),
    /// The key was used before with a different body.
    KeyReused,
    /// The submission sent under this key was erased (or its personal data
    /// removed by retention): it is not stored again.
    Erased,
}

/// One idea as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StoredIdea {
    pub title: String,
    pub theme: Option<String>,
    pub description: String,
    pub words: usize,
}

/// A submission as stored, for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredSubmission {
    pub reference: String,
    pub call: String,
    pub partner: Option<String>,
    pub capacity: String,
    pub name: Option<String>,
    pub organisation: Option<String>,
    pub email: Option<String>,
    pub perspectives: Vec<String>,
    pub age_band: String,
    pub publication_chosen: String,
    pub publication: String,
    pub spam: bool,
    pub submitted_at: String,
    pub ideas: Vec<StoredIdea>,
    /// The safeguarding phrase found on arrival, if any (empty when the
    /// model raised the flag): `Some` exactly when it is flagged.
    pub flag_phrase: Option<String>,
    /// The passage around it.
    pub flag_passage: Option<String>,
    /// Flagged urgent and not yet handled.
    pub flag_open: bool,
    /// `urgent` or `sensitive` when flagged.
    pub flag_level: Option<String>,
    /// The flag's category id.
    pub flag_category: Option<String>,
    /// Why it was flagged, for staff.
    pub flag_reason: Option<String>,
    /// When the retention command removed the personal data.
    pub personal_data_removed_at: Option<String>,
}

/// The row values of a new submission, shared by both engines.
struct Row {
    call_id: String,
    partner: Option<String>,
    key: String,
    /// [`erased_key_hash`] of the call and key.
    erased_hash: String,
    body_hash: String,
    capacity: &'static str,
    name: Option<String>,
    organisation: Option<String>,
    email: Option<String>,
    perspectives: String,
    age_band: &'static str,
    publication_chosen: &'static str,
    publication: &'static str,
    ideas: String,
    spam: bool,
    flag_phrase: Option<String>,
    flag_passage: Option<String>,
    flag_level: Option<&'static str>,
    flag_category: Option<String>,
    flag_reason: Option<String>,
    submitted_at: Option<String>,
    messages: Vec<outbox::MessageRow>,
}

impl Row {
    /// An urgent flag is open (listed first, alerting) until handled.
    fn flag_open(&self) -> bool {
        self.flag_level == Some(FlagLevel::Urgent.as_str())
    }

    fn from_new(new: &NewSubmission) -> Self {
        let s = &new.submission;
        let r = s.respondent();
        let ideas: Vec<StoredIdea> = s
            .ideas()
            .iter()
            .map(|i| StoredIdea {
                title: i.title().to_owned(),
                theme: i.theme().map(str::to_owned),
                description: i.description().to_owned(),
                words: i.words(),
            })
            .collect();
        Self {
            call_id: new.call_id.clone(),
            partner: new.partner.clone(),
            key: new.key.hyphenated().to_string(),
            erased_hash: erased_key_hash(&new.call_id, &new.key.hyphenated().to_string()),
            body_hash: new.body_hash.clone(),
            capacity: r.capacity().as_str(),
            name: r.name().map(str::to_owned),
            organisation: r.organisation().map(str::to_owned),
            email: r.email().map(str::to_owned),
            perspectives: serde_json::to_string(r.perspectives()).unwrap_or_else(|_| "[]".into()),
            age_band: r.age_band().as_str(),
            publication_chosen: s.publication_chosen().as_str(),
            publication: s.publication().as_str(),
            ideas: serde_json::to_string(&ideas).unwrap_or_else(|_| "[]".into()),
            spam: new.spam,
            flag_phrase: new.flag.as_ref().map(|f| f.phrase.clone()),
            flag_passage: new.flag.as_ref().map(|f| f.passage.clone()),
            flag_level: new.flag.as_ref().map(|f| f.level.as_str()),
            flag_category: new.flag.as_ref().map(|f| f.category.clone()),
            flag_reason: new.flag.as_ref().map(|f| f.reason.clone()),
            submitted_at: new.submitted_at.clone(),
            messages: new
                .messages
                .iter()
                .map(outbox::MessageRow::from_new)
                .collect(),
        }
    }
}

use crate::limits::{DATABASE_WAIT, REFERENCE_ATTEMPTS};

fn new_reference() -> Reference {
    Reference::from_random(rand::random())
}

/// Now, in UTC with milliseconds: sorts as text.
pub fn now_text() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

pub(crate) fn parse_list<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// The configured engine.
#[derive(Clone)]
pub enum Storage {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Storage {
    /// Opens (and migrates) the database named by `url`: `sqlite://FILE` or
    /// `postgres://...`.
    pub async fn open(url: &str) -> Result<Self, StorageError> {
        Self::open_measured(url, Metrics::off()).await
    }

    /// Opens like [`Storage::open`], recording operation times (and, on
    /// SQLite, batch sizes) in `metrics`.
    pub async fn open_measured(url: &str, metrics: Metrics) -> Result<Self, StorageError> {
        if url.starts_with("postgres") {
            Ok(Self::Postgres(PostgresStore::open(url, metrics).await?))
        } else {
            Ok(Self::Sqlite(SqliteStore::open(url, metrics).await?))
        }
    }

    /// Where operation times are recorded.
    pub fn metrics(&self) -> &Metrics {
        match self {
            Self::Sqlite(s) => &s.metrics,
            Self::Postgres(s) => &s.metrics,
        }
    }

    /// Stores a submission, or finds the one stored before under its key.
    /// Returns only after the commit.
    pub async fn submit(&self, new: NewSubmission) -> Result<SubmitOutcome, StorageError> {
        let started = Instant::now();
        let result = match self {
            Self::Sqlite(s) => s.submit(new).await,
            Self::Postgres(s) => s.submit(new).await,
        };
        self.metrics().storage("submit", started.elapsed());
        result
    }

    /// The receipt and body hash stored under `key`, if any.
    pub async fn find_by_key(
        &self,
        call_id: &str,
        key: Uuid,
    ) -> Result<Option<(String, Receipt)>, StorageError> {
        let started = Instant::now();
        let result = match self {
            Self::Sqlite(s) => s.find_by_key(call_id, key).await,
            Self::Postgres(s) => s.find_by_key(call_id, key).await,
        };
        self.metrics().storage("find_by_key", started.elapsed());
        result
    }

    /// Every submission of a call, oldest first.
    pub async fn list(&self, call_id: &str) -> Result<Vec<StoredSubmission>, StorageError> {
        let started = Instant::now();
        let result = match self {
            Self::Sqlite(s) => s.list(call_id).await,
            Self::Postgres(s) => s.list(call_id).await,
        };
        self.metrics().storage("list", started.elapsed());
        result
    }

    /// Checks that the database answers and can take a write now: a read,
    /// the group commit's task still running, and a write transaction
    /// begun within [`DATABASE_WAIT`] (on SQLite, the write lock taken) on a
    /// database that is not read-only, then rolled back: nothing is written.
    pub async fn health(&self) -> Result<(), StorageError> {
        match self {
            Self::Sqlite(s) => s.health().await?,
            Self::Postgres(s) => s.health().await?,
        }
        let mut tx = tokio::time::timeout(DATABASE_WAIT, self.begin())
            .await
            .map_err(|_| StorageError::CannotWrite("no write lock within the wait"))??;
        if tx.is_postgres() {
            let read_only: bool = Sql::new(
                "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' \
                 AS read_only",
            )
            .fetch_one(&mut tx)
            .await?
            .try_get("read_only")?;
            if read_only {
                return Err(StorageError::CannotWrite("the database is read-only"));
            }
        }
        tx.rollback().await
    }

    /// After an erasure or a retention run, leaves nothing of what was
    /// removed readable in the database files. SQLite: deleted content is
    /// zeroed as it is freed (`secure_delete`, and FTS5's own secure-delete
    /// for the search index, both set when opening), and the write-ahead
    /// log, which still holds the rows as they were written, is folded into
    /// the database and emptied. PostgreSQL: a plain `VACUUM` of the table
    /// marks the dead rows' space free for reuse (what stays where is in the
    /// README).
    pub(crate) async fn forget_removed(&self) -> Result<(), StorageError> {
        match self {
            Self::Sqlite(s) => s.empty_write_ahead_log().await,
            Self::Postgres(s) => {
                sqlx::query(
                    "VACUUM submissions, moderation_actions, codings, coding_actions, idea_reads",
                )
                .execute(&s.pool)
                .await?;
                Ok(())
            }
        }
    }

    /// Stops accepting writes and waits for what is queued to commit.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(s) => s.close().await,
            Self::Postgres(s) => s.close().await,
        }
    }
}

/// The columns a new submission's INSERT fills, in the order SQLite's
/// [`insert_new`] binds its values and PostgreSQL's batch its arrays.
const INSERT_COLUMNS: &str = "reference, call_id, partner_id, idempotency_key, body_hash, \
     capacity, name, organisation, email, perspectives, age_band, publication_chosen, \
     publication, ideas, spam, submitted_at, flag_phrase, flag_passage, flag_open, flag_level, \
     flag_category, flag_reason";

/// The INSERT of a new submission on SQLite (PostgreSQL stores a batch in
/// one statement, `postgres::batch_insert`); a row whose key or reference is
/// taken is not inserted (`ON CONFLICT DO NOTHING`), and the caller looks
/// for why.
fn insert_new<'a, DB>(
    row: &'a Row,
    reference: &'a str,
    submitted_at: &'a str,
) -> QueryBuilder<'a, DB>
where
    DB: sqlx::Database,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut query = QueryBuilder::new(format!(
        "INSERT INTO submissions ({INSERT_COLUMNS}) VALUES ("
    ));
    let mut values = query.separated(", ");
    values
        .push_bind(reference)
        .push_bind(row.call_id.as_str())
        .push_bind(row.partner.as_deref())
        .push_bind(row.key.as_str())
        .push_bind(row.body_hash.as_str())
        .push_bind(row.capacity)
        .push_bind(row.name.as_deref())
        .push_bind(row.organisation.as_deref())
        .push_bind(row.email.as_deref())
        .push_bind(row.perspectives.as_str())
        .push_bind(row.age_band)
        .push_bind(row.publication_chosen)
        .push_bind(row.publication)
        .push_bind(row.ideas.as_str())
        .push_bind(row.spam)
        .push_bind(submitted_at)
        .push_bind(row.flag_phrase.as_deref())
        .push_bind(row.flag_passage.as_deref())
        .push_bind(row.flag_open())
        .push_bind(row.flag_level)
        .push_bind(row.flag_category.as_deref())
        .push_bind(row.flag_reason.as_deref());
    values.push_unseparated(") ON CONFLICT DO NOTHING");
    query
}

/// A `submissions` row as [`SELECT_COLUMNS`] reads it, on either engine.
#[derive(sqlx::FromRow)]
pub(crate) struct SubmissionRow {
    reference: String,
    call_id: String,
    partner_id: Option<String>,
    capacity: String,
    name: Option<String>,
    organisation: Option<String>,
    email: Option<String>,
    perspectives: String,
    age_band: String,
    publication_chosen: String,
    publication: String,
    spam: bool,
    submitted_at: String,
    ideas: String,
    flag_phrase: Option<String>,
    flag_passage: Option<String>,
    flag_open: bool,
    flag_level: Option<String>,
    flag_category: Option<String>,
    flag_reason: Option<String>,
    personal_data_removed_at: Option<String>,
}

impl TryFrom<SubmissionRow> for StoredSubmission {
    type Error = StorageError;

    fn try_from(row: SubmissionRow) -> Result<Self, StorageError> {
        Ok(Self {
            reference: row.reference,
            call: row.call_id,
            partner: row.partner_id,
            capacity: row.capacity,
            name: row.name,
            organisation: row.organisation,
            email: row.email,
            perspectives: parse_list(&row.perspectives)?,
            age_band: row.age_band,
            publication_chosen: row.publication_chosen,
            publication: row.publication,
            spam: row.spam,
            submitted_at: row.submitted_at,
            ideas: parse_list(&row.ideas)?,
            flag_phrase: row.flag_phrase,
            flag_passage: row.flag_passage,
            flag_open: row.flag_open,
            flag_level: row.flag_level,
            flag_category: row.flag_category,
            flag_reason: row.flag_reason,
            personal_data_removed_at: row.personal_data_removed_at,
        })
    }
}

/// Rows read into submissions.
pub(crate) fn stored(rows: Vec<SubmissionRow>) -> Result<Vec<StoredSubmission>, StorageError> {
    rows.into_iter().map(StoredSubmission::try_from).collect()
}

pub(crate) const SELECT_COLUMNS: &str = "reference, call_id, partner_id, capacity, name, organisation, email, \
     perspectives, age_band, publication_chosen, publication, spam, submitted_at, ideas, \
     flag_phrase, flag_passage, flag_open, flag_level, flag_category, flag_reason, \
     personal_data_removed_at";
