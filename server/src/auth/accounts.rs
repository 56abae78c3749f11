//! Staff accounts: people, by email, with roles. Added and changed by an
//! administrator (or the first one by `cfi-server staff add`), each change
//! a line of the audit log in the same transaction; deactivating ends the
//! person's sessions at once, and a changed role counts from their next
//! request (roles are read at every request, never kept in the session).

use crate::storage::{AuditLine, Sql, SqlRow, Storage, StorageError, now_text};

use super::roles::{Role, Roles};

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub roles: Roles,
    /// The partner charity, for the partner role.
    pub partner_id: Option<String>,
    pub active: bool,
    pub changed_at: String,
    pub changed_by: String,
}

/// Why an account was not added or changed, in words for the page.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("there is no account with this id")]
    Unknown,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// An account as asked for, checked: the email address in lower case, a
/// name, at least one role, and a partner id exactly when the role is
/// partner (which is held alone: a partner never sees content).
#[derive(Debug, Clone)]
pub struct NewAccount {
    email: String,
    name: String,
    roles: Roles,
    partner_id: Option<String>,
}

/// The longest name or email address kept: a line on a page.
const MAX_ACCOUNT_TEXT: usize = 200;

impl NewAccount {
    pub fn parse(
        email: &str,
        name: &str,
        roles: Roles,
        partner_id: Option<&str>,
        known_partner: impl Fn(&str) -> bool,
    ) -> Result<Self, AccountError> {
        let email = parse_email(email)?;
        let name = name.trim();
        let name = if name.is_empty() {
            email.clone()
        } else {
            name.to_owned()
        };
        if name.chars().count() > MAX_ACCOUNT_TEXT {
            return Err(AccountError::Invalid(format!(
                "Enter a name of {MAX_ACCOUNT_TEXT} characters or fewer."
            )));
        }
        let roles = check_roles(roles)?;
        let partner_id = partner_for(roles, partner_id, known_partner)?;
        Ok(Self {
            email,
            name,
            roles,
            partner_id,
        })
    }
}

/// The address, trimmed and in lower case, if it is one.
pub fn parse_email(email: &str) -> Result<String, AccountError> {
    let email = email.trim().to_lowercase();
    if email.chars().count() > MAX_ACCOUNT_TEXT || email.parse::<lettre::Address>().is_err() {
        return Err(AccountError::Invalid(
            "Enter an email address in the correct format, like name@example.org.".into(),
        ));
    }
    Ok(email)
}

fn check_roles(roles: Roles) -> Result<Roles, AccountError> {
    if roles.is_empty() {
        return Err(AccountError::Invalid("Choose at least one role.".into()));
    }
    if roles.contains(Role::Partner) && roles != Roles::of([Role::Partner]) {
        return Err(AccountError::Invalid(
            "The partner role is held alone: a partner sees its own counts, never content.".into(),
        ));
    }
    Ok(roles)
}

fn partner_for(
    roles: Roles,
    partner_id: Option<&str>,
    known_partner: impl Fn(&str) -> bool,
) -> Result<Option<String>, AccountError> {
    let partner_id = partner_id.map(str::trim).filter(|p| !p.is_empty());
    match (roles.contains(Role::Partner), partner_id) {
        (true, Some(id)) if known_partner(id) => Ok(Some(id.to_owned())),
        (true, Some(id)) => Err(AccountError::Invalid(format!(
            "There is no partner {id:?} in the configuration."
        ))),
        (true, None) => Err(AccountError::Invalid(
            "Choose the partner this account is for.".into(),
        )),
        (false, _) => Ok(None),
    }
}

const COLUMNS: &str = "id, email, name, roles, partner_id, active, changed_at, changed_by";

fn account(row: &SqlRow) -> Result<Account, StorageError> {
    let roles: String = row.try_get("roles")?;
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        // A stored list is one this code wrote; a name it no longer knows
        // grants nothing.
        roles: Roles::of(roles.split(' ').filter_map(Role::parse)),
        partner_id: row.try_get("partner_id")?,
        active: row.try_get("active")?,
        changed_at: row.try_get("changed_at")?,
        changed_by: row.try_get("changed_by")?,
    })
}

