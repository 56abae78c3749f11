//! The administrator's pages for people and programs: `/admin/accounts`
//! (add a person by email with roles, change roles, deactivate),
//! `/admin/tokens` (make a token for a program, shown once; revoke one) and
//! `/admin/access` (who read whose personal data). What each needs is in
//! [`super::roles::ROUTES`].

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::access::{self, AccessLine};
use super::accounts::{self, Account, AccountError, NewAccount};
use super::pages::{HtmlError, PageForm, PagePath, PageQuery, StaffPage};
use super::roles::{Role, Roles};
use super::tokens::{self, ProgramToken};
use crate::http::html::{private_pages, render, when};
use crate::http::problem::ApiError;
use crate::limits::{PROGRAM_TOKEN_DEFAULT_DAYS, PROGRAM_TOKEN_LONGEST};
use crate::storage::now_text;
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    private_pages(
        Router::new()
            .route("/admin/accounts", get(show_accounts).post(add_account))
            .route("/admin/accounts/{id}", post(change_account))
            .route("/admin/tokens", get(show_tokens).post(make_token))
            .route("/admin/tokens/{id}/revoke", post(revoke_token))
            .route("/admin/access", get(show_access)),
    )
}

/// A role as a checkbox or an option.
struct RoleChoice {
    name: &'static str,
    description: &'static str,
}

fn choices(roles: impl IntoIterator<Item = Role>) -> Vec<RoleChoice> {
    roles
        .into_iter()
        .map(|r| RoleChoice {
            name: r.as_str(),
            description: r.description(),
        })
        .collect()
}

/// Roles a person can hold (monitoring is for programs).
fn person_roles() -> Vec<RoleChoice> {
    choices(Role::ALL.into_iter().filter(|r| *r != Role::Monitoring))
}

/// An account as a row of the page.
struct AccountRow {
    id: i64,
    email: String,
    name: String,
    roles: Vec<&'static str>,
    roles_text: String,
    partner: String,
    active: bool,
    changed: String,
    changed_by: String,
}

impl AccountRow {
    fn has(&self, role: &str) -> bool {
        self.roles.contains(&role)
    }
}

impl From<Account> for AccountRow {
    fn from(a: Account) -> Self {
        Self {
            id: a.id,
            roles: a.roles.iter().map(Role::as_str).collect(),
            roles_text: a.roles.to_string(),
            email: a.email,
            name: a.name,
            partner: a.partner_id.unwrap_or_default(),
            active: a.active,
            changed: when(&a.changed_at),
            changed_by: a.changed_by,
        }
    }
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    accounts: Vec<AccountRow>,
    roles: Vec<RoleChoice>,
    partners: Vec<String>,
    error: Option<String>,
    done: Option<String>,
    configured: Vec<String>,
}

async fn accounts_page(
    state: &AppState,
    error: Option<String>,
    done: Option<String>,
) -> Result<Response, HtmlError> {
    let accounts = accounts::list(&state.storage).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response = render(&AccountsPage {
        accounts: accounts.into_iter().map(AccountRow::from).collect(),
        roles: person_roles(),
        partners: state.config.partners.iter().map(|p| p.id.clone()).collect(),
        error,
        done,
        configured: state
            .config
            .admin_tokens
            .iter()
            .map(|t| t.name.clone())
            .collect(),
    });
    *response.status_mut() = status;
    Ok(response)
}

async fn show_accounts(
    StaffPage(_): StaffPage,
    State(state): State<AppState>,
) -> Result<Response, HtmlError> {
    accounts_page(&state, None, None).await
}

/// The values of a form, repeated names (the role checkboxes) included.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn roles_in(fields: &Fields) -> Result<Roles, String> {
    let names: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "role")
        .map(|(_, v)| v.as_str())
        .collect();
    Roles::parse(&names.join(" ")).map_err(|name| format!("There is no role called {name:?}."))
}

fn known_partner(state: &AppState) -> impl Fn(&str) -> bool + '_ {
    |id| state.config.partners.iter().any(|p| p.id == id)
}

