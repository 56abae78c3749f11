//! One component per step of the form.

use crate::markup::view;
use cfi_rules::form::{Block, first_screen};
use cfi_rules::questions as q;
use cfi_rules::{AgeBand, CallStatus, Capacity, RawIdea};
use leptos::prelude::*;

use super::Ctx;
use super::parts::{
    BackLink, Checkboxes, Choice, ContinueButton, ErrorSummary, Heading, Radios, SavedOnDevice,
    TextField, WordCountField,
};
use super::submit::{Failure, SubmitState, send};
use crate::draft::Step;

pub use super::finish::{Check, Done, Publishing};

/// Validates `step` with the shared rules and moves on, or shows the errors.
fn continue_from(ctx: Ctx, step: Step) {
    let rules = ctx.call.with_value(|c| c.rules());
    let partner = ctx.partner();
    let errors = ctx
        .draft
        .with_untracked(|d| d.errors_for(step, partner.as_deref(), &rules));
    if errors.is_empty() {
        ctx.errors.set(Vec::new());
        let next = if ctx.returning.get_untracked() {
            Step::Check
        } else {
            step.next()
        };
        if next == Step::Check {
            ctx.returning.set(false);
        }
        ctx.go(next);
    } else {
        ctx.show_errors(errors);
    }
}

/// A step's `<form>`: Enter submits it, the browser's own validation is off
/// (the shared rules give better messages).
pub(super) fn step_form(ctx: Ctx, step: Step, children: impl IntoView) -> impl IntoView {
    view! {
        <form
            class="cfi-form"
            novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                if step == Step::Check { send(ctx) } else { continue_from(ctx, step) }
            }
        >
            {children}
        </form>
    }
}

/// The call's first screen from the shared rules, the same as the loader
/// draws before this code arrives and the server's form shows: `Start` is
/// left to the caller, which adds the button and what comes before it.
fn blocks(blocks: Vec<Block>) -> impl IntoView {
    blocks
        .into_iter()
        .map(|block| match block {
            Block::Heading { text } => view! { <Heading text=text /> }.into_any(),
            Block::Text { text } => view! { <p class="cfi-body">{text}</p> }.into_any(),
            Block::Strong { text } => view! {
                <p class="cfi-body">
                    <strong>{text}</strong>
                </p>
            }
            .into_any(),
            Block::Subheading { text } => {
                view! { <h3 class="cfi-heading-m">{text}</h3> }.into_any()
            }
            Block::Link { text, href } => view! {
                <p class="cfi-body">
                    <a class="cfi-link" href=href target="_blank" rel="noopener noreferrer">
                        {text}
                    </a>
                </p>
            }
            .into_any(),
            Block::Start { .. } => ().into_any(),
        })
        .collect_view()
}

/// The call's window is not open: says so, with the dates.
#[component]
pub fn NotOpen(ctx: Ctx, closed: bool) -> impl IntoView {
    let screen = ctx.call.with_value(|c| {
        let mut c = c.clone();
        c.status = if closed {
            CallStatus::Closed
        } else {
            CallStatus::NotYetOpen
        };
        first_screen(&c)
    });
    blocks(screen)
}

/// What the call is, its closing date, how answers are published.
#[component]
pub fn Start(ctx: Ctx, restored: bool) -> impl IntoView {
    let mut screen = ctx.call.with_value(first_screen);
    let rest = screen.split_off(1.min(screen.len()));
    // Not `step_form`: the start step has no fields to check.
    view! {
        <form
            class="cfi-form"
            novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                ctx.errors.set(Vec::new());
                ctx.go(Step::Start.next());
            }
        >
                {blocks(screen)}
                // After an erased submission was refused, the draft starts
                // again here: say why.
                {move || {
                    (ctx.submit.get() == SubmitState::Failed(Failure::Erased))
                        .then(|| {
                            view! {
                                <p class="cfi-body" id="cfi-submit-status" role="status" tabindex="-1">
                                    {crate::messages::ERASED}
                                </p>
                            }
                        })
                }}
                {blocks(rest)}
                {restored
                    .then(|| {
                        view! {
                            <div class="cfi-inset">
                                "Your answers saved on this device have been restored."
                            </div>
                        }
                    })}
                <ContinueButton text=q::START />
        </form>
        <SavedOnDevice ctx=ctx />
    }
}

fn capacity_items() -> Vec<Choice> {
    Capacity::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), c.label().to_owned(), None))
        .collect()
}

