//! Whether submissions are arriving: intake marks each one while it is being
//! answered, and background work (the embeddings worker) waits for a quiet
//! moment before it takes the cores, so a person sending ideas never waits
//! behind it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Submissions being answered now, and when the last one ended.
#[derive(Debug)]
pub struct Activity {
    busy: AtomicUsize,
    last: Mutex<Instant>,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            busy: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
        }
    }
}

/// One submission being answered; when dropped (answered, or its client went
/// away), the moment is recorded.
#[must_use]
pub struct Busy<'a>(&'a Activity);

impl Activity {
    /// Marks a submission as being answered until the guard is dropped.
    pub fn begin(&self) -> Busy<'_> {
        self.busy.fetch_add(1, Ordering::SeqCst);
        Busy(self)
    }

    /// True when no submission is being answered and none ended within
    /// `quiet`.
    pub fn is_quiet(&self, quiet: Duration) -> bool {
        self.busy.load(Ordering::SeqCst) == 0
            && self
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .elapsed()
                >= quiet
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        *self
            .0
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_is_quiet_only_when_nothing_is_answered_and_the_last_answer_is_old_enough() {
        let activity = Activity::default();
        let busy = activity.begin();
        assert!(!activity.is_quiet(Duration::ZERO));
        drop(busy);
        assert!(activity.is_quiet(Duration::ZERO));
        assert!(!activity.is_quiet(Duration::from_secs(3600)));
    }
}
