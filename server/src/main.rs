//! `cfi-server --config FILE [--bind 127.0.0.1:PORT]`, or one of the
//! commands in `cfi_server::cli` (`seed`, `retention`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cfi_server::{Application, Config};

const USAGE: &str = "usage: cfi-server --config FILE [--bind 127.0.0.1:PORT]\n\
    \x20      cfi-server seed --config FILE [--count N] [--call ID]\n\
    \x20      cfi-server retention --config FILE [--before YYYY-MM-DD]\n\
    environment: CFI_BIND, CFI_DATABASE_URL, CFI_ASSETS_DIR override the file; \
    RUST_LOG sets the log level";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let all: Vec<String> = std::env::args().skip(1).collect();
    match all.first().map(String::as_str) {
        Some("seed") => return cfi_server::cli::seed_command(&all[1..]).await,
        Some("retention") => return cfi_server::cli::retention_command(&all[1..]).await,
        _ => {}
    }
    let mut config_path: Option<PathBuf> = None;
    let mut bind: Option<String> = None;
    let mut args = all.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--config" => config_path = args.next().map(PathBuf::from),
            "--bind" => bind = args.next(),
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(config_path) = config_path else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let config = match Config::load(&config_path) {
        Ok(mut config) => {
            if let Some(bind) = bind {
                match bind.parse() {
                    Ok(addr) => config.bind = addr,
                    Err(_) => {
                        eprintln!("--bind: {bind:?} is not an address like 127.0.0.1:8080");
                        return ExitCode::from(2);
                    }
                }
            }
            config
        }
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
