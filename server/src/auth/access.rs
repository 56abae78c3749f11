//! Who read what: every view of a submission's personal data and every
//! export that holds personal data, recorded as who, when, which reference
//! or call, and by which door (page or API). Nothing a respondent wrote is
//! in it. Administrators read it on `/admin/access`; lines older than the
//! configuration's `access_record_days` are deleted as new ones are written.

use std::time::Duration;

use crate::limits::ACCESS_RECORD_LINES;
use crate::storage::{Sql, SqlRow, Storage, StorageError, now_text};

/// What was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read<'a> {
    /// One submission, by reference, in its call.
    Submission { call: &'a str, reference: &'a str },
    /// A call's export.
    Export { call: &'a str },
}

/// How it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Page,
    Api,
}

impl Door {
    fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Api => "api",
        }
    }
}

/// A line of the record.
#[derive(Debug, Clone)]
pub struct AccessLine {
    pub at: String,
    pub staff: String,
    pub what: String,
    pub call_id: Option<String>,
    pub reference: Option<String>,
    pub via: String,
}

/// Records that `staff` read `what`, and forgets lines older than `kept`.
/// Written before the personal data is sent: a read that cannot be
/// recorded is not answered.
pub async fn record(
    db: &Storage,
    staff: &str,
    what: Read<'_>,
    door: Door,
    kept: Duration,
) -> Result<(), StorageError> {
    let now = now_text();
    let (kind, call, reference) = match what {
        Read::Submission { call, reference } => ("submission", call, Some(reference)),
        Read::Export { call } => ("export", call, None),
    };
    let cutoff = super::persistence::before_now(kept);
    let mut tx = db.begin().await?;
    Sql::new("DELETE FROM access_record WHERE at < ?")
        .bind(&cutoff)
        .execute(&mut tx)
        .await?;
    Sql::new(
        "INSERT INTO access_record (at, staff, what, call_id, reference, via) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&now)
    .bind(staff)
    .bind(kind)
    .bind(call)
    .bind(reference)
    .bind(door.as_str())
    .execute(&mut tx)
    .await?;
    tx.commit().await
}

fn line(row: &SqlRow) -> Result<AccessLine, StorageError> {
    Ok(AccessLine {
        at: row.try_get("at")?,
        staff: row.try_get("staff")?,
        what: row.try_get("what")?,
        call_id: row.try_get("call_id")?,
        reference: row.try_get("reference")?,
        via: row.try_get("via")?,
    })
}

/// The newest lines, for one reference or for all.
pub async fn lines(db: &Storage, reference: Option<&str>) -> Result<Vec<AccessLine>, StorageError> {
    let mut sql = Sql::new("SELECT at, staff, what, call_id, reference, via FROM access_record");
    if let Some(reference) = reference {
        sql.push(" WHERE reference = ").push_bind(reference);
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .push_bind(ACCESS_RECORD_LINES);
    let rows = sql.fetch_all(db).await?;
    rows.iter().map(line).collect()
}
