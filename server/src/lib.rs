//! The Call for Ideas collection server.
//!
//! [`Application::build`] turns a [`Config`] into a bound listener and a
//! router; `main` only parses arguments and runs it, so tests can spawn the
//! whole server on port 0 with a fresh database.

pub mod activity;
pub mod analysis;
pub mod assets;
pub mod auth;
pub mod backup;
pub mod call_cache;
pub mod cli;
pub mod codebook;
pub mod config;
pub mod embeddings;
pub mod errors;
pub mod health;
pub mod http;
pub mod intake;
pub mod limits;
pub mod metrics;
pub mod model;
pub mod moderation;
pub mod openapi;
pub mod outbox;
pub mod publication;
pub mod review;
pub mod safeguarding;
pub mod scrape;
pub mod serve;
pub mod storage;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::IntoResponse;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

pub use config::Config;
use http::problem::ApiError;
use intake::rate_limit::RateLimiter;
use storage::Storage;

/// The model from `model_dir`, or `None` (with a warning saying what to do)
/// when it cannot be loaded: the server still starts and stores every
/// submission.
async fn load_model(config: &Config) -> Option<model::Model> {
    let (dir, threads) = (config.model_dir.clone(), config.model_threads);
    let loaded = tokio::task::spawn_blocking(move || model::Model::shared(&dir, threads))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    match loaded {
        Ok(model) => {
            tracing::info!(dir = %config.model_dir.display(), threads = config.model_threads, "the sentence-embedding model is loaded");
            Some(model)
        }
        Err(error) => {
            tracing::warn!(%error, "running without the sentence-embedding model: the analyses and the safeguarding check use words only");
            None
        }
    }
}

/// Failures at start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("cannot open the database: {0}")]
    Storage(#[from] storage::StorageError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The one state every handler shares. Cloning is cheap.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// This server's metrics, scraped at `/metrics`.
    pub metrics: metrics::Metrics,
    pub storage: Storage,
    pub in_flight: Arc<Mutex<HashSet<(String, uuid::Uuid)>>>,
    /// Submissions being answered, so background work waits for a gap.
    pub activity: Arc<activity::Activity>,
    pub limiter: Arc<RateLimiter>,
    /// Failed sign-ins and bearer tokens per client, to slow guessing.
    pub throttle: Arc<auth::throttle::Throttle>,
    /// The published output, per call and publication state.
    pub publication: Arc<publication::cache::PublicationCache>,
    /// The text of each call's ideas for the analyses, per call state.
    pub analysis: Arc<analysis::corpus::CorpusCache>,
    /// Who sent each call's counted submissions, for the counts by code,
    /// per call state.
    pub respondents: Arc<codebook::counts::RespondentCache>,
    /// The sentence-embedding model, or `None` when its files are missing
    /// (the word-based methods only; said in the log, on `/healthz` and on
    /// the dashboard).
    pub model: Option<model::Model>,
    /// The safeguarding net (phrases, and the model when it is loaded).
    pub safeguarding: safeguarding::Net,
    /// Single sign-on with the review's identity provider, when `[oidc]`
    /// is set up.
    pub sso: Option<Arc<auth::oidc::Sso>>,
}

/// A built server, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    storage: Storage,
    config: Arc<Config>,
    port: u16,
    limits: serve::ConnectionLimits,
    metrics: metrics::Metrics,
    /// The model, for the embeddings worker (when `embed_ideas` is on).
    model: Option<model::Model>,
    activity: Arc<activity::Activity>,
}

impl Application {
    /// Opens storage (running migrations), binds the listener and builds the
    /// router.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let metrics = metrics::Metrics::recording();
        let storage = Storage::open_measured(&config.database_url, metrics.clone()).await?;
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let port = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.bind,
            source,
        })?;
        for token in &config.admin_tokens {
            tracing::warn!(
                token = %token.name,
                "a token in the configuration's [[admin_tokens]] signs in with every staff role: give each person an account (/admin/accounts) and remove it"
            );
        }
        let model = load_model(&config).await;
        let safeguarding = safeguarding::Net::new(model.clone());
        if safeguarding.has_model() {
            // The examples are embedded now, in the background, rather than
            // on the first submission.
            let warming = safeguarding.clone();
            tokio::spawn(async move {
                if let Err(error) = warming.warm().await {
                    tracing::warn!(%error, "the safeguarding examples could not be embedded");
                }
            });
        }
        let limits = serve::ConnectionLimits {
            header_timeout: config.header_timeout,
            idle_timeout: config.idle_timeout,
            max_connections: config.max_connections,
        };
        let config_sso = config
            .oidc
            .clone()
            .and_then(auth::oidc::Sso::new)
            .map(Arc::new);
        let state = AppState {
            metrics: metrics.clone(),
            limiter: Arc::new(RateLimiter::new(config.rate_limit)),
            config: Arc::new(config),
            storage: storage.clone(),
            in_flight: Arc::default(),
            activity: Arc::default(),
            throttle: Arc::default(),
            publication: Arc::default(),
            analysis: Arc::default(),
            respondents: Arc::default(),
            sso: config_sso,
            model,
            safeguarding,
        };
        let embedding_model = state.model.clone().filter(|_| state.config.embed_ideas);
        Ok(Self {
            model: embedding_model,
            activity: Arc::clone(&state.activity),
            listener,
            config: Arc::clone(&state.config),
            router: router(state),
            storage,
            port: port.port(),
            limits,
            metrics,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` completes, then lets requests in progress
    /// finish (their submissions commit), stops the outbox worker (after
    /// the message it is sending) and the embeddings worker (after the
    /// batch it is reading), and closes storage.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let upkeep = tokio::spawn(metrics_upkeep(self.metrics.clone()));
        let worker = outbox::Worker::start(self.storage.clone(), self.config);
        let reader = self.model.map(|model| {
            embeddings::Worker::start(self.storage.clone(), model, self.activity, self.metrics)
        });
        let result = serve::serve(self.listener, self.router, self.limits, shutdown).await;
        if let Some(worker) = worker {
            worker.stop().await;
        }
        if let Some(reader) = reader {
            reader.stop().await;
        }
        upkeep.abort();
        self.storage.close().await;
        result
    }
}

/// Folds histogram samples now and then, so they do not pile up when
/// nobody scrapes.
async fn metrics_upkeep(metrics: metrics::Metrics) {
    let mut every = tokio::time::interval(limits::METRICS_UPKEEP);
    loop {
        every.tick().await;
        metrics.upkeep();
    }
}

/// The whole HTTP surface: one router per feature, merged, with the shared
/// layers.
pub fn router(state: AppState) -> Router {
    let origins: HashSet<Vec<u8>> = state
        .config
        .all_origins()
        .into_iter()
        .map(String::into_bytes)
        .collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            origins.contains(origin.as_bytes())
        }))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(limits::CORS_MAX_AGE);
    Router::new()
        .merge(intake::router())
        .merge(auth::pages::router())
        .merge(review::router())
        .merge(codebook::router())
        .merge(analysis::router())
        .merge(publication::router())
        .merge(health::router())
        .merge(openapi::router())
        .merge(scrape::router())
        .merge(assets::router(&state.config.assets_dir))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed.into_response() })
        .fallback(|| async {
            ApiError::NotFound("There is nothing at this address").into_response()
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard::guard,
        ))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.config.body_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .with_state(state)
        .layer(cors)
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            ApiError::Internal.into_response()
        }))
}

/// The span of one request in the trace: its method and path, never its
/// query, which holds staff search terms (often names).
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        version = ?request.version(),
    )
}
