//! Signed-in browser sessions and failed sign-ins, in the database so that a
//! restart and every replica see the same ones. Written once for both
//! engines (see [`crate::storage::Sql`]). A session is stored by the SHA-256 of
//! its id only; a failure by when and how, never the token or the address.

use std::time::Duration;

use crate::limits::SESSION_TOUCH_EVERY;
use crate::storage::{Sql, Storage, StorageError, now_text};

/// Who a stored session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOwner {
    /// `staff` or `partner`.
    pub kind: String,
    /// The staff token's name or the partner's id.
    pub name: String,
    /// The SHA-256 of the configured digest of the token it signed in
    /// with: the session ends when no configured token has it any more.
    pub token: String,
}

/// When a stored session still counts: used within the idle timeout, and
/// started within the lifetime.
#[derive(Debug, Clone, Copy)]
pub struct SessionTimes {
    pub idle_timeout: Duration,
    pub lifetime: Duration,
}

impl SessionTimes {
    /// The oldest last use and start that still count, as stored text.
    fn cutoffs(self) -> (String, String) {
        (before_now(self.idle_timeout), before_now(self.lifetime))
    }

    /// How stale a session's last use may be before it is marked again: a
    /// tenth of the idle timeout, at most [`SESSION_TOUCH_EVERY`], so a
    /// session ends within a tenth of the idle timeout of its last use.
    fn touch_every(self) -> Duration {
        (self.idle_timeout / 10).min(SESSION_TOUCH_EVERY)
    }
}

/// Failed sign-ins and bearer tokens counted for the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCounts {
    pub last_day: i64,
    /// Everything still kept (see `limits::AUTH_FAILURES_KEPT`).
    pub kept: i64,
}

/// How a failed attempt came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedVia {
    SignIn,
    Bearer,
}

impl FailedVia {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign-in",
            Self::Bearer => "bearer",
        }
    }
}

/// `ago` before now, as stored text (times sort as text).
pub(super) fn before_now(ago: Duration) -> String {
    let ago = jiff::SignedDuration::try_from(ago).unwrap_or(jiff::SignedDuration::MAX);
    jiff::Timestamp::now()
        .checked_sub(ago)
        .unwrap_or(jiff::Timestamp::MIN)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Stores a new session under `id_hash`, ending the session `replaces`
/// (the one the browser presented when signing in again) and removing
/// every expired one, in one transaction.
pub async fn start_session(
    db: &Storage,
    id_hash: &str,
    owner: &SessionOwner,
    replaces: Option<&str>,
    times: SessionTimes,
) -> Result<(), StorageError> {
    let now = now_text();
    let (idle_cutoff, created_cutoff) = times.cutoffs();
    let mut tx = db.begin().await?;
    if let Some(old) = replaces {
        Sql::new("DELETE FROM staff_sessions WHERE id_hash = ?")
            .bind(old)
            .execute(&mut tx)
            .await?;
    }
    Sql::new("DELETE FROM staff_sessions WHERE last_seen_at < ? OR created_at < ?")
        .bind(&idle_cutoff)
        .bind(&created_cutoff)
        .execute(&mut tx)
        .await?;
    Sql::new(
        "INSERT INTO staff_sessions (id_hash, kind, name, token_hash, created_at, \
         last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id_hash)
    .bind(&owner.kind)
    .bind(&owner.name)
    .bind(&owner.token)
    .bind(&now)
    .bind(&now)
    .execute(&mut tx)
    .await?;
    tx.commit().await
}

/// The owner of the live session `id_hash`, marking it used; `None`
/// when there is no such session or it has expired. Marking is a write,
/// so it is done only when the last mark is older than
/// [`SessionTimes::touch_every`]: reading page after page does not take
/// the database's writer each time.
pub async fn use_session(
    db: &Storage,
    id_hash: &str,
    times: SessionTimes,
) -> Result<Option<SessionOwner>, StorageError> {
    let (idle_cutoff, created_cutoff) = times.cutoffs();
    let found = Sql::new(
        "SELECT kind, name, token_hash, last_seen_at FROM staff_sessions \
         WHERE id_hash = ? AND last_seen_at >= ? AND created_at >= ?",
    )
    .bind(id_hash)
    .bind(&idle_cutoff)
    .bind(&created_cutoff)
    .fetch_optional(db)
    .await?;
    let Some(row) = found else {
        return Ok(None);
    };
    let owner = SessionOwner {
        kind: row.try_get("kind")?,
        name: row.try_get("name")?,
        token: row.try_get("token_hash")?,
    };
    let last_seen: String = row.try_get("last_seen_at")?;
    if last_seen < before_now(times.touch_every()) {
        let mut tx = db.begin().await?;
        Sql::new("UPDATE staff_sessions SET last_seen_at = ? WHERE id_hash = ?")
            .bind(now_text())
            .bind(id_hash)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
    }
    Ok(Some(owner))
}

/// Ends the session `id_hash` (signing out).
pub async fn end_session(db: &Storage, id_hash: &str) -> Result<(), StorageError> {
    let mut tx = db.begin().await?;
    Sql::new("DELETE FROM staff_sessions WHERE id_hash = ?")
        .bind(id_hash)
        .execute(&mut tx)
        .await?;
    tx.commit().await
}

/// Records one failed attempt and forgets those older than `kept`;
/// returns how many there have been (on every replica) in the last
/// `window`, this one included.
pub async fn record_auth_failure(
    db: &Storage,
    via: FailedVia,
    kept: Duration,
    window: Duration,
) -> Result<i64, StorageError> {
    let now = now_text();
    let cutoff = before_now(kept);
    let recent = before_now(window);
    let mut tx = db.begin().await?;
    Sql::new("DELETE FROM auth_failures WHERE at < ?")
        .bind(&cutoff)
        .execute(&mut tx)
        .await?;
    Sql::new("INSERT INTO auth_failures (at, via) VALUES (?, ?)")
        .bind(&now)
        .bind(via.as_str())
        .execute(&mut tx)
        .await?;
    let row = Sql::new("SELECT COUNT(*) AS n FROM auth_failures WHERE at >= ?")
        .bind(&recent)
        .fetch_one(&mut tx)
        .await?;
    let count = row.try_get("n")?;
    tx.commit().await?;
    Ok(count)
}

/// Failed attempts in the last 24 hours and in all still kept (up to
/// `kept` old), counted by every replica alike.
pub async fn auth_failure_counts(
    db: &Storage,
    kept: Duration,
) -> Result<FailureCounts, StorageError> {
    let day = before_now(Duration::from_secs(24 * 60 * 60));
    let kept = before_now(kept);
    let row = Sql::new(
        "SELECT COUNT(CASE WHEN at >= ? THEN 1 END) AS last_day, COUNT(*) AS kept \
         FROM auth_failures WHERE at >= ?",
    )
    .bind(&day)
    .bind(&kept)
    .fetch_one(db)
    .await?;
    Ok(FailureCounts {
        last_day: row.try_get("last_day")?,
        kept: row.try_get("kept")?,
    })
}
