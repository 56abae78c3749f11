//! The last steps of the form: how the ideas are published, every answer
//! checked with "Change" links and sending, and the confirmation.

use crate::markup::view;
use cfi_rules::questions as q;
use cfi_rules::wire::publication_shown;
use cfi_rules::{AgeBand, Capacity, Publication};
use leptos::prelude::*;

use super::Ctx;
use super::parts::{
    BackLink, Checkboxes, Choice, ContinueButton, ErrorSummary, Heading, Radios, SavedOnDevice,
};
use super::steps::step_form;
use super::submit::SubmitPanel;
use crate::draft::Step;

/// Named or anonymous, and the privacy notice confirmation.
#[component]
pub fn Publishing(ctx: Ctx) -> impl IntoView {
    let draft = ctx.draft;
    let privacy_url = ctx.call.with_value(|c| c.privacy_notice_url.clone());
    let under_18 =
        Memo::new(move |_| draft.with(|d| d.age_band().is_some_and(AgeBand::is_under_18)));
    let organisation = draft.with_untracked(|d| d.capacity() == Some(Capacity::Organisation));
    let (named_label, named_hint) = q::named(organisation);
    let items: Vec<Choice> = vec![
        (
            Publication::Named.as_str().into(),
            named_label.into(),
            Some(named_hint.into()),
        ),
        (
            Publication::Anonymous.as_str().into(),
            q::ANONYMOUS.0.into(),
            Some(q::ANONYMOUS.1.into()),
        ),
    ];
    view! {
        <BackLink ctx=ctx to=Step::Ideas />
        {step_form(
            ctx,
            Step::Publishing,
            view! {
                <ErrorSummary ctx=ctx />
                <Heading text=q::PUBLISHING_HEADING />
                {move || {
                    under_18
                        .get()
                        .then(|| {
                            view! {
                                <div class="cfi-inset">
                                    {q::UNDER_18}
                                </div>
                            }
                        })
                }}
                <Radios
                    ctx=ctx
                    id=q::PUBLICATION.id
                    legend=q::PUBLICATION.label
                    hint=q::PUBLICATION.hint.unwrap_or_default()
                    items=items
                    value=Signal::derive(move || draft.with(|d| d.answers.publication.clone()))
                    on_change=Callback::new(move |v: String| {
                        draft.update(|d| d.answers.publication = Some(v))
                    })
                />
                <p class="cfi-body">
                    {q::PRIVACY_EXPLAINED}
                    <a class="cfi-link" href=privacy_url target="_blank" rel="noopener noreferrer">
                        {q::PRIVACY_LINK}
                    </a>
                </p>
                <Checkboxes
                    ctx=ctx
                    id=q::PRIVACY_NOTICE.id
                    legend=q::PRIVACY_NOTICE.label
                    items=vec![("read".into(), q::PRIVACY_READ.into())]
                    selected=Signal::derive(move || {
                        if draft.with(|d| d.answers.privacy_notice_read == Some(true)) {
                            vec!["read".to_owned()]
                        } else {
                            Vec::new()
                        }
                    })
                    on_toggle=Callback::new(move |(_, on): (String, bool)| {
                        draft.update(|d| d.answers.privacy_notice_read = Some(on))
                    })
                />
                <ContinueButton />
            },
        )}
        <SavedOnDevice ctx=ctx />
    }
}

/// One row of the check-your-answers list with its "Change" link.
fn row(ctx: Ctx, key: String, value: String, pointer: &'static str) -> impl IntoView {
    let change = format!(" {}", key.to_ascii_lowercase());
    let pointer = pointer.to_owned();
    view! {
        <div class="cfi-summary-row">
            <dt class="cfi-summary-key">{key}</dt>
            <dd class="cfi-summary-value">{value}</dd>
            <dd class="cfi-summary-actions">
                <button type="button" class="cfi-link-button" on:click=move |_| ctx.go_to_field(&pointer)>
                    {q::CHANGE}
                    <span class="cfi-vh">{change}</span>
                </button>
            </dd>
        </div>
    }
}

fn idea_row(ctx: Ctx, key: String, value: String, pointer: String) -> impl IntoView {
    let change = format!(" {}", key.to_ascii_lowercase());
    view! {
        <div class="cfi-summary-row">
            <dt class="cfi-summary-key">{key}</dt>
            <dd class="cfi-summary-value cfi-pre">{value}</dd>
            <dd class="cfi-summary-actions">
                <button type="button" class="cfi-link-button" on:click=move |_| ctx.go_to_field(&pointer)>
                    {q::CHANGE}
                    <span class="cfi-vh">{change}</span>
                </button>
            </dd>
        </div>
    }
}

