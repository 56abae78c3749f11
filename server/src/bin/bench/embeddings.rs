//! Embeddings mode: how fast the model reads ideas on this machine's cores,
//! the server's resident memory with the model, and what reading a backlog
//! in the background costs the people sending ideas: submission latency at
//! a steady rate with the embeddings worker reading a seeded backlog, beside
//! the same without the worker, in the same run.

use std::path::Path;
use std::time::{Duration, Instant};

use cfi_server::model::{Model, Priority, default_dir};

use crate::admin::seeded;
use crate::load::uuid_v4;
use crate::{Args, ORIGIN, TOKEN, body, ms, percentile, rss_kib, start_server};

/// Ideas per throughput run: enough batches that start-up is noise.
const IDEAS: usize = 64;
/// The steady rate of submissions while latency is measured, with gaps
/// longer than the worker's quiet wait, so it does read between them.
const RATE_PER_SECOND: f64 = 2.0;
/// How long submissions are sent at that rate in each run.
const RUN: Duration = Duration::from_secs(90);
/// Runs of each kind (without the worker, with it), alternating.
const ROUNDS: usize = 3;

/// Sentences of the kind people write, joined into ideas of about 250
/// words (the longest an idea may be).
const SENTENCES: &[&str] = &[
    "Every young person leaving care should have a mentor they choose, for as long as they want one.",
    "Kinship carers who take in a grandchild at a day's notice need the same allowance as foster carers.",
    "Social workers change too often, and each new one asks the same questions again.",
    "A care leaver's first flat should come with furniture, a working cooker and help with the bills.",
    "Schools should know who is in care without the whole class finding out.",
    "Brothers and sisters should be placed together, or at least see each other every week.",
    "Personal advisers could meet young people where they feel safe, not only in the office.",
    "Councils should publish their local offer in plain words and keep it up to date.",
    "Children should be asked what they think before any decision about where they live.",
    "Support should not stop on a birthday: at twenty-one many still need someone to call.",
    "Foster carers need respite breaks, training that fits around school hours and a proper wage.",
    "Moving placement in the middle of exams should happen only when there is no other way.",
];

fn long_idea(seed: usize) -> String {
    let mut words = 0;
    let mut text = String::new();
    let mut i = seed;
    while words < 250 {
        let sentence = SENTENCES[i % SENTENCES.len()];
        words += sentence.split_whitespace().count();
        text.push_str(sentence);
        text.push(' ');
        i = i * 7 + 3;
    }
    text
}

/// Ideas read per second with `threads` background threads.
fn throughput(dir: &Path, threads: usize) -> Result<f64, String> {
    let model = Model::load(dir, threads).map_err(|e| e.to_string())?;
    let ideas: Vec<String> = (0..IDEAS).map(long_idea).collect();
    let refs: Vec<&str> = ideas.iter().map(String::as_str).collect();
    model
        .embed(&refs[..4], Priority::Background)
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    model
        .embed(&refs, Priority::Background)
        .map_err(|e| e.to_string())?;
    Ok(IDEAS as f64 / started.elapsed().as_secs_f64())
}

struct Run {
    latencies: Vec<Duration>,
    errors: usize,
    read: f64,
    rss_mib: f64,
}

/// Seeds a backlog, starts a server with the worker on or off, and sends
/// submissions at a steady rate for [`RUN`].
async fn run(args: &Args, binary: &Path, dir: &Path, worker: bool) -> Result<Run, String> {
    let label = if worker { "with" } else { "without" };
    let config_path = seeded(args, binary, dir, &format!("embeddings-{label}")).await?;
    let mut text = std::fs::read_to_string(&config_path).map_err(|e| e.to_string())?;
    let model_dir = args.model_dir.clone().unwrap_or_else(default_dir);
    // Replaces the bench's `embed_ideas = false`; top-level keys come first.
    text = text.replace(
        "embed_ideas = false",
        &format!(
            "embed_ideas = {worker}\nmodel_dir = \"{}\"",
            model_dir.display()
        ),
    );
    std::fs::write(&config_path, text).map_err(|e| e.to_string())?;
    let mut server = start_server(binary, &config_path).await?;
    let http = reqwest::Client::new();
    let url = format!("{}/api/calls/bench/submissions", server.address);
    let payload = body();
    let send = |http: reqwest::Client, url: String, payload: String| async move {
        let sent = Instant::now();
        let response = http
            .post(&url)
            .header("content-type", "application/json")
            .header("origin", ORIGIN)
            .header("idempotency-key", uuid_v4())
            .body(payload)
            .send()
            .await;
        match response {
            Ok(r) if r.status().as_u16() == 201 => Some(sent.elapsed()),
            _ => None,
        }
    };
    // Warm-up (the model's first runs, connections); not counted.
    for _ in 0..4 {
        send(http.clone(), url.clone(), payload.clone()).await;
    }
    let before = embedded(&http, &server.address).await?;
    let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / RATE_PER_SECOND));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    while started.elapsed() < RUN {
        every.tick().await;
        tasks.spawn(send(http.clone(), url.clone(), payload.clone()));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Some(latency)) => latencies.push(latency),
            _ => errors += 1,
        }
    }
    let read = (embedded(&http, &server.address).await? - before) / started.elapsed().as_secs_f64();
    let rss_mib =
        rss_kib(server.child.id().unwrap_or_default()).unwrap_or_default() as f64 / 1024.0;
    let _ = server.child.start_kill();
    let _ = server.child.wait().await;
    latencies.sort();
    Ok(Run {
        latencies,
        errors,
        read,
        rss_mib,
    })
}

