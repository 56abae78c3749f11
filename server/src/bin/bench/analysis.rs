//! Analysis mode: campaign detection's quality against a planted corpus,
//! and the analysis pages' times.

use std::path::Path;
use std::time::{Duration, Instant};

use cfi_server::embeddings::{idea_text, persistence};
use cfi_server::model::{Model, Priority, default_dir};
use cfi_server::storage::Storage;

use crate::admin::seeded_with;
use crate::{Args, TOKEN, ms, percentile, proc_status_kib, rss_kib, start_server};

/// One line of the planted truth: an idea (numbered from 1), its planted
/// campaign and topic.
#[derive(serde::Deserialize)]
struct Truth {
    reference: String,
    idea: u64,
    campaign: Option<u64>,
}

/// Ideas the model reads for real in `--meaning` mode; see [`give_meaning`].
const MEANING_READ: usize = 1_000;

/// Gives every seeded idea a stored meaning vector, through the
/// embeddings queue and store the worker uses, so the analyses are timed as
/// on a server that has read them all. The model reads the first
/// [`MEANING_READ`] ideas; reading 100,000 takes hours (the embeddings mode
/// measures that), so each later idea gets the vector of one of those, in
/// turn, moved by noise (cosine about 0.9 to it): the analyses' time
/// depends on how many vectors there are and their length, not on which.
async fn give_meaning(args: &Args, config_path: &Path) -> Result<(usize, usize), String> {
    let config = std::fs::read_to_string(config_path).map_err(|e| e.to_string())?;
    let url = config
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("database_url = \"")?
                .strip_suffix('"')
        })
        .ok_or("the bench's configuration names no database")?;
    let storage = Storage::open(url).await.map_err(|e| e.to_string())?;
    let model_dir = args.model_dir.clone().unwrap_or_else(default_dir);
    let model = Model::load(&model_dir, 1).map_err(|e| e.to_string())?;
    let mut read: Vec<Vec<f32>> = Vec::new();
    let mut stored = 0;
    // xorshift: the same noise on every run, no dependency for it.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 * 0.088 - 0.044
    };
    loop {
        let batch = persistence::take(&storage, Duration::from_secs(3600), 512)
            .await
            .map_err(|e| e.to_string())?;
        if batch.is_empty() {
            break;
        }
        for taken in batch {
            let texts: Vec<String> = taken
                .ideas
                .iter()
                .map(|i| idea_text(&i.title, &i.description))
                .collect();
            let vectors = if read.len() < MEANING_READ {
                let vectors = model
                    .embed_blocking(texts, Priority::Background)
                    .await
                    .map_err(|e| e.to_string())?;
                read.extend(vectors.iter().cloned());
                vectors
            } else {
                (0..texts.len())
                    .map(|k| {
                        let base = &read[(stored + k) % read.len()];
                        let moved: Vec<f32> = base.iter().map(|x| x + noise()).collect();
                        let norm = moved.iter().map(|x| x * x).sum::<f32>().sqrt();
                        moved.into_iter().map(|x| x / norm).collect()
                    })
                    .collect()
            };
            persistence::store(
                &storage,
                taken.submission_id,
                cfi_server::model::NAME,
                &vectors,
            )
            .await
            .map_err(|e| e.to_string())?;
            stored += vectors.len();
        }
    }
    // The server about to start reads the vectors with the model loaded.
    let with_model = config.replace(
        "embed_ideas = false",
        &format!(
            "embed_ideas = true\nmodel_dir = \"{}\"",
            model_dir.display()
        ),
    );
    std::fs::write(config_path, with_model).map_err(|e| e.to_string())?;
    Ok((read.len().min(stored), stored))
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
pub(crate) async fn analysis_bench(args: &Args, binary: &Path, dir: &Path) -> Result<(), String> {
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
    if args.meaning {
        let started = Instant::now();
        let (read, stored) = give_meaning(args, &config_path).await?;
        println!(
            "meaning: {stored} ideas given a stored vector in {:.0} s ({read} read by the model, \
             the others a read one's vector moved by noise); the analyses below blend words and \
             meaning",
            started.elapsed().as_secs_f64()
        );
    }
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