/// Every answer with "Change" links, then sending.
#[component]
pub fn Check(ctx: Ctx) -> impl IntoView {
    let d = ctx.draft.get_untracked();
    let call = ctx.call.get_value();
    let r = d.respondent().clone();
    let label_of = |list: &[cfi_rules::Choice], id: &str| {
        list.iter()
            .find(|c| c.id == id)
            .map(|c| c.label.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let organisation = d.capacity() == Some(Capacity::Organisation);
    let perspectives = r
        .perspectives
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|p| label_of(&call.perspectives, p))
        .collect::<Vec<_>>()
        .join(", ");
    let age = d.age_band();
    let publication = d
        .answers
        .publication
        .as_deref()
        .and_then(Publication::from_wire);
    // The shared under-18 rule decides; the words say why when it did.
    let under_18 = age.is_some_and(AgeBand::is_under_18);
    let published = publication_shown(publication, age)
        .map(|p| q::published_as(p == Publication::Anonymous, under_18, organisation))
        .unwrap_or_default()
        .to_owned();
    let some = |s: &Option<String>| s.clone().unwrap_or_default();
    let ideas = d
        .ideas()
        .iter()
        .enumerate()
        .map(|(i, idea)| {
            let n = i + 1;
            let theme = idea
                .theme
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(|t| label_of(&call.themes, t))
                .unwrap_or_else(|| q::NO_THEME.into());
            view! {
                <h4 class="cfi-heading-s">{q::idea_heading(n)}</h4>
                <dl class="cfi-summary-list">
                    {idea_row(ctx, q::row_title(n), some(&idea.title), format!("#/ideas/{i}/title"))}
                    {idea_row(ctx, q::row_theme(n), theme, format!("#/ideas/{i}/theme"))}
                    {idea_row(ctx, q::row_description(n), some(&idea.description), format!("#/ideas/{i}/description"))}
                </dl>
            }
        })
        .collect_view();
    view! {
        <BackLink ctx=ctx to=Step::Publishing />
        {step_form(
            ctx,
            Step::Check,
            view! {
                <ErrorSummary ctx=ctx />
                <Heading text=q::CHECK_HEADING />
                <h3 class="cfi-heading-m">{q::ABOUT_YOU_HEADING}</h3>
                <dl class="cfi-summary-list">
                    {row(
                        ctx,
                        q::ROW_CAPACITY.into(),
                        d.capacity().map(Capacity::label).unwrap_or_default().into(),
                        "#/respondent/capacity",
                    )}
                    {organisation
                        .then(|| row(ctx, q::ROW_ORGANISATION.into(), some(&r.organisation), "#/respondent/organisation"))}
                    {row(ctx, q::ROW_NAME.into(), some(&r.name), "#/respondent/name")}
                    {row(ctx, q::ROW_EMAIL.into(), some(&r.email), "#/respondent/email")}
                    {row(ctx, q::ROW_PERSPECTIVES.into(), perspectives, "#/respondent/perspectives")}
                    {row(
                        ctx,
                        q::ROW_AGE.into(),
                        age.map(|a| a.label().to_owned()).unwrap_or_default(),
                        "#/respondent/age_band",
                    )}
                </dl>
                <h3 class="cfi-heading-m">{q::IDEAS_HEADING}</h3>
                {ideas}
                <h3 class="cfi-heading-m">{q::PUBLISHING_HEADING}</h3>
                <dl class="cfi-summary-list">
                    {row(ctx, q::ROW_PUBLISHED.into(), published, "#/publication")}
                    {row(
                        ctx,
                        q::ROW_PRIVACY.into(),
                        if d.answers.privacy_notice_read == Some(true) { q::PRIVACY_WAS_READ } else { q::PRIVACY_NOT_READ }.into(),
                        "#/privacy_notice_read",
                    )}
                </dl>
                <h3 class="cfi-heading-m">{q::SEND_HEADING}</h3>
                <p class="cfi-body">
                    {q::DECLARATION}
                </p>
                <SubmitPanel ctx=ctx />
            },
        )}
        <SavedOnDevice ctx=ctx />
    }
}

/// The reference number, what happens next, and support.
#[component]
pub fn Done(ctx: Ctx) -> impl IntoView {
    let reference = ctx.reference.get_untracked().unwrap_or_default();
    view! {
        <div class="cfi-panel">
            <h2 class="cfi-panel-title" id="cfi-heading" tabindex="-1">{q::SENT_HEADING}</h2>
            <div class="cfi-panel-body">
                {q::YOUR_REFERENCE}
                <br />
                <strong class="cfi-reference" id="cfi-reference">{reference}</strong>
            </div>
        </div>
        <p class="cfi-body">{q::KEEP_REFERENCE}</p>
        <h3 class="cfi-heading-m">{q::WHAT_NEXT_HEADING}</h3>
        <p class="cfi-body">
            {q::WHAT_NEXT}
        </p>
        <p class="cfi-body">"Your answers have been removed from this device."</p>
        <button
            type="button"
            class="cfi-button cfi-button-secondary"
            on:click=move |_| {
                ctx.reference.set(None);
                ctx.go(Step::Start);
            }
        >
            {q::SEND_MORE}
        </button>
    }
}
