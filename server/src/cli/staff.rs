//! `cfi-server staff add --config FILE --email ADDRESS --role ROLE…
//! [--name NAME] [--partner ID]`: adds an account from the command line,
//! for the first administrator (after that, administrators add people on
//! `/admin/accounts`); `cfi-server staff list --config FILE` lists them.
//! Both write the same rows, audit line included, as the page does.

use std::process::ExitCode;

use super::{CommandError, ConfigArgs, finish};
use crate::auth::Roles;
use crate::auth::accounts::{self, AccountError, NewAccount};
use crate::storage::Storage;

/// `cfi-server staff …`.
#[derive(Debug, Clone, clap::Args)]
pub struct StaffArgs {
    #[command(subcommand)]
    pub command: StaffCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum StaffCommand {
    /// Add a person with roles (reader, moderator, safeguarding,
    /// administrator, partner).
    Add(AddArgs),
    /// List every account.
    List(ConfigArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The address the person signs in with.
    #[arg(long, value_name = "ADDRESS")]
    pub email: String,
    /// Their name, as pages show it (default: the address).
    #[arg(long, default_value = "")]
    pub name: String,
    /// A role; repeat for several.
    #[arg(long = "role", value_name = "ROLE", required = true)]
    pub roles: Vec<String>,
    /// The partner, for the partner role.
    #[arg(long, value_name = "ID")]
    pub partner: Option<String>,
}

/// Who the audit log names for a change made here.
const BY: &str = "the command line";

pub async fn staff_command(args: StaffArgs) -> ExitCode {
    finish(run(args).await)
}

async fn run(args: StaffArgs) -> Result<(), CommandError> {
    match args.command {
        StaffCommand::Add(add) => {
            let config = add.config.load()?;
            let roles = Roles::parse(&add.roles.join(" ")).map_err(|name| {
                CommandError::Account(format!("there is no role called {name:?}"))
            })?;
            let new =
                NewAccount::parse(&add.email, &add.name, roles, add.partner.as_deref(), |id| {
                    config.partners.iter().any(|p| p.id == id)
                })
                .map_err(account_error)?;
            let storage = Storage::open(&config.database_url).await?;
            let added = accounts::add(&storage, &new, BY).await;
            storage.close().await;
            let account = added.map_err(account_error)?;
            println!(
                "staff: added {} ({}) with the roles {}",
                account.email, account.id, account.roles
            );
            Ok(())
        }
        StaffCommand::List(config) => {
            let config = config.load()?;
            let storage = Storage::open(&config.database_url).await?;
            let listed = accounts::list(&storage).await;
            storage.close().await;
            for a in listed? {
                println!(
                    "{}\t{}\t{}\t{}",
                    a.email,
                    a.roles,
                    if a.active { "active" } else { "deactivated" },
                    a.name
                );
            }
            Ok(())
        }
    }
}

fn account_error(error: AccountError) -> CommandError {
    match error {
        AccountError::Storage(error) => CommandError::Storage(error),
        other => CommandError::Account(other.to_string()),
    }
}
