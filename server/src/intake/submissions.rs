//! `POST /api/calls/{call}/submissions`: validate, check the partner's origin,
//! store durably, answer with the reference.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::http::extract::Path;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use cfi_rules::{CallStatus, ErrorCode, FieldError, RawSubmission, Submission};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::calls::{human, status_at};
use crate::config::{Call, Config};
use crate::http::client::client_bucket;
use crate::http::problem::ApiError;
use crate::storage::{NewSubmission, Receipt, SubmitOutcome};
use crate::{AppState, Router};

pub use crate::limits::MAX_BODY_BYTES;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/calls/{call}/submissions", post(submit))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// Answers, and counts the answer in the metrics (stored, replayed, or
/// refused and why).
async fn submit(
    state: State<AppState>,
    call_id: Path<String>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let metrics = state.metrics.clone();
    let response = store(state, call_id, peer, headers, body)
        .await
        .into_response();
    metrics.submission_answered(&response);
    response
}

async fn store(
    State(state): State<AppState>,
    Path(call_id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let config = &state.config;
    let call = config
        .call(&call_id)
        .ok_or(ApiError::NotFound("There is no call with this id"))?;
    state
        .limiter
        .check(client_bucket(config, &headers, peer))
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    if !is_json(&headers) {
        return Err(ApiError::NotJson);
    }
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge {
                limit: MAX_BODY_BYTES,
            }
        } else if caused_by_timeout(&rejection) {
            ApiError::BodyTimeout
        } else {
            ApiError::Malformed("The request body could not be read".into())
        }
    })?;
    let key = idempotency_key(&headers)?;
    let (raw, body_hash) = parse_body(&body)?;
    check_partner(config, raw.partner.as_deref(), &headers)?;

    if let Some(stored) = answer_unless_open(&state, call, key, &body_hash).await? {
        return Ok((StatusCode::OK, Json(stored)).into_response());
    }
    let submission = Submission::parse(&raw, &call.rules).map_err(ApiError::Validation)?;
    let (status, receipt) = accept(&state, call, key, body_hash, submission).await?;
    Ok((status, Json(receipt)).into_response())
}

/// `None` while `call` is open. Otherwise the refusal, except for a retry of
/// a submission stored before the close, which still gets its receipt: the
/// person did send it in time.
pub(crate) async fn answer_unless_open(
    state: &AppState,
    call: &Call,
    key: Uuid,
    body_hash: &str,
) -> Result<Option<Receipt>, ApiError> {
    let status = status_at(call, jiff::Timestamp::now());
    if status == CallStatus::Open {
        return Ok(None);
    }
    if let Some((hash, receipt)) = state.storage.find_by_key(&call.id, key).await?
        && hash == body_hash
    {
        return Ok(Some(receipt));
    }
    if state.storage.was_erased(&call.id, key).await? {
        return Err(ApiError::SubmissionErased);
    }
    Err(match status {
        CallStatus::NotYetOpen => ApiError::CallNotOpenYet {
            opens: human(&call.opens),
        },
        _ => ApiError::CallClosed {
            closes: human(&call.closes),
        },
    })
}

/// Stores a valid submission once under its key, after the safeguarding
/// check, with its messages, in one transaction: the API and the server's
/// own form both send ideas through here. A retry with the same answers is
/// answered from what was stored (200), a new one is 201.
pub(crate) async fn accept(
    state: &AppState,
    call: &Call,
    key: Uuid,
    body_hash: String,
    submission: Submission,
) -> Result<(StatusCode, Receipt), ApiError> {
    let _guard = InFlight::enter(&state.in_flight, &call.id, key).ok_or(ApiError::InFlight)?;
    let _busy = state.activity.begin();
    // A retry of a submission stored before is answered from what was
    // stored, without checking it again (a different body under the key,
    // or an erased one, is told so by storage below).
    if let Some((hash, receipt)) = state.storage.find_by_key(&call.id, key).await?
        && hash == body_hash
    {
        tracing::info!(reference = %receipt.reference, call = %call.id, "submission replayed");
        return Ok((StatusCode::OK, receipt));
    }
    let spam = submission.honeypot_filled();
    // Checked before it is stored: nothing is listed or published unchecked.
    let flag = state
        .safeguarding
        .check(&call.safeguarding_phrases, &submission)
        .await;
    let urgent = flag
        .as_ref()
        .is_some_and(|f| f.level == crate::safeguarding::FlagLevel::Urgent);
    let messages = crate::outbox::messages_for(call, &submission, urgent, spam);
    let outcome = state
        .storage
        .submit(NewSubmission {
            call_id: call.id.clone(),
            partner: submission.partner().map(str::to_owned),
            key,
            body_hash,
            submission,
            spam,
            flag,
            submitted_at: None,
            messages,
        })
        .await?;
    match outcome {
        SubmitOutcome::Created(receipt) => {
            tracing::info!(reference = %receipt.reference, call = %call.id, spam, "submission stored");
            Ok((StatusCode::CREATED, receipt))
        }
        SubmitOutcome::Replayed(receipt) => {
            tracing::info!(reference = %receipt.reference, call = %call.id, "submission replayed");
            Ok((StatusCode::OK, receipt))
        }
        SubmitOutcome::KeyReused => Err(ApiError::KeyReused),
        SubmitOutcome::Erased => {
            tracing::info!(call = %call.id, "a retry of an erased submission refused");
            Err(ApiError::SubmissionErased)
        }
    }
}

