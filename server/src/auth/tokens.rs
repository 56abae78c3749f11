//! Tokens for programs (an export job, the metrics scrape): made by an
//! administrator on `/admin/tokens`, shown once, kept as their SHA-256 only,
//! each with one role and an expiry, revocable. A program sends one as
//! `Authorization: Bearer`.

use std::time::Duration;

use crate::limits::{PROGRAM_TOKEN_LONGEST, PROGRAM_TOKEN_PREFIX};
use crate::storage::{AuditLine, Sql, SqlRow, Storage, StorageError, now_text};

use super::roles::Role;

/// A stored token, as the tokens page lists it (never the token).
#[derive(Debug, Clone)]
pub struct ProgramToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
}

impl ProgramToken {
    /// Whether it still signs its program in.
    pub fn live(&self, now: &str) -> bool {
        self.revoked_at.is_none() && self.expires_at.as_str() > now
    }
}

/// The principal's name for a token's audit lines and access record.
pub fn principal_name(name: &str) -> String {
    format!("{name} (token)")
}

/// The SHA-256 (hex) a token is kept and looked up by. A token is 32
/// random bytes, so a lookup by digest tells a guesser nothing.
pub fn stored_hash(token: &str) -> String {
    hex::encode(super::digest(token.trim()))
}

/// Makes a token: returns it (to show once) and what is stored.
pub async fn create(
    db: &Storage,
    name: &str,
    role: Role,
    lasts: Duration,
    by: &str,
) -> Result<(String, ProgramToken), StorageError> {
    let token = format!(
        "{PROGRAM_TOKEN_PREFIX}{}",
        hex::encode(rand::random::<[u8; 32]>())
    );
    let now = now_text();
    let expires_at = crate::storage::outbox::after(lasts.min(PROGRAM_TOKEN_LONGEST));
    let mut tx = db.begin().await?;
    let row = Sql::new(
        "INSERT INTO program_tokens (name, token_hash, role, created_by, created_at, \
         expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(name)
    .bind(stored_hash(&token))
    .bind(role.as_str())
    .bind(by)
    .bind(&now)
    .bind(&expires_at)
    .fetch_one(&mut tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    AuditLine {
        staff: by,
        action: "token_created",
        call: None,
        reference: None,
        detail: &format!("token {id} {name:?}: role {role}, until {expires_at}"),
    }
    .insert(&now)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok((
        token,
        ProgramToken {
            id,
            name: name.to_owned(),
            role,
            created_by: by.to_owned(),
            created_at: now,
            expires_at,
            revoked_at: None,
        },
    ))
}

/// Revokes token `id`; false when there is no such live token.
pub async fn revoke(db: &Storage, id: i64, by: &str) -> Result<bool, StorageError> {
    let now = now_text();
    let mut tx = db.begin().await?;
    let changed = Sql::new(
        "UPDATE program_tokens SET revoked_at = ?, revoked_by = ? \
         WHERE id = ? AND revoked_at IS NULL",
    )
    .bind(&now)
    .bind(by)
    .bind(id)
    .execute(&mut tx)
    .await?;
    if changed == 0 {
        return Ok(false);
    }
    AuditLine {
        staff: by,
        action: "token_revoked",
        call: None,
        reference: None,
        detail: &format!("token {id}"),
    }
    .insert(&now)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

fn token(row: &SqlRow) -> Result<ProgramToken, StorageError> {
    let role: String = row.try_get("role")?;
    Ok(ProgramToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        // A role this code no longer knows grants nothing: monitoring is
        // the least.
        role: Role::parse(&role).unwrap_or(Role::Monitoring),
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

const COLUMNS: &str = "id, name, role, created_by, created_at, expires_at, revoked_at";

/// Every token, newest first.
pub async fn list(db: &Storage) -> Result<Vec<ProgramToken>, StorageError> {
    let rows = Sql::new(format!(
        "SELECT {COLUMNS} FROM program_tokens ORDER BY id DESC"
    ))
    .fetch_all(db)
    .await?;
    rows.iter().map(token).collect()
}

/// The live token this is, if any.
pub async fn live(db: &Storage, presented: &str) -> Result<Option<ProgramToken>, StorageError> {
    let now = now_text();
    let row = Sql::new(format!(
        "SELECT {COLUMNS} FROM program_tokens WHERE token_hash = ? AND revoked_at IS NULL \
         AND expires_at > ?"
    ))
    .bind(stored_hash(presented))
    .bind(&now)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(token).transpose()
}
