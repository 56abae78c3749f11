//! `GET /admin/submissions/{reference}` (`submission.html`): one submission
//! in full, its safeguarding flag, its ideas with their moderation forms and
//! its audit trail; `POST …/actions` records a moderation action and `POST
//! …/erase` erases it (`erased.html`).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use cfi_rules::Reference;
use serde::Deserialize;

use super::submissions::flag_passage;
use super::{Part, capacity_words, partner_label, publication_words};
use crate::AppState;
use crate::analysis::pages::{IdeaSimilarity, idea_rows};
use crate::auth::Permission;
use crate::auth::access::Door;
use crate::auth::pages::{HtmlError, PageForm, PagePath, StaffPage};
use crate::codebook::pages::coding::{CodingView, coding_view};
use crate::config::Config;
use crate::http::html::{render, when};
use crate::http::problem::ApiError;
use crate::moderation::{ActionKind, ModerationAction, redact};
use crate::publication::public_view;
use crate::review::service::{ActionRequest, Detail, apply_action, read_detail};
use crate::storage::StoredSubmission;

#[derive(Template)]
#[template(path = "submission.html")]
struct SubmissionPage<'a> {
    s: &'a StoredSubmission,
    /// Where the moderation forms post.
    actions: String,
    flag: Option<FlagView>,
    about: Vec<(&'static str, String)>,
    ideas: Vec<IdeaView>,
    can_withhold: bool,
    can_mark_spam: bool,
    /// No open flag: staff may raise one (ids and words of the categories).
    can_raise_flag: bool,
    categories: Vec<(&'static str, &'static str)>,
    audit: Vec<AuditRow>,
    /// Each email about it (alerts, resends, the acknowledgement) and its
    /// state, in plain words.
    emails: Vec<String>,
    /// The codebook's controls on each idea and its coding trail.
    coding: CodingView,
    /// Each idea's similar ideas and suggested codes (index 0 for idea 1).
    similarity: Vec<IdeaSimilarity>,
    /// What the signed-in person's roles let them do here: only the forms
    /// they may use are shown, and the flagged passage only to safeguarding.
    may: May,
}

#[derive(Default)]
struct May {
    safeguard: bool,
    moderate: bool,
    erase: bool,
    code: bool,
}

struct FlagView {
    /// "Urgent" or "Sensitive".
    level: &'static str,
    urgent: bool,
    /// What it is about, in words.
    category: String,
    /// Why it was raised: the phrase, or the example it was closest to.
    reason: String,
    passage: Vec<Part>,
    open: bool,
    handled: Option<Handled>,
    /// A moderator decided to publish it.
    published: Option<Handled>,
}

struct Handled {
    staff: String,
    at: String,
    reason: String,
}

struct IdeaView {
    number: usize,
    title: String,
    theme: String,
    words: usize,
    description: String,
    withheld: Option<String>,
    /// Title and description as published, when something is redacted.
    redacted: Option<(String, String)>,
}

struct AuditRow {
    id: i64,
    at: String,
    staff: String,
    what: String,
    reason: String,
    can_undo: bool,
    undone: bool,
    /// A judgement on the flag (handled, not a concern): the safeguarding
    /// role's to undo.
    flag_judgement: bool,
}

pub async fn show(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(reference): PagePath<Reference>,
) -> Result<Response, HtmlError> {
    let found = read_detail(&state, &staff, &reference, Door::Page).await?;
    let coding = coding_view(&state, &reference).await?;
    let mut shown = page(&state.config, &found, coding);
    shown.may = May {
        safeguard: staff.can(Permission::Safeguard),
        moderate: staff.can(Permission::Moderate),
        erase: staff.can(Permission::Erase),
        code: staff.can(Permission::CodeIdeas),
    };
    shown.can_withhold &= shown.may.moderate;
    shown.can_mark_spam &= shown.may.moderate;
    if !shown.may.safeguard
        && let Some(flag) = shown.flag.as_mut()
    {
        flag.passage.clear();
    }
    // Undoing needs what the action undone needed.
    for row in &mut shown.audit {
        row.can_undo &= if row.flag_judgement {
            shown.may.safeguard
        } else {
            shown.may.moderate
        };
    }
    shown.similarity = idea_rows(&state, &reference).await?;
    shown.emails = crate::outbox::persistence::messages_of(&state.storage, reference.as_str())
        .await
        .map_err(ApiError::from)?
        .iter()
        .map(crate::outbox::describe)
        .collect();
    Ok(render(&shown))
}

