//! Prometheus metrics: every metric's name and labels are in this module,
//! so what the server exposes can be read (and added to) in one place.
//!
//! Served at `GET /metrics` by [`crate::scrape`], behind staff sign-in like
//! every other count of the review.
//!
//! Each [`Application`](crate::Application) owns its own recorder (no
//! process-wide one), so tests that run several servers in one process
//! each read their own counts. Labels hold only route templates, methods,
//! status codes, problem codes and operation names: never a reference,
//! address, email, token or search term.

use std::sync::Arc;
use std::time::Duration;

use ::metrics::{Key, Label, Metadata, Recorder};
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::http::problem::ProblemKind;

/// The metrics' names.
pub mod names {
    /// Counter: HTTP requests answered, by `route` (the matched route
    /// template, `unmatched` for any other path), `method` and `status`.
    pub const HTTP_REQUESTS: &str = "cfi_http_requests_total";
    /// Counter: submissions stored (answered 201).
    pub const SUBMISSIONS_STORED: &str = "cfi_submissions_stored_total";
    /// Counter: retries answered with the receipt of a submission stored
    /// before (200); nothing new is stored.
    pub const SUBMISSIONS_REPLAYED: &str = "cfi_submissions_replayed_total";
    /// Counter: submissions refused, by `reason`: the problem type's code
    /// (`validation`, `too-many-requests`, `call-closed`, ...).
    pub const SUBMISSIONS_REFUSED: &str = "cfi_submissions_refused_total";
    /// Counter: requests refused by the per-client rate limit.
    pub const RATE_LIMITED: &str = "cfi_rate_limited_requests_total";
    /// Histogram: seconds a storage operation took, by `operation`.
    pub const STORAGE_SECONDS: &str = "cfi_storage_operation_seconds";
    /// Histogram: submissions committed together by SQLite's group commit.
    pub const SQLITE_BATCH_SIZE: &str = "cfi_sqlite_batch_size";
    /// Histogram: submissions stored together by one statement of
    /// PostgreSQL's group commit.
    pub const POSTGRES_BATCH_SIZE: &str = "cfi_postgres_batch_size";
    /// Gauge: flagged submissions not yet handled, at the last scrape.
    pub const SAFEGUARDING_FLAGS_OPEN: &str = "cfi_safeguarding_flags_open";
    /// Gauges: safeguarding flags raised, and those staff marked "not a
    /// concern", by `category` and `level`, at the last scrape.
    pub const SAFEGUARDING_FLAGS: &str = "cfi_safeguarding_flags";
    pub const SAFEGUARDING_NOT_A_CONCERN: &str = "cfi_safeguarding_flags_not_a_concern";
    /// Gauge: messages waiting in the outbox to be sent, at the last scrape.
    pub const OUTBOX_QUEUED: &str = "cfi_outbox_messages_queued";
    /// Gauge: age in seconds of the oldest message waiting in the outbox (0
    /// when none waits).
    pub const OUTBOX_OLDEST_AGE: &str = "cfi_outbox_oldest_message_age_seconds";
    /// Gauge: submissions whose ideas wait to be read for meaning, at the
    /// last scrape.
    pub const EMBEDDINGS_QUEUED: &str = "cfi_embeddings_queued_submissions";
    /// Gauge: ideas with a stored meaning vector, at the last scrape.
    pub const EMBEDDINGS_STORED: &str = "cfi_embeddings_stored_ideas";
    /// Counter: ideas read for meaning by this server's worker.
    pub const IDEAS_EMBEDDED: &str = "cfi_embeddings_ideas_embedded_total";
    /// Counter: submissions whose reading failed (each is tried again).
    pub const EMBEDDINGS_FAILED: &str = "cfi_embeddings_failures_total";
}

/// Upper bounds of the storage latency buckets, in seconds: from a fast
/// read (half a millisecond) to the database wait limit.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Upper bounds of the batch size buckets, up to the largest batch.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), ::metrics::Level::INFO, Some(module_path!()));

