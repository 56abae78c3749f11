//! What lets the review team's SQL be written once for both engines: `?`
//! placeholders, renumbered to `$n` for PostgreSQL, and two macros that run
//! a body on the engine's read pool ([`read!`]) or in one write transaction
//! ([`transaction!`]). On SQLite, staff writes run in `BEGIN IMMEDIATE`
//! transactions on the staff writer connection; reads use the reader pool.
//! (The body is compiled once per engine, as sqlx's connection types differ.)

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

pub fn same(sql: &str) -> String {
    sql.to_owned()
}

/// Runs `$body` with `$pool` (the engine's read pool) and `$q` (turns SQL
/// with `?` into the engine's placeholders).
macro_rules! read {
    ($self:expr, |$pool:ident, $q:ident| $body:expr) => {{
        let started = std::time::Instant::now();
        let result = match $self {
            Storage::Sqlite(s) => {
                let $pool = &s.readers;
                let $q = $crate::storage::engine::same;
                async { $body }.await
            }
            Storage::Postgres(s) => {
                let $pool = &s.pool;
                let $q = $crate::storage::engine::dollar;
                async { $body }.await
            }
        };
        $self.metrics().storage("staff_read", started.elapsed());
        result
    }};
}

/// Runs `$body` in one write transaction on `$tx` (a connection), committing
/// when it returns `Ok` and rolling back otherwise.
macro_rules! transaction {
    ($self:expr, |$tx:ident, $q:ident| $body:expr) => {{
        let started = std::time::Instant::now();
        let result = match $self {
            Storage::Sqlite(s) => {
                let mut conn = s.staff_writer.lock().await;
                let $tx: &mut sqlx::SqliteConnection = &mut conn;
                sqlx::query("BEGIN IMMEDIATE").execute(&mut *$tx).await?;
                let $q = $crate::storage::engine::same;
                let result = async { $body }.await;
                match result {
                    Ok(value) => {
                        sqlx::query("COMMIT").execute(&mut *$tx).await?;
                        Ok(value)
                    }
                    Err(error) => {
                        let _ = sqlx::query("ROLLBACK").execute(&mut *$tx).await;
                        Err(error)
                    }
                }
            }
            Storage::Postgres(s) => {
                let mut transaction = s.pool.begin().await?;
                let $tx: &mut sqlx::PgConnection = &mut transaction;
                let $q = $crate::storage::engine::dollar;
                let value = async { $body }.await?;
                transaction.commit().await?;
                Ok(value)
            }
        };
        $self.metrics().storage("staff_write", started.elapsed());
        result
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(dollar("a = ? AND b = ?"), "a = $1 AND b = $2");
    }
}
