//! What is remembered of an erased submission so that it cannot come back:
//! the SHA-256 of its call id and idempotency key, nothing else. A retry of
//! the erased submission (same call, same key) is then refused rather than
//! stored again under a new reference.

use sha2::{Digest, Sha256};

use super::{Sql, Storage, StorageError};

/// The hash kept for an erased submission's key: SHA-256 of the call id, a
/// line break and the key as sent (hyphenated, lower case), in hex.
pub fn erased_key_hash(call_id: &str, key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(call_id.as_bytes());
    hasher.update(b"\n");
    hasher.update(key.as_bytes());
    hex::encode(hasher.finalize())
}

/// Remembers one erased key (written inside the erasing transaction).
pub(crate) const REMEMBER: &str =
    "INSERT INTO erased_submission_keys (key_hash) VALUES (?) ON CONFLICT DO NOTHING";

/// The statements that remove a submission's codings, coding trail, read
/// marks and rejected suggestions, bound to its reference; run by
/// the erasure in its own transaction before the submission is
/// deleted.
pub(crate) fn erasure_statements() -> [&'static str; 4] {
    [
        "DELETE FROM codings WHERE submission_id IN \
         (SELECT id FROM submissions WHERE reference = ?)",
        "DELETE FROM coding_actions WHERE submission_id IN \
         (SELECT id FROM submissions WHERE reference = ?)",
        "DELETE FROM idea_reads WHERE submission_id IN \
         (SELECT id FROM submissions WHERE reference = ?)",
        "DELETE FROM rejected_suggestions WHERE submission_id IN \
         (SELECT id FROM submissions WHERE reference = ?)",
    ]
}

/// Whether a key is one of an erased submission.
pub(crate) const WAS_ERASED: &str =
    "SELECT 1 AS erased FROM erased_submission_keys WHERE key_hash = ?";

/// Keys remembered in one INSERT by the retention command: few enough to
/// stay well under either engine's limit of bound values.
pub(crate) const REMEMBER_CHUNK: usize = 500;

/// `INSERT ... VALUES (?), (?), ...` for `n` keys.
pub(crate) fn remember_many(n: usize) -> String {
    let marks = vec!["(?)"; n].join(", ");
    format!("INSERT INTO erased_submission_keys (key_hash) VALUES {marks} ON CONFLICT DO NOTHING")
}

impl Storage {
    /// Whether the submission sent under `key` for `call_id` was erased.
    pub async fn was_erased(&self, call_id: &str, key: uuid::Uuid) -> Result<bool, StorageError> {
        let hash = erased_key_hash(call_id, &key.hyphenated().to_string());

        let row = Sql::new(WAS_ERASED)
            .bind(&hash)
            .fetch_optional(self)
            .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("erased"))
            .transpose()?
            .is_some())
    }
}
