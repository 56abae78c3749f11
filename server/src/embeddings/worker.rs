//! The embeddings worker: a tokio task started with the server (when the
//! model is loaded and `embed_ideas` is on) and stopped with it. It waits
//! for a quiet moment ([`EMBEDDINGS_QUIET`] without a submission
//! arriving), takes up to [`EMBEDDINGS_BATCH`] queued submissions under a
//! lease, reads their ideas one at a time with the model on its background
//! threads (stepping aside between two of the model's layers while a
//! submission is answered), and stores the vectors. A submission that fails
//! is tried again after a wait that doubles each time; the others in its
//! batch are not held back.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::persistence::{self, Taken};
use crate::activity::Activity;
use crate::limits::{
    EMBEDDINGS_BATCH, EMBEDDINGS_FIRST_RETRY, EMBEDDINGS_LEASE, EMBEDDINGS_LONGEST_RETRY,
    EMBEDDINGS_POLL, EMBEDDINGS_QUIET, EMBEDDINGS_YIELD,
};
use crate::metrics::Metrics;
use crate::model::Model;
use crate::storage::Storage;

/// The running worker; [`Worker::stop`] ends it after the batch in hand.
pub struct Worker {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

/// What the worker needs.
struct Context {
    storage: Storage,
    model: Model,
    activity: Arc<Activity>,
    metrics: Metrics,
}

impl Worker {
    pub fn start(
        storage: Storage,
        model: Model,
        activity: Arc<Activity>,
        metrics: Metrics,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let context = Context {
            storage,
            model,
            activity,
            metrics,
        };
        let handle = tokio::spawn(run(context, stopped));
        Self { stop, handle }
    }

    /// Asks the worker to stop and waits until it has: the batch being read
    /// is stored, nothing else is taken.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}

/// Sleeps for `wait`; false when the worker was told to stop meanwhile.
async fn pause(stopped: &mut watch::Receiver<bool>, wait: Duration) -> bool {
    tokio::select! {
        _ = stopped.changed() => {}
        () = tokio::time::sleep(wait) => {}
    }
    !*stopped.borrow()
}

async fn run(context: Context, mut stopped: watch::Receiver<bool>) {
    loop {
        if *stopped.borrow() {
            return;
        }
        if !context.activity.is_quiet(EMBEDDINGS_QUIET) {
            if !pause(&mut stopped, EMBEDDINGS_QUIET / 3).await {
                return;
            }
            continue;
        }
        let batch =
            match persistence::take(&context.storage, EMBEDDINGS_LEASE, EMBEDDINGS_BATCH).await {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::error!(%error, "the embeddings queue could not be read");
                    Vec::new()
                }
            };
        if batch.is_empty() {
            if !pause(&mut stopped, EMBEDDINGS_POLL).await {
                return;
            }
            continue;
        }
        read(&context, batch).await;
    }
}

/// Reads ideas one at a time, and before each of the model's layers waits
/// while a submission is being answered: a submission arriving shares the
/// cores with at most one layer of one idea (a few ms; the threads' idle
/// policy gives it the cores, but the caches and memory are still shared).
async fn embed_between_submissions(
    context: &Context,
    texts: Vec<String>,
) -> Result<Vec<Vec<f32>>, crate::model::ModelError> {
    let mut vectors = Vec::with_capacity(texts.len());
    for text in texts {
        let gap = wait_for_a_gap(context.activity.clone());
        vectors.extend(context.model.embed_in_gaps(vec![text], gap).await?);
    }
    Ok(vectors)
}

/// Waits, between two of the model's layers, while a submission is being
/// answered (on the thread driving the run: the model's threads stay free).
fn wait_for_a_gap(activity: Arc<Activity>) -> impl Fn() + Send + Sync + 'static {
    move || {
        while !activity.is_quiet(Duration::ZERO) {
            std::thread::sleep(EMBEDDINGS_YIELD);
        }
    }
}

/// Reads a batch's ideas, or, when that fails, each submission's alone, so
/// one bad text holds back no other.
async fn read(context: &Context, batch: Vec<Taken>) {
    let texts: Vec<String> = batch
        .iter()
        .flat_map(|t| t.ideas.iter())
        .map(|i| super::idea_text(&i.title, &i.description))
        .collect();
    match embed_between_submissions(context, texts).await {
        Ok(mut vectors) => {
            for taken in batch {
                let rest = vectors.split_off(taken.ideas.len().min(vectors.len()));
                let mine = std::mem::replace(&mut vectors, rest);
                save(context, &taken, &mine).await;
            }
        }
        Err(error) if batch.len() > 1 => {
            tracing::warn!(%error, "a batch of ideas could not be read: reading each submission alone");
            for taken in batch {
                let texts = taken
                    .ideas
                    .iter()
                    .map(|i| super::idea_text(&i.title, &i.description))
                    .collect();
                match embed_between_submissions(context, texts).await {
                    Ok(vectors) => save(context, &taken, &vectors).await,
                    Err(error) => failed(context, &taken, &error.to_string()).await,
                }
            }
        }
        Err(error) => failed(context, &batch[0], &error.to_string()).await,
    }
}

async fn save(context: &Context, taken: &Taken, vectors: &[Vec<f32>]) {
    match persistence::store(
        &context.storage,
        taken.submission_id,
        crate::model::NAME,
        vectors,
    )
    .await
    {
        Ok(()) => context.metrics.ideas_embedded(vectors.len()),
        Err(error) => failed(context, taken, &error.to_string()).await,
    }
}

async fn failed(context: &Context, taken: &Taken, error: &str) {
    context.metrics.embedding_failed();
    let wait = backoff(taken.attempts);
    tracing::error!(submission = taken.submission_id, attempts = taken.attempts, %error, ?wait, "a submission's ideas could not be read for meaning: tried again later");
    if let Err(error) =
        persistence::retry_later(&context.storage, taken.submission_id, error, wait).await
    {
        tracing::error!(%error, "a failed submission could not be put back: it is taken again when its lease ends");
    }
}

/// The wait before attempt `attempts + 1`: 10 s, 20 s, 40 s … up to the
/// longest.
fn backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    EMBEDDINGS_FIRST_RETRY
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(EMBEDDINGS_LONGEST_RETRY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_waits_between_layers_until_the_submission_being_answered_is_done() {
        let activity = Arc::new(Activity::default());
        let busy = activity.begin();
        let (went_on, on) = std::sync::mpsc::channel();
        let gap = wait_for_a_gap(activity.clone());
        let layer = std::thread::spawn(move || {
            gap();
            went_on.send(()).expect("listening");
        });
        assert!(
            on.recv_timeout(Duration::from_millis(100)).is_err(),
            "went on while a submission was being answered"
        );
        drop(busy);
        on.recv_timeout(Duration::from_secs(10))
            .expect("goes on once the submission is answered");
        layer.join().expect("ends");
    }

    #[test]
    fn the_wait_after_a_failure_doubles_up_to_the_longest() {
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(2), Duration::from_secs(20));
        assert_eq!(backoff(30), EMBEDDINGS_LONGEST_RETRY);
    }
}
