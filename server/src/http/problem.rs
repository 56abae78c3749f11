//! The HTTP error type: every failure a client can see, as
//! `application/problem+json` (RFC 9457).
//!
//! Internal causes (storage errors) are logged once here and never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cfi_rules::FieldError;
use serde::Serialize;

use crate::storage::StorageError;

/// Problem type URIs, relative to the server. The public ones are the
/// contract's (`cfi_rules::wire::ProblemType`, which the widget reads too);
/// the last five answer only staff routes and server faults.
pub mod types {
    use cfi_rules::wire::ProblemType;

    pub const MALFORMED: &str = ProblemType::MalformedRequest.uri();
    pub const MISSING_KEY: &str = ProblemType::IdempotencyKeyMissing.uri();
    pub const FORBIDDEN_ORIGIN: &str = ProblemType::PartnerNotAllowed.uri();
    pub const NOT_FOUND: &str = ProblemType::NotFound.uri();
    pub const NOT_YET_OPEN: &str = ProblemType::CallNotOpenYet.uri();
    pub const CLOSED: &str = ProblemType::CallClosed.uri();
    pub const IN_FLIGHT: &str = ProblemType::RequestInFlight.uri();
    pub const BODY_TIMEOUT: &str = ProblemType::BodyTimeout.uri();
    pub const METHOD: &str = ProblemType::MethodNotAllowed.uri();
    pub const TOO_LARGE: &str = ProblemType::BodyTooLarge.uri();
    pub const NOT_JSON: &str = ProblemType::UnsupportedMediaType.uri();
    pub const VALIDATION: &str = ProblemType::Validation.uri();
    pub const KEY_REUSED: &str = ProblemType::IdempotencyKeyReused.uri();
    pub const ERASED: &str = ProblemType::SubmissionErased.uri();
    pub const RATE_LIMITED: &str = ProblemType::TooManyRequests.uri();
    pub const UNAUTHORIZED: &str = ProblemType::Unauthorized.uri();
    pub const STORAGE: &str = ProblemType::StorageUnavailable.uri();
    pub const FORBIDDEN: &str = "/problems/forbidden";
    pub const CROSS_SITE: &str = "/problems/cross-site-request";
    pub const NOT_PUBLISHED: &str = "/problems/not-published";
    pub const INVALID_ACTION: &str = "/problems/invalid-action";
    pub const INTERNAL: &str = "/problems/internal";
}

