//! The default mode (submissions per second and latency at each number of
//! clients, beside SQLite's fsync ceiling) and soak mode.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::ConnectOptions;

use crate::{Args, ORIGIN, body, config, fresh_database, ms, percentile, rss_kib, start_server};

/// Submissions per second and latency percentiles at each `--clients`, on
/// a fresh database each.
pub(crate) async fn load_bench(args: &Args, binary: &Path, dir: &Path) -> Result<(), String> {
    println!(
        "collection server bench: engine {}, {} replica(s), {} submissions per run, {} cores",
        args.engine,
        args.replicas,
        args.count,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if args.engine == "sqlite" {
        let ceiling = fsync_ceiling(dir).await?;
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
        let database_url = fresh_database(args, dir, &label).await?;
        let config_path = dir.join(format!("{label}.toml"));
        std::fs::write(&config_path, config(&database_url)).map_err(|e| e.to_string())?;
        let mut servers = Vec::new();
        for _ in 0..args.replicas {
            servers.push(start_server(binary, &config_path).await?);
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

pub(crate) fn uuid_v4() -> String {
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

pub(crate) async fn soak(
    args: &Args,
    binary: &Path,
    dir: &Path,
    seconds: u64,
) -> Result<(), String> {
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
