//! Sending the answers: one idempotency key per draft, automatic retries with
//! backoff on network failures, 5xx and 429 (honouring `Retry-After`), a
//! visible status and a "Try again" button. The draft is cleared only after
//! the server's 2xx.

use crate::markup::view;
use leptos::prelude::*;

use cfi_rules::ProblemType;

use super::Ctx;
use crate::browser;
use crate::draft::Step;
use crate::messages;
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
    Failed(Failure),
}

/// Why sending stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No answer came back.
    Unreachable,
    /// 5xx or 429, after every automatic attempt.
    Busy,
    /// Refused for another reason.
    Refused,
    /// This page may not send ideas (403 partner-not-allowed).
    NotAllowed,
    /// What was sent earlier under this draft was erased (410
    /// submission-erased); the draft was cleared.
    Erased,
}

impl Failure {
    fn reason(self) -> &'static str {
        match self {
            Failure::Unreachable => messages::UNREACHABLE,
            Failure::Busy => messages::BUSY,
            Failure::Refused => messages::REFUSED,
            Failure::NotAllowed => messages::NOT_ALLOWED,
            Failure::Erased => messages::ERASED,
        }
    }
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
            let (status, problem, retry_after, body) = match &answer {
                Ok(a) => (
                    Some(a.status),
                    crate::js::string(&a.body, "type")
                        .as_deref()
                        .and_then(ProblemType::from_uri),
                    a.retry_after.clone(),
                    a.body.clone(),
                ),
                Err(_) => (None, None, None, wasm_bindgen::JsValue::UNDEFINED),
            };
            match retry::decide(status, problem, retry_after.as_deref(), attempt) {
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
                    emit_error(ctx, "validation", status, problem);
                    match crate::js::field_errors(&body) {
                        Some(errors) => {
                            ctx.submit.set(SubmitState::Idle);
                            ctx.show_errors(errors);
                        }
                        None => {
                            ctx.submit.set(SubmitState::Failed(Failure::Refused));
                            ctx.focus("cfi-submit-status".into());
                        }
                    }
                    return;
                }
                Next::CallNotOpen => {
                    ctx.submit.set(SubmitState::Idle);
                    emit_error(ctx, "call_not_open", status, problem);
                    ctx.closed_now.set(true);
                    ctx.focus("cfi-heading".into());
                    return;
                }
                Next::Erased => {
                    // The saved draft and its key go, so nothing can send
                    // the erased submission again; the form starts again at
                    // its first step, which says why.
                    ctx.reset();
                    ctx.submit.set(SubmitState::Failed(Failure::Erased));
                    emit_error(ctx, "submit", status, problem);
                    ctx.focus("cfi-submit-status".into());
                    return;
                }
                Next::NotAllowed | Next::Fail => {
                    let failure = match status {
                        _ if problem == Some(ProblemType::PartnerNotAllowed) => Failure::NotAllowed,
                        None => Failure::Unreachable,
                        Some(s) if s >= 500 || s == 429 => Failure::Busy,
                        Some(_) => Failure::Refused,
                    };
                    ctx.submit.set(SubmitState::Failed(failure));
                    emit_error(ctx, "submit", status, problem);
                    ctx.focus("cfi-submit-status".into());
                    return;
                }
            }
        }
    });
}

/// `cfi:error` for the host page: `kind` (what the widget was doing),
/// `status` (empty when no answer came) and `code`, the problem type's code
/// (`partner-not-allowed`...), `network` when no answer came, or
/// `unexpected` for an answer the contract does not define.
fn emit_error(ctx: Ctx, kind: &str, status: Option<u16>, problem: Option<ProblemType>) {
    let code = match (status, problem) {
        (_, Some(p)) => p.code(),
        (None, None) => "network",
        (Some(_), None) => "unexpected",
    };
    let status = status.map(|s| s.to_string()).unwrap_or_default();
    ctx.emit(
        "cfi:error",
        &browser::detail(&[("kind", kind), ("status", &status), ("code", code)]),
    );
}

/// The origin of `url` (`https://host:port`), or `url` itself if it has no
/// path to drop.
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

/// The send button, what is happening, and "Try again".
#[component]
pub fn SubmitPanel(ctx: Ctx) -> impl IntoView {
    let state = ctx.submit;
    let message = move || match state.get() {
        SubmitState::Idle => String::new(),
        SubmitState::Sending(1) => messages::SENDING.into(),
        SubmitState::Sending(n) => messages::sending_again(n, MAX_AUTOMATIC_ATTEMPTS),
        SubmitState::Waiting { ms, .. } => messages::waiting(&retry::wait_text(ms)),
        SubmitState::Failed(Failure::NotAllowed) => messages::NOT_ALLOWED.into(),
        SubmitState::Failed(Failure::Erased) => messages::ERASED.into(),
        SubmitState::Failed(failure) => messages::failed(failure.reason()),
    };
    let not_allowed = move || state.get() == SubmitState::Failed(Failure::NotAllowed);
    let problem = move || {
        matches!(
            state.get(),
            SubmitState::Waiting { .. } | SubmitState::Failed(_)
        )
    };
    // Retrying cannot help a page the review does not allow.
    let erased = move || state.get() == SubmitState::Failed(Failure::Erased);
    let retry_visible = move || problem() && !not_allowed() && !erased();
    let review_page = ctx.config.with_value(|c| {
        c.page_url
            .clone()
            .unwrap_or_else(|| origin_of(&c.api_base).to_owned())
    });
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
                class:cfi-submit-status-problem=problem
                id="cfi-submit-status"
                role="status"
                tabindex="-1"
            >
                {message}
                {move || {
                    not_allowed()
                        .then(|| {
                            view! {
                                " "
                                <a
                                    class="cfi-link"
                                    id="cfi-review-page"
                                    href=review_page.clone()
                                    target="_blank"
                                    rel="noopener noreferrer"
                                >
                                    {messages::REVIEW_PAGE_LINK}
                                </a>
                            }
                        })
                }}
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

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn the_review_page_defaults_to_the_servers_origin() {
        assert_eq!(
            origin_of("https://review.example"),
            "https://review.example"
        );
        assert_eq!(
            origin_of("https://review.example/"),
            "https://review.example"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/x/y"),
            "http://127.0.0.1:8080"
        );
    }
}
