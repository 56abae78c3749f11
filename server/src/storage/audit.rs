//! What several features write inside their own transactions: lines of
//! the audit log, and the per-call switches staff turn on and off.

use super::{Sql, Storage, StorageError};

/// A line of the audit log (not tied to a stored submission, so it outlives
/// an erasure).
pub(crate) struct AuditLine<'a> {
    pub(crate) staff: &'a str,
    pub(crate) action: &'a str,
    pub(crate) call: Option<&'a str>,
    pub(crate) reference: Option<&'a str>,
    pub(crate) detail: &'a str,
}

impl<'a> AuditLine<'a> {
    /// The INSERT of this line.
    pub(crate) fn insert(&self, at: &str) -> Sql {
        Sql::new(
            "INSERT INTO audit_log (at, staff, action, call_id, reference, detail) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(at)
        .bind(self.staff)
        .bind(self.action)
        .bind(self.call)
        .bind(self.reference)
        .bind(self.detail)
    }
}

/// A call's switches that staff turn on and off, each a table of one row
/// per call (who changed it and when): publishing its submissions, and
/// publishing its summary of counts by code.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Switch {
    Submissions,
    CodeSummary,
}

impl Switch {
    fn table(self) -> &'static str {
        match self {
            Self::Submissions => "call_publication",
            Self::CodeSummary => "code_summary_publication",
        }
    }

    /// Whether it is on for a call (off until staff first set it).
    pub(crate) async fn is_on(self, db: &Storage, call_id: &str) -> Result<bool, StorageError> {
        let sql = format!("SELECT published FROM {} WHERE call_id = ?", self.table());
        let row = Sql::new(&sql).bind(call_id).fetch_optional(db).await?;
        Ok(match row {
            Some(row) => row.try_get::<bool, _>("published")?,
            None => false,
        })
    }

    /// Sets the switch: binds call id, on or off, staff, time.
    pub(crate) fn upsert(self) -> String {
        format!(
            "INSERT INTO {} (call_id, published, changed_by, changed_at) \
             VALUES (?, ?, ?, ?) ON CONFLICT (call_id) DO UPDATE SET \
             published = excluded.published, changed_by = excluded.changed_by, \
             changed_at = excluded.changed_at",
            self.table()
        )
    }
}
