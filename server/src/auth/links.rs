//! One-time sign-in links by email, for teams without an identity
//! provider. A person types their address on the sign-in page; if an active
//! account has it, a link is stored by the SHA-256 of its token and its
//! email queued in the outbox in the same transaction (the answer is the
//! same whether or not there is an account). The link works once, within
//! [`SIGN_IN_LINK_LIFETIME`]; opening it shows a button, so a mail scanner
//! that fetches links does not use it up.

use crate::limits::{SIGN_IN_LINK_LIFETIME, SIGN_IN_LINKS_AT_ONCE};
use crate::storage::outbox::{after, queue_sign_in};
use crate::storage::{Sql, Storage, StorageError, now_text};

use super::accounts::{self, Account};

/// What asking for a link did (never shown: the page says the same for
/// each, so it cannot tell who has an account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    Sent,
    NoAccount,
    TooMany,
}

/// Stores a link for the active account with `email` and queues its email.
pub async fn ask(db: &Storage, email: &str) -> Result<Asked, StorageError> {
    let Some(account) = accounts::active_by_email(db, email).await? else {
        return Ok(Asked::NoAccount);
    };
    let now = now_text();
    let since = super::persistence::before_now(SIGN_IN_LINK_LIFETIME);
    let token = hex::encode(rand::random::<[u8; 32]>());
    let mut tx = db.begin().await?;
    Sql::new("DELETE FROM sign_in_links WHERE expires_at < ?")
        .bind(&now)
        .execute(&mut tx)
        .await?;
    let recent = Sql::new(
        "SELECT COUNT(*) AS n FROM sign_in_links WHERE account_id = ? AND created_at >= ?",
    )
    .bind(account.id)
    .bind(&since)
    .fetch_one(&mut tx)
    .await?;
    if recent.try_get::<i64, _>("n")? >= SIGN_IN_LINKS_AT_ONCE {
        return Ok(Asked::TooMany);
    }
    Sql::new(
        "INSERT INTO sign_in_links (token_hash, account_id, created_at, expires_at) \
         VALUES (?, ?, ?, ?)",
    )
    .bind(super::tokens::stored_hash(&token))
    .bind(account.id)
    .bind(&now)
    .bind(after(SIGN_IN_LINK_LIFETIME))
    .execute(&mut tx)
    .await?;
    queue_sign_in(&mut tx, &account.name, &account.email, &token).await?;
    tx.commit().await?;
    Ok(Asked::Sent)
}

/// The active account a live, unused link is for (to show whom the button
/// signs in), without using it.
pub async fn peek(db: &Storage, token: &str) -> Result<Option<Account>, StorageError> {
    let row = Sql::new(
        "SELECT account_id FROM sign_in_links WHERE token_hash = ? AND used_at IS NULL \
         AND expires_at >= ?",
    )
    .bind(super::tokens::stored_hash(token))
    .bind(now_text())
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let account = accounts::by_id(db, row.try_get("account_id")?).await?;
    Ok(account.filter(|a| a.active))
}

/// Uses a live link: marks it used (so a second use, even at the same
/// moment, finds nothing) and returns its active account.
pub async fn redeem(db: &Storage, token: &str) -> Result<Option<Account>, StorageError> {
    let now = now_text();
    let mut tx = db.begin().await?;
    let row = Sql::new(
        "UPDATE sign_in_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL \
         AND expires_at >= ? RETURNING account_id",
    )
    .bind(&now)
    .bind(super::tokens::stored_hash(token))
    .bind(&now)
    .fetch_optional(&mut tx)
    .await?;
    tx.commit().await?;
    let Some(row) = row else { return Ok(None) };
    let account = accounts::by_id(db, row.try_get("account_id")?).await?;
    Ok(account.filter(|a| a.active))
}
