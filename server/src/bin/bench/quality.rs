//! Quality mode: the analyses measured against people's codes on real
//! public text (`server/data/quality/`: patient comments coded by NHS
//! staff), in this process, with the server library's own functions. For
//! each set, in one run: words alone (TF-IDF, the analyses without
//! meaning), meaning alone (the sentence-embedding model) and the blend the
//! server uses ([`WORDS_WEIGHT`]), each with
//!
//! - groups (`group_in` with as many groups as labels; "other" counted as
//!   one more group): NMI and ARI against the labels ([`agreement`]);
//! - P@5: the share of the 5 most similar ideas (`nearest`, as shown)
//!   with the idea's own label, a slot left empty counted as wrong, and how
//!   many are shown on average;
//! - first code right: every other idea coded with its label, is the first
//!   suggested code (`suggest`) the idea's own label (none counts as
//!   wrong);
//! - the median and 95th percentile of the similarity of 2,000 fixed
//!   pairs of ideas, nearly all unrelated: what the minimum score of
//!   similar ideas ([`SIMILAR_MIN_SCORE`]) is set against.
//!
//! Embeddings are kept in the temporary directory, named by the SHA-256 of
//! the model's weights and the texts, so a second run embeds nothing.
//! `--weights 0.3,0.7` adds blends at other weights.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use cfi_server::analysis::corpus::{Corpus, IdeaText};
use cfi_server::analysis::groups::group_in;
use cfi_server::analysis::similar::Model as Analysis;
use cfi_server::analysis::suggestions::suggest;
use cfi_server::codebook::model::Code;
use cfi_server::limits::{SIMILAR_IDEAS, SIMILAR_MIN_SCORE, WORDS_WEIGHT};
use cfi_server::model::{Model, Priority, WEIGHTS_FILE, from_bytes, to_bytes};
use cfi_server::storage::PublicationVersion;
use sha2::{Digest as _, Sha256};

use crate::Args;
use crate::agreement::{ari, nmi};

/// The sets measured: name and JSON lines.
const SETS: [(&str, &str); 2] = [
    (
        "nhs-categories",
        include_str!("../../../data/quality/nhs-categories.jsonl"),
    ),
    (
        "nhs-framework",
        include_str!("../../../data/quality/nhs-framework.jsonl"),
    ),
];

/// Pairs of ideas whose similarity is sampled.
const PAIRS: usize = 2_000;

#[derive(serde::Deserialize)]
struct Row {
    text: String,
    label: String,
}

/// One method's figures on one set.
struct Figures {
    nmi: f64,
    ari: f64,
    other: usize,
    precision: f64,
    shown: f64,
    first_code: f64,
    pair_median: f64,
    pair_p95: f64,
}

pub(crate) async fn quality_bench(args: &Args) -> Result<(), String> {
    let dir = args
        .model_dir
        .clone()
        .unwrap_or_else(cfi_server::model::default_dir);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = Model::load(&dir, threads).map_err(|e| e.to_string())?;
    let weights_digest = {
        let bytes = std::fs::read(dir.join(WEIGHTS_FILE)).map_err(|e| e.to_string())?;
        Sha256::digest(&bytes)
    };
    println!(
        "quality: groups, similar ideas and suggested codes against people's codes, {threads} cores"
    );
    println!(
        "{:<15} {:<14} {:>6} {:>6} {:>6} {:>6} {:>6} {:>11} {:>12}",
        "set", "method", "NMI", "ARI", "other", "P@5", "shown", "first code", "pairs 50/95%"
    );
    for (name, lines) in SETS {
        let rows: Vec<Row> = lines
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{name}: {e}"))?;
        let meaning: std::sync::Arc<[Vec<f32>]> = embedded(&model, &weights_digest, &rows)?.into();
        let mut methods: Vec<(String, Option<f32>)> = vec![
            ("words".to_owned(), None),
            ("meaning".to_owned(), Some(0.0)),
            (format!("blend w={WORDS_WEIGHT}"), Some(WORDS_WEIGHT)),
        ];
        for &w in &args.weights {
            methods.push((format!("blend w={w}"), Some(w)));
        }
        let labels = label_ids(&rows);
        for (method, weight) in methods {
            let started = Instant::now();
            let f = measure(
                &rows,
                &labels,
                weight.map(|w| (std::sync::Arc::clone(&meaning), w)),
            );
            println!(
                "{:<15} {:<14} {:>6.3} {:>6.3} {:>6} {:>6.3} {:>6.2} {:>11.3} {:>5.3}/{:.3}   ({:.1} s)",
                name,
                method,
                f.nmi,
                f.ari,
                f.other,
                f.precision,
                f.shown,
                f.first_code,
                f.pair_median,
                f.pair_p95,
                started.elapsed().as_secs_f64()
            );
        }
        let count = labels.iter().collect::<HashSet<_>>().len();
        println!(
            "{name}: {} comments, {count} labels; similar ideas shown from a score of {SIMILAR_MIN_SCORE}",
            rows.len()
        );
    }
    Ok(())
}

