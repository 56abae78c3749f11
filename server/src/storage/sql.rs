//! SQL written once for both engines, run on either, with nothing left
//! behind when a request goes away.
//!
//! A statement is [`Sql`]: text with `?` placeholders (renumbered to `$n`
//! for PostgreSQL) and its values, bound as one of three portable kinds.
//! It runs on the engine's read pool (`&Storage`) or inside a write
//! transaction ([`Tx`], from [`Storage::begin`]). A `Tx` is sqlx's own
//! `Transaction`: when it is dropped without [`Tx::commit`] (an error, or
//! a request's future dropped at an `.await` because its client went
//! away), sqlx rolls it back before its connection is used again, so no
//! transaction, lock or half a write outlives it. On SQLite a `Tx` begins
//! with `BEGIN IMMEDIATE` on the staff writer pool's one connection; on
//! PostgreSQL with `BEGIN` on the shared pool.
//!
//! Why written here: sqlx's connection, row and argument types differ per
//! engine, and its `Any` driver cannot read SQLite's `BOOLEAN` columns in
//! 0.8; a function generic over `sqlx::Database` needs a bound for every
//! type at every use. Rows decode with sqlx's `FromRow` (derived once,
//! generic over the row) or [`Row::try_get`].

use std::time::Instant;

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{
    Arguments, ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, PgPool,
    Postgres, Sqlite, SqlitePool, Type,
};

use super::{Storage, StorageError};
use crate::metrics::Metrics;

/// A bound value, in the kinds both engines store alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    /// Bytes: SQLite's `BLOB`, PostgreSQL's `BYTEA` (an idea's embedding).
    Bytes(Option<Vec<u8>>),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Self::Text(Some(v.clone()))
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}
impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        Self::Text(v.clone())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Self::Bytes(Some(v))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Bool(Some(v))
    }
}

/// One statement and its values.
#[derive(Debug, Clone)]
pub struct Sql {
    text: String,
    values: Vec<Value>,
}

/// Where a statement runs: a read pool, or a transaction's connection.
pub enum On<'a> {
    SqliteReaders(&'a SqlitePool, &'a Metrics),
    PostgresPool(&'a PgPool, &'a Metrics),
    SqliteTx(&'a mut sqlx::SqliteConnection),
    PostgresTx(&'a mut sqlx::PgConnection),
}

/// What a statement can run on: `&Storage` (reads) or `&mut Tx`.
pub trait Target {
    fn on(&mut self) -> On<'_>;
}

impl Target for &Storage {
    fn on(&mut self) -> On<'_> {
        match *self {
            Storage::Sqlite(s) => On::SqliteReaders(&s.readers, &s.metrics),
            Storage::Postgres(s) => On::PostgresPool(&s.pool, &s.metrics),
        }
    }
}

impl Target for &mut Tx {
    fn on(&mut self) -> On<'_> {
        match &mut self.inner {
            Engine::Sqlite(tx) => On::SqliteTx(tx),
            Engine::Postgres(tx) => On::PostgresTx(tx),
        }
    }
}

/// A row of either engine.
pub enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

/// A column type both engines decode.
pub trait Column:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}
impl<T> Column for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// A column's name or place, on either engine's row.
pub trait Index: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> {}
impl<T: ColumnIndex<SqliteRow> + ColumnIndex<PgRow>> Index for T {}

/// A type read from a row of either engine (`#[derive(sqlx::FromRow)]`
/// is generic over the row, so a derived struct is one).
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl Row {
    /// The value of one column.
    pub fn try_get<T: Column, I: Index>(&self, index: I) -> Result<T, sqlx::Error> {
        use sqlx::Row as _;
        match self {
            Self::Sqlite(row) => row.try_get(index),
            Self::Postgres(row) => row.try_get(index),
        }
    }
}

fn arguments<'q, DB: Database>(values: Vec<Value>) -> Result<DB::Arguments<'q>, StorageError>
where
    Option<String>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<bool>: Encode<'q, DB> + Type<DB>,
    Option<Vec<u8>>: Encode<'q, DB> + Type<DB>,
{
    let mut arguments = DB::Arguments::default();
    for value in values {
        match value {
            Value::Text(v) => arguments.add(v),
            Value::Int(v) => arguments.add(v),
            Value::Bool(v) => arguments.add(v),
            Value::Bytes(v) => arguments.add(v),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(arguments)
}

async fn rows<'e, DB, E, A>(sql: &'e str, arguments: A, on: E) -> Result<Vec<DB::Row>, sqlx::Error>
where
    DB: Database,
    E: Executor<'e, Database = DB>,
    A: IntoArguments<'e, DB> + 'e,
{
    sqlx::query_with(sql, arguments).fetch_all(on).await
}

async fn records<'e, DB, E, A, T>(sql: &'e str, arguments: A, on: E) -> Result<Vec<T>, sqlx::Error>
where
    DB: Database,
    E: Executor<'e, Database = DB>,
    A: IntoArguments<'e, DB> + 'e,
    T: for<'r> FromRow<'r, DB::Row> + Send + Unpin,
{
    sqlx::query_as_with(sql, arguments).fetch_all(on).await
}

