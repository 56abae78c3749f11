//! The last steps of the form: how the ideas are published, every answer
//! checked with "Change" links and sending, and the confirmation.

use crate::markup::view;
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
    let named_label = if organisation {
        "With my organisation's name"
    } else {
        "With my name"
    };
    let items: Vec<Choice> = vec![
        (
            "named".into(),
            named_label.into(),
            Some(if organisation {
                "Your organisation's name will be shown next to your ideas.".into()
            } else {
                "Your name will be shown next to your ideas.".into()
            }),
        ),
        (
            "anonymous".into(),
            "Anonymously".into(),
            Some("Your ideas will be published without any name.".into()),
        ),
    ];
    view! {
        <BackLink ctx=ctx to=Step::Ideas />
        {step_form(
            ctx,
            Step::Publishing,
            view! {
                <ErrorSummary ctx=ctx />
                <Heading text="Publishing and privacy" />
                {move || {
                    under_18
                        .get()
                        .then(|| {
                            view! {
                                <div class="cfi-inset">
                                    "Because you are under 18, your ideas will be published anonymously, whatever you choose here."
                                </div>
                            }
                        })
                }}
                <Radios
                    ctx=ctx
                    id="publication"
                    legend="How would you like your ideas to be published?"
                    hint="At the end of the review, every idea is published in full."
                    items=items
                    value=Signal::derive(move || draft.with(|d| d.answers.publication.clone()))
                    on_change=Callback::new(move |v: String| {
                        draft.update(|d| d.answers.publication = Some(v))
                    })
                />
                <p class="cfi-body">
                    "The privacy notice explains how your answers are used and kept, and your rights. "
                    <a class="cfi-link" href=privacy_url target="_blank" rel="noopener noreferrer">
                        "Read the privacy notice (opens in new tab)"
                    </a>
                </p>
                <Checkboxes
                    ctx=ctx
                    id="privacy_notice_read"
                    legend="Privacy notice"
                    items=vec![("read".into(), "I have read the privacy notice".into())]
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
                    "Change"
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
                    "Change"
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
    let published = match publication_shown(publication, age) {
        Some(Publication::Anonymous) if under_18 => "Anonymously (you are under 18)".to_owned(),
        Some(Publication::Named) if organisation => "With my organisation's name".into(),
        Some(Publication::Named) => "With my name".into(),
        Some(Publication::Anonymous) => "Anonymously".into(),
        None => String::new(),
    };
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
                .unwrap_or_else(|| "None".into());
            view! {
                <h4 class="cfi-heading-s">{format!("Idea {n}")}</h4>
                <dl class="cfi-summary-list">
                    {idea_row(ctx, format!("Title of idea {n}"), some(&idea.title), format!("#/ideas/{i}/title"))}
                    {idea_row(ctx, format!("Theme of idea {n}"), theme, format!("#/ideas/{i}/theme"))}
                    {idea_row(ctx, format!("Description of idea {n}"), some(&idea.description), format!("#/ideas/{i}/description"))}
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
                <Heading text="Check your answers before sending your ideas" />
                <h3 class="cfi-heading-m">"About you"</h3>
                <dl class="cfi-summary-list">
                    {row(
                        ctx,
                        "Answering".into(),
                        d.capacity().map(Capacity::label).unwrap_or_default().into(),
                        "#/respondent/capacity",
                    )}
                    {organisation
                        .then(|| row(ctx, "Organisation".into(), some(&r.organisation), "#/respondent/organisation"))}
                    {row(ctx, "Name".into(), some(&r.name), "#/respondent/name")}
                    {row(ctx, "Email address".into(), some(&r.email), "#/respondent/email")}
                    {row(ctx, "Which of these describe you".into(), perspectives, "#/respondent/perspectives")}
                    {row(
                        ctx,
                        "Age".into(),
                        age.map(|a| a.label().to_owned()).unwrap_or_default(),
                        "#/respondent/age_band",
                    )}
                </dl>
                <h3 class="cfi-heading-m">"Your ideas"</h3>
                {ideas}
                <h3 class="cfi-heading-m">"Publishing and privacy"</h3>
                <dl class="cfi-summary-list">
                    {row(ctx, "Published".into(), published, "#/publication")}
                    {row(
                        ctx,
                        "Privacy notice".into(),
                        if d.answers.privacy_notice_read == Some(true) { "Read" } else { "Not read" }.into(),
                        "#/privacy_notice_read",
                    )}
                </dl>
                <h3 class="cfi-heading-m">"Now send your ideas"</h3>
                <p class="cfi-body">
                    "By sending your ideas you confirm that, to the best of your knowledge, what you have written is true and does not identify a child or anyone else without their permission."
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
            <h2 class="cfi-panel-title" id="cfi-heading" tabindex="-1">"Ideas sent"</h2>
            <div class="cfi-panel-body">
                "Your reference number"
                <br />
                <strong class="cfi-reference" id="cfi-reference">{reference}</strong>
            </div>
        </div>
        <p class="cfi-body">"Keep this reference: quote it if you contact the review about your ideas, or want them removed."</p>
        <h3 class="cfi-heading-m">"What happens next"</h3>
        <p class="cfi-body">
            "The review team will read every idea. At the end of the review, ideas are published as you chose; some may be withheld or edited to protect people's privacy. If you gave an email address, we will only use it to contact you about your ideas."
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
            "Send more ideas"
        </button>
    }
}
