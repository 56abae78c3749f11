//! Small GOV.UK Design System patterns: error summary, text inputs, a
//! textarea with a word count, radios, checkboxes, the back link, the
//! support lines and the "saved on this device" control.

use crate::markup::view;
use leptos::prelude::*;

use super::Ctx;
use crate::browser;
use crate::draft::{Step, field_id, word_count_message};

/// How long typing must pause before the word count is announced: about
/// GOV.UK Frontend's character count delay, long enough to finish a word.
pub const ANNOUNCE_COUNT_AFTER_MS: u32 = 1_000;

/// The ids an input is described by: its hint, extra text, and its error.
fn described_by(parts: &[Option<String>]) -> Option<String> {
    let joined: Vec<&str> = parts.iter().flatten().map(String::as_str).collect();
    (!joined.is_empty()).then(|| joined.join(" "))
}

/// The step's heading; it receives focus when the step is shown.
#[component]
pub fn Heading(
    #[prop(into)] text: String,
    #[prop(optional)] caption: Option<String>,
) -> impl IntoView {
    view! {
        {caption.map(|c| view! { <span class="cfi-caption">{c}</span> })}
        <h2 class="cfi-heading-l" id="cfi-heading" tabindex="-1">{text}</h2>
    }
}

/// "There is a problem": every error with a link to its field. It takes
/// focus when errors are shown (see [`Ctx::show_errors`]).
#[component]
pub fn ErrorSummary(ctx: Ctx) -> impl IntoView {
    move || {
        let errors = ctx.errors.get();
        (!errors.is_empty()).then(|| {
            let items = errors
                .into_iter()
                .map(|e| {
                    let pointer = e.pointer.clone();
                    let href = format!("#{}", field_id(&e.pointer));
                    view! {
                        <li>
                            <a
                                href=href
                                on:click=move |ev| {
                                    ev.prevent_default();
                                    ctx.go_to_field(&pointer);
                                }
                            >
                                {e.detail}
                            </a>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div
                    class="cfi-error-summary"
                    id="cfi-error-summary"
                    tabindex="-1"
                    aria-labelledby="cfi-error-summary-title"
                >
                    <div role="alert">
                        <h2 class="cfi-error-summary-title" id="cfi-error-summary-title">
                            {cfi_rules::questions::ERROR_SUMMARY}
                        </h2>
                        <ul class="cfi-list cfi-error-summary-list">{items}</ul>
                    </div>
                </div>
            }
        })
    }
}

/// The inline message above a field in error.
fn error_message(id: &str, message: Option<String>) -> impl IntoView + use<> {
    let error_id = format!("{id}-error");
    message.map(|m| {
        view! {
            <p class="cfi-error-message" id=error_id>
                <span class="cfi-vh">{cfi_rules::questions::ERROR_PREFIX}</span>
                {m}
            </p>
        }
    })
}

/// A single-line text input with label, optional hint and inline error.
#[component]
pub fn TextField(
    ctx: Ctx,
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    value: Signal<String>,
    on_input: Callback<String>,
) -> impl IntoView {
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    let id_for_error = id.clone();
    let error = Memo::new(move |_| ctx.error_for(&id_for_error));
    let id2 = id.clone();
    let hint_id2 = hint_id.clone();
    view! {
        <div class="cfi-form-group" class:cfi-form-group-error=move || error.get().is_some()>
            <label class="cfi-label" for=id.clone()>{label}</label>
            {hint.map(|h| view! { <div class="cfi-hint" id=hint_id.clone()>{h}</div> })}
            {move || error_message(&id2, error.get())}
            <input
                class="cfi-input"
                class:cfi-input-error=move || error.get().is_some()
                id=id.clone()
                name=id.clone()
                type=input_type
                autocomplete=autocomplete
                spellcheck=if input_type == "email" { "false" } else { "true" }
                aria-describedby={
                    let id = id.clone();
                    move || described_by(&[hint_id2.clone(), error.get().map(|_| format!("{id}-error"))])
                }
                prop:value=move || value.get()
                on:input=move |ev| on_input.run(event_target_value(&ev))
            />
        </div>
    }
}

/// A textarea with the GOV.UK word count: "You have N words remaining".
#[component]
pub fn WordCountField(
    ctx: Ctx,
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    /// Guidance shown as a list under the label.
    hints: Vec<String>,
    max_words: usize,
    value: Signal<String>,
    on_input: Callback<String>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let info_id = format!("{id}-info");
    let count_id = format!("{id}-count");
    let status_id = format!("{id}-status");
    let id_for_error = id.clone();
    let error = Memo::new(move |_| ctx.error_for(&id_for_error));
    let count = Memo::new(move |_| value.with(|v| word_count_message(v, max_words)));
    // Screen readers hear the count once the person pauses, not on every
    // key press (as GOV.UK Frontend's character count does).
    let announced = RwSignal::new(count.get_untracked().0);
    let pending = StoredValue::new(0u32);
    Effect::new(move |_| {
        let text = count.get().0;
        let ticket = pending.get_value().wrapping_add(1);
        pending.set_value(ticket);
        browser::after_ms(ANNOUNCE_COUNT_AFTER_MS, move || {
            if pending.try_get_value() == Some(ticket) {
                announced.set(text);
            }
        });
    });
    let id2 = id.clone();
    let described = {
        let (id, hint_id, info_id) = (id.clone(), hint_id.clone(), info_id.clone());
        move || {
            described_by(&[
                Some(hint_id.clone()),
                Some(info_id.clone()),
                error.get().map(|_| format!("{id}-error")),
            ])
        }
    };
    view! {
        <div class="cfi-form-group" class:cfi-form-group-error=move || error.get().is_some()>
            <label class="cfi-label cfi-label-s" for=id.clone()>{label}</label>
            <div class="cfi-hint" id=hint_id>
                {cfi_rules::questions::YOU_COULD_COVER}
                <ul class="cfi-list cfi-list-bullet">
                    {hints.into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}
                </ul>
            </div>
            {move || error_message(&id2, error.get())}
            <textarea
                class="cfi-textarea"
                class:cfi-input-error=move || error.get().is_some() || count.get().1
                id=id.clone()
                name=id.clone()
                rows="8"
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| on_input.run(event_target_value(&ev))
            ></textarea>
            <div class="cfi-hint cfi-vh" id=info_id>
                {cfi_rules::questions::word_limit(max_words)}
            </div>
            <div
                class="cfi-count"
                class:cfi-count-over=move || count.get().1
                id=count_id
                aria-hidden="true"
            >
                {move || count.get().0}
            </div>
            <div class="cfi-vh" id=status_id aria-live="polite">
                {move || announced.get()}
            </div>
        </div>
    }
}

/// One radio option: wire value, label, optional hint.
pub type Choice = (String, String, Option<String>);

/// A group of radios in a fieldset. The first radio has the group's id, so
/// error links land on it.
#[component]
pub fn Radios(
    ctx: Ctx,
    #[prop(into)] id: String,
    #[prop(into)] legend: String,
    #[prop(optional, into)] hint: Option<String>,
    items: Vec<Choice>,
    value: Signal<Option<String>>,
    on_change: Callback<String>,
) -> impl IntoView {
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    let id_for_error = id.clone();
    let error = Memo::new(move |_| ctx.error_for(&id_for_error));
    let id2 = id.clone();
    let described = {
        let (id, hint_id) = (id.clone(), hint_id.clone());
        move || described_by(&[hint_id.clone(), error.get().map(|_| format!("{id}-error"))])
    };
    let radios = items
        .into_iter()
        .enumerate()
        .map(|(i, (wire, label, item_hint))| {
            let input_id = if i == 0 { id.clone() } else { format!("{id}-{wire}") };
            let item_hint_id = item_hint.as_ref().map(|_| format!("{input_id}-hint"));
            let w = wire.clone();
            view! {
                <div class="cfi-radio">
                    <input
                        class="cfi-radio-input"
                        id=input_id.clone()
                        name=id.clone()
                        type="radio"
                        value=wire.clone()
                        aria-describedby=item_hint_id.clone()
                        prop:checked=move || value.get().as_deref() == Some(w.as_str())
                        on:change=move |_| on_change.run(wire.clone())
                    />
                    <label class="cfi-label cfi-radio-label" for=input_id>{label}</label>
                    {item_hint.map(|h| view! { <div class="cfi-hint cfi-radio-hint" id=item_hint_id>{h}</div> })}
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="cfi-form-group" class:cfi-form-group-error=move || error.get().is_some()>
            <fieldset class="cfi-fieldset" aria-describedby=described>
                <legend class="cfi-legend">{legend}</legend>
                {hint.map(|h| view! { <div class="cfi-hint" id=hint_id.clone()>{h}</div> })}
                {move || error_message(&id2, error.get())}
                <div class="cfi-radios">{radios}</div>
            </fieldset>
        </div>
    }
}

/// A group of checkboxes in a fieldset; the first has the group's id.
#[component]
pub fn Checkboxes(
    ctx: Ctx,
    #[prop(into)] id: String,
    #[prop(into)] legend: String,
    #[prop(optional, into)] hint: Option<String>,
    items: Vec<(String, String)>,
    selected: Signal<Vec<String>>,
    on_toggle: Callback<(String, bool)>,
) -> impl IntoView {
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    let id_for_error = id.clone();
    let error = Memo::new(move |_| ctx.error_for(&id_for_error));
    let id2 = id.clone();
    let described = {
        let (id, hint_id) = (id.clone(), hint_id.clone());
        move || described_by(&[hint_id.clone(), error.get().map(|_| format!("{id}-error"))])
    };
    let boxes = items
        .into_iter()
        .enumerate()
        .map(|(i, (wire, label))| {
            let input_id = if i == 0 {
                id.clone()
            } else {
                format!("{id}-{wire}")
            };
            let w = wire.clone();
            view! {
                <div class="cfi-checkbox">
                    <input
                        class="cfi-checkbox-input"
                        id=input_id.clone()
                        name=id.clone()
                        type="checkbox"
                        value=wire.clone()
                        prop:checked=move || selected.with(|s| s.contains(&w))
                        on:change=move |ev| on_toggle.run((wire.clone(), event_target_checked(&ev)))
                    />
                    <label class="cfi-label cfi-checkbox-label" for=input_id>{label}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="cfi-form-group" class:cfi-form-group-error=move || error.get().is_some()>
            <fieldset class="cfi-fieldset" aria-describedby=described>
                <legend class="cfi-legend">{legend}</legend>
                {hint.map(|h| view! { <div class="cfi-hint" id=hint_id.clone()>{h}</div> })}
                {move || error_message(&id2, error.get())}
                <div class="cfi-checkboxes">{boxes}</div>
            </fieldset>
        </div>
    }
}

/// "Back" to the previous step.
#[component]
pub fn BackLink(ctx: Ctx, to: Step) -> impl IntoView {
    view! {
        <button
            type="button"
            class="cfi-back-link"
            on:click=move |_| {
                ctx.errors.set(Vec::new());
                ctx.returning.set(false);
                ctx.go(to);
            }
        >
            {cfi_rules::questions::BACK}
        </button>
    }
}

/// The primary button that submits the step's form.
#[component]
pub fn ContinueButton(
    #[prop(default = cfi_rules::questions::CONTINUE)] text: &'static str,
) -> impl IntoView {
    view! {
        <button type="submit" class="cfi-button">
            {text}
        </button>
    }
}

/// Helplines from the call definition, reachable from every step.
#[component]
pub fn Support(ctx: Ctx) -> impl IntoView {
    let lines = ctx.call.with_value(|c| c.support.clone());
    let open = move || ctx.step.get() == Step::Done;
    (!lines.is_empty()).then(|| {
        let items = lines
            .into_iter()
            .map(|line| {
                let phone_href = line
                    .phone
                    .as_ref()
                    .map(|p| format!("tel:{}", p.replace(' ', "")));
                view! {
                    <li class="cfi-support-line">
                        <strong>{line.name.clone()}</strong>
                        {line.phone.clone().map(|p| view! { ": " <a href=phone_href>{p}</a> })}
                        {(!line.description.is_empty())
                            .then(|| view! { <br /> <span>{line.description.clone()}</span> })}
                        {line.url.clone().map(|u| {
                            let name = line.name.clone();
                            view! {
                                <br />
                                <a href=u target="_blank" rel="noopener noreferrer">
                                    {cfi_rules::questions::visit_website(&name)}
                                </a>
                            }
                        })}
                    </li>
                }
            })
            .collect_view();
        view! {
            <details class="cfi-details" prop:open=open>
                <summary class="cfi-details-summary">
                    <span class="cfi-details-text">{cfi_rules::questions::SUPPORT_SUMMARY}</span>
                </summary>
                <div class="cfi-details-body">
                    <p class="cfi-body">
                        {cfi_rules::questions::SUPPORT_INTRO}
                    </p>
                    <ul class="cfi-list">{items}</ul>
                    <p class="cfi-body">
                        {cfi_rules::questions::SUPPORT_RESPONDS}
                    </p>
                </div>
            </details>
        }
    })
}

/// "Saved on this device — clear it", and the choice not to save on a
/// shared computer.
#[component]
pub fn SavedOnDevice(ctx: Ctx) -> impl IntoView {
    let status = move || {
        if !ctx.save_here.get() {
            "Your answers are not being saved on this device."
        } else if !ctx.saved_ok.get() {
            "Your answers could not be saved on this device (storage is full or turned off)."
        } else if ctx.draft.with(|d| d.is_empty()) {
            "Your answers will be saved on this device as you go."
        } else {
            "Saved on this device."
        }
    };
    view! {
        <div class="cfi-saved">
            <p class="cfi-body-s" id="cfi-saved-status">
                {status}
                " "
                <button
                    type="button"
                    class="cfi-link-button"
                    on:click=move |_| {
                        ctx.reset();
                        ctx.go(Step::Start);
                    }
                >
                    "Clear it"
                    <span class="cfi-vh">" (delete your answers from this device and start again)"</span>
                </button>
            </p>
            <div class="cfi-checkbox cfi-checkbox-small">
                <input
                    class="cfi-checkbox-input"
                    id="cfi-no-save"
                    type="checkbox"
                    prop:checked=move || !ctx.save_here.get()
                    on:change=move |ev| ctx.set_save_here(!event_target_checked(&ev))
                />
                <label class="cfi-label cfi-checkbox-label" for="cfi-no-save">
                    "Do not save my answers on this device (for example, on a shared computer)"
                </label>
            </div>
        </div>
    }
}