fn caused_by_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// `application/json` or any `+json` type, with or without parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Uuid, ApiError> {
    let mut values = headers.get_all("idempotency-key").iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(ApiError::MissingIdempotencyKey);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::MissingIdempotencyKey)?;
    let text = text.trim().trim_matches('"');
    // Only the hyphenated form (what crypto.randomUUID gives), 36 characters.
    if text.len() != 36 {
        return Err(ApiError::MissingIdempotencyKey);
    }
    Uuid::parse_str(text).map_err(|_| ApiError::MissingIdempotencyKey)
}

/// JSON syntax errors are 400; a well-formed body of the wrong shape (wrong
/// types, unknown or duplicated fields) is 422 with a pointer to the field.
/// Returns the raw submission and the hash of its canonical form.
fn parse_body(body: &[u8]) -> Result<(RawSubmission, String), ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::Malformed(format!(
            "The body is not valid UTF-8 JSON ({} at line {}, column {})",
            match e.classify() {
                serde_json::error::Category::Eof => "it ends too early",
                _ => "syntax error",
            },
            e.line(),
            e.column()
        ))
    })?;
    if !value.is_object() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "#",
            ErrorCode::InvalidType,
            "The body must be a JSON object",
        )]));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let raw: RawSubmission = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let mut pointer = pointer_of(e.path());
        let message = e.inner().to_string();
        // serde names an unknown or duplicated field only in its message.
        if let Some(field) = message.split('`').nth(1)
            && (message.starts_with("duplicate field") || message.starts_with("unknown field"))
            && !pointer.ends_with(&format!("/{field}"))
        {
            pointer.push('/');
            pointer.push_str(field);
        }
        let (code, detail) = if message.starts_with("unknown field") {
            (
                ErrorCode::UnknownField,
                "Remove this field: the API does not know it",
            )
        } else if message.starts_with("duplicate field") {
            (
                ErrorCode::Duplicate,
                "This field appears twice; send it once",
            )
        } else {
            (
                ErrorCode::InvalidType,
                "This value has the wrong type (text, true/false, list or object)",
            )
        };
        ApiError::Validation(vec![FieldError::new(pointer, code, detail)])
    })?;
    // serde_json's map is ordered by key, so this is canonical: the same
    // answers give the same hash whatever the key order or spacing.
    let canonical = serde_json::to_vec(&value).map_err(|_| ApiError::Internal)?;
    Ok((raw, hex::encode(Sha256::digest(&canonical))))
}

/// `respondent.name` → `#/respondent/name`; `ideas[0].title` → `#/ideas/0/title`.
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::from("#");
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => {}
        }
    }
    pointer
}

/// A submission may name a partner only from one of that partner's origins.
/// Without a partner it comes from the review's own site (or from no browser
/// at all, such as the review's own tools).
fn check_partner(
    config: &Config,
    partner: Option<&str>,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (partner.map(str::trim).filter(|p| !p.is_empty()), origin) {
        (Some(id), origin) => {
            let partner = config.partner(id).ok_or(ApiError::PartnerNotAllowed(
                "This partner is not one of the review's partners",
            ))?;
            match origin {
                Some(origin) if partner.origins.iter().any(|o| o == origin) => Ok(()),
                Some(_) => Err(ApiError::PartnerNotAllowed(
                    "Submissions for this partner are accepted only from the partner's own website",
                )),
                None => Err(ApiError::PartnerNotAllowed(
                    "Submissions for a partner must come from the partner's website (no Origin was sent)",
                )),
            }
        }
        (None, Some(origin)) if !config.review_origins.iter().any(|o| o == origin) => {
            Err(ApiError::PartnerNotAllowed(
                "This website is not allowed to send submissions; embed the widget with its data-partner",
            ))
        }
        (None, _) => Ok(()),
    }
}

/// Marks a key as being stored, so a concurrent duplicate gets 409 instead of
/// waiting; removed when the request ends, however it ends.
struct InFlight {
    set: Arc<Mutex<HashSet<(String, Uuid)>>>,
    entry: (String, Uuid),
}

impl InFlight {
    fn enter(set: &Arc<Mutex<HashSet<(String, Uuid)>>>, call: &str, key: Uuid) -> Option<Self> {
        let entry = (call.to_owned(), key);
        let inserted = set
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(entry.clone());
        inserted.then(|| Self {
            set: Arc::clone(set),
            entry,
        })
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.entry);
    }
}
