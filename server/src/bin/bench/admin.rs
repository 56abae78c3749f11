//! Admin mode: the staff's full CSV export and searches over seeded
//! submissions, then a backup and restore of the database.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tokio::process::Command;

use crate::{Args, TOKEN, config, fresh_database, ms, percentile, start_server};

/// Seeds `args.count` generated submissions into a fresh database named
/// `label`; returns the configuration file's path.
pub(crate) async fn seeded(
    args: &Args,
    binary: &Path,
    dir: &Path,
    label: &str,
) -> Result<PathBuf, String> {
    seeded_with(args, binary, dir, label, &[]).await
}

/// [`seeded`], with more arguments for `cfi-server seed`.
pub(crate) async fn seeded_with(
    args: &Args,
    binary: &Path,
    dir: &Path,
    label: &str,
    extra: &[&std::ffi::OsStr],
) -> Result<PathBuf, String> {
    let database_url = fresh_database(args, dir, label).await?;
    let config_path = dir.join(format!("{label}.toml"));
    std::fs::write(&config_path, config(&database_url)).map_err(|e| e.to_string())?;
    let seeded = Instant::now();
    let status = Command::new(binary)
        .arg("seed")
        .arg("--config")
        .arg(&config_path)
        .arg("--count")
        .arg(args.count.to_string())
        .args(extra)
        .env("RUST_LOG", "warn")
        .status()
        .await
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("seeding failed".into());
    }
    println!("seeded in {:.1} s", seeded.elapsed().as_secs_f64());
    Ok(config_path)
}

/// Seeds `args.count` submissions, then times the full CSV export and
/// searches through the staff API.
pub(crate) async fn admin_bench(args: &Args, binary: &Path, dir: &Path) -> Result<(), String> {
    println!(
        "admin bench: engine {}, {} generated submissions",
        args.engine, args.count
    );
    let config_path = seeded(args, binary, dir, "admin").await?;
    let mut server = start_server(binary, &config_path).await?;
    let http = reqwest::Client::new();
    let get = |path: String| {
        let request = http
            .get(format!("{}{path}", server.address))
            .bearer_auth(TOKEN);
        async move {
            let started = Instant::now();
            let response = request.send().await.map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("{path}: {}", response.status()));
            }
            let body = response.bytes().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((started.elapsed(), body))
        }
    };
    let mut exports = Vec::new();
    let mut size = 0;
    for _ in 0..3 {
        let (elapsed, body) = get("/api/admin/export/bench.csv".into()).await?;
        size = body.len();
        exports.push(elapsed);
    }
    exports.sort();
    println!(
        "full CSV export: best {:.0} ms, worst {:.0} ms, {:.1} MB",
        ms(exports[0]),
        ms(exports[exports.len() - 1]),
        size as f64 / 1_000_000.0
    );
    println!(
        "{:<58} {:>8} {:>8} {:>8}",
        "search (first page of 50 and the total)", "p50 ms", "max ms", "total"
    );
    for query in [
        "q=mentor",
        "q=grandparents+rent",
        "q=therapy&capacity=organisation",
        "flag=open",
        "q=funding&age_band=18_25&theme=leaving_care",
        "q=CFI-2222-2222",
    ] {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..20 {
            let (elapsed, body) = get(format!("/api/admin/search?call=bench&{query}")).await?;
            times.push(elapsed);
            total = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["total"].as_i64())
                .unwrap_or(-1);
        }
        times.sort();
        println!(
            "{query:<58} {:>8.1} {:>8.1} {total:>8}",
            ms(percentile(&times, 50.0)),
            ms(times[times.len() - 1]),
        );
    }
    backup_bench(args, binary, dir, &config_path).await?;
    let _ = server.child.start_kill();
    let _ = server.child.wait().await;
    Ok(())
}

/// `cfi-server backup` of the seeded database (with the server running),
/// then `restore` into a fresh one: each prints its size and time.
async fn backup_bench(
    args: &Args,
    binary: &Path,
    dir: &Path,
    config_path: &Path,
) -> Result<(), String> {
    let backup = dir.join("admin.backup");
    let restored_url = fresh_database(args, dir, "restored").await?;
    let restored_config = dir.join("restored.toml");
    std::fs::write(&restored_config, config(&restored_url)).map_err(|e| e.to_string())?;
    for (command, config_file, flag) in [
        ("backup", config_path, "--to"),
        ("restore", restored_config.as_path(), "--from"),
    ] {
        let status = Command::new(binary)
            .arg(command)
            .arg("--config")
            .arg(config_file)
            .arg(flag)
            .arg(&backup)
            .env("RUST_LOG", "warn")
            .status()
            .await
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("{command} failed"));
        }
    }
    Ok(())
}
