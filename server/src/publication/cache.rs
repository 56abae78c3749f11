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
//! compressed there and then (gzip and brotli, see [`Encoded`]), and kept as
//! [`Bytes`] that every response shares without copying. Other features
//! keep what they derive from the published submissions with the snapshot
//! too ([`Snapshot::derived`]: the public summary of counts by code).

use std::any::Any;
use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::body::Bytes;
use sha2::Digest as _;
use tokio::sync::{OnceCell, Semaphore};

use super::PublicSubmission;
use crate::config::Call;
use crate::limits::{
    PUBLICATION_BROTLI_QUALITY, PUBLICATION_BROTLI_WINDOW, PUBLICATION_BUILDS,
    PUBLICATION_GZIP_LEVEL, PUBLISHED_PER_PAGE,
};
use crate::storage::{PublicationState, PublicationVersion, Storage, StorageError};

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
    /// The turns of whole-file sends.
    pub sends: super::send::Sends,
}

impl Default for PublicationCache {
    fn default() -> Self {
        Self {
            calls: Mutex::default(),
            builds: Semaphore::new(PUBLICATION_BUILDS),
            sends: super::send::Sends::default(),
        }
    }
}

/// One call's latest snapshot, and the lock its rebuilders queue on.
#[derive(Default)]
struct CallEntry {
    latest: Mutex<Option<Arc<Snapshot>>>,
    building: tokio::sync::Mutex<()>,
    /// The last read of the call's publication state and when it started;
    /// readers queue on it (see [`PublicationCache::state`]).
    state: tokio::sync::Mutex<Option<(Instant, PublicationState)>>,
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
    csv: OnceCell<Arc<Encoded>>,
    json: OnceCell<Arc<Encoded>>,
    pages: Vec<OnceCell<Arc<Encoded>>>,
    /// What other features derived from this snapshot, by name, with the
    /// state of their own it was derived in.
    derived: tokio::sync::Mutex<HashMap<&'static str, Derived>>,
}

/// A value derived from a snapshot and the state it was derived in.
struct Derived {
    state: Vec<i64>,
    value: Arc<dyn Any + Send + Sync>,
}

/// A content coding a response body is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// The `Content-Encoding` value (none for identity).
    pub fn header(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Gzip => Some("gzip"),
            Self::Brotli => Some("br"),
        }
    }

    /// The best coding an `Accept-Encoding` header takes: brotli (the
    /// smallest), then gzip, then identity. A coding is taken when it is
    /// listed (or `*` is) with a weight above zero. Hand-written: the header
    /// is a list of tokens with optional `;q=` weights, and the one parser
    /// in the kept crates (tower-http's compression) is not public.
    pub fn negotiate(accept: Option<&str>) -> Self {
        let Some(accept) = accept else {
            return Self::Identity;
        };
        let mut weights: HashMap<String, f32> = HashMap::new();
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            weights.insert(name, weight);
        }
        let takes = |name: &str| {
            weights
                .get(name)
                .or_else(|| weights.get("*"))
                .is_some_and(|w| *w > 0.0)
        };
        if takes("br") {
            Self::Brotli
        } else if takes("gzip") {
            Self::Gzip
        } else {
            Self::Identity
        }
    }
}

/// One rendering as it is sent: the body in each coding, and a strong
/// validator of its content.
pub struct Encoded {
    identity: Bytes,
    gzip: Bytes,
    brotli: Bytes,
    /// The first 16 bytes of the SHA-256 of the identity body, in hex: it
    /// changes with anything the body shows (a withheld idea, a renamed
    /// theme in the configuration), and is the same on every replica.
    hash: String,
}

impl Encoded {
    /// Compresses `identity` both ways (a few hundred milliseconds for a
    /// call of 20,000 submissions; run off the async threads, once per
    /// state).
    pub fn new(identity: Vec<u8>) -> std::io::Result<Self> {
        let hash = hex::encode(
            sha2::Sha256::digest(&identity)
                .get(..16)
                .unwrap_or_default(),
        );
        let mut gzip = flate2::write::GzEncoder::new(
            Vec::with_capacity(identity.len() / 4),
            flate2::Compression::new(PUBLICATION_GZIP_LEVEL),
        );
        gzip.write_all(&identity)?;
        let gzip = gzip.finish()?;
        let mut brotli = Vec::with_capacity(identity.len() / 5);
        let params = brotli::enc::BrotliEncoderParams {
            quality: PUBLICATION_BROTLI_QUALITY,
            lgwin: PUBLICATION_BROTLI_WINDOW,
            size_hint: identity.len(),
            ..Default::default()
        };
        brotli::BrotliCompress(&mut identity.as_slice(), &mut brotli, &params)?;
        Ok(Self {
            identity: identity.into(),
            gzip: gzip.into(),
            brotli: brotli.into(),
            hash,
        })
    }

