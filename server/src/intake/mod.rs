//! Taking submissions in: a call's definition for the form ([`calls`]), the
//! submitting endpoint with its idempotency keys, client address and rate
//! limit ([`submissions`], [`rate_limit`]), and the safeguarding phrase match
//! done on arrival ([`safeguarding`]).

pub mod calls;
pub mod form;
pub mod rate_limit;
pub mod submissions;

use crate::{AppState, Router};

/// `/api/calls/{call}`, `/api/calls/{call}/submissions` and the form without
/// scripts, `/calls/{call}/form`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(calls::router())
        .merge(submissions::router())
        .merge(form::router())
}
