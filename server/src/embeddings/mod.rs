//! Each idea read for meaning once, in the background: after a submission
//! commits, a trigger in the same transaction queues it
//! (`embedding_queue`); the [`Worker`] takes queued submissions under a
//! lease (shared by replicas on PostgreSQL, and surviving restarts),
//! embeds each idea with the sentence-embedding model on the model's
//! background threads when no submission is arriving, and stores one
//! vector per idea (`idea_embeddings`), deleted with its submission.
//! The analyses read the stored vectors ([`persistence::for_call`]), so no
//! staff page waits on the model.

pub mod persistence;
mod worker;

pub use worker::Worker;

/// The text of an idea as the model reads it: its title, then its
/// description (the title says what the idea is; the model reads the first
/// [`MODEL_MAX_TOKENS`](crate::limits::MODEL_MAX_TOKENS) tokens).
pub fn idea_text(title: &str, description: &str) -> String {
    format!("{title}\n{description}")
}
