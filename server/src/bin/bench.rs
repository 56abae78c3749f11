//! `cfi-bench`: starts the collection server (release build) on a fresh
//! database and drives it with concurrent clients, printing submissions per
//! second and latency percentiles; beside it, this machine's ceiling of
//! durable SQLite commits (one row per transaction, the same pragmas), so the
//! effect of group commit is visible.
//!
//! usage (`cfi-bench --help` lists every flag):
//!        cfi-bench [--engine sqlite|postgres] [--replicas N] [--count N]
//!                  [--clients 1,16,64] [--postgres-url URL]
//!        cfi-bench --soak SECONDS [--rate PER_SECOND] [--report-every SECONDS]
//!        cfi-bench --admin [--engine sqlite|postgres] [--count 100000]
//!        cfi-bench --published [--engine sqlite|postgres] [--count 20000]
//!                  [--readers 96]
//!        cfi-bench --analysis [--engine sqlite|postgres] [--count 100000]
//!
//! Soak mode sends submissions at a steady rate and prints, every period, the
//! server's resident memory and the period's latency percentiles, so growth
//! without bound shows.
//!
//! Admin mode seeds `--count` generated submissions (`cfi-server seed`), then
//! times the staff's full CSV export and searches over them, then backs the
//! database up (`cfi-server backup`, the server still running) and restores
//! the copy into a fresh database, each printing its size and time.
//!
//! Published mode seeds `--count` submissions, switches publication on, and
//! sends `--readers` concurrent anonymous reads of each published format
//! (HTML, CSV, JSON) while it reads the server's resident memory and times
//! `/healthz`; it prints both before the load and during it, and the bytes
//! sent. The readers ask for compressed bodies (`Accept-Encoding: gzip,
//! br`) as browsers do; two more rows read the CSV and JSON without.
//!
//! Analysis mode seeds a planted corpus of `--count` ideas (`cfi-server seed
//! --planted --truth FILE`: topics, and campaigns of 5 to 500 near-copies),
//! then prints campaign detection's B-cubed precision and recall against the
//! planted truth: for each idea, precision is the share of its detected
//! campaign that shares its planted campaign, recall the share of its
//! planted campaign found in its detected campaign; an idea in no campaign
//! is a campaign of its own (so one in none on both sides counts as right),
//! and both are averaged over all ideas. Beside them, planted and detected
//! campaign counts; the time of the first `GET …/campaigns` (the corpus
//! loaded and campaigns found) and of a second (kept); the same for
//! `GET …/groups`, `GET …/similar` for 50 ideas (median, p95, max) where the
//! build has them; and the median of 10 loads of the codebook page (its
//! cross-tab of counts) after 10 codes were applied to a few thousand ideas.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use sha2::Digest;
use sqlx::{ConnectOptions, Connection};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const TOKEN: &str = "bench-token";
const ORIGIN: &str = "http://bench.example";

/// Drives a fresh collection server with concurrent clients and prints
/// submissions per second and latency percentiles.
#[derive(Debug, Parser)]
#[command(name = "cfi-bench", version)]
struct Args {
    /// The storage engine to measure.
    #[arg(long, default_value = "sqlite", value_parser = ["sqlite", "postgres"])]
    engine: String,
    /// Server processes sharing one PostgreSQL database.
    #[arg(long, default_value_t = 1, value_name = "N")]
    replicas: usize,
    /// Submissions per run (admin mode: submissions seeded).
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    count: usize,
    /// Concurrent clients of each run.
    #[arg(
        long,
        default_value = "1,16,64",
        value_delimiter = ',',
        value_name = "N,N"
    )]
    clients: Vec<usize>,
    /// The PostgreSQL server (a fresh database is created on it).
    #[arg(
        long,
        default_value = "postgres://postgres@127.0.0.1:5432",
        value_name = "URL"
    )]
    postgres_url: String,
    /// Soak mode: seconds to run at a steady rate.
    #[arg(long, value_name = "SECONDS", conflicts_with = "admin")]
    soak: Option<u64>,
    /// Soak mode: submissions per second.
    #[arg(long, default_value_t = 500, value_name = "PER_SECOND")]
    rate: u64,
    /// Soak mode: seconds between reports.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    report_every: u64,
    /// Admin mode: time the export and searches over `--count` submissions.
    #[arg(long, conflicts_with = "published")]
    admin: bool,
    /// Published mode: concurrent reads of the published pages over `--count`
    /// submissions, with resident memory and `/healthz` latency.
    #[arg(long)]
    published: bool,
    /// Analysis mode: campaign detection against a planted corpus of
    /// `--count` ideas, and the analysis pages' times.
    #[arg(long, conflicts_with_all = ["admin", "published"])]
    analysis: bool,
    /// Published mode: concurrent readers of each format.
    #[arg(long, default_value_t = 96, value_name = "N")]
    readers: usize,
    /// Published mode: reads each reader makes of each format.
    #[arg(long, default_value_t = 3, value_name = "N")]
    reads: usize,
}

