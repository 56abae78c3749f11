//! What the analyses' JSON API ([`super::api`]) and pages ([`super::pages`])
//! share beyond the analyses themselves: the error every analysis returns,
//! and the codebook as the analyses read it (groups and campaigns are coded
//! through the codebook's own service, never its storage).

use crate::codebook::service::CodebookError;
pub use crate::codebook::service::codebook;

/// Why something asked of the analyses was not done.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// No call or submission by that id or reference (404).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The request does not apply as asked (422); the text says why.
    #[error("{0}")]
    Invalid(&'static str),
    /// What the codebook refused or could not do.
    #[error(transparent)]
    Codebook(#[from] CodebookError),
    /// Storage failed (503); the cause is logged where it is answered.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

impl From<AnalysisError> for crate::http::problem::ApiError {
    fn from(error: AnalysisError) -> Self {
        match error {
            AnalysisError::NotFound(detail) => Self::NotFound(detail),
            AnalysisError::Invalid(detail) => Self::InvalidAction(detail),
            AnalysisError::Codebook(error) => error.into(),
            AnalysisError::Storage(cause) => Self::Storage(cause),
        }
    }
}
