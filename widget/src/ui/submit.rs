//! Sending the answers: one idempotency key per draft, automatic retries with
//! backoff on network failures, 5xx and 429 (honouring `Retry-After`), a
//! visible status and a "Try again" button. The draft is cleared only after
//! the server's 2xx.

use crate::markup::view;
use leptos::prelude::*;

use super::Ctx;
use crate::browser;
use crate::draft::Step;
use crate::retry::{self, MAX_AUTOMATIC_ATTEMPTS, Next};

/// Where sending stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitState {
    Idle,
    /// A request is on its way (attempt number, from 1).
    Sending(u32),
    /// Waiting before the next automatic attempt.
    Waiting {
        attempt: u32,
        ms: u32,
    },
    /// Stopped: the person can try again by hand.
    Failed(String),
}

impl SubmitState {
    fn busy(&self) -> bool {
        matches!(self, SubmitState::Sending(_) | SubmitState::Waiting { .. })
    }
}

/// Validates everything and sends it, retrying as [`retry::decide`] says.
/// Does nothing while a send is already under way (double clicks).
pub fn send(ctx: Ctx) {
    if ctx.submit.with_untracked(SubmitState::busy) {
        return;
    }
    let partner = ctx.partner();
    let rules = ctx.call.with_value(|c| c.rules());
    let draft = ctx.draft.get_untracked();
    let errors = draft.errors_for(Step::Check, partner.as_deref(), &rules);
    if !errors.is_empty() {
        ctx.show_errors(errors);
        return;
    }
    ctx.errors.set(Vec::new());
    ctx.submit.set(SubmitState::Sending(1));
    let body = crate::json::submission(&draft.payload(partner.as_deref()));
    let key = draft.key.clone();
    let url = ctx.config.with_value(|c| {
        format!(
            "{}/api/calls/{}/submissions",
            c.api_base.trim_end_matches('/'),
            String::from(js_sys::encode_uri_component(&c.call))
        )
    });
    leptos::task::spawn_local(async move {
        let mut attempt = 1;
        loop {
            ctx.submit.set(SubmitState::Sending(attempt));
            let answer = browser::request(&url, "POST", Some(&body), Some(&key)).await;
            let (status, problem_type, retry_after, body) = match &answer {
                Ok(a) => (
                    Some(a.status),
                    crate::js::string(&a.body, "type"),
                    a.retry_after.clone(),
                    a.body.clone(),
                ),
                Err(_) => (None, None, None, wasm_bindgen::JsValue::UNDEFINED),
            };
            match retry::decide(
                status,
                problem_type.as_deref(),
                retry_after.as_deref(),
                attempt,
            ) {
                Next::Done => {
                    let reference = crate::js::string(&body, "reference").unwrap_or_default();
                    ctx.reset();
                    ctx.reference.set(Some(reference.clone()));
                    ctx.submit.set(SubmitState::Idle);
                    ctx.go(Step::Done);
                    ctx.emit(
                        "cfi:submitted",
                        &browser::detail(&[("reference", &reference)]),
                    );
                    return;
                }
                Next::RetryAfter(ms) => {
                    ctx.submit.set(SubmitState::Waiting { attempt, ms });
                    ctx.waker.with_value(Clone::clone).sleep(ms).await;
                    attempt += 1;
                }
                Next::FixFields => {
                    ctx.submit.set(SubmitState::Idle);
                    let errors = crate::js::field_errors(&body);
                    emit_error(ctx, "validation", status);
                    ctx.show_errors(errors);
                    return;
                }
                Next::CallNotOpen => {
                    ctx.submit.set(SubmitState::Idle);
                    emit_error(ctx, "call_not_open", status);
                    ctx.closed_now.set(true);
                    ctx.focus("cfi-heading".into());
                    return;
                }
                Next::Fail => {
                    let detail = crate::js::string(&body, "detail");
                    let message = match status {
                        None => "We could not reach the server.".to_owned(),
                        Some(s) if s >= 500 || s == 429 => {
                            "The server is busy or unavailable.".to_owned()
                        }
                        Some(_) => detail.unwrap_or_else(|| "Your answers were refused.".into()),
                    };
                    ctx.submit.set(SubmitState::Failed(message));
                    emit_error(ctx, "submit", status);
                    ctx.focus("cfi-submit-status".into());
                    return;
                }
            }
        }
    });
}

fn emit_error(ctx: Ctx, kind: &str, status: Option<u16>) {
    let status = status.map(|s| s.to_string()).unwrap_or_default();
    ctx.emit(
        "cfi:error",
        &browser::detail(&[("kind", kind), ("status", &status)]),
    );
}

/// The send button, what is happening, and "Try again".
#[component]
pub fn SubmitPanel(ctx: Ctx) -> impl IntoView {
    let state = ctx.submit;
    let message = move || match state.get() {
        SubmitState::Idle => String::new(),
        SubmitState::Sending(1) => "Sending your ideas…".into(),
        SubmitState::Sending(n) => {
            format!("Sending your ideas again (attempt {n} of {MAX_AUTOMATIC_ATTEMPTS})…")
        }
        SubmitState::Waiting { ms, .. } => format!(
            "We could not send your ideas yet. Your answers are still saved. {}.",
            retry::wait_text(ms)
        ),
        SubmitState::Failed(reason) => format!(
            "{reason} Your ideas have not been sent yet, and your answers are still here. Check your connection and try again."
        ),
    };
    let retry_visible = move || {
        matches!(
            state.get(),
            SubmitState::Waiting { .. } | SubmitState::Failed(_)
        )
    };
    view! {
        <div class="cfi-submit">
            <button
                type="submit"
                class="cfi-button"
                id="cfi-send"
                aria-disabled=move || state.with(SubmitState::busy).then_some("true")
            >
                "Send my ideas"
            </button>
            <div
                class="cfi-submit-status"
                class:cfi-submit-status-problem=retry_visible
                id="cfi-submit-status"
                role="status"
                tabindex="-1"
            >
                {message}
            </div>
            {move || {
                retry_visible()
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="cfi-button cfi-button-secondary"
                                id="cfi-retry"
                                on:click=move |_| {
                                    if matches!(ctx.submit.get_untracked(), SubmitState::Waiting { .. }) {
                                        ctx.waker.with_value(browser::Waker::wake);
                                    } else {
                                        send(ctx);
                                    }
                                }
                            >
                                "Try again now"
                            </button>
                        }
                    })
            }}
        </div>
    }
}