async fn first<'e, DB, E, A>(
    sql: &'e str,
    arguments: A,
    on: E,
) -> Result<Option<DB::Row>, sqlx::Error>
where
    DB: Database,
    E: Executor<'e, Database = DB>,
    A: IntoArguments<'e, DB> + 'e,
{
    sqlx::query_with(sql, arguments).fetch_optional(on).await
}

async fn execute<'e, DB, E, A>(sql: &'e str, arguments: A, on: E) -> Result<u64, sqlx::Error>
where
    DB: Database,
    E: Executor<'e, Database = DB>,
    A: IntoArguments<'e, DB> + 'e,
    DB::QueryResult: Into<Affected>,
{
    let done = sqlx::query_with(sql, arguments).execute(on).await?;
    Ok(done.into().0)
}

/// Rows changed by a statement, on either engine.
pub struct Affected(u64);
impl From<sqlx::sqlite::SqliteQueryResult> for Affected {
    fn from(done: sqlx::sqlite::SqliteQueryResult) -> Self {
        Self(done.rows_affected())
    }
}
impl From<sqlx::postgres::PgQueryResult> for Affected {
    fn from(done: sqlx::postgres::PgQueryResult) -> Self {
        Self(done.rows_affected())
    }
}

impl Sql {
    /// A statement with `?` placeholders.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            values: Vec::new(),
        }
    }

    /// Binds the next `?`.
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.values.push(value.into());
        self
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a `?` bound to `value`.
    pub fn push_bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.text.push('?');
        self.values.push(value.into());
        self
    }

    /// Runs it, returning how many rows it changed.
    pub async fn execute(self, mut on: impl Target) -> Result<u64, StorageError> {
        let started = Instant::now();
        Ok(match on.on() {
            On::SqliteReaders(pool, metrics) => {
                let n = execute(&self.text, sqlite(self.values)?, pool).await?;
                metrics.storage("staff_read", started.elapsed());
                n
            }
            On::PostgresPool(pool, metrics) => {
                let text = dollar(&self.text);
                let n = execute(&text, postgres(self.values)?, pool).await?;
                metrics.storage("staff_read", started.elapsed());
                n
            }
            On::SqliteTx(conn) => execute(&self.text, sqlite(self.values)?, conn).await?,
            On::PostgresTx(conn) => {
                let text = dollar(&self.text);
                execute(&text, postgres(self.values)?, conn).await?
            }
        })
    }

    /// Every row it returns.
    pub async fn fetch_all(self, mut on: impl Target) -> Result<Vec<Row>, StorageError> {
        let started = Instant::now();
        Ok(match on.on() {
            On::SqliteReaders(pool, metrics) => {
                let found = rows(&self.text, sqlite(self.values)?, pool).await?;
                metrics.storage("staff_read", started.elapsed());
                found.into_iter().map(Row::Sqlite).collect()
            }
            On::PostgresPool(pool, metrics) => {
                let text = dollar(&self.text);
                let found = rows(&text, postgres(self.values)?, pool).await?;
                metrics.storage("staff_read", started.elapsed());
                found.into_iter().map(Row::Postgres).collect()
            }
            On::SqliteTx(conn) => rows(&self.text, sqlite(self.values)?, conn)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            On::PostgresTx(conn) => {
                let text = dollar(&self.text);
                rows(&text, postgres(self.values)?, conn)
                    .await?
                    .into_iter()
                    .map(Row::Postgres)
                    .collect()
            }
        })
    }

    /// The first row it returns, if any (the rest are not read).
    pub async fn fetch_optional(self, mut on: impl Target) -> Result<Option<Row>, StorageError> {
        let started = Instant::now();
        Ok(match on.on() {
            On::SqliteReaders(pool, metrics) => {
                let found = first(&self.text, sqlite(self.values)?, pool).await?;
                metrics.storage("staff_read", started.elapsed());
                found.map(Row::Sqlite)
            }
            On::PostgresPool(pool, metrics) => {
                let text = dollar(&self.text);
                let found = first(&text, postgres(self.values)?, pool).await?;
                metrics.storage("staff_read", started.elapsed());
                found.map(Row::Postgres)
            }
            On::SqliteTx(conn) => first(&self.text, sqlite(self.values)?, conn)
                .await?
                .map(Row::Sqlite),
            On::PostgresTx(conn) => {
                let text = dollar(&self.text);
                first(&text, postgres(self.values)?, conn)
                    .await?
                    .map(Row::Postgres)
            }
        })
    }

    /// The first row it returns; an error when there is none.
    pub async fn fetch_one(self, on: impl Target) -> Result<Row, StorageError> {
        self.fetch_optional(on)
            .await?
            .ok_or(StorageError::Database(sqlx::Error::RowNotFound))
    }

    /// Every row it returns, read as `T`.
    pub async fn fetch_all_as<T: Record>(
        self,
        mut on: impl Target,
    ) -> Result<Vec<T>, StorageError> {
        let started = Instant::now();
        Ok(match on.on() {
            On::SqliteReaders(pool, metrics) => {
                let found = records(&self.text, sqlite(self.values)?, pool).await?;
                metrics.storage("staff_read", started.elapsed());
                found
            }
            On::PostgresPool(pool, metrics) => {
                let text = dollar(&self.text);
                let found = records(&text, postgres(self.values)?, pool).await?;
                metrics.storage("staff_read", started.elapsed());
                found
            }
            On::SqliteTx(conn) => records(&self.text, sqlite(self.values)?, conn).await?,
            On::PostgresTx(conn) => {
                let text = dollar(&self.text);
                records(&text, postgres(self.values)?, conn).await?
            }
        })
    }

    /// The first row it returns read as `T`, if any.
    pub async fn fetch_optional_as<T: Record>(
        self,
        on: impl Target,
    ) -> Result<Option<T>, StorageError> {
        Ok(self.fetch_all_as(on).await?.into_iter().next())
    }
}

