//! The Leptos components of the form.
//!
//! [`App`] loads the call definition and shows either the call's window
//! (not open yet, closed) or the form. The form's state lives in one
//! [`Ctx`] of signals passed to every step; each step is a small component
//! in [`steps`], built from the GOV.UK-pattern pieces in [`parts`].

mod finish;
mod parts;
mod steps;
mod submit;

use crate::markup::view;
use cfi_rules::{CallDefinition, CallStatus, FieldError};
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use web_sys::{HtmlElement, ShadowRoot};

use crate::browser;
use crate::draft::{Draft, Step, field_id, step_of_pointer};
use crate::messages;

pub use submit::SubmitState;

/// Where the widget is and what it was given by the loader.
#[derive(Clone)]
pub struct Config {
    pub call: String,
    pub partner: Option<String>,
    /// The collection server's origin, e.g. `https://review.example`.
    pub api_base: String,
    pub accent: Option<String>,
    /// The review's own page for sending ideas, from the call definition.
    pub page_url: Option<String>,
    /// This widget's place among the page's widgets for the same call and
    /// partner: each keeps its own draft.
    pub slot: usize,
}

/// The state every step reads and writes. All fields are cheap handles, so
/// the context is `Copy`.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub call: StoredValue<CallDefinition>,
    pub config: StoredValue<Config>,
    /// The answers, the current step and the idempotency key.
    pub draft: RwSignal<Draft>,
    /// The current step alone, so views that only care about the step are
    /// not rebuilt on every key press.
    pub step: Memo<Step>,
    /// Problems to show: from the shared rules, or from the server's 422.
    pub errors: RwSignal<Vec<FieldError>>,
    /// Whether the draft is saved on this device.
    pub save_here: RwSignal<bool>,
    /// Whether the last save worked (storage may be full or disabled).
    pub saved_ok: RwSignal<bool>,
    /// After a "Change" link on the check page, continue back to it.
    pub returning: RwSignal<bool>,
    pub submit: RwSignal<SubmitState>,
    /// The reference the server gave, once stored.
    pub reference: RwSignal<Option<String>>,
    /// Set when the server says the call is not open (it closed while the
    /// person was writing).
    pub closed_now: RwSignal<bool>,
    pub host: StoredValue<HtmlElement, LocalStorage>,
    pub root: StoredValue<ShadowRoot, LocalStorage>,
    pub waker: StoredValue<browser::Waker, LocalStorage>,
}

impl Ctx {
    pub fn partner(&self) -> Option<String> {
        self.config.with_value(|c| c.partner.clone())
    }

    fn storage_key(&self) -> String {
        self.config
            .with_value(|c| crate::draft::storage_key(&c.call, c.partner.as_deref(), c.slot))
    }

    fn no_save_key(&self) -> String {
        self.config
            .with_value(|c| crate::draft::no_save_key(&c.call, c.partner.as_deref()))
    }

    /// Focuses the element with `id` inside the widget once the DOM is
    /// updated, and scrolls it into view.
    pub fn focus(&self, id: String) {
        let root = self.root;
        browser::after_render(move || {
            let el = root.with_value(|r| r.get_element_by_id(&id));
            if let Some(el) = el.and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok())
            {
                let _ = el.focus();
                el.scroll_into_view_with_bool(true);
            }
        });
    }

    /// Moves to `step`, focusing its heading.
    pub fn go(&self, step: Step) {
        self.draft.update(|d| d.step = step);
        self.focus("cfi-heading".into());
    }

    /// Shows `errors` on the step of the first one and focuses the summary.
    pub fn show_errors(&self, errors: Vec<FieldError>) {
        let first_step = errors
            .iter()
            .filter_map(|e| step_of_pointer(&e.pointer))
            .min();
        let current = self.step.get_untracked();
        if let Some(first) = first_step
            && first != current
        {
            self.returning.set(current == Step::Check);
            self.draft.update(|d| d.step = first);
        }
        self.errors.set(errors);
        self.focus("cfi-error-summary".into());
    }

    /// Goes to the field an error points at, on whatever step shows it.
    pub fn go_to_field(&self, pointer: &str) {
        if let Some(step) = step_of_pointer(pointer)
            && step != self.step.get_untracked()
        {
            self.returning.set(true);
            self.draft.update(|d| d.step = step);
        }
        self.focus(field_id(pointer));
    }

    /// The error message for a field, if any.
    pub fn error_for(&self, id: &str) -> Option<String> {
        self.errors.with(|errors| {
            errors
                .iter()
                .find(|e| field_id(&e.pointer) == id)
                .map(|e| e.detail.clone())
        })
    }

    /// Starts a new, empty draft (after "clear it" or a stored submission).
    pub fn reset(&self) {
        browser::remove(&self.storage_key());
        self.errors.set(Vec::new());
        self.returning.set(false);
        self.draft.set(Draft::new(browser::new_uuid()));
    }

    /// Turns saving on this device on or off; off also forgets what was saved.
    pub fn set_save_here(&self, on: bool) {
        self.save_here.set(on);
        if on {
            browser::remove(&self.no_save_key());
            self.saved_ok.set(browser::save_draft(
                &self.storage_key(),
                &self.draft.get_untracked(),
            ));
        } else {
            browser::remove(&self.storage_key());
            browser::store(&self.no_save_key(), "1");
        }
    }

    /// Tells the host page something happened.
    pub fn emit(&self, name: &str, detail: &JsValue) {
        self.host.with_value(|h| browser::dispatch(h, name, detail));
    }
}

