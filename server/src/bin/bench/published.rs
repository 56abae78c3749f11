//! Published mode: concurrent anonymous readers of each published format,
//! with the server's resident memory and `/healthz` latency.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::admin::seeded;
use crate::{Args, TOKEN, ms, percentile, proc_status_kib, rss_kib, start_server};

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
pub(crate) async fn published_bench(args: &Args, binary: &Path, dir: &Path) -> Result<(), String> {
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
