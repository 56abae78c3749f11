//! `GET /metrics`: the Prometheus scrape of this server's [`Metrics`], behind
//! staff sign-in like every other count of the review: one listener to run
//! and firewall, and Prometheus sends a bearer token natively
//! (`authorization: { credentials_file: ... }`). The gauges read from
//! storage are set just before each scrape. (Kept apart from `metrics`,
//! which storage records into, so nothing runs back up.)

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::auth::Staff;
use crate::http::problem::ApiError;
use crate::metrics::names;
use crate::{AppState, Router};

/// Sets the gauges read from storage, just before a scrape.
pub async fn refresh(state: &AppState) -> Result<(), ApiError> {
    let open = state.storage.open_flag_count().await? as f64;
    state.metrics.gauge(names::SAFEGUARDING_FLAGS_OPEN, open);
    for count in crate::safeguarding::persistence::counts(&state.storage).await? {
        let labels = || {
            vec![
                ::metrics::Label::new("category", count.category.clone()),
                ::metrics::Label::new("level", count.level.clone()),
            ]
        };
        state
            .metrics
            .gauge_labelled(names::SAFEGUARDING_FLAGS, labels(), count.raised as f64);
        state.metrics.gauge_labelled(
            names::SAFEGUARDING_NOT_A_CONCERN,
            labels(),
            count.not_a_concern as f64,
        );
    }
    let outbox = crate::outbox::queue_stats(&state.storage).await?;
    state
        .metrics
        .gauge(names::OUTBOX_QUEUED, outbox.queued as f64);
    // Stored times are RFC 3339 UTC; an unreadable one counts as no age.
    let oldest_age = outbox
        .oldest_queued_at
        .and_then(|at| at.parse::<jiff::Timestamp>().ok())
        .map_or(0.0, |at| {
            (jiff::Timestamp::now().as_millisecond() - at.as_millisecond()).max(0) as f64 / 1000.0
        });
    state.metrics.gauge(names::OUTBOX_OLDEST_AGE, oldest_age);
    let embeddings = crate::embeddings::persistence::totals(&state.storage).await?;
    state
        .metrics
        .gauge(names::EMBEDDINGS_QUEUED, embeddings.queued as f64);
    state
        .metrics
        .gauge(names::EMBEDDINGS_STORED, embeddings.stored as f64);
    Ok(())
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

async fn scrape(_staff: Staff, State(state): State<AppState>) -> Result<Response, ApiError> {
    refresh(&state).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response())
}