/// Adds an account; an address already there is an error saying so.
pub async fn add(db: &Storage, new: &NewAccount, by: &str) -> Result<Account, AccountError> {
    let now = now_text();
    let mut tx = db.begin().await?;
    let taken = Sql::new("SELECT id FROM staff_accounts WHERE email = ?")
        .bind(&new.email)
        .fetch_optional(&mut tx)
        .await?;
    if taken.is_some() {
        return Err(AccountError::Invalid(format!(
            "There is already an account for {}: change its roles instead.",
            new.email
        )));
    }
    let row = Sql::new(
        "INSERT INTO staff_accounts (email, name, roles, partner_id, active, created_at, \
         changed_at, changed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&new.email)
    .bind(&new.name)
    .bind(new.roles.stored())
    .bind(new.partner_id.as_deref())
    .bind(true)
    .bind(&now)
    .bind(&now)
    .bind(by)
    .fetch_one(&mut tx)
    .await?;
    let id: i64 = row.try_get("id").map_err(StorageError::from)?;
    AuditLine {
        staff: by,
        action: "account_added",
        call: None,
        reference: None,
        detail: &format!("account {id}: roles {}", new.roles),
    }
    .insert(&now)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(Account {
        id,
        email: new.email.clone(),
        name: new.name.clone(),
        roles: new.roles,
        partner_id: new.partner_id.clone(),
        active: true,
        changed_at: now,
        changed_by: by.to_owned(),
    })
}

/// Sets an account's roles (and partner) and whether it is active; a
/// deactivated account's sessions end in the same transaction.
pub async fn change(
    db: &Storage,
    id: i64,
    roles: Roles,
    partner_id: Option<&str>,
    active: bool,
    known_partner: impl Fn(&str) -> bool,
    by: &str,
) -> Result<Account, AccountError> {
    let roles = check_roles(roles)?;
    let partner_id = partner_for(roles, partner_id, known_partner)?;
    let now = now_text();
    let mut tx = db.begin().await?;
    let before = Sql::new(format!("SELECT {COLUMNS} FROM staff_accounts WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut tx)
        .await?
        .ok_or(AccountError::Unknown)?;
    let before = account(&before)?;
    Sql::new(
        "UPDATE staff_accounts SET roles = ?, partner_id = ?, active = ?, changed_at = ?, \
         changed_by = ? WHERE id = ?",
    )
    .bind(roles.stored())
    .bind(partner_id.as_deref())
    .bind(active)
    .bind(&now)
    .bind(by)
    .bind(id)
    .execute(&mut tx)
    .await?;
    if !active {
        Sql::new("DELETE FROM staff_sessions WHERE kind = 'account' AND name = ?")
            .bind(id.to_string())
            .execute(&mut tx)
            .await?;
    }
    let detail = format!(
        "account {id}: roles {} (were {}){}",
        roles,
        before.roles,
        match (before.active, active) {
            (true, false) => ", deactivated",
            (false, true) => ", reactivated",
            _ => "",
        }
    );
    AuditLine {
        staff: by,
        action: "account_changed",
        call: None,
        reference: None,
        detail: &detail,
    }
    .insert(&now)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(Account {
        roles,
        partner_id,
        active,
        changed_at: now,
        changed_by: by.to_owned(),
        ..before
    })
}

/// Every account, active first, then by email.
pub async fn list(db: &Storage) -> Result<Vec<Account>, StorageError> {
    let rows = Sql::new(format!(
        "SELECT {COLUMNS} FROM staff_accounts ORDER BY active DESC, email"
    ))
    .fetch_all(db)
    .await?;
    rows.iter().map(account).collect()
}

/// The account `id`, active or not.
pub async fn by_id(db: &Storage, id: i64) -> Result<Option<Account>, StorageError> {
    Sql::new(format!("SELECT {COLUMNS} FROM staff_accounts WHERE id = ?"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(account)
        .transpose()
}

/// The active account with this address (any case), if there is one.
pub async fn active_by_email(db: &Storage, email: &str) -> Result<Option<Account>, StorageError> {
    Sql::new(format!(
        "SELECT {COLUMNS} FROM staff_accounts WHERE email = ? AND active = ?"
    ))
    .bind(email.trim().to_lowercase())
    .bind(true)
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(account)
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_needs_an_address_a_role_and_a_known_partner_for_the_partner_role() {
        let known = |id: &str| id == "become";
        let ok = NewAccount::parse(
            " Sam@Example.org ",
            "",
            Roles::of([Role::Reader]),
            None,
            known,
        )
        .expect("valid");
        assert_eq!(ok.email, "sam@example.org");
        assert_eq!(ok.name, "sam@example.org");
        for (email, roles, partner) in [
            ("not an address", Roles::of([Role::Reader]), None),
            ("a@example.org", Roles::default(), None),
            ("a@example.org", Roles::of([Role::Partner]), None),
            ("a@example.org", Roles::of([Role::Partner]), Some("nobody")),
            (
                "a@example.org",
                Roles::of([Role::Partner, Role::Reader]),
                Some("become"),
            ),
        ] {
            assert!(
                NewAccount::parse(email, "", roles, partner, known).is_err(),
                "{email} {roles}"
            );
        }
        let partner = NewAccount::parse(
            "p@example.org",
            "P",
            Roles::of([Role::Partner]),
            Some("become"),
            known,
        )
        .expect("valid");
        assert_eq!(partner.partner_id.as_deref(), Some("become"));
    }
}