async fn add_account(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PageForm(fields): PageForm<Fields>,
) -> Result<Response, HtmlError> {
    let roles = match roles_in(&fields) {
        Ok(roles) => roles,
        Err(error) => return accounts_page(&state, Some(error), None).await,
    };
    let partner = Some(field(&fields, "partner"));
    let added = match NewAccount::parse(
        field(&fields, "email"),
        field(&fields, "name"),
        roles,
        partner,
        known_partner(&state),
    ) {
        Ok(new) => accounts::add(&state.storage, &new, &staff.name).await,
        Err(error) => Err(error),
    };
    match added {
        Ok(account) => {
            tracing::info!(staff = %staff.name, account = account.id, "account added");
            let done = format!(
                "Added {} with the roles {}. They sign in with their email address.",
                account.email, account.roles
            );
            accounts_page(&state, None, Some(done)).await
        }
        Err(AccountError::Storage(error)) => Err(error.into()),
        Err(error) => accounts_page(&state, Some(error.to_string()), None).await,
    }
}

async fn change_account(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(id): PagePath<i64>,
    PageForm(fields): PageForm<Fields>,
) -> Result<Response, HtmlError> {
    let roles = match roles_in(&fields) {
        Ok(roles) => roles,
        Err(error) => return accounts_page(&state, Some(error), None).await,
    };
    let active = field(&fields, "active") == "yes";
    let before = accounts::by_id(&state.storage, id).await?;
    let Some(before) = before else {
        return Err(ApiError::NotFound("There is no account with this id").into());
    };
    // Nobody takes away their own way in: another administrator must.
    if before.email == staff.name && (!active || !roles.contains(Role::Administrator)) {
        let error = "You cannot remove your own administrator role or deactivate yourself: ask another administrator.";
        return accounts_page(&state, Some(error.into()), None).await;
    }
    let partner = Some(field(&fields, "partner")).filter(|p| !p.is_empty());
    let partner = partner.or(before.partner_id.as_deref());
    match accounts::change(
        &state.storage,
        id,
        roles,
        partner,
        active,
        known_partner(&state),
        &staff.name,
    )
    .await
    {
        Ok(account) => {
            tracing::info!(staff = %staff.name, account = account.id, active, "account changed");
            let done = if account.active {
                format!("{} now has the roles {}.", account.email, account.roles)
            } else {
                format!(
                    "{} is deactivated: they are signed out and cannot sign in.",
                    account.email
                )
            };
            accounts_page(&state, None, Some(done)).await
        }
        Err(AccountError::Storage(error)) => Err(error.into()),
        Err(error) => accounts_page(&state, Some(error.to_string()), None).await,
    }
}

/// A token as a row of the page.
struct TokenRow {
    id: i64,
    name: String,
    role: &'static str,
    created: String,
    created_by: String,
    expires: String,
    state: &'static str,
    live: bool,
}