/// Everything the API can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not JSON, or not UTF-8. The detail says where.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// 400 (or the status axum chose, such as 415 or 422): a query string,
    /// form or staff JSON body that is not in the expected form. The detail
    /// says what was wrong.
    #[error("request rejected: {detail}")]
    Rejected { status: StatusCode, detail: String },
    /// 400: no `Idempotency-Key` header, or one that is not a UUID.
    #[error("idempotency key missing or malformed")]
    MissingIdempotencyKey,
    /// 401: admin route without a valid bearer token.
    #[error("unauthorized")]
    Unauthorized,
    /// 403: signed in, but not allowed here (a partner token on a staff
    /// route).
    #[error("forbidden")]
    Forbidden(&'static str),
    /// 403: a form posted with a session cookie from another site.
    #[error("cross-site request")]
    CrossSite,
    /// 404: the call exists but staff have not switched publication on.
    #[error("not published yet")]
    NotPublished,
    /// 422: a moderation or staff action that cannot be done as asked.
    #[error("invalid action: {0}")]
    InvalidAction(&'static str),
    /// 403: the partner is unknown, or the request's origin is not one of the
    /// partner's.
    #[error("partner not allowed: {0}")]
    PartnerNotAllowed(&'static str),
    /// 404: unknown call, or unknown path.
    #[error("not found")]
    NotFound(&'static str),
    /// 405: the path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 408: the body did not arrive within the body timeout.
    #[error("body timeout")]
    BodyTimeout,
    /// 409: the call opens later (distinct type from `CallClosed`).
    #[error("call not open yet")]
    CallNotOpenYet { opens: String },
    /// 409: the call has closed.
    #[error("call closed")]
    CallClosed { closes: String },
    /// 409: a request with the same idempotency key is still being stored.
    #[error("request in flight")]
    InFlight,
    /// 413: more than the body limit.
    #[error("body too large")]
    TooLarge { limit: usize },
    /// 415: the body is not declared as JSON.
    #[error("unsupported media type")]
    NotJson,
    /// 422: field-level validation errors.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 422: the idempotency key was already used with a different body.
    #[error("idempotency key reused")]
    KeyReused,
    /// 410: the submission sent under this key was erased at someone's
    /// request (or its personal data removed); it is not stored again.
    #[error("submission erased")]
    SubmissionErased,
    /// 429: too many submissions from this client; retry after N seconds.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// 429: too many tokens that were not right from this client; retry
    /// after N seconds.
    #[error("too many failed sign-ins")]
    TooManyAttempts { retry_after_secs: u64 },
    /// 503: storage is unavailable; the cause is logged, not sent.
    #[error("storage unavailable")]
    Storage(#[from] StorageError),
    /// 500: a bug; the cause is logged, not sent.
    #[error("internal error")]
    Internal,
}

#[derive(Serialize)]
struct Problem<'a> {
    r#type: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

/// The problem type of an error answer, kept in the response's extensions
/// so middleware (metrics) can tell why a request was refused without
/// reading its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemKind(pub &'static str);

impl ProblemKind {
    pub const RATE_LIMITED: Self = Self(types::RATE_LIMITED);

    /// The code: the type's last segment (`validation`).
    pub fn code(&self) -> &'static str {
        self.0.rsplit('/').next().unwrap_or(self.0)
    }
}

impl ApiError {
    /// The seconds to wait before trying again (`Retry-After`), for the
    /// errors that pass with time; the API and the pages both send it.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } | Self::TooManyAttempts { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            Self::InFlight => Some(1),
            Self::Storage(_) => Some(5),
            _ => None,
        }
    }

    /// Status, problem type, title and detail; logs internal causes (once,
    /// as it is called once per response).
    pub fn parts(&self) -> (StatusCode, &'static str, &'static str, String) {
        match self {
            Self::Malformed(detail) => (
                StatusCode::BAD_REQUEST,
                types::MALFORMED,
                "The request body is not valid JSON",
                detail.clone(),
            ),
            Self::Rejected { status, detail } => (
                *status,
                types::MALFORMED,
                "The request is not in the expected form",
                detail.clone(),
            ),
            Self::MissingIdempotencyKey => (
                StatusCode::BAD_REQUEST,
                types::MISSING_KEY,
                "Idempotency-Key header missing or malformed",
                "Send an Idempotency-Key header holding a UUID, the same one for every retry of this submission".into(),
            ),
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                types::UNAUTHORIZED,
                "Sign in required",
                "Send Authorization: Bearer with a valid staff token".into(),
            ),
            Self::Forbidden(detail) => (
                StatusCode::FORBIDDEN,
                types::FORBIDDEN,
                "Not allowed with this sign-in",
                (*detail).into(),
            ),
            Self::CrossSite => (
                StatusCode::FORBIDDEN,
                types::CROSS_SITE,
                "This form was sent from another website",
                "Staff forms are accepted only from the review's own pages; reload the page and try again".into(),
            ),
            Self::NotPublished => (
                StatusCode::NOT_FOUND,
                types::NOT_PUBLISHED,
                "Not published yet",
                "The submissions to this call have not been published yet".into(),
            ),
            Self::InvalidAction(detail) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                types::INVALID_ACTION,
                "This action cannot be done",
                (*detail).into(),
            ),
            Self::PartnerNotAllowed(detail) => (
                StatusCode::FORBIDDEN,
                types::FORBIDDEN_ORIGIN,
                "This partner is not allowed from this website",
                (*detail).into(),
            ),
            Self::NotFound(detail) => (StatusCode::NOT_FOUND, types::NOT_FOUND, "Not found", (*detail).into()),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                types::METHOD,
                "Method not allowed",
                "This address does not accept this HTTP method".into(),
            ),
            Self::BodyTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                types::BODY_TIMEOUT,
                "The request body arrived too slowly",
                "Nothing was saved. Send the whole request again".into(),
            ),
            Self::CallNotOpenYet { opens } => (
                StatusCode::CONFLICT,
                types::NOT_YET_OPEN,
                "This call is not open yet",
                format!("This call opens {opens}. Your answers have not been sent."),
            ),
            Self::CallClosed { closes } => (
                StatusCode::CONFLICT,
                types::CLOSED,
                "This call has closed",
                format!("This call closed {closes}. Your answers have not been sent."),
            ),
            Self::InFlight => (
                StatusCode::CONFLICT,
                types::IN_FLIGHT,
                "This submission is still being saved",
                "A request with this Idempotency-Key is still in progress; retry in a moment for its answer".into(),
            ),
            Self::TooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                types::TOO_LARGE,
                "The submission is too large",
                format!("A submission can be at most {} KB", limit / 1024),
            ),
            Self::NotJson => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                types::NOT_JSON,
                "Send JSON",
                "Send the submission with Content-Type: application/json".into(),
            ),
            Self::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                types::VALIDATION,
                "Some answers need changing",
                format!("{} answer(s) need changing; see errors", errors.len()),
            ),
            Self::KeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                types::KEY_REUSED,
                "This Idempotency-Key was used for a different submission",
                "Use a new Idempotency-Key for a new submission".into(),
            ),
            Self::SubmissionErased => (
                StatusCode::GONE,
                types::ERASED,
                "This submission was erased",
                "The submission sent with this Idempotency-Key was erased by the review team; it is not stored again. Send a new submission with a new Idempotency-Key".into(),
            ),
            Self::RateLimited { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                types::RATE_LIMITED,
                "Too many submissions",
                format!("Too many submissions from this connection; try again in {retry_after_secs} seconds"),
            ),
            Self::TooManyAttempts { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                types::RATE_LIMITED,
                "Too many tokens that were not right",
                format!(
                    "Too many tokens that were not right came from this connection. \
                     Try again in {retry_after_secs} seconds."
                ),
            ),
            Self::Storage(cause) => {
                tracing::error!(error = %cause, "storage unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    types::STORAGE,
                    "Submissions cannot be saved right now",
                    "Nothing was saved. Try again in a minute; your answers are kept on your device".into(),
                )
            }
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                types::INTERNAL,
                "Something went wrong",
                "Nothing was saved. Try again in a minute".into(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title, detail) = self.parts();
        let errors = match &self {
            Self::Validation(errors) => Some(errors.as_slice()),
            _ => None,
        };
        let body = Problem {
            r#type: kind,
            title,
            status: status.as_u16(),
            detail,
            errors,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (status, json).into_response();
        response.extensions_mut().insert(ProblemKind(kind));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if matches!(self, Self::Unauthorized) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
