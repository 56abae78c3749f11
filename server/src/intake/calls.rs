//! `GET /api/calls/{call}`: a call's public definition, and the call window.

use crate::http::extract::Path;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cfi_rules::{CallDefinition, CallStatus};
use jiff::{Timestamp, Zoned};
use tower_http::compression::{CompressionLayer, CompressionLevel};

use crate::config::Call;
use crate::http::problem::ApiError;
use crate::limits::CALL_BROTLI_QUALITY;
use crate::{AppState, Router};

/// Both answers are compressed when the browser asks (brotli or gzip): the
/// definition is about 3.4 KB of JSON, the call's own loader about 20 KB.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/calls/{call}", get(definition))
        .route("/calls/{call}/embed.js", get(embed))
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(CALL_BROTLI_QUALITY)))
}

/// Where a call is in its window at `now` (the server's clock). The window
/// includes `opens` and excludes `closes`: at 17:00:00 on the closing day the
/// call is closed.
pub fn status_at(call: &Call, now: Timestamp) -> CallStatus {
    if now < call.opens.timestamp() {
        CallStatus::NotYetOpen
    } else if now < call.closes.timestamp() {
        CallStatus::Open
    } else {
        CallStatus::Closed
    }
}

/// RFC 3339 with the offset in force at that instant in UK time.
pub fn rfc3339(time: &Zoned) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// "5pm on 15 December 2021 (UK time)".
pub fn human(time: &Zoned) -> String {
    let hour = time.hour();
    let minute = time.minute();
    let twelve = match hour % 12 {
        0 => 12,
        h => h,
    };
    let suffix = if hour < 12 { "am" } else { "pm" };
    let clock = match (hour, minute) {
        (0, 0) => "midnight".to_owned(),
        (12, 0) => "midday".to_owned(),
        (_, 0) => format!("{twelve}{suffix}"),
        _ => format!("{twelve}:{minute:02}{suffix}"),
    };
    format!("{clock} on {} (UK time)", time.strftime("%-d %B %Y"))
}

/// The public definition of `call` at `now`.
pub fn definition_of(call: &Call, now: Timestamp) -> CallDefinition {
    let status = status_at(call, now);
    CallDefinition {
        id: call.id.clone(),
        title: call.title.clone(),
        intro: call.intro.clone(),
        opens: rfc3339(&call.opens),
        closes: rfc3339(&call.closes),
        opens_text: human(&call.opens),
        closes_text: human(&call.closes),
        is_open: status == CallStatus::Open,
        status,
        limits: call.limits,
        themes: call.themes.clone(),
        perspectives: call.perspectives.clone(),
        guidance: call.guidance.clone(),
        privacy_notice_url: call.privacy_notice_url.clone(),
        support: call.support.clone(),
        lang: call.lang.clone(),
        dir: call.dir,
        page_url: call.page_url.clone(),
    }
}

/// The definition as sent: with the call's first screen, which the loader
/// draws before the form's code arrives.
#[derive(serde::Serialize)]
struct Published {
    #[serde(flatten)]
    definition: CallDefinition,
    first_screen: Vec<cfi_rules::form::Block>,
}

impl Published {
    fn of(call: &Call, now: Timestamp) -> Self {
        let definition = definition_of(call, now);
        let first_screen = cfi_rules::form::first_screen(&definition);
        Self {
            definition,
            first_screen,
        }
    }
}

/// The configured call `id`, or the 404 every public page and API of a
/// call answers for an unknown one.
pub fn call_named<'a>(state: &'a AppState, id: &str) -> Result<&'a Call, ApiError> {
    state
        .config
        .call(id)
        .ok_or(ApiError::NotFound("There is no call with this id"))
}

/// Short: whether the call is open changes at its opening and closing time.
const DEFINITION_CACHE: &str = "public, max-age=30";

async fn definition(
    State(state): State<AppState>,
    Path(call_id): Path<String>,
) -> Result<Response, ApiError> {
    let call = call_named(&state, &call_id)?;
    let mut response = Json(Published::of(call, Timestamp::now())).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(DEFINITION_CACHE),
    );
    Ok(response)
}

/// What `/calls/{call}/embed.js` hands its loader: the call's definition
/// and the widget's stylesheet, which the loader would otherwise fetch.
#[derive(serde::Serialize)]
struct Carried<'a> {
    definition: Published,
    css: &'a str,
}

/// `GET /calls/{call}/embed.js`: the loader (`embed.js`) with this call's
/// definition and the widget's stylesheet inside, so the first screen is
/// drawn one round trip sooner than from `/embed.js` (which then fetches
/// both; on a phone's slow connection that round trip is most of the wait).
/// The loader finds them on its own script element. Cached as briefly as the
/// definition, so it cannot be pinned with Subresource Integrity: pages
/// that pin `/embed.js` keep using it. The files are read from the built
/// widget on each request (a few kilobytes, in the page cache), so a new
/// release is served at once, like `/embed.js`.
async fn embed(
    State(state): State<AppState>,
    Path(call_id): Path<String>,
) -> Result<Response, ApiError> {
    let call = call_named(&state, &call_id)?;
    let dir = &state.config.assets_dir;
    let (loader, css) = tokio::try_join!(
        tokio::fs::read_to_string(dir.join("embed.js")),
        tokio::fs::read_to_string(dir.join("widget.css")),
    )
    .map_err(|error| {
        tracing::warn!(%error, dir = %dir.display(), "the built widget could not be read");
        crate::assets::not_found()
    })?;
    let carried = Carried {
        definition: Published::of(call, Timestamp::now()),
        css: &css,
    };
    let carried = serde_json::to_string(&carried).map_err(|error| {
        tracing::error!(%error, "the call's definition could not be written as JSON");
        ApiError::Internal
    })?;
    let body = format!("(document.currentScript||{{}}).__cfiPre={carried};\n{loader}");
    Ok((
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, DEFINITION_CACHE),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_instant;

    #[test]
    fn times_read_as_people_write_them() {
        let close = parse_instant("2021-12-15T17:00").expect("valid");
        assert_eq!(human(&close), "5pm on 15 December 2021 (UK time)");
        assert_eq!(rfc3339(&close), "2021-12-15T17:00:00+00:00");
        let summer = parse_instant("2021-07-01T09:30").expect("valid");
        assert_eq!(human(&summer), "9:30am on 1 July 2021 (UK time)");
        assert_eq!(rfc3339(&summer), "2021-07-01T09:30:00+01:00");
        let noon = parse_instant("2021-07-01T12:00").expect("valid");
        assert_eq!(human(&noon), "midday on 1 July 2021 (UK time)");
    }
}