fn sqlite<'q>(values: Vec<Value>) -> Result<SqliteArguments<'q>, StorageError> {
    arguments::<Sqlite>(values)
}

fn postgres(values: Vec<Value>) -> Result<PgArguments, StorageError> {
    arguments::<Postgres>(values)
}

/// `?` → `$1`, `$2`, … (the SQL written here never holds a literal `?`).
pub fn dollar(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a connection given back to its pool may be used again: only
/// once any rollback queued by a dropped [`Tx`] has run (a ping waits for
/// it) and it is in no transaction. A request dropped in the middle of
/// beginning one can leave it open with nothing to roll it back; closing
/// the connection ends it.
pub(super) async fn outside_transaction<C: sqlx::Connection>(
    conn: &mut C,
) -> Result<bool, sqlx::Error> {
    conn.ping().await?;
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("a connection left in a transaction by a dropped request is closed");
    }
    Ok(clean)
}

enum Engine {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// One write transaction. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    inner: Engine,
    started: Instant,
    metrics: Metrics,
}

impl Storage {
    /// Begins a write transaction (on SQLite, `BEGIN IMMEDIATE`: it takes
    /// the write lock at once, waiting up to the busy timeout, so it never
    /// fails half-way on a lock).
    pub async fn begin(&self) -> Result<Tx, StorageError> {
        let started = Instant::now();
        let inner = match self {
            Storage::Sqlite(s) => {
                Engine::Sqlite(s.staff_writer.begin_with("BEGIN IMMEDIATE").await?)
            }
            Storage::Postgres(s) => Engine::Postgres(s.pool.begin().await?),
        };
        Ok(Tx {
            inner,
            started,
            metrics: self.metrics().clone(),
        })
    }
}

impl Tx {
    /// Commits everything written in it.
    pub async fn commit(self) -> Result<(), StorageError> {
        match self.inner {
            Engine::Sqlite(tx) => tx.commit().await?,
            Engine::Postgres(tx) => tx.commit().await?,
        }
        self.metrics.storage("staff_write", self.started.elapsed());
        Ok(())
    }

    /// Ends it, writing nothing.
    pub async fn rollback(self) -> Result<(), StorageError> {
        match self.inner {
            Engine::Sqlite(tx) => tx.rollback().await?,
            Engine::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    /// Whether it runs on PostgreSQL (for the few statements that differ).
    pub fn is_postgres(&self) -> bool {
        matches!(self.inner, Engine::Postgres(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(dollar("a = ? AND b = ?"), "a = $1 AND b = $2");
    }
}