fn parse_args() -> Result<Args, String> {
    let args = Args::parse();
    if args.engine == "sqlite" && args.replicas != 1 {
        return Err("--replicas: SQLite runs as one process; use --engine postgres".into());
    }
    Ok(args)
}

fn config(database_url: &str) -> String {
    let digest = hex::encode(sha2::Sha256::digest(TOKEN.as_bytes()));
    format!(
        r#"
bind = "127.0.0.1:0"
database_url = "{database_url}"
review_origins = ["{ORIGIN}"]
[rate_limit]
submissions_per_minute = 100000000
burst = 100000000
[[admin_tokens]]
name = "bench"
sha256 = "{digest}"
[[calls]]
id = "bench"
title = "Bench"
opens = "2020-01-01T00:00"
closes = "2099-01-01T00:00"
privacy_notice_url = "https://review.example/privacy"
themes = [{{ id = "leaving_care", label = "Leaving care" }}]
"#
    )
}

fn body() -> String {
    serde_json::json!({
        "respondent": {
            "capacity": "individual", "name": "Sam Example", "email": "sam@example.org",
            "perspectives": ["care_experienced_young_person", "kinship_carer"], "age_band": "18_25"
        },
        "ideas": [{
            "title": "A mentor for every care leaver", "theme": "leaving_care",
            "description": "Every young person leaving care should have a mentor they choose, for as long as they want one. It would change how supported they feel in their first home, at college and at work. Care leavers and their personal advisers would be affected. The risk is finding enough mentors who stay."
        }],
        "publication": "named",
        "privacy_notice_read": true,
        "website": ""
    })
    .to_string()
}

struct Server {
    child: Child,
    address: String,
}

async fn start_server(binary: &Path, config_path: &Path) -> Result<Server, String> {
    let mut child = Command::new(binary)
        .arg("--config")
        .arg(config_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(address) = line.strip_prefix("listening on ") {
            return Ok(Server {
                child,
                address: address.to_owned(),
            });
        }
    }
    Err("the server stopped before listening".into())
}

async fn fresh_database(args: &Args, dir: &Path, label: &str) -> Result<String, String> {
    if args.engine == "postgres" {
        let name = format!("cfi_bench_{label}");
        let mut conn = sqlx::PgConnection::connect(&format!("{}/postgres", args.postgres_url))
            .await
            .map_err(|e| format!("PostgreSQL: {e}"))?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        Ok(format!("{}/{name}", args.postgres_url))
    } else {
        Ok(format!(
            "sqlite://{}",
            dir.join(format!("{label}.sqlite")).display()
        ))
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Drives `addresses` (round robin per client) with `clients` tasks until
/// `count` submissions are acknowledged. Returns (elapsed, latencies, errors).
async fn drive(
    addresses: &[String],
    clients: usize,
    count: usize,
) -> (Duration, Vec<Duration>, usize) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap_or_default();
    let body = Arc::new(body());
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let url = format!(
            "{}/api/calls/bench/submissions",
            addresses[client % addresses.len()]
        );
        let (http, body, next, errors) = (http.clone(), body.clone(), next.clone(), errors.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let sent = Instant::now();
                let result = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("origin", ORIGIN)
                    .header("idempotency-key", uuid_v4())
                    .body(body.as_str().to_owned())
                    .send()
                    .await;
                match result {
                    Ok(r) if r.status().as_u16() == 201 => latencies.push(sent.elapsed()),
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        });
    }
    let mut latencies = Vec::with_capacity(count);
    while let Some(Ok(part)) = tasks.join_next().await {
        latencies.extend(part);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    (elapsed, latencies, errors.load(Ordering::Relaxed))
}

fn uuid_v4() -> String {
    let bytes: [u8; 16] = rand::random();
    let mut b = bytes;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).hyphenated().to_string()
}

