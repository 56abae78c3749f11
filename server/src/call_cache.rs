//! What a feature derives from all of a call's submissions, kept per call
//! and loaded again only when the call's state moves on: the analyses'
//! corpus (`analysis::corpus`) and the codebook's respondents for the
//! counts by code (`codebook::counts`) each keep one.
//!
//! The state is the call's [`PublicationVersion`] (raised by every staff
//! change, including moderation and erasure, and naming the number of
//! submissions): one cheap query per request tells whether what is held is
//! current. Many staff opening pages at once load it once.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use crate::storage::{PublicationVersion, Storage, StorageError};

/// The latest value of each call.
pub struct CallCache<T> {
    calls: Mutex<HashMap<String, Arc<CallEntry<T>>>>,
}

impl<T> Default for CallCache<T> {
    fn default() -> Self {
        Self {
            calls: Mutex::new(HashMap::new()),
        }
    }
}

/// One call's latest value and the lock its loaders queue on.
struct CallEntry<T> {
    latest: Mutex<Option<(PublicationVersion, Arc<T>)>>,
    loading: tokio::sync::Mutex<()>,
}

impl<T> CallEntry<T> {
    fn at_least(&self, version: PublicationVersion) -> Option<Arc<T>> {
        self.latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|(held, _)| *held >= version)
            .map(|(_, value)| Arc::clone(value))
    }
}

impl<T> CallCache<T> {
    /// The call's value in its current state: the one held if it is at
    /// least that state, or else what `load` builds, given the state it is
    /// labelled with (read under the lock, so what `load` reads next is at
    /// least that state). The caller checks that the call exists.
    pub async fn get<E, F, Fut>(&self, storage: &Storage, call: &str, load: F) -> Result<Arc<T>, E>
    where
        E: From<StorageError>,
        F: FnOnce(PublicationVersion) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let version = storage.publication_state(call).await?.version;
        let entry = {
            let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(calls.entry(call.to_owned()).or_insert_with(|| {
                Arc::new(CallEntry {
                    latest: Mutex::new(None),
                    loading: tokio::sync::Mutex::new(()),
                })
            }))
        };
        if let Some(held) = entry.at_least(version) {
            return Ok(held);
        }
        let _loading = entry.loading.lock().await;
        if let Some(held) = entry.at_least(version) {
            return Ok(held);
        }
        let version = storage.publication_state(call).await?.version;
        let built = Arc::new(load(version).await?);
        *entry.latest.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((version, Arc::clone(&built)));
        Ok(built)
    }

    /// Drops what is held for `call`, so the next [`CallCache::get`] loads
    /// it again (what it was derived from changed without the call's state
    /// moving on: the analyses' meaning vectors arriving).
    pub fn forget(&self, call: &str) {
        if let Some(entry) = self
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(call)
        {
            *entry.latest.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
    }
}
