//! Storing a planted corpus and writing its truth file.

use std::io::Write;
use std::path::Path;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::generate;
use crate::cli::{CommandError, prepare};
use crate::config::Call;
use crate::storage::{Storage, SubmitOutcome};

/// A stored submission's outcome, and the truth of its ideas.
type Stored = (
    Result<SubmitOutcome, crate::storage::StorageError>,
    Vec<(Option<usize>, &'static str)>,
);

/// Stores a planted corpus of `count` ideas in `call` and writes the truth
/// to `truth` (JSON lines). Returns how many submissions were stored.
pub async fn seed_planted(
    storage: &Storage,
    call: &Call,
    count: usize,
    truth: &Path,
) -> Result<usize, CommandError> {
    let mut rng = StdRng::seed_from_u64(2026);
    let now = jiff::Timestamp::now();
    let span_seconds: i64 = 42 * 24 * 60 * 60;
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(truth).map_err(|e| CommandError::Truth(e.to_string()))?,
    );
    let mut tasks = tokio::task::JoinSet::new();
    let mut stored = 0usize;
    let mut write = |done: Result<_, tokio::task::JoinError>| -> Result<usize, CommandError> {
        let (outcome, answers): Stored = done.map_err(|_| CommandError::Generator)?;
        let SubmitOutcome::Created(receipt) = outcome? else {
            return Ok(0);
        };
        for (i, (campaign, topic)) in answers.into_iter().enumerate() {
            let line = serde_json::json!({
                "reference": receipt.reference.as_str(),
                "idea": i + 1,
                "campaign": campaign,
                "topic": topic,
            });
            writeln!(file, "{line}").map_err(|e| CommandError::Truth(e.to_string()))?;
        }
        Ok(1)
    };
    for one in generate(&mut rng, call, count) {
        let new = prepare(&one.raw, call, &call.rules, &mut rng, now, span_seconds)?;
        let storage = storage.clone();
        let answers = one.truth;
        tasks.spawn(async move { (storage.submit(new).await, answers) });
        // Enough in flight for SQLite's group commit to batch them.
        while tasks.len() >= 256 {
            if let Some(done) = tasks.join_next().await {
                stored += write(done)?;
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        stored += write(done)?;
    }
    file.flush()
        .map_err(|e| CommandError::Truth(e.to_string()))?;
    Ok(stored)
}
