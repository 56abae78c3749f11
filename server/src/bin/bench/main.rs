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
//!        cfi-bench --campaigns [--copies 2000,4000,20000] [--others 1000]
//!        cfi-bench --safeguarding [--model-dir DIR]
//!        cfi-bench --embeddings [--count 2000] [--model-dir DIR]
//!        cfi-bench --quality [--model-dir DIR] [--weights 0.3,0.7]
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
//!
//! Campaign mode times campaign detection alone, without a server, over one
//! campaign of `--copies` near-copies with small edits beside `--others`
//! ideas of their own, each size in a fresh process: the detection's time
//! and that process's peak memory, beside the time only to sign the same
//! texts (see [`campaigns`]).
//!
//! Safeguarding mode measures the safeguarding net on its labelled set:
//! the confusion matrix per category on the held-out part, beside the
//! phrases alone, and the threshold sweep on the tuning part (see
//! [`safeguarding`]).
//!
//! Embeddings mode measures the model's ideas read per second at each
//! number of threads, and submission latency at a steady rate while the
//! embeddings worker reads a backlog of `--count` seeded submissions,
//! beside a run without the worker, with the server's resident memory (see
//! [`embeddings`]). The other modes run the server with `embed_ideas =
//! false`, so their figures do not include background reading.
//!
//! Quality mode measures groups, similar ideas and suggested codes against
//! people's codes on real public text (patient comments coded by NHS
//! staff): words alone, meaning alone and their blend, in one run, with
//! the groups' NMI and ARI, the same-label precision of the 5 most similar
//! ideas and how often the first suggested code is right (see
//! [`quality`]).

mod admin;
mod agreement;
mod analysis;
mod campaigns;
mod embeddings;
mod load;
mod published;
mod quality;
mod safeguarding;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use clap::Parser;
use sha2::Digest;
use sqlx::Connection;
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
    /// Analysis mode: every idea read for meaning before the pages are
    /// timed, as on a server with the model that has read them all.
    #[arg(long, requires = "analysis")]
    meaning: bool,
    /// Published mode: concurrent readers of each format.
    #[arg(long, default_value_t = 96, value_name = "N")]
    readers: usize,
    /// Published mode: reads each reader makes of each format.
    #[arg(long, default_value_t = 3, value_name = "N")]
    reads: usize,
    /// Campaign mode: campaign detection alone (no server) over one campaign
    /// of near-copies at each `--copies`, with its time and peak memory.
    #[arg(long, conflicts_with_all = ["admin", "published", "analysis"])]
    campaigns: bool,
    /// Safeguarding mode: the net (phrases and model) on the labelled set,
    /// beside the phrases alone, no server.
    #[arg(long, conflicts_with_all = ["admin", "published", "analysis", "campaigns"])]
    safeguarding: bool,
    /// Embeddings mode: ideas read per second by the model, and
    /// submission latency with the worker reading a backlog of `--count`
    /// seeded submissions beside the same without it.
    #[arg(long, conflicts_with_all = ["admin", "published", "analysis", "campaigns", "safeguarding"])]
    embeddings: bool,
    /// Quality mode: the analyses against people's codes on real public
    /// text, words beside meaning and their blend, no server.
    #[arg(long, conflicts_with_all = ["admin", "published", "analysis", "campaigns", "safeguarding", "embeddings"])]
    quality: bool,
    /// Quality mode: more words' weights to measure, beside the server's.
    #[arg(long, value_delimiter = ',', value_name = "W,W")]
    weights: Vec<f32>,
    /// Where the model's files are (default: the cache setup.sh fills).
    #[arg(long, value_name = "DIR")]
    model_dir: Option<PathBuf>,
    /// Campaign mode: near-copies in the campaign, one run each.
    #[arg(
        long,
        default_value = "2000,4000,20000",
        value_delimiter = ',',
        value_name = "N,N"
    )]
    copies: Vec<usize>,
    /// Campaign mode: ideas of their own beside the campaign.
    #[arg(long, default_value_t = 1_000, value_name = "N")]
    others: usize,
    /// One campaign-mode run of this many copies, in this process.
    #[arg(long, hide = true, value_name = "N")]
    campaign_run: Option<usize>,
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
embed_ideas = false
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

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = parse_args()?;
    if let Some(copies) = args.campaign_run {
        return campaigns::campaign_run(copies, args.others);
    }
    let bench = std::env::current_exe().map_err(|e| e.to_string())?;
    if args.campaigns {
        return campaigns::campaigns_bench(&args, &bench).await;
    }
    if args.safeguarding {
        return safeguarding::safeguarding_bench(&args).await;
    }
    if args.quality {
        return quality::quality_bench(&args).await;
    }
    let binary: PathBuf = bench.with_file_name("cfi-server");
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    if let Some(seconds) = args.soak {
        return load::soak(&args, &binary, dir.path(), seconds).await;
    }
    if args.admin {
        return admin::admin_bench(&args, &binary, dir.path()).await;
    }
    if args.published {
        return published::published_bench(&args, &binary, dir.path()).await;
    }
    if args.analysis {
        return analysis::analysis_bench(&args, &binary, dir.path()).await;
    }
    if args.embeddings {
        return embeddings::embeddings_bench(&args, &binary, dir.path()).await;
    }
    load::load_bench(&args, &binary, dir.path()).await
}