impl TokenRow {
    fn new(token: ProgramToken, now: &str) -> Self {
        let live = token.live(now);
        Self {
            id: token.id,
            role: token.role.as_str(),
            created: when(&token.created_at),
            created_by: token.created_by.clone(),
            expires: when(&token.expires_at),
            state: if token.revoked_at.is_some() {
                "Revoked"
            } else if live {
                "Live"
            } else {
                "Expired"
            },
            live,
            name: token.name,
        }
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    tokens: Vec<TokenRow>,
    roles: Vec<RoleChoice>,
    default_days: u64,
    longest_days: u64,
    error: Option<String>,
    done: Option<String>,
    /// A token just made, shown this once.
    made: Option<(String, String)>,
}

fn token_roles() -> Vec<RoleChoice> {
    choices(Role::ALL.into_iter().filter(|r| *r != Role::Partner))
}

async fn tokens_page(
    state: &AppState,
    error: Option<String>,
    done: Option<String>,
    made: Option<(String, String)>,
) -> Result<Response, HtmlError> {
    let now = now_text();
    let tokens = tokens::list(&state.storage).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response = render(&TokensPage {
        tokens: tokens.into_iter().map(|t| TokenRow::new(t, &now)).collect(),
        roles: token_roles(),
        default_days: PROGRAM_TOKEN_DEFAULT_DAYS,
        longest_days: PROGRAM_TOKEN_LONGEST.as_secs() / 86_400,
        error,
        done,
        made,
    });
    *response.status_mut() = status;
    Ok(response)
}

async fn show_tokens(
    StaffPage(_): StaffPage,
    State(state): State<AppState>,
) -> Result<Response, HtmlError> {
    tokens_page(&state, None, None, None).await
}

/// The longest name a token is given: a line on a page.
const MAX_TOKEN_NAME: usize = 80;

async fn make_token(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PageForm(fields): PageForm<Fields>,
) -> Result<Response, HtmlError> {
    let name = field(&fields, "name").trim();
    if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME {
        let error =
            format!("Enter a name of 1 to {MAX_TOKEN_NAME} characters: what the token is for.");
        return tokens_page(&state, Some(error), None, None).await;
    }
    let role = Role::parse(field(&fields, "role")).filter(|r| *r != Role::Partner);
    let Some(role) = role else {
        return tokens_page(&state, Some("Choose the token's role.".into()), None, None).await;
    };
    let longest = PROGRAM_TOKEN_LONGEST.as_secs() / 86_400;
    let days = match field(&fields, "days").trim() {
        "" => PROGRAM_TOKEN_DEFAULT_DAYS,
        text => match text.parse::<u64>() {
            Ok(days) if (1..=longest).contains(&days) => days,
            _ => {
                let error = format!("Enter how many days the token lasts, from 1 to {longest}.");
                return tokens_page(&state, Some(error), None, None).await;
            }
        },
    };
    let lasts = std::time::Duration::from_secs(days * 86_400);
    let (token, stored) = tokens::create(&state.storage, name, role, lasts, &staff.name).await?;
    tracing::info!(staff = %staff.name, token = stored.id, role = %role, "program token made");
    tokens_page(&state, None, None, Some((stored.name, token))).await
}

async fn revoke_token(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(id): PagePath<i64>,
) -> Result<Response, HtmlError> {
    if tokens::revoke(&state.storage, id, &staff.name).await? {
        tracing::info!(staff = %staff.name, token = id, "program token revoked");
        tokens_page(
            &state,
            None,
            Some(format!("Token {id} is revoked: it no longer works.")),
            None,
        )
        .await
    } else {
        let error = "That token does not exist or is already revoked.".to_owned();
        tokens_page(&state, Some(error), None, None).await
    }
}

/// A line of the access record as a row.
struct AccessRow {
    at: String,
    staff: String,
    what: &'static str,
    call: String,
    reference: String,
    via: String,
}

impl From<AccessLine> for AccessRow {
    fn from(line: AccessLine) -> Self {
        Self {
            at: when(&line.at),
            staff: line.staff,
            what: if line.what == "export" {
                "Exported the call"
            } else {
                "Read a submission"
            },
            call: line.call_id.unwrap_or_default(),
            reference: line.reference.unwrap_or_default(),
            via: line.via,
        }
    }
}

#[derive(Template)]
#[template(path = "access.html")]
struct AccessPage {
    lines: Vec<AccessRow>,
    reference: String,
    kept_days: u64,
}

#[derive(Deserialize)]
struct AccessQuery {
    #[serde(default)]
    reference: String,
}

async fn show_access(
    StaffPage(_): StaffPage,
    State(state): State<AppState>,
    PageQuery(query): PageQuery<AccessQuery>,
) -> Result<Response, HtmlError> {
    let reference = query.reference.trim().to_uppercase();
    let filter = Some(reference.as_str()).filter(|r| !r.is_empty());
    let lines = access::lines(&state.storage, filter).await?;
    Ok(render(&AccessPage {
        lines: lines.into_iter().map(AccessRow::from).collect(),
        reference,
        kept_days: state.config.access_record_kept.as_secs() / 86_400,
    }))
}