/// Durable commits per second with one row per transaction: what the disk
/// allows without batching.
async fn fsync_ceiling(dir: &Path) -> Result<f64, String> {
    let url = format!("sqlite://{}", dir.join("ceiling.sqlite").display());
    let mut conn = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
        .map_err(|e| e.to_string())?
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let payload = body();
    let started = Instant::now();
    let mut commits = 0u32;
    while started.elapsed() < Duration::from_secs(3) {
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::query("INSERT INTO t (body) VALUES (?)")
            .bind(&payload)
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::query("COMMIT")
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        commits += 1;
    }
    Ok(f64::from(commits) / started.elapsed().as_secs_f64())
}

/// Resident memory of a process in KiB, from /proc (Linux).
fn rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmRSS:")
}

/// A `/proc/PID/status` figure in KiB (`VmRSS:` now, `VmHWM:` the peak).
fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn soak(args: &Args, binary: &Path, dir: &Path, seconds: u64) -> Result<(), String> {
    let database_url = fresh_database(args, dir, "soak").await?;
    let config_path = dir.join("soak.toml");
    std::fs::write(&config_path, config(&database_url)).map_err(|e| e.to_string())?;
    let server = start_server(binary, &config_path).await?;
    let pid = server.child.id().ok_or("server has no pid")?;
    let url = format!("{}/api/calls/bench/submissions", server.address);
    let http = reqwest::Client::new();
    let body = Arc::new(body());
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<Option<Duration>>();
    let limit = Arc::new(tokio::sync::Semaphore::new(256));
    println!(
        "soak: {seconds} s at {} submissions/s, engine {}, report every {} s",
        args.rate, args.engine, args.report_every
    );
    println!(
        "{:>7} {:>10} {:>9} {:>9} {:>9} {:>7}",
        "minute", "rss MiB", "sent", "p50 ms", "p99 ms", "errors"
    );
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut period_end = started + Duration::from_secs(args.report_every);
    let mut latencies = Vec::new();
    let mut errors = 0usize;
    let mut period = 0;
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if started.elapsed() >= Duration::from_secs(seconds) {
                    break;
                }
                let permit = limit.clone().acquire_owned().await.map_err(|e| e.to_string())?;
                let request = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("origin", ORIGIN)
                    .header("idempotency-key", uuid_v4())
                    .body(body.as_str().to_owned());
                let done = done_tx.clone();
                tokio::spawn(async move {
                    let sent = Instant::now();
                    let ok = matches!(request.send().await, Ok(r) if r.status().as_u16() == 201);
                    let _ = done.send(ok.then(|| sent.elapsed()));
                    drop(permit);
                });
            }
            Some(result) = done_rx.recv() => match result {
                Some(latency) => latencies.push(latency),
                None => errors += 1,
            },
        }
        if Instant::now() >= period_end {
            period += 1;
            latencies.sort();
            println!(
                "{period:>7} {:>10.1} {:>9} {:>9.2} {:>9.2} {errors:>7}",
                rss_kib(pid).unwrap_or_default() as f64 / 1024.0,
                latencies.len(),
                ms(percentile(&latencies, 50.0)),
                ms(percentile(&latencies, 99.0)),
            );
            latencies.clear();
            errors = 0;
            period_end += Duration::from_secs(args.report_every);
        }
    }
    if !latencies.is_empty() || errors > 0 {
        latencies.sort();
        println!(
            "{:>7} {:>10.1} {:>9} {:>9.2} {:>9.2} {errors:>7}",
            period + 1,
            rss_kib(pid).unwrap_or_default() as f64 / 1024.0,
            latencies.len(),
            ms(percentile(&latencies, 50.0)),
            ms(percentile(&latencies, 99.0)),
        );
    }
    let mut server = server;
    let _ = server.child.start_kill();
    let _ = server.child.wait().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = parse_args()?;
    let binary: PathBuf = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .with_file_name("cfi-server");
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    if let Some(seconds) = args.soak {
        return soak(&args, &binary, dir.path(), seconds).await;
    }
    if args.admin {
        return admin_bench(&args, &binary, dir.path()).await;
    }
    if args.published {
        return published_bench(&args, &binary, dir.path()).await;
    }
    if args.analysis {
        return analysis_bench(&args, &binary, dir.path()).await;
    }
    println!(
        "collection server bench: engine {}, {} replica(s), {} submissions per run, {} cores",
        args.engine,
        args.replicas,
        args.count,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if args.engine == "sqlite" {
        let ceiling = fsync_ceiling(dir.path()).await?;
        println!(
            "fsync ceiling (SQLite WAL, synchronous=FULL, one row per commit): {ceiling:.0} commits/s"
        );
    }
    println!(
        "{:>8} {:>14} {:>10} {:>10} {:>10} {:>7}",
        "clients", "submissions/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    for &clients in &args.clients {
        let label = format!("c{clients}");
        let database_url = fresh_database(&args, dir.path(), &label).await?;
        let config_path = dir.path().join(format!("{label}.toml"));
        std::fs::write(&config_path, config(&database_url)).map_err(|e| e.to_string())?;
        let mut servers = Vec::new();
        for _ in 0..args.replicas {
            servers.push(start_server(&binary, &config_path).await?);
        }
        let addresses: Vec<String> = servers.iter().map(|s| s.address.clone()).collect();
        // Warm up connections and caches; not counted.
        drive(&addresses, clients, clients * 4).await;
        let (elapsed, latencies, errors) = drive(&addresses, clients, args.count).await;
        let rate = latencies.len() as f64 / elapsed.as_secs_f64();
        println!(
            "{clients:>8} {rate:>14.0} {:>10.2} {:>10.2} {:>10.2} {errors:>7}",
            ms(percentile(&latencies, 50.0)),
            ms(percentile(&latencies, 99.0)),
            ms(latencies.last().copied().unwrap_or_default()),
        );
        for mut server in servers {
            let _ = server.child.start_kill();
            let _ = server.child.wait().await;
        }
    }
    Ok(())
}