/// One server's metrics. Cloning shares them; [`Metrics::off`] (the
/// default) records nothing, for commands that open storage without
/// serving.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Metrics {
    /// A new, empty set of metrics with its own recorder.
    pub fn recording() -> Self {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(names::STORAGE_SECONDS.into()),
                LATENCY_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(names::SQLITE_BATCH_SIZE.into()),
                    BATCH_BUCKETS,
                )
            })
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(names::POSTGRES_BATCH_SIZE.into()),
                    BATCH_BUCKETS,
                )
            });
        let builder = match builder {
            Ok(builder) => builder,
            // Only empty bucket lists fail, and these are constants.
            Err(_) => PrometheusBuilder::new(),
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        Self {
            inner: Some(Arc::new(Inner { recorder, handle })),
        }
    }

    /// Metrics that record nothing.
    pub fn off() -> Self {
        Self { inner: None }
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) {
        if let Some(inner) = &self.inner {
            inner
                .recorder
                .register_counter(&Key::from_parts(name, labels), &METADATA)
                .increment(1);
        }
    }

    fn add(&self, name: &'static str, value: u64) {
        if let Some(inner) = &self.inner {
            inner
                .recorder
                .register_counter(&Key::from_static_name(name), &METADATA)
                .increment(value);
        }
    }

    /// Ideas read for meaning and stored.
    pub fn ideas_embedded(&self, ideas: usize) {
        self.add(names::IDEAS_EMBEDDED, ideas as u64);
    }

    /// A submission whose ideas could not be read for meaning.
    pub fn embedding_failed(&self) {
        self.add(names::EMBEDDINGS_FAILED, 1);
    }

    fn histogram(&self, name: &'static str, labels: Vec<Label>, value: f64) {
        if let Some(inner) = &self.inner {
            inner
                .recorder
                .register_histogram(&Key::from_parts(name, labels), &METADATA)
                .record(value);
        }
    }

    pub(crate) fn gauge(&self, name: &'static str, value: f64) {
        if let Some(inner) = &self.inner {
            inner
                .recorder
                .register_gauge(&Key::from_static_name(name), &METADATA)
                .set(value);
        }
    }

    /// A gauge with labels (the safeguarding counts per category).
    pub(crate) fn gauge_labelled(&self, name: &'static str, labels: Vec<Label>, value: f64) {
        if let Some(inner) = &self.inner {
            inner
                .recorder
                .register_gauge(&Key::from_parts(name, labels), &METADATA)
                .set(value);
        }
    }

    /// One HTTP answer.
    pub fn request(&self, route: String, method: &Method, status: u16) {
        self.counter(
            names::HTTP_REQUESTS,
            vec![
                Label::new("route", route),
                Label::new("method", method_label(method)),
                Label::new("status", status.to_string()),
            ],
        );
    }

    /// The answer to one submission: stored, replayed or refused (and
    /// then why).
    pub fn submission_answered(&self, response: &Response) {
        match response.status().as_u16() {
            201 => self.counter(names::SUBMISSIONS_STORED, Vec::new()),
            200 => self.counter(names::SUBMISSIONS_REPLAYED, Vec::new()),
            _ => {
                let reason = response
                    .extensions()
                    .get::<ProblemKind>()
                    .map_or("unknown", ProblemKind::code);
                if reason == ProblemKind::RATE_LIMITED.code() {
                    self.counter(names::RATE_LIMITED, Vec::new());
                }
                self.counter(
                    names::SUBMISSIONS_REFUSED,
                    vec![Label::new("reason", reason)],
                );
            }
        }
    }

    /// How long one storage operation took.
    pub fn storage(&self, operation: &'static str, took: Duration) {
        self.histogram(
            names::STORAGE_SECONDS,
            vec![Label::new("operation", operation)],
            took.as_secs_f64(),
        );
    }

    /// The size of one batch committed by SQLite's group commit.
    pub fn sqlite_batch(&self, size: usize) {
        self.histogram(names::SQLITE_BATCH_SIZE, Vec::new(), size as f64);
    }

    /// The size of one batch stored by PostgreSQL's group commit.
    pub fn postgres_batch(&self, size: usize) {
        self.histogram(names::POSTGRES_BATCH_SIZE, Vec::new(), size as f64);
    }

    /// Folds recorded samples into the histograms; run now and then so
    /// samples do not pile up between scrapes.
    pub fn upkeep(&self) {
        if let Some(inner) = &self.inner {
            inner.handle.run_upkeep();
        }
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        self.inner
            .as_ref()
            .map(|inner| inner.handle.render())
            .unwrap_or_default()
    }
}

/// Methods the server answers, by name; anything else as `other`, so a
/// client cannot invent label values.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Middleware counting every answer by its route template. Added with
/// `Router::layer`, it runs inside routing, where the matched template is
/// known; the fallback has none and counts as `unmatched`.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let response = next.run(request).await;
    metrics.request(route, &method, response.status().as_u16());
    response
}
