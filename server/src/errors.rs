//! Where errors go: one error type per layer, each turned into the next
//! layer's at one `From`, and causes logged once, never sent.
//!
//! | layer | returns | becomes |
//! | --- | --- | --- |
//! | configuration ([`crate::config`]) | [`ConfigError`] | [`StartupError`], or a command's [`CommandError`]; printed by `main`, which exits 2 |
//! | storage ([`crate::storage`]) | [`StorageError`] | [`ReviewError::Storage`], [`CodebookError::Storage`], [`AnalysisError::Storage`] or [`ApiError::Storage`]: a 503 problem; the cause is logged in [`ApiError::parts`] |
//! | review service ([`crate::review::service`], [`crate::review::filter`]) | [`ReviewError`]: not found, invalid (with words for staff), or storage | [`ApiError`] (`From`) |
//! | codebook service ([`crate::codebook::service`]) | [`CodebookError`]: not found, invalid (with words for staff), not published, or storage | [`AnalysisError::Codebook`] (`From`), or [`ApiError`] (`From`) |
//! | analyses ([`crate::analysis`]) | [`AnalysisError`]: not found, invalid (with words for staff), what the codebook refused, or storage | [`ApiError`] (`From`) |
//! | HTTP handlers and extractors | [`ApiError`]: every answer that is not a success, as `application/problem+json`; axum's rejections become it in [`crate::http::extract`] | the response |
//! | pages | [`HtmlError`], wrapping an [`ApiError`] | the same status as a page (a 401 shows the sign-in form) |
//! | backups ([`crate::backup`]) | [`BackupError`]: each says what to do | [`CommandError::Backup`] |
//! | commands ([`crate::cli`]) | [`CommandError`] | a message on stderr and the exit code |
//! | start ([`crate::Application::build`]) | [`StartupError`] | a message on stderr from `main` |
//!
//! Intake handlers return [`ApiError`] directly: what a submitter can be
//! told (validation errors with pointers, idempotency, rate limits) is the
//! public contract of `API.md`, so the HTTP type is their domain type.

pub use crate::StartupError;
pub use crate::analysis::service::AnalysisError;
pub use crate::auth::pages::HtmlError;
pub use crate::backup::BackupError;
pub use crate::cli::CommandError;
pub use crate::codebook::service::CodebookError;
pub use crate::config::ConfigError;
pub use crate::http::problem::ApiError;
pub use crate::review::service::ReviewError;
pub use crate::storage::StorageError;
