//! Integration tests: the whole server on port 0 with a fresh database per
//! test, driven over HTTP.

mod abandon;
mod admin;
mod backups;
mod boundaries;
mod calls;
mod campaigns;
mod catalogue;
mod codebook;
mod codebook_pages;
mod commands;
mod connections;
mod crash;
mod edges;
mod embeddings;
mod exports;
mod form;
mod guessing;
mod helpers;
mod hostile;
mod metrics;
mod moderation;
mod openapi;
mod outbox;
mod publication;
mod redaction;
mod replicas;
mod review_helpers;
mod roles;
mod safeguarding;
mod sessions;
mod sign_in_links;
mod similarity;
mod staff_access;
mod submissions;