/// The id of the first screen the loader draws before this code arrives
/// (see `embed.js`).
pub const FIRST_SCREEN_ID: &str = "cfi-first";

/// Puts the form (in `container`, hidden while the loader's first screen
/// showed) in the place of that screen, in one frame, so none shows both or
/// neither and, as both draw the same blocks, nothing moves. Focus that was
/// on the loader's screen goes to the same control here (same element and
/// words), or else to the step's heading (a draft restored on a later
/// step), never back to the page. Returns whether "Start now" was pressed
/// on the loader's screen.
fn take_over(root: &ShadowRoot, container: &HtmlElement) -> bool {
    use wasm_bindgen::JsCast;
    let Some(first) = root.get_element_by_id(FIRST_SCREEN_ID) else {
        container.set_hidden(false);
        return false;
    };
    let started = first.has_attribute("data-started");
    let focused = root.active_element().filter(|e| first.contains(Some(e)));
    first.remove();
    container.set_hidden(false);
    if let Some(was) = focused {
        let same = container
            .query_selector_all(&was.tag_name())
            .ok()
            .and_then(|list| {
                (0..list.length())
                    .filter_map(|i| list.item(i))
                    .find(|n| n.text_content() == was.text_content())
            });
        let heading = || {
            container
                .query_selector("#cfi-heading")
                .ok()
                .flatten()
                .map(web_sys::Node::from)
        };
        if let Some(e) = same
            .or_else(heading)
            .and_then(|n| n.dyn_into::<HtmlElement>().ok())
        {
            let _ = e.focus();
        }
    }
    started
}

/// What the loader gives: fetches the call (or reads the loader's fetch of
/// it), then shows it.
#[component]
pub fn App(
    config: Config,
    host: HtmlElement,
    root: ShadowRoot,
    /// The element the form is mounted in; it carries `lang` and `dir`.
    container: HtmlElement,
    fetched: Option<js_sys::Promise>,
) -> impl IntoView {
    let url = format!(
        "{}/api/calls/{}",
        config.api_base.trim_end_matches('/'),
        String::from(js_sys::encode_uri_component(&config.call))
    );
    let host = StoredValue::new_local(host);
    let root = StoredValue::new_local(root);
    let definition: RwSignal<Option<Result<CallDefinition, String>>> = RwSignal::new(None);
    // "Start now" pressed on the loader's first screen.
    let started = RwSignal::new(false);
    // The rest of the screen (the support lines) drawn too.
    let complete = RwSignal::new(false);
    let shadow = root;
    leptos::task::spawn_local(async move {
        let answer = match fetched {
            Some(fetched) => browser::read(fetched).await,
            None => browser::request(&url, "GET", None, None).await,
        };
        // Mounting, reading the definition and building the first screen
        // are separate tasks, each short on a slow phone.
        browser::next_task().await;
        let result = match answer {
            Ok(answer) if answer.status == 200 => crate::js::call_definition(&answer.body)
                .inspect(|call| {
                    // Set once, before the form appears (mount set the
                    // defaults).
                    let _ = container.set_attribute("lang", &call.lang);
                    let _ = container.set_attribute("dir", call.dir.as_str());
                })
                .ok_or_else(|| messages::UNREADABLE_CALL.to_owned()),
            Ok(answer) if answer.status == 404 => Err(messages::UNKNOWN_CALL.into()),
            Ok(_) | Err(_) => Err(messages::NOT_LOADED.into()),
        };
        if let Err(message) = &result {
            host.with_value(|h| {
                browser::dispatch(
                    h,
                    "cfi:error",
                    &browser::detail(&[("kind", "load"), ("message", message)]),
                )
            });
        }
        browser::next_task().await;
        let loaded = result.is_ok();
        definition.set(Some(result));
        // The support lines in a task of their own: drawn with the first
        // screen, a slow phone's main thread was blocked for over 50 ms
        // (the form's code runs for the first time there, and the browser
        // compiles each function as it is first called).
        browser::next_task().await;
        complete.set(true);
        // Once what the definition shows is rendered.
        browser::after_render(move || {
            if take_over(&shadow.get_value(), &container) {
                started.set(true);
            }
            if loaded {
                host.with_value(|h| browser::dispatch(h, "cfi:ready", &JsValue::UNDEFINED));
            }
        });
    });

    view! {
        <div class="cfi">
            {move || match definition.get() {
                None => view! {
                    <p class="cfi-body" role="status">{messages::LOADING}</p>
                }
                .into_any(),
                Some(Err(message)) => view! {
                    <div class="cfi-error-summary" role="alert">
                        <h2 class="cfi-heading-m">"Sorry, there is a problem"</h2>
                        <p class="cfi-body">{message}</p>
                    </div>
                }
                .into_any(),
                Some(Ok(call)) => {
                    let config = Config {
                        page_url: call.page_url.clone(),
                        ..config.clone()
                    };
                    view! { <Loaded call=call.clone() config=config host=host root=root started=started complete=complete /> }
                        .into_any()
                }
            }}
        </div>
    }
}