/// Each row's label as a number, the labels numbered in order of name.
fn label_ids(rows: &[Row]) -> Vec<usize> {
    let names: BTreeMap<&str, usize> = rows
        .iter()
        .map(|r| r.label.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, l)| (l, i))
        .collect();
    rows.iter().map(|r| names[r.label.as_str()]).collect()
}

/// The rows' embeddings, from the cache in the temporary directory or
/// computed and kept there.
fn embedded(model: &Model, weights: &[u8], rows: &[Row]) -> Result<Vec<Vec<f32>>, String> {
    let mut hash = Sha256::new();
    hash.update(weights);
    for row in rows {
        hash.update(row.text.as_bytes());
        hash.update([0]);
    }
    let cache = std::env::temp_dir().join(format!(
        "cfi-bench-quality-{}.bin",
        hex::encode(hash.finalize())
    ));
    if let Some(vectors) = read_cache(&cache, rows.len()) {
        return Ok(vectors);
    }
    let started = Instant::now();
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let vectors = model
        .embed(&texts, Priority::Background)
        .map_err(|e| e.to_string())?;
    println!(
        "embedded {} comments in {:.1} s",
        rows.len(),
        started.elapsed().as_secs_f64()
    );
    let bytes: Vec<u8> = vectors.iter().flat_map(|v| to_bytes(v)).collect();
    std::fs::write(&cache, bytes).map_err(|e| format!("{}: {e}", cache.display()))?;
    Ok(vectors)
}

fn read_cache(path: &Path, count: usize) -> Option<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path).ok()?;
    let size = cfi_server::model::DIMENSIONS * 4;
    (bytes.len() == count * size)
        .then(|| {
            bytes
                .chunks(size)
                .map(from_bytes)
                .collect::<Option<Vec<_>>>()
        })
        .flatten()
}

/// One method's figures: words alone if `meaning` is `None`, else the
/// meaning vectors with the words weighing `w`.
fn measure(
    rows: &[Row],
    labels: &[usize],
    meaning: Option<(std::sync::Arc<[Vec<f32>]>, f32)>,
) -> Figures {
    let ideas: Vec<IdeaText> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| IdeaText {
            reference: format!("NHS-{i:05}"),
            idea: 0,
            title: String::new(),
            description: r.text.clone(),
        })
        .collect();
    let analysis = match meaning {
        None => Analysis::build(&ideas),
        Some((vectors, w)) => Analysis::build_with(&ideas, Some(vectors), w),
    };
    let count = labels.iter().collect::<HashSet<_>>().len();
    let n = ideas.len();

    let groups = group_in(&analysis, &ideas, Some(count));
    let mut found = vec![0usize; n];
    for g in &groups.groups {
        for &m in &g.members {
            found[m] = g.id;
        }
    }
    let (nmi, ari) = (nmi(labels, &found), ari(labels, &found));

    let (mut right, mut shown) = (0usize, 0usize);
    for i in 0..n {
        let near = analysis.nearest(i, SIMILAR_IDEAS, |_| true);
        shown += near.len();
        right += near
            .iter()
            .filter(|o| labels[o.position] == labels[i])
            .count();
    }

    // Leave one out: every other idea carries its label as a code.
    let codes: Vec<Code> = (0..count)
        .map(|id| Code {
            id: id as i64,
            call: "quality".to_owned(),
            name: format!("label {id}"),
            description: String::new(),
            parent: None,
            created_by: "bench".to_owned(),
            created_at: String::new(),
        })
        .collect();
    let coded: HashMap<usize, Vec<i64>> = (0..n).map(|i| (i, vec![labels[i] as i64])).collect();
    let corpus = Corpus::new(
        PublicationVersion {
            staff_changes: 0,
            submissions: 0,
        },
        ideas,
    );
    let refused = HashSet::new();
    let first_right = (0..n)
        .filter(|&i| {
            suggest(&corpus, &analysis, i, &coded, &codes, &refused)
                .first()
                .is_some_and(|s| s.code == labels[i] as i64)
        })
        .count();

    let mut pairs: Vec<f32> = (0..PAIRS)
        .map(|p| {
            let a = (p * 7_919) % n;
            let b = (a + 1 + (p * 104_729) % (n - 1)) % n;
            analysis.similarity(a, b)
        })
        .collect();
    pairs.sort_by(f32::total_cmp);

    Figures {
        nmi,
        ari,
        other: groups.other.len(),
        precision: right as f64 / (SIMILAR_IDEAS * n) as f64,
        shown: shown as f64 / n as f64,
        first_code: first_right as f64 / n as f64,
        pair_median: f64::from(pairs[PAIRS / 2]),
        pair_p95: f64::from(pairs[PAIRS * 95 / 100]),
    }
}