fn label_of(choices: &[cfi_rules::Choice], id: &str) -> String {
    choices
        .iter()
        .find(|c| c.id == id)
        .map_or_else(|| id.to_owned(), |c| c.label.clone())
}

fn page<'a>(config: &Config, found: &'a Detail, coding: CodingView) -> SubmissionPage<'a> {
    let s = &found.submission;
    let state = &found.state;
    let call = config.call(&s.call);
    let handled = |a: &crate::moderation::ModerationAction| Handled {
        staff: a.staff.clone(),
        at: when(&a.at),
        reason: format!("{}: {}", a.action.label(), a.reason),
    };
    let urgent = s.flag_level.as_deref() != Some("sensitive");
    let flag = s.flag_phrase.as_ref().map(|_| FlagView {
        level: if urgent { "Urgent" } else { "Sensitive" },
        urgent,
        category: crate::safeguarding::category_words(
            s.flag_category.as_deref().unwrap_or("call-phrase"),
        ),
        reason: s.flag_reason.clone().unwrap_or_default(),
        passage: flag_passage(s),
        open: s.flag_open,
        handled: state.flag_handled.as_ref().map(handled),
        published: state.publish_decided.as_ref().map(handled),
    });
    let categories: Vec<(&'static str, &'static str)> = crate::safeguarding::Category::HARMS
        .iter()
        .map(|c| (c.id(), c.words()))
        .collect();
    let perspectives: Vec<String> = s
        .perspectives
        .iter()
        .map(|p| call.map_or_else(|| p.clone(), |c| label_of(&c.perspectives, p)))
        .collect();
    let published_as = call.and_then(|c| public_view(c, s, state)).map_or_else(
        || "Not published (spam, withheld, an open flag, or every idea withheld)".to_owned(),
        |p| p.published_as,
    );
    let about = vec![
        ("Call", call.map_or(s.call.clone(), |c| c.title.clone())),
        ("Partner", partner_label(config, s.partner.as_deref())),
        ("Sent", when(&s.submitted_at)),
        ("Answering as", capacity_words(&s.capacity)),
        ("Name", s.name.clone().unwrap_or_default()),
        ("Organisation", s.organisation.clone().unwrap_or_default()),
        ("Email", s.email.clone().unwrap_or_default()),
        ("Perspectives", perspectives.join("; ")),
        (
            "Age",
            cfi_rules::AgeBand::from_wire(&s.age_band)
                .map_or_else(|| s.age_band.clone(), |a| a.label().to_owned()),
        ),
        (
            "Chose to be published",
            publication_words(&s.publication_chosen),
        ),
        (
            "Publication applied (under 18s anonymous)",
            publication_words(&s.publication),
        ),
        ("Would be published as", published_as),
        (
            "Spam trap",
            if s.spam { "filled (spam)" } else { "empty" }.to_owned(),
        ),
        (
            "Personal data removed",
            s.personal_data_removed_at
                .as_deref()
                .map_or_else(|| "no".to_owned(), when),
        ),
    ];
    let ideas = s
        .ideas
        .iter()
        .enumerate()
        .map(|(i, idea)| {
            let title_spans = state.spans(i, "title");
            let description_spans = state.spans(i, "description");
            IdeaView {
                number: i + 1,
                title: idea.title.clone(),
                theme: idea
                    .theme
                    .as_deref()
                    .map(|t| call.map_or_else(|| t.to_owned(), |c| label_of(&c.themes, t)))
                    .unwrap_or_else(|| "none".to_owned()),
                words: idea.words,
                description: idea.description.clone(),
                withheld: state.withheld_ideas.get(&i).map(|a| a.reason.clone()),
                redacted: (!title_spans.is_empty() || !description_spans.is_empty()).then(|| {
                    (
                        redact(&idea.title, &title_spans),
                        redact(&idea.description, &description_spans),
                    )
                }),
            }
        })
        .collect();
    let audit = found
        .actions
        .iter()
        .map(|a| AuditRow {
            id: a.id,
            at: when(&a.at),
            staff: a.staff.clone(),
            what: what(a),
            reason: a.reason.clone(),
            can_undo: a.action != ActionKind::Undo,
            undone: a.action != ActionKind::Undo && state.undone.contains(&a.id),
            flag_judgement: matches!(a.action, ActionKind::HandleFlag | ActionKind::NotAConcern),
        })
        .collect();
    SubmissionPage {
        s,
        actions: format!("/admin/submissions/{}/actions", s.reference),
        flag,
        about,
        ideas,
        can_withhold: state.withheld.is_none(),
        can_mark_spam: state.spam.is_none(),
        can_raise_flag: !s.flag_open,
        categories,
        audit,
        emails: Vec::new(),
        coding,
        similarity: Vec::new(),
        may: May::default(),
    }
}

