//! The staff pages of similar ideas and groups, server-rendered without
//! scripts: `GET /admin/calls/{call}/groups` (`groups.html`), a call's
//! groups of similar ideas with their words and a form to apply a code to a
//! whole group (`POST …/groups/code`); on the submission page, each idea's
//! similar ideas and, for an idea without codes, its suggested codes with
//! Accept and Reject (`idea_similar.html`, built by [`idea_rows`]; `POST
//! /admin/submissions/{reference}/suggestions`).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cfi_rules::Reference;
use serde::Deserialize;

use super::service::AnalysisError;
use super::similar::{
    CallGroups, Decision, DecisionRequest, GroupCodingRequest, Member, SimilarIdea, Suggestion,
    call_groups, code_group, decide, submission_similarity,
};
use crate::auth::pages::{HtmlError, PageForm, PagePath, PageQuery, StaffPage};
use crate::http::html::{private_pages, render};
use crate::http::problem::ApiError;
use crate::limits::{GROUP_PAGE_MEMBERS, GROUP_TYPICAL_SHOWN};
use crate::storage::Code;
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    private_pages(
        Router::new()
            .route("/admin/calls/{call}/groups", get(show_groups))
            .route("/admin/calls/{call}/groups/code", post(code_group_form))
            .route(
                "/admin/submissions/{reference}/suggestions",
                post(decide_form),
            ),
    )
}

/// A similar idea as a row of the submission page.
pub struct SimilarRow {
    pub href: String,
    pub title: String,
    pub reference: String,
    pub idea: usize,
    /// "62%".
    pub alike: String,
    pub words: String,
}

/// A suggested code as shown, with its reason.
pub struct SuggestionRow {
    pub code: i64,
    pub name: String,
    pub reason: String,
}

fn percent(score: f64) -> String {
    format!("{:.0}%", score * 100.0)
}

fn similar_row(s: SimilarIdea) -> SimilarRow {
    SimilarRow {
        // A reference holds only letters, digits and hyphens.
        href: format!("/admin/submissions/{}#idea-{}", s.reference, s.idea),
        title: s.title,
        reference: s.reference,
        idea: s.idea,
        alike: percent(s.score),
        words: s.words.join(", "),
    }
}

fn suggestion_row(s: Suggestion) -> SuggestionRow {
    SuggestionRow {
        code: s.code,
        name: s.name,
        reason: s.reason,
    }
}

/// The similar ideas and suggested codes of each idea of a submission
/// (index 0 for idea 1), for the submission page. Viewing applies nothing.
pub async fn idea_rows(
    state: &AppState,
    reference: &Reference,
) -> Result<Vec<(Vec<SimilarRow>, Vec<SuggestionRow>)>, AnalysisError> {
    let found = submission_similarity(state, reference).await?;
    Ok(found
        .similar
        .into_iter()
        .zip(found.suggestions)
        .map(|(similar, suggestions)| {
            (
                similar.into_iter().map(similar_row).collect(),
                suggestions.into_iter().map(suggestion_row).collect(),
            )
        })
        .collect())
}

/// A decision form as posted: every field is text.
#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    idea: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    decision: String,
}

pub async fn decide_form(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(reference): PagePath<Reference>,
    PageForm(form): PageForm<DecisionForm>,
) -> Result<Response, HtmlError> {
    let decision = match form.decision.as_str() {
        "accept" => Decision::Accept,
        "reject" => Decision::Reject,
        _ => return Err(ApiError::InvalidAction("Accept or reject the suggestion.").into()),
    };
    let request = DecisionRequest {
        idea: form
            .idea
            .trim()
            .parse()
            .map_err(|_| AnalysisError::Invalid("Choose one of the submission's ideas."))?,
        code: form
            .code
            .trim()
            .parse()
            .map_err(|_| AnalysisError::Invalid("Choose a code from this call's codebook."))?,
        decision,
    };
    decide(&state, &staff, &reference, &request).await?;
    Ok(Redirect::to(&format!(
        "/admin/submissions/{reference}#codes-{}",
        request.idea
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    call: String,
    title: String,
    ideas: usize,
    groups: Vec<GroupBlock>,
    other: Vec<Member>,
    /// Ideas in no group, when more than the page lists.
    other_size: usize,
    codes: Vec<Code>,
    /// What the last group coding did, in words.
    done: Option<String>,
}

struct GroupBlock {
    id: usize,
    size: usize,
    words: String,
    version: String,
    /// The most typical few, shown open.
    first: Vec<Member>,
    /// The members listed in the disclosure (at most
    /// [`GROUP_PAGE_MEMBERS`]).
    members: Vec<Member>,
}

/// What the page says after coding a group (from the redirect's query).
#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    group: Option<usize>,
    #[serde(default)]
    coded: Option<usize>,
    #[serde(default)]
    unchanged: Option<usize>,
}

pub async fn show_groups(
    StaffPage(_): StaffPage,
    State(state): State<AppState>,
    PagePath(call): PagePath<String>,
    PageQuery(done): PageQuery<Done>,
) -> Result<Response, HtmlError> {
    let found: CallGroups = call_groups(&state, &call).await?;
    let codes = state.storage.codes(&call).await?;
    let title = state
        .config
        .call(&call)
        .map_or_else(|| call.clone(), |c| c.title.clone());
    let done = match (done.group, done.coded, done.unchanged) {
        (Some(group), Some(coded), Some(unchanged)) => Some(format!(
            "The code was applied to {coded} ideas of group {group}; {unchanged} already had it."
        )),
        _ => None,
    };
    let other_size = found.other.len();
    Ok(render(&GroupsPage {
        groups: found
            .groups
            .into_iter()
            .map(|g| GroupBlock {
                id: g.id,
                size: g.size,
                words: g.words.join(", "),
                version: g.version,
                first: g
                    .members
                    .iter()
                    .take(GROUP_TYPICAL_SHOWN)
                    .cloned()
                    .collect(),
                members: g.members.into_iter().take(GROUP_PAGE_MEMBERS).collect(),
            })
            .collect(),
        other: found.other.into_iter().take(GROUP_PAGE_MEMBERS).collect(),
        other_size,
        call,
        title,
        ideas: found.ideas,
        codes,
        done,
    }))
}

/// A group coding form as posted: every field is text.
#[derive(Deserialize)]
pub struct GroupCodingForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
}

pub async fn code_group_form(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(call): PagePath<String>,
    PageForm(form): PageForm<GroupCodingForm>,
) -> Result<Response, HtmlError> {
    let request = GroupCodingRequest {
        code: form
            .code
            .trim()
            .parse()
            .map_err(|_| AnalysisError::Invalid("Choose a code from this call's codebook."))?,
        group: form
            .group
            .trim()
            .parse()
            .map_err(|_| AnalysisError::Invalid("Choose one of the groups."))?,
        version: form.version,
    };
    let done = code_group(&state, &staff, &call, &request).await?;
    // A call id is a configured slug, so it needs no escaping in a path.
    Ok(Redirect::to(&format!(
        "/admin/calls/{}/groups?group={}&coded={}&unchanged={}#group-{}",
        done.call, done.group, done.coded, done.unchanged, done.group
    ))
    .into_response())
}
