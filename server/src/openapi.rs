//! The OpenAPI 3.1 description of the public API, built from the code's own
//! constants and enums (choices, limits, problem types, error codes), served
//! at `GET /openapi.json` and checked in as `server/openapi.json` (a test
//! fails when the two differ; `UPDATE_OPENAPI=1 cargo test -p cfi-server
//! --test api openapi` rewrites the file).

use axum::Json;
use axum::routing::get;
use cfi_rules::limits::{
    HARD_MAX_IDEAS, MAX_EMAIL_CHARS, MAX_ID_CHARS, MAX_NAME_CHARS, MAX_PERSPECTIVES,
    MAX_TITLE_CHARS,
};
use cfi_rules::{AgeBand, Capacity, ErrorCode, Publication};
use serde_json::{Value, json};

use crate::http::problem::types;
use crate::intake::submissions::MAX_BODY_BYTES;
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(document()) }))
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

fn choices<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Value {
    json!(all.iter().map(|v| name(*v)).collect::<Vec<_>>())
}

fn nullable_text(max: usize) -> Value {
    json!({"type": ["string", "null"], "maxLength": max})
}

/// The whole document.
pub fn document() -> Value {
    let id_pattern = format!("^[a-z0-9_-]{{1,{MAX_ID_CHARS}}}$");
    let call_param = json!({
        "name": "call", "in": "path", "required": true,
        "schema": {"type": "string"}, "description": "The call's id, e.g. call-for-ideas"
    });
    // Apart: one `json!` this deep passes the macro's recursion limit.
    let first_screen = json!({
        "type": "array",
        "description": "The call's first screen in order, as the widget shows it (the loader draws it before the form's code arrives): a heading; paragraphs; `strong` the deadline, or why the call takes no ideas; `link` a paragraph with one link opening in a new tab; `start` the button, only while the call is open",
        "items": {
            "type": "object",
            "properties": {
                "kind": {"enum": ["heading", "text", "strong", "subheading", "link", "start"]},
                "text": {"type": "string"},
                "href": {"type": "string"}
            },
            "required": ["kind", "text"]
        }
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Call for Ideas collection server",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The public API partners' pages (through the widget) and the review's tools use. Errors are RFC 9457 problem details."
        },
        "paths": {
            "/api/calls/{call}": {
                "get": {
                    "operationId": "getCall",
                    "summary": "A call's public definition and whether it is open now",
                    "parameters": [call_param],
                    "responses": {
                        "200": {"description": "The call", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CallDefinition"}}}},
                        "404": problem(&format!("Unknown call ({})", types::NOT_FOUND))
                    }
                }
            },
            "/api/calls/{call}/submissions": {
                "post": {
                    "operationId": "submit",
                    "summary": "Send a submission; retries with the same Idempotency-Key and body get the same answer",
                    "parameters": [
                        call_param,
                        {"name": "Idempotency-Key", "in": "header", "required": true,
                         "schema": {"type": "string", "format": "uuid"},
                         "description": "A UUID minted once per draft and reused on every retry"}
                    ],
                    "requestBody": {
                        "required": true,
                        "description": format!("At most {MAX_BODY_BYTES} bytes"),
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Submission"}}}
                    },
                    "responses": {
                        "201": {"description": "Stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                        "200": {"description": "Stored before under this key with this body: the same answer", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                        "400": problem(&format!("Malformed JSON ({}) or missing/malformed Idempotency-Key ({})", types::MALFORMED, types::MISSING_KEY)),
                        "403": problem(&format!("Partner not allowed from this origin ({})", types::FORBIDDEN_ORIGIN)),
                        "404": problem(&format!("Unknown call ({})", types::NOT_FOUND)),
                        "409": problem(&format!("Call not open yet ({}), closed ({}), or the same key still in flight ({})", types::NOT_YET_OPEN, types::CLOSED, types::IN_FLIGHT)),
                        "410": problem(&format!("The submission sent with this key was erased; it is not stored again ({})", types::ERASED)),
                        "413": problem(&format!("Body over {MAX_BODY_BYTES} bytes ({})", types::TOO_LARGE)),
                        "415": problem(&format!("Not JSON ({})", types::NOT_JSON)),
                        "422": problem(&format!("Field errors ({}) or the key reused with another body ({})", types::VALIDATION, types::KEY_REUSED)),
                        "429": {
                            "description": format!("Too many submissions from this client ({})", types::RATE_LIMITED),
                            "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "required": true}},
                            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
                        },
                        "503": problem(&format!("Storage unavailable; nothing stored ({})", types::STORAGE))
                    }
                }
            },
            "/published/{call}/codes.json": {
                "get": {
                    "operationId": "codeSummary",
                    "summary": "How many published ideas carry each code of the call's codebook, once staff publish the call and its summary; never who sent them",
                    "parameters": [call_param],
                    "responses": {
                        "200": {"description": "The summary", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CodeSummary"}}}},
                        "404": problem(&format!("Unknown call ({}) or not published ({})", types::NOT_FOUND, types::NOT_PUBLISHED))
                    }
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness and a storage round trip",
                    "responses": {
                        "200": {"description": "Up", "content": {"application/json": {"schema": {
                            "type": "object", "required": ["status", "storage", "model"],
                            "properties": {"status": {"const": "ok"}, "storage": {"const": "ok"}, "model": {"enum": ["ok", "missing"], "description": "missing: running without the sentence-embedding model (word-based methods only)"}}
                        }}}},
                        "503": problem(&format!("Storage unavailable ({})", types::STORAGE))
                    }
                }
            }
        },
        "components": {"schemas": {
            "Submission": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "partner": {"type": ["string", "null"], "pattern": id_pattern, "description": "The partner's id; absent or null on the review's own site"},
                    "respondent": {"$ref": "#/components/schemas/Respondent"},
                    "ideas": {"type": "array", "minItems": 1, "maxItems": HARD_MAX_IDEAS, "items": {"$ref": "#/components/schemas/Idea"}, "description": "At most the call's max_ideas"},
                    "publication": {"enum": choices(Publication::ALL, Publication::as_str)},
                    "privacy_notice_read": {"const": true},
                    "website": {"type": ["string", "null"], "description": "Honeypot: leave empty"}
                },
                "required": ["respondent", "ideas", "publication", "privacy_notice_read"]
            },
            "Respondent": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "capacity": {"enum": choices(Capacity::ALL, Capacity::as_str)},
                    "name": nullable_text(MAX_NAME_CHARS),
                    "organisation": nullable_text(MAX_NAME_CHARS),
                    "email": nullable_text(MAX_EMAIL_CHARS),
                    "perspectives": {"type": "array", "minItems": 1, "maxItems": MAX_PERSPECTIVES, "items": {"type": "string"}, "description": "Ids from the call's perspectives"},
                    "age_band": {"enum": choices(AgeBand::ALL, AgeBand::as_str)}
                },
                "required": ["capacity", "perspectives", "age_band"]
            },
            "Idea": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE_CHARS},
                    "theme": {"type": ["string", "null"], "description": "An id from the call's themes"},
                    "description": {"type": "string", "minLength": 1, "description": "At most the call's max_words words"}
                },
                "required": ["title", "description"]
            },
            "Receipt": {
                "type": "object",
                "properties": {
                    "reference": {"type": "string", "pattern": "^CFI-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$"},
                    "submitted_at": {"type": "string", "format": "date-time"}
                },
                "required": ["reference", "submitted_at"]
            },
            "Choice": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "label": {"type": "string"}},
                "required": ["id", "label"]
            },
            "SupportLine": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"}, "phone": {"type": "string"},
                    "url": {"type": "string"}, "description": {"type": "string"}
                },
                "required": ["name", "description"]
            },
            "CallDefinition": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"}, "intro": {"type": "string"},
                    "opens": {"type": "string", "format": "date-time"},
                    "closes": {"type": "string", "format": "date-time"},
                    "opens_text": {"type": "string"}, "closes_text": {"type": "string"},
                    "is_open": {"type": "boolean"},
                    "status": {"enum": ["not_yet_open", "open", "closed"]},
                    "limits": {"type": "object", "properties": {
                        "max_ideas": {"type": "integer", "minimum": 1},
                        "max_words": {"type": "integer", "minimum": 1}
                    }, "required": ["max_ideas", "max_words"]},
                    "themes": {"type": "array", "items": {"$ref": "#/components/schemas/Choice"}},
                    "perspectives": {"type": "array", "items": {"$ref": "#/components/schemas/Choice"}},
                    "guidance": {"type": "array", "items": {"type": "string"}},
                    "privacy_notice_url": {"type": "string"},
                    "support": {"type": "array", "items": {"$ref": "#/components/schemas/SupportLine"}},
                    "lang": {"type": "string", "description": "BCP 47 language of the form's own text"},
                    "dir": {"enum": ["ltr", "rtl"]},
                    "page_url": {"type": "string", "description": "the review's own page for sending ideas"},
                    "first_screen": first_screen
                },
                "required": ["id", "title", "intro", "opens", "closes", "opens_text", "closes_text", "is_open", "status", "limits", "themes", "perspectives", "guidance", "privacy_notice_url", "support", "lang", "dir", "first_screen"]
            },
            "CodeSummary": {
                "type": "object",
                "properties": {
                    "call": {"type": "string"}, "title": {"type": "string"},
                    "ideas": {"type": "integer", "minimum": 0, "description": "Published ideas"},
                    "uncoded": {"type": "integer", "minimum": 0, "description": "Published ideas with no code yet"},
                    "codes": {"type": "array", "items": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string"}, "description": {"type": "string"},
                            "parent": {"type": ["string", "null"], "description": "The parent code's name"},
                            "ideas": {"type": "integer", "minimum": 0},
                            "submissions": {"type": "integer", "minimum": 0}
                        },
                        "required": ["code", "description", "parent", "ideas", "submissions"]
                    }}
                },
                "required": ["call", "title", "ideas", "uncoded", "codes"]
            },
            "FieldError": {
                "type": "object",
                "properties": {
                    "pointer": {"type": "string", "description": "JSON pointer in URI fragment form, e.g. #/ideas/0/description"},
                    "code": {"enum": choices(ErrorCode::ALL, ErrorCode::as_str)},
                    "detail": {"type": "string"}
                },
                "required": ["pointer", "code", "detail"]
            },
            "Problem": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"},
                    "status": {"type": "integer"}, "detail": {"type": "string"},
                    "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}
                },
                "required": ["type", "title", "status", "detail"]
            }
        }}
    })
}