/// Seeds `args.count` generated submissions into a fresh database named
/// `label`; returns the configuration file's path.
async fn seeded(args: &Args, binary: &Path, dir: &Path, label: &str) -> Result<PathBuf, String> {
    seeded_with(args, binary, dir, label, &[]).await
}

/// [`seeded`], with more arguments for `cfi-server seed`.
async fn seeded_with(
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
async fn admin_bench(args: &Args, binary: &Path, dir: &Path) -> Result<(), String> {
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

/// `/healthz` latencies (sorted) and the largest resident memory seen, in
/// KiB, while `load` runs; both sampled every 50 ms.
async fn watched<T>(
    address: &str,
    pid: u32,
    load: impl Future<Output = T>,
) -> (T, Vec<Duration>, u64) {
    let http = reqwest::Client::new();
    let url = format!("{address}/healthz");
    let stop = Arc::new(tokio::sync::Notify::new());
    let watcher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut times = Vec::new();
            let mut peak = 0;
            loop {
                peak = peak.max(rss_kib(pid).unwrap_or_default());
                let started = Instant::now();
                if matches!(http.get(&url).send().await, Ok(r) if r.status().is_success()) {
                    times.push(started.elapsed());
                }
                peak = peak.max(rss_kib(pid).unwrap_or_default());
                tokio::select! {
                    () = stop.notified() => break,
                    () = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
            }
            times.sort();
            (times, peak)
        })
    };
    let out = load.await;
    stop.notify_one();
    let (times, peak) = watcher.await.unwrap_or_default();
    (out, times, peak)
}

