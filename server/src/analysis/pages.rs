//! The analyses' staff pages, server-rendered without scripts:
//! `GET /admin/calls/{call}/groups` (`groups.html`), a call's groups of
//! similar ideas with their words and a form to apply a code to a whole
//! group (`POST …/groups/code`); `GET /admin/calls/{call}/campaigns`
//! (`campaigns.html`) with its form `POST …/campaigns/code`; on the
//! submission page, each idea's similar ideas and, for an idea without
//! codes, its suggested codes with Accept and Reject (`idea_similar.html`,
//! built by [`idea_rows`]; `POST /admin/submissions/{reference}/suggestions`).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cfi_rules::Reference;
use serde::Deserialize;

use super::campaigns::{Campaign, CampaignCoding, campaigns, code_campaign};
use super::groups::{CallGroups, GroupCodingRequest, Member, call_groups, code_group};
use super::service::{AnalysisError, codebook};
use super::similar::SimilarIdea;
use super::suggestions::{Decision, DecisionRequest, Suggestion, decide, submission_similarity};
use crate::auth::pages::{HtmlError, PageForm, PagePath, PageQuery, StaffPage};
use crate::codebook::persistence::Code;
use crate::http::html::{private_pages, render};
use crate::http::problem::ApiError;
use crate::limits::{CAMPAIGN_MEMBERS_SHOWN, GROUP_PAGE_MEMBERS, GROUP_TYPICAL_SHOWN};
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    private_pages(
        Router::new()
            .route("/admin/calls/{call}/groups", get(show_groups))
            .route("/admin/calls/{call}/groups/code", post(code_group_form))
            .route("/admin/calls/{call}/campaigns", get(show_campaigns))
            .route(
                "/admin/calls/{call}/campaigns/code",
                post(code_campaign_form),
            )
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

/// One idea's similar ideas and suggested codes, as the submission page
/// shows them (`idea_similar.html`).
pub struct IdeaSimilarity {
    /// The idea, numbered from 1.
    pub number: usize,
    /// The ideas most like it in other submissions.
    pub similar: Vec<SimilarRow>,
    /// Codes suggested for it (only when it has none), never applied
    /// until a person accepts.
    pub suggestions: Vec<SuggestionRow>,
    /// Where the decisions on suggested codes post.
    pub suggest_action: String,
}

/// The similar ideas and suggested codes of each idea of a submission
/// (index 0 for idea 1), for the submission page (built here so the review
/// pages need nothing of the analyses but this). Viewing applies nothing.
pub async fn idea_rows(
    state: &AppState,
    reference: &Reference,
) -> Result<Vec<IdeaSimilarity>, AnalysisError> {
    let found = submission_similarity(state, reference).await?;
    Ok(found
        .similar
        .into_iter()
        .zip(found.suggestions)
        .enumerate()
        .map(|(i, (similar, suggestions))| IdeaSimilarity {
            number: i + 1,
            similar: similar.into_iter().map(similar_row).collect(),
            suggestions: suggestions.into_iter().map(suggestion_row).collect(),
            suggest_action: format!("/admin/submissions/{reference}/suggestions"),
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
    let codes = codebook(&state, &call).await?;
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

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage<'a> {
    call: String,
    title: String,
    ideas: usize,
    /// Ideas in some campaign.
    in_campaigns: usize,
    campaigns: &'a [Campaign],
    codes: Vec<Code>,
    shown: usize,
}

async fn show_campaigns(
    StaffPage(_): StaffPage,
    State(state): State<AppState>,
    PagePath(call): PagePath<String>,
) -> Result<Response, HtmlError> {
    let found = campaigns(&state, &call).await?;
    let codes = codebook(&state, &call).await?;
    let title = state
        .config
        .call(&call)
        .map_or_else(|| call.clone(), |c| c.title.clone());
    Ok(render(&CampaignsPage {
        title,
        ideas: found.ideas,
        in_campaigns: found.campaigns.iter().map(|c| c.size).sum(),
        campaigns: &found.campaigns,
        codes,
        shown: CAMPAIGN_MEMBERS_SHOWN,
        call,
    }))
}

/// The campaign form as posted: every field is text.
#[derive(Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    version: String,
    /// `apply` or `remove`.
    #[serde(default)]
    action: String,
}

async fn code_campaign_form(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(call): PagePath<String>,
    PageForm(form): PageForm<CampaignForm>,
) -> Result<Response, HtmlError> {
    let remove = match form.action.as_str() {
        "apply" | "" => false,
        "remove" => true,
        _ => return Err(ApiError::InvalidAction("Unknown campaign coding change.").into()),
    };
    let request = CampaignCoding {
        code: form
            .code
            .trim()
            .parse()
            .map_err(|_| AnalysisError::Invalid("Choose a code from this call's codebook."))?,
        campaign: form.campaign.trim().parse().unwrap_or(0),
        version: form.version,
        remove,
    };
    let coded = code_campaign(&state, &staff, &call, &request).await?;
    Ok(Redirect::to(&format!(
        "/admin/calls/{call}/campaigns#campaign-{}",
        coded.campaign
    ))
    .into_response())
}
