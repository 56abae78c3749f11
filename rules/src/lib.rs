//! The Call for Ideas submission model and its validation rules.
//!
//! Both the widget (compiled to wasm32) and the collection server compile this
//! crate, so every rule exists exactly once. It depends on serde only.
//!
//! The entry point is [`Submission::parse`]: it takes the raw form as sent
//! ([`RawSubmission`]) and the call's rules ([`CallRules`]) and returns either a
//! valid [`Submission`] or every [`FieldError`] at once, each with a JSON
//! pointer to the field it is about.

pub mod call;
pub mod errors;
pub mod form;
pub mod limits;
pub mod model;
pub mod questions;
pub mod reference;
pub mod text;
pub mod wire;
pub mod words;

pub use call::{CallDefinition, CallRules, CallStatus, Choice, Limits, SupportLine};
pub use errors::{ErrorCode, FieldError};
pub use model::{
    AgeBand, Capacity, Idea, Identity, Publication, RawIdea, RawRespondent, RawSubmission,
    Respondent, Submission,
};
pub use reference::Reference;
pub use wire::{ProblemType, TextDirection};
pub use words::count_words;
