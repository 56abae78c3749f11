//! Sending whole published files (the CSV and the JSON) a few at a time:
//! each send takes a turn, one of [`PUBLISHED_SENDS`], and readers beyond
//! them wait in line (none is refused). A send hands its body to the
//! connection in chunks of [`PUBLISHED_CHUNK`], and gives its turn back when
//! it ends, when the reader goes, or after [`PUBLISHED_SEND_TURN`] (a slow
//! or stalled reader goes on receiving, without holding up the line).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::limits::{PUBLISHED_CHUNK, PUBLISHED_SEND_TURN, PUBLISHED_SENDS};

/// The turns of whole-file sends, shared by every call.
pub struct Sends {
    turns: Arc<Semaphore>,
}

impl Default for Sends {
    fn default() -> Self {
        Self {
            turns: Arc::new(Semaphore::new(PUBLISHED_SENDS)),
        }
    }
}

impl Sends {
    /// `bytes` as a response body, once a turn is free.
    pub async fn body(&self, bytes: Bytes) -> Body {
        // The semaphore is never closed; without a permit the send goes
        // unbounded rather than failing.
        let permit = Arc::clone(&self.turns).acquire_owned().await.ok();
        let turn = Arc::new(Mutex::new(permit));
        let held = Arc::clone(&turn);
        tokio::spawn(async move {
            tokio::time::sleep(PUBLISHED_SEND_TURN).await;
            take(&held);
        });
        Body::new(Chunked { rest: bytes, turn })
    }
}

/// Gives the turn back, if still held.
fn take(turn: &Mutex<Option<OwnedSemaphorePermit>>) {
    drop(turn.lock().unwrap_or_else(PoisonError::into_inner).take());
}

/// A body sent in chunks, holding its turn until it is dropped (sent, or
/// the connection gone). Hand-written: the kept crates' bodies either send
/// one buffer whole or need a stream type this crate does not otherwise use.
struct Chunked {
    rest: Bytes,
    turn: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
}

impl http_body::Body for Chunked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.rest.is_empty() {
            take(&self.turn);
            return Poll::Ready(None);
        }
        let n = self.rest.len().min(PUBLISHED_CHUNK);
        let chunk = self.rest.split_to(n);
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len() as u64)
    }
}

impl Drop for Chunked {
    fn drop(&mut self) {
        take(&self.turn);
    }
}