/// The form once the call is known: its window, or the steps.
#[component]
fn Loaded(
    call: CallDefinition,
    config: Config,
    host: StoredValue<HtmlElement, LocalStorage>,
    root: StoredValue<ShadowRoot, LocalStorage>,
    /// "Start now" was pressed before this code arrived: go on as if here.
    started: RwSignal<bool>,
    /// Set in the task after this renders: draw the support lines too.
    complete: RwSignal<bool>,
) -> impl IntoView {
    let storage_key =
        crate::draft::storage_key(&config.call, config.partner.as_deref(), config.slot);
    let no_save = browser::load(&crate::draft::no_save_key(
        &config.call,
        config.partner.as_deref(),
    ))
    .is_some();
    let restored = if no_save {
        None
    } else {
        browser::load_draft(&storage_key)
    };
    let was_restored = restored.as_ref().is_some_and(|d| !d.is_empty());
    let draft = RwSignal::new(restored.unwrap_or_else(|| Draft::new(browser::new_uuid())));
    let step = Memo::new(move |_| draft.with(|d| d.step));
    let status = call.status;
    let ctx = Ctx {
        call: StoredValue::new(call),
        config: StoredValue::new(config),
        draft,
        step,
        errors: RwSignal::new(Vec::new()),
        save_here: RwSignal::new(!no_save),
        saved_ok: RwSignal::new(true),
        returning: RwSignal::new(false),
        submit: RwSignal::new(SubmitState::Idle),
        reference: RwSignal::new(None),
        closed_now: RwSignal::new(false),
        host,
        root,
        waker: StoredValue::new_local(browser::Waker::default()),
    };

    Effect::new(move |_| {
        if started.get() && ctx.step.get_untracked() == Step::Start && status == CallStatus::Open {
            ctx.go(Step::Start.next());
        }
    });

    // Save on every change, unless the person asked not to.
    Effect::new(move |_| {
        let d = draft.get();
        if ctx.save_here.get() && d.step != Step::Done && !(d.is_empty() && d.step == Step::Start) {
            ctx.saved_ok.set(browser::save_draft(&storage_key, &d));
        }
    });

    view! {
        {move || {
            if ctx.closed_now.get() || status != CallStatus::Open {
                let closed = ctx.closed_now.get() || status == CallStatus::Closed;
                view! { <steps::NotOpen ctx=ctx closed=closed /> }.into_any()
            } else {
                match ctx.step.get() {
                    Step::Start => view! { <steps::Start ctx=ctx restored=was_restored /> }.into_any(),
                    Step::AboutYou => view! { <steps::AboutYou ctx=ctx /> }.into_any(),
                    Step::Ideas => view! { <steps::Ideas ctx=ctx /> }.into_any(),
                    Step::Publishing => view! { <steps::Publishing ctx=ctx /> }.into_any(),
                    Step::Check => view! { <steps::Check ctx=ctx /> }.into_any(),
                    Step::Done => view! { <steps::Done ctx=ctx /> }.into_any(),
                }
            }
        }}
        {move || complete.get().then(|| view! { <parts::Support ctx=ctx /> })}
    }
}