/// Seeds `args.count` submissions, publishes them, and reads each published
/// format with `args.readers` concurrent clients, printing the server's
/// resident memory and `/healthz` latency before and during the load.
async fn published_bench(args: &Args, binary: &Path, dir: &Path) -> Result<(), String> {
    println!(
        "published pages bench: engine {}, {} generated submissions, {} concurrent readers \
         per format, {} reads each",
        args.engine, args.count, args.readers, args.reads
    );
    let config_path = seeded(args, binary, dir, "published").await?;
    let mut server = start_server(binary, &config_path).await?;
    let pid = server.child.id().ok_or("server has no pid")?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.readers)
        .build()
        .unwrap_or_default();
    let switched = http
        .post(format!(
            "{}/api/admin/calls/bench/publication",
            server.address
        ))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"published": true}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !switched.status().is_success() {
        return Err(format!("publishing: {}", switched.status()));
    }
    let ((), idle, idle_peak) = watched(
        &server.address,
        pid,
        tokio::time::sleep(Duration::from_secs(2)),
    )
    .await;
    println!(
        "{:<30} {:>6} {:>8} {:>8} {:>8} {:>9} {:>9} {:>8} {:>8} {:>8}",
        "load",
        "reads",
        "p50 ms",
        "max ms",
        "MB each",
        "MB sent",
        "peak MiB",
        "hz p50",
        "hz p99",
        "hz max",
    );
    println!(
        "{:<30} {:>6} {:>8} {:>8} {:>8} {:>9} {:>9.1} {:>8.1} {:>8.1} {:>8.1}",
        "none (before any read)",
        0,
        "-",
        "-",
        "-",
        "-",
        idle_peak as f64 / 1024.0,
        ms(percentile(&idle, 50.0)),
        ms(percentile(&idle, 99.0)),
        ms(idle.last().copied().unwrap_or_default()),
    );
    // Browsers ask for compressed bodies; the plain rows are clients that
    // do not (scripts, some downloaders). The body is counted as sent.
    for (label, path, accept) in [
        (
            "HTML /published/bench",
            "/published/bench",
            Some("gzip, br"),
        ),
        ("CSV .csv", "/published/bench.csv", Some("gzip, br")),
        ("JSON .json", "/published/bench.json", Some("gzip, br")),
        ("CSV .csv (no compression)", "/published/bench.csv", None),
        ("JSON .json (no compression)", "/published/bench.json", None),
    ] {
        let url = format!("{}{path}", server.address);
        let reads = args.reads;
        let load = async {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..args.readers {
                let (http, url) = (http.clone(), url.clone());
                tasks.spawn(async move {
                    let mut out = Vec::new();
                    for _ in 0..reads {
                        let started = Instant::now();
                        let mut request = http.get(&url);
                        if let Some(accept) = accept {
                            request = request.header("accept-encoding", accept);
                        }
                        let size = match request.send().await {
                            Ok(r) if r.status().is_success() => {
                                r.bytes().await.map(|b| b.len()).ok()
                            }
                            _ => None,
                        };
                        out.push((started.elapsed(), size));
                    }
                    out
                });
            }
            let mut all = Vec::new();
            while let Some(Ok(part)) = tasks.join_next().await {
                all.extend(part);
            }
            all
        };
        let (results, health, peak) = watched(&server.address, pid, load).await;
        let errors = results.iter().filter(|(_, size)| size.is_none()).count();
        let size = results.iter().find_map(|(_, size)| *size).unwrap_or(0);
        let sent: usize = results.iter().filter_map(|(_, size)| *size).sum();
        let mut times: Vec<Duration> = results.iter().map(|(t, _)| *t).collect();
        times.sort();
        println!(
            "{label:<30} {:>6} {:>8.1} {:>8.1} {:>8.2} {:>9.1} {:>9.1} {:>8.1} {:>8.1} {:>8.1}{}",
            results.len(),
            ms(percentile(&times, 50.0)),
            ms(times.last().copied().unwrap_or_default()),
            size as f64 / 1_000_000.0,
            sent as f64 / 1_000_000.0,
            peak as f64 / 1024.0,
            ms(percentile(&health, 50.0)),
            ms(percentile(&health, 99.0)),
            ms(health.last().copied().unwrap_or_default()),
            if errors > 0 {
                format!(" ({errors} failed)")
            } else {
                String::new()
            },
        );
    }
    println!(
        "resident memory after the load: {:.1} MiB (peak of the process, VmHWM: {:.1} MiB)",
        rss_kib(pid).unwrap_or_default() as f64 / 1024.0,
        proc_status_kib(pid, "VmHWM:").unwrap_or_default() as f64 / 1024.0,
    );
    let _ = server.child.start_kill();
    let _ = server.child.wait().await;
    Ok(())
}

/// One line of the planted truth: an idea (numbered from 1), its planted
/// campaign and topic.
#[derive(serde::Deserialize)]
struct Truth {
    reference: String,
    idea: u64,
    campaign: Option<u64>,
}

