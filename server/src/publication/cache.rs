//! The published output of each call, built once per publication state and
//! shared by every reader, so the cost of publication does not grow with
//! the number of readers.
//!
//! Each request reads the call's [`PublicationVersion`] from the database
//! (one cheap query; any replica's change raises it). When the snapshot held
//! here is older, one request rebuilds it while the others for that call
//! wait for it, and at most [`PUBLICATION_BUILDS`] builds run at once across
//! calls. A snapshot holds the public view of the call's submissions; its
//! CSV, its JSON and each HTML page are rendered from it on first use, once,
//! and kept as [`Bytes`] that every response shares without copying.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use tokio::sync::{OnceCell, Semaphore};

use super::PublicSubmission;
use crate::config::Call;
use crate::limits::{PUBLICATION_BUILDS, PUBLISHED_PER_PAGE};
use crate::storage::{PublicationVersion, Storage, StorageError};

/// Failures while building published output.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("rendering failed: {0}")]
    Render(String),
}

/// The snapshots of every call, and the bound on builds.
pub struct PublicationCache {
    calls: Mutex<HashMap<String, Arc<CallEntry>>>,
    builds: Semaphore,
}

impl Default for PublicationCache {
    fn default() -> Self {
        Self {
            calls: Mutex::default(),
            builds: Semaphore::new(PUBLICATION_BUILDS),
        }
    }
}

/// One call's latest snapshot, and the lock its rebuilders queue on.
#[derive(Default)]
struct CallEntry {
    latest: Mutex<Option<Arc<Snapshot>>>,
    building: tokio::sync::Mutex<()>,
}

impl CallEntry {
    /// The snapshot held, if it is of `version` or later.
    fn at_least(&self, version: PublicationVersion) -> Option<Arc<Snapshot>> {
        self.latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|s| s.version >= version)
            .cloned()
    }
}

/// What a call publishes in one state, and its renderings made so far.
pub struct Snapshot {
    version: PublicationVersion,
    pub submissions: Arc<[PublicSubmission]>,
    csv: OnceCell<Bytes>,
    json: OnceCell<Bytes>,
    pages: Vec<OnceCell<Bytes>>,
}

impl Snapshot {
    fn new(version: PublicationVersion, submissions: Vec<PublicSubmission>) -> Self {
        let pages = page_count(submissions.len());
        Self {
            version,
            submissions: submissions.into(),
            csv: OnceCell::new(),
            json: OnceCell::new(),
            pages: (0..pages).map(|_| OnceCell::new()).collect(),
        }
    }

    /// How many HTML pages there are (one, empty, when nothing is
    /// published).
    pub fn pages(&self) -> usize {
        self.pages.len()
    }
}

/// Pages needed for `submissions` ([`PUBLISHED_PER_PAGE`] each, at least one).
pub fn page_count(submissions: usize) -> usize {
    submissions.div_ceil(PUBLISHED_PER_PAGE).max(1)
}

impl PublicationCache {
    /// The snapshot of `call` at `version` or later, built if needed.
    pub async fn snapshot(
        &self,
        storage: &Storage,
        call: &Call,
        version: PublicationVersion,
    ) -> Result<Arc<Snapshot>, BuildError> {
        let entry = Arc::clone(
            self.calls
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(call.id.clone())
                .or_default(),
        );
        if let Some(snapshot) = entry.at_least(version) {
            return Ok(snapshot);
        }
        let _building = entry.building.lock().await;
        // Someone else may have built it while this request waited.
        if let Some(snapshot) = entry.at_least(version) {
            return Ok(snapshot);
        }
        let submissions = {
            let _permit = self.builds.acquire().await.map_err(closed)?;
            // Read after the version, so what is read is at least as new as
            // the version it is kept under.
            let stored = storage.list(&call.id).await?;
            let actions = storage.call_actions(&call.id).await?;
            let call = call.clone();
            // Off the async threads: for a large call this takes a while.
            tokio::task::spawn_blocking(move || super::public_views(&call, &stored, &actions))
                .await
                .map_err(|e| BuildError::Render(e.to_string()))?
        };
        let snapshot = Arc::new(Snapshot::new(version, submissions));
        // The previous snapshot is freed when its last response is sent.
        *entry.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&snapshot));
        Ok(snapshot)
    }

    /// The snapshot's rendering in `cell`, rendered by `render` (off the
    /// async threads) the first time it is asked for.
    pub async fn rendered(
        &self,
        snapshot: &Snapshot,
        output: Output,
        render: impl FnOnce(&[PublicSubmission]) -> Result<Vec<u8>, String> + Send + 'static,
    ) -> Result<Bytes, BuildError> {
        let cell = match output {
            Output::Csv => &snapshot.csv,
            Output::Json => &snapshot.json,
            Output::Page(n) => snapshot
                .pages
                .get(n)
                .ok_or_else(|| BuildError::Render(format!("no page {n}")))?,
        };
        let submissions = Arc::clone(&snapshot.submissions);
        cell.get_or_try_init(|| async {
            let _permit = self.builds.acquire().await.map_err(closed)?;
            let bytes = tokio::task::spawn_blocking(move || render(&submissions))
                .await
                .map_err(|e| BuildError::Render(e.to_string()))?
                .map_err(BuildError::Render)?;
            Ok(Bytes::from(bytes))
        })
        .await
        .cloned()
    }
}

/// Which rendering of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Csv,
    Json,
    /// An HTML page, from 0.
    Page(usize),
}

fn closed(_: tokio::sync::AcquireError) -> BuildError {
    BuildError::Render("the build limit was closed".into())
}