/// Capacity, name or organisation, email, perspectives, age band.
#[component]
pub fn AboutYou(ctx: Ctx) -> impl IntoView {
    let draft = ctx.draft;
    let perspectives = ctx.call.with_value(|c| c.perspectives.clone());
    let order: Vec<String> = perspectives.iter().map(|p| p.id.clone()).collect();
    let capacity = Memo::new(move |_| draft.with(|d| d.capacity()));
    let text = move |get: fn(&cfi_rules::RawRespondent) -> &Option<String>| {
        Signal::derive(move || draft.with(|d| get(d.respondent()).clone().unwrap_or_default()))
    };
    let name = text(|r| &r.name);
    let organisation = text(|r| &r.organisation);
    let email = text(|r| &r.email);
    let set = move |f: fn(&mut cfi_rules::RawRespondent, String)| {
        Callback::new(move |v: String| draft.update(|d| f(d.respondent_mut(), v)))
    };
    let age_items: Vec<Choice> = AgeBand::ALL
        .iter()
        .map(|b| (b.as_str().to_owned(), b.label().to_owned(), None))
        .collect();
    view! {
        <BackLink ctx=ctx to=Step::Start />
        {step_form(
            ctx,
            Step::AboutYou,
            view! {
                <ErrorSummary ctx=ctx />
                <Heading text=q::ABOUT_YOU_HEADING />
                <Radios
                    ctx=ctx
                    id=q::CAPACITY.id
                    legend=q::CAPACITY.label
                    items=capacity_items()
                    value=Signal::derive(move || draft.with(|d| d.respondent().capacity.clone()))
                    on_change=set(|r, v| r.capacity = Some(v))
                />
                {move || match capacity.get() {
                    Some(Capacity::Organisation) => view! {
                        <TextField
                            ctx=ctx
                            id=q::ORGANISATION.id
                            label=q::ORGANISATION.label
                            hint=q::ORGANISATION.hint.unwrap_or_default()
                            autocomplete="organization"
                            value=organisation
                            on_input=set(|r, v| r.organisation = Some(v))
                        />
                        <TextField
                            ctx=ctx
                            id=q::NAME_FOR_ORGANISATION.id
                            label=q::NAME_FOR_ORGANISATION.label
                            hint=q::NAME_FOR_ORGANISATION.hint.unwrap_or_default()
                            autocomplete="name"
                            value=name
                            on_input=set(|r, v| r.name = Some(v))
                        />
                    }
                    .into_any(),
                    _ => view! {
                        <TextField
                            ctx=ctx
                            id=q::NAME.id
                            label=q::NAME.label
                            hint=q::NAME.hint.unwrap_or_default()
                            autocomplete="name"
                            value=name
                            on_input=set(|r, v| r.name = Some(v))
                        />
                    }
                    .into_any(),
                }}
                <TextField
                    ctx=ctx
                    id=q::EMAIL.id
                    label=q::EMAIL.label
                    hint=q::EMAIL.hint.unwrap_or_default()
                    input_type="email"
                    autocomplete="email"
                    value=email
                    on_input=set(|r, v| r.email = Some(v))
                />
                <Checkboxes
                    ctx=ctx
                    id=q::PERSPECTIVES.id
                    legend=q::PERSPECTIVES.label
                    hint=q::PERSPECTIVES.hint.unwrap_or_default()
                    items=perspectives.into_iter().map(|p| (p.id, p.label)).collect()
                    selected=Signal::derive(move || {
                        draft.with(|d| d.respondent().perspectives.clone().unwrap_or_default())
                    })
                    on_toggle=Callback::new(move |(id, on): (String, bool)| {
                        draft.update(|d| d.toggle_perspective(&id, on, &order))
                    })
                />
                <Radios
                    ctx=ctx
                    id=q::AGE_BAND.id
                    legend=q::AGE_BAND.label
                    hint=q::AGE_BAND.hint.unwrap_or_default()
                    items=age_items
                    value=Signal::derive(move || draft.with(|d| d.respondent().age_band.clone()))
                    on_change=set(|r, v| r.age_band = Some(v))
                />
                <ContinueButton />
            },
        )}
        <SavedOnDevice ctx=ctx />
    }
}