/// B-cubed precision and recall of `detected` against `planted`, both
/// cluster labels per idea (`None`: a cluster of its own).
fn b_cubed(planted: &[Option<u64>], detected: &[Option<u64>]) -> (f64, f64) {
    use std::collections::HashMap;
    let mut both: HashMap<(u64, u64), usize> = HashMap::new();
    let mut planted_size: HashMap<u64, usize> = HashMap::new();
    let mut detected_size: HashMap<u64, usize> = HashMap::new();
    for (p, d) in planted.iter().zip(detected) {
        if let Some(p) = p {
            *planted_size.entry(*p).or_default() += 1;
        }
        if let Some(d) = d {
            *detected_size.entry(*d).or_default() += 1;
        }
        if let (Some(p), Some(d)) = (p, d) {
            *both.entry((*p, *d)).or_default() += 1;
        }
    }
    let (mut precision, mut recall) = (0.0, 0.0);
    for (p, d) in planted.iter().zip(detected) {
        let common = match (p, d) {
            (Some(p), Some(d)) => both[&(*p, *d)],
            _ => 1,
        };
        let d_size = d.map_or(1, |d| detected_size[&d]);
        let p_size = p.map_or(1, |p| planted_size[&p]);
        precision += common as f64 / d_size as f64;
        recall += common as f64 / p_size as f64;
    }
    let n = planted.len().max(1) as f64;
    (precision / n, recall / n)
}

