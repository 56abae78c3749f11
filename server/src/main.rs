//! `cfi-server --config FILE [--bind 127.0.0.1:PORT]`, or one of the
//! commands in `cfi_server::cli` (`seed`, `retention`, `backup`,
//! `restore`, `staff`); `--help` lists every
//! flag and the environment variable that can stand for it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cfi_server::Application;
use cfi_server::cli::backup::{BackupArgs, RestoreArgs};
use cfi_server::cli::staff::StaffArgs;
use cfi_server::cli::{self, ConfigArgs, RetentionArgs, SeedArgs};
use cfi_server::config::Overrides;
use clap::{CommandFactory, Parser, Subcommand};

/// The Call for Ideas collection server: collects, stores and serves
/// submissions. Without a command, it serves.
#[derive(Debug, Parser)]
#[command(name = "cfi-server", version, args_conflicts_with_subcommands = true)]
#[command(after_help = "RUST_LOG sets the log level (default: info,sqlx=warn).")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The TOML configuration file (required to serve).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    overrides: Overrides,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fill an empty database with generated, realistic submissions.
    Seed(SeedArgs),
    /// Remove personal data past its retention date (or before --before).
    Retention(RetentionArgs),
    /// Write a verified copy of the database to a new file, while serving.
    Backup(BackupArgs),
    /// Bring a backup back into an empty database.
    Restore(RestoreArgs),
    /// Add or list staff accounts (the first administrator).
    Staff(StaffArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Some(Command::Seed(args)) => return cli::seed_command(args).await,
        Some(Command::Retention(args)) => return cli::retention_command(args).await,
        Some(Command::Backup(args)) => return cli::backup::backup_command(args).await,
        Some(Command::Restore(args)) => return cli::backup::restore_command(args).await,
        Some(Command::Staff(args)) => return cli::staff::staff_command(args).await,
        None => {}
    }
    let Some(config) = cli.config else {
        Cli::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "--config FILE is required to serve",
            )
            .exit();
    };
    let serve = ConfigArgs {
        config,
        overrides: cli.overrides,
    };
    let config = match serve.load() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    let host = config.bind.ip();
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(error) => {
            eprintln!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    // Tests and scripts wait for this line to know the server is ready.
    println!("listening on http://{host}:{}", app.port());
    let _ = std::io::stdout().flush();
    tracing::info!(port = app.port(), "collection server started");
    match app.run_until_stopped(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server stopped: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in progress");
}