    /// The body in `coding`.
    pub fn body(&self, coding: Coding) -> Bytes {
        match coding {
            Coding::Identity => self.identity.clone(),
            Coding::Gzip => self.gzip.clone(),
            Coding::Brotli => self.brotli.clone(),
        }
    }

    /// The strong `ETag` of the body in `coding` (each coding is its own
    /// representation, so each has its own tag).
    pub fn etag(&self, coding: Coding) -> String {
        match coding.header() {
            Some(name) => format!("\"{}-{name}\"", self.hash),
            None => format!("\"{}\"", self.hash),
        }
    }
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
            derived: tokio::sync::Mutex::default(),
        }
    }

    /// A value another feature derives from this snapshot's submissions and
    /// some state of its own (`state`, e.g. the codebook's), built by `build`
    /// once per state: readers asking meanwhile wait for the one build. The
    /// value of the latest state under `name` is kept, and freed with the
    /// snapshot.
    pub async fn derived<T, E, F, Fut>(
        &self,
        name: &'static str,
        state: Vec<i64>,
        build: F,
    ) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        F: FnOnce(Arc<[PublicSubmission]>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut held = self.derived.lock().await;
        if let Some(derived) = held.get(name)
            && derived.state == state
            && let Ok(value) = Arc::clone(&derived.value).downcast::<T>()
        {
            return Ok(value);
        }
        let value = Arc::new(build(Arc::clone(&self.submissions)).await?);
        held.insert(
            name,
            Derived {
                state,
                value: Arc::clone(&value) as Arc<dyn Any + Send + Sync>,
            },
        );
        Ok(value)
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
    fn entry(&self, call_id: &str) -> Arc<CallEntry> {
        Arc::clone(
            self.calls
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(call_id.to_owned())
                .or_default(),
        )
    }

    /// Whether the call is published, and its version, as of a read that
    /// started after this request arrived, so every change committed
    /// before it is seen. Concurrent readers of a call share reads: one
    /// runs at a time, and everyone who arrived before it started takes
    /// its answer. Many readers then hold one database connection, not
    /// one each, and the pool stays free for everything else.
    pub async fn state(
        &self,
        storage: &Storage,
        call_id: &str,
    ) -> Result<PublicationState, StorageError> {
        let arrived = Instant::now();
        let entry = self.entry(call_id);
        let mut last = entry.state.lock().await;
        if let Some((started, state)) = *last
            && started >= arrived
        {
            return Ok(state);
        }
        let started = Instant::now();
        let state = storage.publication_state(call_id).await?;
        *last = Some((started, state));
        Ok(state)
    }

    /// The snapshot of `call` at `version` or later, built if needed.
    pub async fn snapshot(
        &self,
        storage: &Storage,
        call: &Call,
        version: PublicationVersion,
    ) -> Result<Arc<Snapshot>, StorageError> {
        let entry = self.entry(&call.id);
        if let Some(snapshot) = entry.at_least(version) {
            return Ok(snapshot);
        }
        let _building = entry.building.lock().await;
        // Someone else may have built it while this request waited.
        if let Some(snapshot) = entry.at_least(version) {
            return Ok(snapshot);
        }
        let submissions = {
            // The semaphore is never closed.
            let _permit = self.builds.acquire().await.ok();
            // Read after the version, so what is read is at least as new as
            // the version it is kept under.
            let stored = storage.list(&call.id).await?;
            let actions = crate::moderation::persistence::call_actions(storage, &call.id).await?;
            let call = call.clone();
            // Off the async threads: for a large call this takes a while.
            match tokio::task::spawn_blocking(move || super::public_views(&call, &stored, &actions))
                .await
            {
                Ok(submissions) => submissions,
                // A bug: answered as any panic in a handler is (500).
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => return Err(StorageError::Corrupt("the build was cancelled".into())),
            }
        };
        let snapshot = Arc::new(Snapshot::new(version, submissions));
        // The previous snapshot is freed when its last response is sent.
        *entry.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&snapshot));
        Ok(snapshot)
    }

    /// The snapshot's rendering in `cell`, rendered and compressed by
    /// `render` (off the async threads) the first time it is asked for.
    pub async fn rendered(
        &self,
        snapshot: &Snapshot,
        output: Output,
        render: impl FnOnce(&[PublicSubmission]) -> Result<Vec<u8>, String> + Send + 'static,
    ) -> Result<Arc<Encoded>, BuildError> {
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
            let encoded = tokio::task::spawn_blocking(move || {
                Encoded::new(render(&submissions)?).map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| BuildError::Render(e.to_string()))?
            .map_err(BuildError::Render)?;
            Ok(Arc::new(encoded))
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