/// Seeds a planted corpus, then prints campaign detection's quality and the
/// times of the analysis routes (see the module's documentation).
async fn analysis_bench(args: &Args, binary: &Path, dir: &Path) -> Result<(), String> {
    println!(
        "analysis bench: engine {}, a planted corpus of {} ideas, {} cores",
        args.engine,
        args.count,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let truth_path = dir.join("truth.jsonl");
    let config_path = seeded_with(
        args,
        binary,
        dir,
        "analysis",
        &[
            "--planted".as_ref(),
            "--truth".as_ref(),
            truth_path.as_os_str(),
        ],
    )
    .await?;
    let truth: Vec<Truth> = std::fs::read_to_string(&truth_path)
        .map_err(|e| e.to_string())?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("truth: {e}"))?;
    let mut server = start_server(binary, &config_path).await?;
    let http = reqwest::Client::new();
    let address = server.address.clone();
    let timed = |method: reqwest::Method, path: String, body: Option<serde_json::Value>| {
        let mut request = http
            .request(method, format!("{address}{path}"))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let started = Instant::now();
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((started.elapsed(), status, body))
        }
    };
    let get = |path: &str| timed(reqwest::Method::GET, path.to_owned(), None);

    // Campaigns, cold then kept.
    let (cold, status, body) = get("/api/admin/calls/bench/campaigns").await?;
    if status != 200 {
        return Err(format!("campaigns: {status}"));
    }
    let (warm, _, _) = get("/api/admin/calls/bench/campaigns").await?;
    let found: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let campaigns = found["campaigns"].as_array().cloned().unwrap_or_default();
    let mut detected_of: std::collections::HashMap<(String, u64), u64> =
        std::collections::HashMap::new();
    for campaign in &campaigns {
        let id = campaign["id"].as_u64().unwrap_or_default();
        for member in campaign["members"].as_array().into_iter().flatten() {
            let key = (
                member["reference"].as_str().unwrap_or_default().to_owned(),
                member["idea"].as_u64().unwrap_or_default(),
            );
            detected_of.insert(key, id);
        }
    }
    let planted: Vec<Option<u64>> = truth.iter().map(|t| t.campaign).collect();
    let detected: Vec<Option<u64>> = truth
        .iter()
        .map(|t| detected_of.get(&(t.reference.clone(), t.idea)).copied())
        .collect();
    let (precision, recall) = b_cubed(&planted, &detected);
    let planted_count = planted
        .iter()
        .flatten()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let planted_ideas = planted.iter().flatten().count();
    println!(
        "ideas: {} in the truth, {} looked at by the server",
        truth.len(),
        found["ideas"]
    );
    println!(
        "campaigns: {planted_count} planted ({planted_ideas} ideas), {} detected ({} ideas)",
        campaigns.len(),
        detected_of.len()
    );
    println!("campaign detection (B-cubed): precision {precision:.4}, recall {recall:.4}");
    println!(
        "GET /api/admin/calls/bench/campaigns: first {:.0} ms (corpus loaded, campaigns found), \
         second {:.1} ms ({:.1} MB)",
        ms(cold),
        ms(warm),
        body.len() as f64 / 1_000_000.0
    );

    // Groups and similar ideas, where this build has them.
    let (first, status, _) = get("/api/admin/calls/bench/groups").await?;
    if status == 404 {
        println!("groups: not available in this build");
    } else {
        let (second, _, _) = get("/api/admin/calls/bench/groups").await?;
        println!(
            "GET /api/admin/calls/bench/groups: first {:.0} ms, second {:.1} ms (status {status})",
            ms(first),
            ms(second)
        );
    }
    let step = (truth.len() / 50).max(1);
    let mut times = Vec::new();
    let mut available = true;
    for t in truth.iter().step_by(step).take(50) {
        let (elapsed, status, _) = get(&format!(
            "/api/admin/submissions/{}/similar?idea={}",
            t.reference, t.idea
        ))
        .await?;
        if status == 404 {
            available = false;
            break;
        }
        times.push(elapsed);
    }
    if available && !times.is_empty() {
        times.sort();
        println!(
            "GET /api/admin/submissions/{{ref}}/similar for {} ideas: median {:.1} ms, p95 {:.1} ms, \
             max {:.1} ms",
            times.len(),
            ms(percentile(&times, 50.0)),
            ms(percentile(&times, 95.0)),
            ms(times[times.len() - 1])
        );
    } else {
        println!("similar ideas: not available in this build");
    }

    // Ten codes on the ten largest campaigns, and a few hundred ideas coded
    // one by one: then the codebook page's cross-tab.
    let mut codes = Vec::new();
    for n in 1..=10 {
        let (_, status, body) = timed(
            reqwest::Method::POST,
            "/api/admin/calls/bench/codes".into(),
            Some(serde_json::json!({"name": format!("Code {n}")})),
        )
        .await?;
        if status != 201 {
            return Err(format!("creating a code: {status}"));
        }
        let code: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        codes.push(code["id"].as_i64().unwrap_or_default());
    }
    let mut coded = 0;
    for (campaign, code) in campaigns.iter().zip(&codes) {
        let (_, status, body) = timed(
            reqwest::Method::POST,
            "/api/admin/calls/bench/campaigns/code".into(),
            Some(serde_json::json!({
                "code": code, "campaign": campaign["id"], "version": campaign["version"]
            })),
        )
        .await?;
        if status != 200 {
            return Err(format!("coding a campaign: {status}"));
        }
        let answer: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        coded += answer["changed"].as_u64().unwrap_or_default();
    }
    let one_by_one = Instant::now();
    let mut singles = 0;
    for (n, t) in truth.iter().step_by(97).take(500).enumerate() {
        let (_, status, _) = timed(
            reqwest::Method::POST,
            format!("/api/admin/submissions/{}/codings", t.reference),
            Some(serde_json::json!({
                "action": "apply", "idea": t.idea, "code": codes[n % codes.len()]
            })),
        )
        .await?;
        if status == 201 {
            singles += 1;
        }
    }
    println!(
        "coded: {coded} ideas through 10 campaigns, {singles} one by one ({:.1} ms each)",
        ms(one_by_one.elapsed()) / f64::from(singles.max(1))
    );
    let mut pages = Vec::new();
    for _ in 0..10 {
        let (elapsed, status, _) = get("/admin/calls/bench/codes").await?;
        if status != 200 {
            return Err(format!("codebook page: {status}"));
        }
        pages.push(elapsed);
    }
    pages.sort();
    println!(
        "GET /admin/calls/bench/codes (cross-tab of 10 codes): median of 10 {:.1} ms, max {:.1} ms",
        ms(percentile(&pages, 50.0)),
        ms(pages[pages.len() - 1])
    );
    let pid = server.child.id().unwrap_or_default();
    println!(
        "server memory: {:.1} MiB resident, peak {:.1} MiB",
        rss_kib(pid).unwrap_or_default() as f64 / 1024.0,
        proc_status_kib(pid, "VmHWM:").unwrap_or_default() as f64 / 1024.0,
    );
    let _ = server.child.start_kill();
    let _ = server.child.wait().await;
    Ok(())
}
