//! Safeguarding mode: the net measured on the labelled set
//! (`server/data/safeguarding/`), in this process, beside the method it
//! replaced (the default phrases as plain substrings of the lower-cased
//! text) and the phrases alone after normalisation, in the same run.
//!
//! The held-out part is what the figures are: the net never saw it. On the
//! tuning part, a sweep of the thresholds (each sentence compared without
//! its own example) shows why the chosen ones were chosen.

use std::collections::BTreeMap;
use std::time::Instant;

use cfi_server::config::DEFAULT_SAFEGUARDING_PHRASES;
use cfi_server::model::Model;
use cfi_server::safeguarding::examples::{self, Example, Label};
use cfi_server::safeguarding::net::{Net, Prepared, THRESHOLDS, Thresholds};
use cfi_server::safeguarding::{Category, FlagLevel, find_in};

use crate::Args;

/// What a method said of one row.
type Said = Label;

pub(crate) async fn safeguarding_bench(args: &Args) -> Result<(), String> {
    let dir = args
        .model_dir
        .clone()
        .unwrap_or_else(cfi_server::model::default_dir);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = Model::load(&dir, threads).map_err(|e| e.to_string())?;
    let net = Net::new(Some(model));
    let started = Instant::now();
    net.warm().await.map_err(|e| e.to_string())?;
    let phrases: Vec<String> = DEFAULT_SAFEGUARDING_PHRASES
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
    let (tuning_rows, held_out_rows) = (examples::tuning(), examples::held_out());
    let rows: Vec<&Example> = tuning_rows.iter().chain(&held_out_rows).collect();
    let tuning: Vec<&Example> = tuning_rows.iter().collect();
    let held_out: Vec<&Example> = held_out_rows.iter().collect();
    println!(
        "safeguarding: labelled set of {} sentences ({} tuning, {} held out), {} reference \
         examples; examples embedded in {:.1} s",
        rows.len(),
        tuning.len(),
        held_out.len(),
        examples::compared_with().len(),
        started.elapsed().as_secs_f64()
    );

    let mut prepared: Vec<Option<Prepared>> = Vec::with_capacity(rows.len());
    let started = Instant::now();
    for row in &rows {
        prepared.push(
            net.prepare(&[row.text.as_str()])
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    println!(
        "  embedding the {} sentences one submission at a time: {:.1} ms each",
        rows.len(),
        started.elapsed().as_secs_f64() * 1000.0 / rows.len().max(1) as f64
    );
    let index_of = |row: &Example| rows.iter().position(|r| std::ptr::eq(*r, row));

    // The tuning part: a sweep, each row without its own example.
    println!("\n== tuning part ({} rows): thresholds swept", tuning.len());
    println!(
        "{:>12} {:>13} {:>14} {:>18} {:>18}",
        "urgent share", "urgent margin", "urgent recall", "policy as urgent", "ordinary as urgent"
    );
    for share in [0.2_f32, 0.25, 0.3, 0.4, 0.5] {
        for floor in [-1.0_f32, 0.0, 0.05, 0.1] {
            let t = Thresholds {
                urgent_share: share,
                urgent_margin: floor,
                ..THRESHOLDS
            };
            let mut said = Vec::with_capacity(tuning.len());
            for row in &tuning {
                let p = index_of(row).and_then(|i| prepared[i].as_ref());
                said.push(judge_prepared(&net, &phrases, row, p, &t, Some(&row.text)).await?);
            }
            let s = Summary::of(&tuning, &said);
            let chosen = t == THRESHOLDS;
            println!(
                "{:>12.2} {:>13.2} {:>13.1}% {:>17.1}% {:>17.1}%{}",
                share,
                floor,
                s.urgent_recall,
                s.policy_as_urgent,
                s.ordinary_as_urgent,
                if chosen { "  <- chosen" } else { "" }
            );
        }
    }

    println!(
        "\n{:>15} {:>15} {:>14} {:>22} {:>16}",
        "sensitive margin",
        "sensitive floor",
        "urgent recall",
        "subject marked (pol.)",
        "ordinary flagged"
    );
    for share in [0.0_f32, 0.05, 0.1, 0.15, 0.2] {
        for floor in [0.4_f32, 0.5] {
            let t = Thresholds {
                sensitive_margin: share,
                sensitive_floor: floor,
                ..THRESHOLDS
            };
            let mut said = Vec::with_capacity(tuning.len());
            for row in &tuning {
                let p = index_of(row).and_then(|i| prepared[i].as_ref());
                said.push(judge_prepared(&net, &phrases, row, p, &t, Some(&row.text)).await?);
            }
            let s = Summary::of(&tuning, &said);
            println!(
                "{:>15.2} {:>15.2} {:>13.1}% {:>21.1}% {:>15.1}%{}",
                share,
                floor,
                s.urgent_recall,
                s.policy_marked,
                s.ordinary_flagged,
                if t == THRESHOLDS { "  <- chosen" } else { "" }
            );
        }
    }

    // The held-out part: three methods side by side.
    let mut methods: Vec<(&str, Vec<Said>)> = Vec::new();
    methods.push((
        "before: default phrases as substrings",
        held_out
            .iter()
            .map(|r| substring_baseline(&phrases, &r.text))
            .collect(),
    ));
    methods.push((
        "phrases, normalised, subject words sensitive",
        held_out
            .iter()
            .map(|r| level(find_in(&phrases, &[r.text.as_str()]).map(|f| f.level)))
            .collect(),
    ));
    let mut said = Vec::with_capacity(held_out.len());
    for row in &held_out {
        let p = index_of(row).and_then(|i| prepared[i].as_ref());
        said.push(judge_prepared(&net, &phrases, row, p, &THRESHOLDS, None).await?);
    }
    methods.push(("the net: phrases and model (chosen thresholds)", said));

    println!(
        "\n== held-out part ({} rows): targets urgent recall >= 95 %, policy sentences raised \
         as urgent <= 5 %",
        held_out.len()
    );
    println!(
        "{:<48} {:>14} {:>17} {:>14} {:>11} {:>14} {:>17}",
        "method",
        "urgent recall",
        "policy as urgent",
        "prof. urgent",
        "past urgent",
        "policy marked",
        "ordinary flagged"
    );
    for (name, said) in &methods {
        let s = Summary::of(&held_out, said);
        println!(
            "{:<48} {:>13.1}% {:>16.1}% {:>13.1}% {:>10.1}% {:>13.1}% {:>16.1}%",
            name,
            s.urgent_recall,
            s.policy_as_urgent,
            s.professional_as_urgent,
            s.past_as_urgent,
            s.policy_marked,
            s.ordinary_flagged
        );
    }
    println!("(policy marked: policy sentences flagged at either level, for a moderator)");
    let (_, net_said) = methods.last().ok_or("no method")?;
    println!(
        "\n== held-out confusion matrix per category (the net): rows are what the sentence is"
    );
    println!(
        "{:<14} {:<22} {:>6} {:>10} {:>7}",
        "category", "written as", "none", "sensitive", "urgent"
    );
    let mut cells: BTreeMap<(String, String), [usize; 3]> = BTreeMap::new();
    for (row, said) in held_out.iter().zip(net_said) {
        let category = row.category.map_or("-", Category::id).to_owned();
        let written = match row.label {
            Label::Urgent => "disclosure (urgent)".to_owned(),
            _ => row.form.clone(),
        };
        let cell = cells.entry((category, written)).or_default();
        cell[match said {
            Label::None => 0,
            Label::Sensitive => 1,
            Label::Urgent => 2,
        }] += 1;
    }
    for ((category, written), [none, sensitive, urgent]) in &cells {
        println!("{category:<14} {written:<22} {none:>6} {sensitive:>10} {urgent:>7}");
    }
    let noisy: Vec<&&Example> = held_out
        .iter()
        .zip(net_said)
        .filter(|(r, s)| r.label == Label::None && **s != Label::None)
        .map(|(r, _)| r)
        .collect();
    println!(
        "\nheld-out ordinary ideas the net flagged ({}):",
        noisy.len()
    );
    for row in noisy {
        println!("  {}", row.text);
    }
    let missed: Vec<&&Example> = held_out
        .iter()
        .zip(net_said)
        .filter(|(r, s)| r.label == Label::Urgent && **s != Label::Urgent)
        .map(|(r, _)| r)
        .collect();
    println!(
        "\nheld-out disclosures the net did not raise as urgent ({}):",
        missed.len()
    );
    for row in missed {
        println!(
            "  [{}] {}",
            row.category.map_or("-", Category::id),
            row.text
        );
    }
    Ok(())
}

async fn judge_prepared(
    net: &Net,
    phrases: &[String],
    row: &Example,
    prepared: Option<&Prepared>,
    thresholds: &Thresholds,
    leave_out: Option<&str>,
) -> Result<Said, String> {
    let flag = net
        .decide(
            phrases,
            &[row.text.as_str()],
            prepared,
            thresholds,
            leave_out,
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(level(flag.map(|f| f.level)))
}

fn level(level: Option<FlagLevel>) -> Said {
    match level {
        Some(FlagLevel::Urgent) => Label::Urgent,
        Some(FlagLevel::Sensitive) => Label::Sensitive,
        None => Label::None,
    }
}

/// What the server did before: any default phrase as a substring of the
/// lower-cased text raised an alert.
fn substring_baseline(phrases: &[String], text: &str) -> Said {
    let lower = text.to_lowercase();
    if phrases.iter().any(|p| lower.contains(p.as_str())) {
        Label::Urgent
    } else {
        Label::None
    }
}

/// The figures the targets are about, in per cent.
struct Summary {
    urgent_recall: f64,
    policy_as_urgent: f64,
    professional_as_urgent: f64,
    past_as_urgent: f64,
    policy_marked: f64,
    ordinary_flagged: f64,
    ordinary_as_urgent: f64,
}

impl Summary {
    fn of(rows: &[&Example], said: &[Said]) -> Self {
        let share = |keep: &dyn Fn(&Example) -> bool, hit: &dyn Fn(Said) -> bool| {
            let (mut n, mut h) = (0usize, 0usize);
            for (row, s) in rows.iter().zip(said) {
                if keep(row) {
                    n += 1;
                    h += usize::from(hit(*s));
                }
            }
            if n == 0 {
                0.0
            } else {
                100.0 * h as f64 / n as f64
            }
        };
        let urgent = |s: Said| s == Label::Urgent;
        Self {
            urgent_recall: share(&|r| r.label == Label::Urgent, &urgent),
            policy_as_urgent: share(&|r| r.form == "policy", &urgent),
            professional_as_urgent: share(&|r| r.form == "professional", &urgent),
            past_as_urgent: share(&|r| r.form == "past", &urgent),
            policy_marked: share(&|r| r.form == "policy", &|s| s != Label::None),
            ordinary_flagged: share(&|r| r.label == Label::None, &|s| s != Label::None),
            ordinary_as_urgent: share(&|r| r.label == Label::None, &urgent),
        }
    }
}