/// What an action did, in words.
fn what(a: &ModerationAction) -> String {
    match (a.action, a.idea, a.undoes) {
        (ActionKind::Undo, _, Some(id)) => format!("Undid action {id}"),
        (ActionKind::Redact, Some(i), _) => format!(
            "Redacted {} span(s) in idea {} ({})",
            a.spans.len(),
            i + 1,
            a.field.as_deref().unwrap_or("")
        ),
        (kind, Some(i), _) => format!("{} (idea {})", kind.label(), i + 1),
        (kind, None, _) => kind.label().to_owned(),
    }
}

/// A moderation form as posted: every field is text.
#[derive(Deserialize)]
pub struct ActionForm {
    action: String,
    #[serde(default)]
    idea: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    undoes: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    category: String,
}

pub async fn act(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(reference): PagePath<Reference>,
    PageForm(form): PageForm<ActionForm>,
) -> Result<Response, HtmlError> {
    let action = ActionKind::from_wire(&form.action)
        .ok_or(ApiError::InvalidAction("Unknown moderation action"))?;
    let none_if_empty = |s: String| Some(s).filter(|s| !s.is_empty());
    let request = ActionRequest {
        action,
        idea: form.idea.trim().parse().ok(),
        field: none_if_empty(form.field),
        text: none_if_empty(form.text),
        undoes: form.undoes.trim().parse().ok(),
        reason: form.reason,
        category: none_if_empty(form.category),
    };
    apply_action(&state, &staff, &reference, request).await?;
    // A parsed reference holds only letters, digits and hyphens.
    Ok(Redirect::to(&format!("/admin/submissions/{reference}#audit")).into_response())
}

#[derive(Template)]
#[template(path = "erased.html")]
struct ErasedPage {
    reference: String,
}

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    confirm: String,
}

pub async fn erase(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(reference): PagePath<Reference>,
    PageForm(form): PageForm<EraseForm>,
) -> Result<Response, HtmlError> {
    if Reference::parse(&form.confirm).ok().as_ref() != Some(&reference) {
        return Err(ApiError::InvalidAction(
            "Type the submission's reference exactly to confirm erasing it",
        )
        .into());
    }
    crate::review::service::erase(&state, &staff, &reference).await?;
    Ok(render(&ErasedPage {
        reference: reference.to_string(),
    }))
}
