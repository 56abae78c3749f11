//! Campaign mode: campaign detection alone, in this process, over one large
//! campaign of near-copies with small edits (`cfi_server::cli::planted`)
//! beside ideas of their own. Each size runs in a fresh child process, so
//! its peak resident memory (`VmHWM`) is its own: once the texts are made,
//! and after detection. Beside the detection time, a reference measured on
//! the same texts in the same process: the time only to normalise, shingle
//! and sign them with MinHash, which any MinHash detection pays and which
//! grows with the texts alone.

use std::path::Path;
use std::time::Instant;

use cfi_server::analysis::campaigns::detect;
use cfi_server::analysis::corpus::IdeaText;
use cfi_server::analysis::near_copies::sign;
use cfi_server::cli::planted::campaign_and_others;
use tokio::process::Command;

use crate::{Args, ms, proc_status_kib};

/// Runs each `--copies` size in a child process and prints its row.
pub(crate) async fn campaigns_bench(args: &Args, bench: &Path) -> Result<(), String> {
    println!(
        "campaign detection: one campaign of near-copies beside {} ideas of their own, {} cores; \
         each size in a fresh process",
        args.others,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:>8} {:>8} {:>10} {:>11} {:>10} {:>9} {:>10} {:>13} {:>10}",
        "copies",
        "ideas",
        "detect ms",
        "signing ms",
        "texts MiB",
        "peak MiB",
        "campaigns",
        "largest",
        "others in"
    );
    for &copies in &args.copies {
        let output = Command::new(bench)
            .arg("--campaign-run")
            .arg(copies.to_string())
            .arg("--others")
            .arg(args.others.to_string())
            .output()
            .await
            .map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(format!(
                "campaign run of {copies}: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }
    println!(
        "(detect: the whole detection as the server runs it; signing: normalising, shingling and \
         MinHash signatures of the same texts alone; texts: this process's peak resident memory \
         once the texts were made; peak: after detection; largest: copies in the \
         largest campaign / copies; others in: ideas of their own in any campaign)"
    );
    Ok(())
}

/// One size, in this process: prints one row.
pub(crate) fn campaign_run(copies: usize, others: usize) -> Result<(), String> {
    let (copy_of, ideas): (Vec<bool>, Vec<IdeaText>) = campaign_and_others(2026, copies, others)
        .into_iter()
        .enumerate()
        .map(|(n, (copy, description))| {
            let idea = IdeaText {
                reference: format!("CFI-{n:06}"),
                idea: 0,
                title: "An idea".to_owned(),
                description,
            };
            (copy, idea)
        })
        .unzip();
    let me = std::process::id();
    let texts_kib = proc_status_kib(me, "VmHWM:").unwrap_or_default();
    let started = Instant::now();
    let found = detect(&ideas);
    let detecting = started.elapsed();
    let peak_kib = proc_status_kib(me, "VmHWM:").unwrap_or_default();
    let started = Instant::now();
    let signed = sign(&ideas);
    let signing = started.elapsed();
    drop(signed);
    let position = |reference: &str| -> usize {
        reference
            .trim_start_matches("CFI-")
            .parse()
            .unwrap_or(usize::MAX)
    };
    let largest = found.campaigns.first();
    let copies_found = largest.map_or(0, |c| {
        c.members
            .iter()
            .filter(|m| copy_of.get(position(&m.reference)) == Some(&true))
            .count()
    });
    let others_in: usize = found
        .campaigns
        .iter()
        .flat_map(|c| &c.members)
        .filter(|m| copy_of.get(position(&m.reference)) == Some(&false))
        .count();
    println!(
        "{copies:>8} {:>8} {:>10.0} {:>11.0} {:>10.1} {:>9.1} {:>10} {:>13} {:>10}",
        ideas.len(),
        ms(detecting),
        ms(signing),
        texts_kib as f64 / 1024.0,
        peak_kib as f64 / 1024.0,
        found.campaigns.len(),
        format!("{copies_found}/{copies}"),
        others_in,
    );
    Ok(())
}