/// One idea's fields and its "Remove" button.
#[component]
fn IdeaFields(ctx: Ctx, index: usize, count: usize) -> impl IntoView {
    let draft = ctx.draft;
    let (themes, guidance, max_words) = ctx
        .call
        .with_value(|c| (c.themes.clone(), c.guidance.clone(), c.limits.max_words));
    let field = move |get: fn(&RawIdea) -> &Option<String>| {
        Signal::derive(move || {
            draft.with(|d| {
                d.ideas()
                    .get(index)
                    .and_then(|i| get(i).clone())
                    .unwrap_or_default()
            })
        })
    };
    let set = move |f: fn(&mut RawIdea, String)| {
        Callback::new(move |v: String| {
            draft.update(|d| {
                if let Some(idea) = d.ideas_mut().get_mut(index) {
                    f(idea, v);
                }
            })
        })
    };
    let n = index + 1;
    let theme = field(|i| &i.theme);
    let set_theme = set(|i, v| i.theme = Some(v));
    let theme_id = format!("ideas-{index}-theme");
    let theme_error = Memo::new({
        let id = theme_id.clone();
        move |_| ctx.error_for(&id)
    });
    let theme_id2 = theme_id.clone();
    let theme_error_id = format!("{theme_id}-error");
    view! {
        <div class="cfi-idea" role="group" aria-labelledby=format!("idea-{index}-heading")>
            <h3 class="cfi-heading-m" id=format!("idea-{index}-heading")>{q::idea_heading(n)}</h3>
            <TextField
                ctx=ctx
                id=format!("ideas-{index}-title")
                label=q::idea_title(n)
                hint=q::IDEA_TITLE_HINT
                value=field(|i| &i.title)
                on_input=set(|i, v| i.title = Some(v))
            />
            <div class="cfi-form-group" class:cfi-form-group-error=move || theme_error.get().is_some()>
                <label class="cfi-label" for=theme_id.clone()>
                    {q::idea_theme(n)}
                </label>
                {move || {
                    theme_error
                        .get()
                        .map(|m| {
                            view! {
                                <p class="cfi-error-message" id=format!("{theme_id2}-error")>
                                    <span class="cfi-vh">{cfi_rules::questions::ERROR_PREFIX}</span>
                                    {m}
                                </p>
                            }
                        })
                }}
                <select
                    class="cfi-select"
                    id=theme_id.clone()
                    name=theme_id.clone()
                    // Its error is read with it, as the other fields' are.
                    aria-describedby=move || theme_error.get().map(|_| theme_error_id.clone())
                    prop:value=move || theme.get()
                    on:change=move |ev| set_theme.run(event_target_value(&ev))
                >
                    <option value="">{q::CHOOSE_THEME}</option>
                    {themes
                        .into_iter()
                        .map(|t| {
                            let id = t.id.clone();
                            view! {
                                <option value=t.id selected=move || theme.get() == id>
                                    {t.label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <WordCountField
                ctx=ctx
                id=format!("ideas-{index}-description")
                label=q::idea_description(n)
                hints=guidance
                max_words=max_words
                value=field(|i| &i.description)
                on_input=set(|i, v| i.description = Some(v))
            />
            {(count > 1)
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="cfi-button cfi-button-secondary"
                            on:click=move |_| {
                                draft.update(|d| d.remove_idea(index));
                                ctx.errors.set(Vec::new());
                                ctx.focus("cfi-heading".into());
                            }
                        >
                            {q::remove_idea(n)}
                        </button>
                    }
                })}
        </div>
    }
}

/// Add, edit and remove ideas, up to the call's maximum.
#[component]
pub fn Ideas(ctx: Ctx) -> impl IntoView {
    let draft = ctx.draft;
    let max = ctx.call.with_value(|c| c.limits.max_ideas);
    let count = Memo::new(move |_| draft.with(|d| d.ideas().len()));
    view! {
        <BackLink ctx=ctx to=Step::AboutYou />
        {step_form(
            ctx,
            Step::Ideas,
            view! {
                <ErrorSummary ctx=ctx />
                <Heading text=q::IDEAS_HEADING />
                <p class="cfi-body" id="ideas">
                    {q::ideas_intro(max)}
                </p>
                {move || {
                    let n = count.get();
                    (0..n)
                        .map(|i| view! { <IdeaFields ctx=ctx index=i count=n /> })
                        .collect_view()
                }}
                {move || {
                    let n = count.get();
                    if n < max {
                        view! {
                            <button
                                type="button"
                                class="cfi-button cfi-button-secondary"
                                on:click=move |_| {
                                    let added = draft
                                        .try_update(|d| d.add_idea(max))
                                        .flatten();
                                    if let Some(i) = added {
                                        ctx.focus(format!("ideas-{i}-title"));
                                    }
                                }
                            >
                                {q::ADD_IDEA}
                            </button>
                        }
                            .into_any()
                    } else {
                        view! {
                            <p class="cfi-body">
                                {q::most_ideas(max)}
                            </p>
                        }
                            .into_any()
                    }
                }}
                <div>
                    <ContinueButton />
                </div>
            },
        )}
        <SavedOnDevice ctx=ctx />
    }
}
