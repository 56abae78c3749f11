//! `cfi-server backup --config FILE --to PATH` and
//! `cfi-server restore --config FILE --from PATH`: see [`crate::backup`].

use std::path::PathBuf;
use std::process::ExitCode;

use super::{CommandError, ConfigArgs, finish};

/// `cfi-server backup`: a verified copy of the database, while serving.
#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The new backup file (never overwritten).
    #[arg(long, value_name = "PATH")]
    pub to: PathBuf,
}

/// `cfi-server restore`: a backup back into an empty database.
#[derive(Debug, Clone, clap::Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The backup file to restore.
    #[arg(long, value_name = "PATH")]
    pub from: PathBuf,
}

/// `cfi-server backup ...`; prints what it wrote.
pub async fn backup_command(args: BackupArgs) -> ExitCode {
    let run = async {
        let config = args.config.load()?;
        let started = std::time::Instant::now();
        let report = crate::backup::backup(&config.database_url, &args.to).await?;
        println!(
            "backup: wrote {} ({} bytes, {} submissions) in {:.1} s; integrity check passed",
            report.path.display(),
            report.bytes,
            report.submissions,
            started.elapsed().as_secs_f64()
        );
        Ok::<(), CommandError>(())
    };
    finish(run.await)
}

/// `cfi-server restore ...`; prints what it restored.
pub async fn restore_command(args: RestoreArgs) -> ExitCode {
    let run = async {
        let config = args.config.load()?;
        let started = std::time::Instant::now();
        let report = crate::backup::restore(&config.database_url, &args.from).await?;
        println!(
            "restore: {} submissions restored from {} in {:.1} s",
            report.submissions,
            report.path.display(),
            started.elapsed().as_secs_f64()
        );
        Ok::<(), CommandError>(())
    };
    finish(run.await)
}