/// The server's count of ideas read so far.
async fn embedded(http: &reqwest::Client, address: &str) -> Result<f64, String> {
    let text = http
        .get(format!("{address}/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    Ok(text
        .lines()
        .find_map(|l| {
            l.strip_prefix("cfi_embeddings_ideas_embedded_total ")?
                .parse()
                .ok()
        })
        .unwrap_or(0.0))
}

pub(crate) async fn embeddings_bench(args: &Args, binary: &Path, dir: &Path) -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model_dir = args.model_dir.clone().unwrap_or_else(default_dir);
    println!("embeddings bench: all-MiniLM-L6-v2 on {cores} cores, ideas of about 250 words");
    println!("{:>8} {:>10}", "threads", "ideas/s");
    let mut best = 0.0f64;
    for threads in 1..=cores.max(1) {
        let rate = throughput(&model_dir, threads)?;
        best = best.max(rate);
        println!("{threads:>8} {rate:>10.1}");
    }
    let background = cores.saturating_sub(1).max(1);
    let at_default = throughput(&model_dir, background)?;
    println!(
        "100,000 ideas read in the background at the server's default ({background} thread(s)): \
         {:.1} h (with no submissions arriving)",
        100_000.0 / at_default / 3600.0
    );
    println!(
        "submission latency at {RATE_PER_SECOND} submissions/s for {} s, a backlog of {} seeded \
         submissions, each run on a fresh database:",
        RUN.as_secs(),
        args.count
    );
    println!(
        "{:>28} {:>8} {:>8} {:>8} {:>7} {:>14} {:>8}",
        "run", "p50 ms", "p99 ms", "max ms", "errors", "ideas read/s", "RSS MiB"
    );
    // Runs alternate (reference, worker, reference, …) so both see the same
    // machine; the p99 compared is of every submission of a kind pooled
    // (a single run's p99 of 180 is its second-slowest submission). Later
    // runs of a kind reuse its database: the worker goes on with what is
    // left of the backlog (2,000 submissions outlast three runs).
    let mut pooled = [Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for worker in [false, true] {
            let r = run(args, binary, dir, worker).await?;
            let name = if worker {
                "worker reading the backlog"
            } else {
                "no worker (reference)"
            };
            println!(
                "{name:>28} {:>8.1} {:>8.1} {:>8.1} {:>7} {:>14.1} {:>8.0}",
                ms(percentile(&r.latencies, 50.0)),
                ms(percentile(&r.latencies, 99.0)),
                ms(r.latencies.last().copied().unwrap_or_default()),
                r.errors,
                r.read,
                r.rss_mib,
            );
            pooled[usize::from(worker)].extend(r.latencies);
        }
    }
    for latencies in &mut pooled {
        latencies.sort();
    }
    let [without, with] =
        pooled.map(|l| (ms(percentile(&l, 50.0)), ms(percentile(&l, 99.0)), l.len()));
    println!(
        "pooled over {ROUNDS} runs each: p50/p99 {:.1}/{:.1} ms without the worker ({} submissions), {:.1}/{:.1} ms with it ({})",
        without.0, without.1, without.2, with.0, with.1, with.2
    );
    if without.1 > 0.0 {
        println!(
            "p99 with the worker: {:+.0} % of the reference (target: within 10 %)",
            100.0 * (with.1 - without.1) / without.1
        );
    }
    Ok(())
}
