//! The codebook's staff pages, server-rendered without scripts:
//! `GET /admin/calls/{call}/codes` (`codebook.html`), the codes of a call
//! with their counts (a bar chart and tables), and forms to create and edit
//! codes; the coding controls on each idea of the submission page
//! (`idea_coding.html`, `coding_trail.html`, built by [`coding_view`]); and
//! the forms they post: create or edit a code, apply, remove or undo a code on
//! an idea, mark an idea as read.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cfi_rules::Reference;
use serde::Deserialize;

use super::service::{
    AnalysisError, CodeCount, CodeRequest, CodingRequest, change_coding, codebook, counts,
    create_code, edit_code, mark_read, perspective_label, set_summary_published, submission_coding,
};
use super::similar_pages::{SimilarRow, SuggestionRow, idea_rows};
use crate::auth::pages::{HtmlError, PageForm, PagePath, StaffPage};
use crate::config::Config;
use crate::http::html::{private_pages, render, when};
use crate::http::problem::ApiError;
use crate::storage::{Code, CodingKind};
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    private_pages(
        Router::new()
            .route("/admin/calls/{call}/codes", get(show).post(create))
            .route(
                "/admin/calls/{call}/codes/publication",
                post(switch_summary),
            )
            .route("/admin/calls/{call}/codes/{code}", post(edit))
            .route("/admin/submissions/{reference}/codings", post(code_idea))
            .route("/admin/submissions/{reference}/read", post(read)),
    )
}

#[derive(Template)]
#[template(path = "codebook.html")]
struct CodebookPage {
    call: String,
    title: String,
    ideas: usize,
    uncoded: usize,
    rows: Vec<CodeRow>,
    codes: Vec<Code>,
    chart: BarChart,
    /// Staff published the call's ideas.
    call_published: bool,
    /// Staff published the summary of counts by code.
    summary_published: bool,
}

struct CodeRow {
    id: i64,
    name: String,
    description: String,
    parent: String,
    ideas: usize,
    people: usize,
    /// "label: n" pieces, by what is split.
    splits: Vec<(&'static str, String)>,
}

/// Horizontal bars, one per code, for the ideas each code holds.
struct BarChart {
    left: f64,
    width: f64,
    height: usize,
    bars: Vec<Bar>,
    max: usize,
}

struct Bar {
    y: usize,
    text_y: usize,
    width: String,
    /// Where the number after the bar starts.
    value_x: String,
    label: String,
    ideas: usize,
}

/// Where the chart's bars start and how wide they may grow.
const CHART_LABEL_WIDTH: f64 = 220.0;
const CHART_BAR_SPACE: f64 = 500.0;
const CHART_ROW: usize = 24;

fn bar_chart(rows: &[CodeRow]) -> BarChart {
    let max = rows.iter().map(|r| r.ideas).max().unwrap_or(0).max(1);
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let width = CHART_BAR_SPACE * r.ideas as f64 / max as f64;
            Bar {
                y: i * CHART_ROW + 4,
                text_y: i * CHART_ROW + 18,
                width: format!("{width:.1}"),
                value_x: format!("{:.1}", CHART_LABEL_WIDTH + width + 6.0),
                label: r.name.clone(),
                ideas: r.ideas,
            }
        })
        .collect();
    BarChart {
        left: CHART_LABEL_WIDTH,
        width: CHART_LABEL_WIDTH + CHART_BAR_SPACE + 40.0,
        height: rows.len() * CHART_ROW + 8,
        bars,
        max,
    }
}

/// "a: 2; b: 1", with each key read through `label`.
fn split_words(split: &BTreeMap<String, usize>, label: impl Fn(&str) -> String) -> String {
    split
        .iter()
        .map(|(k, n)| format!("{}: {n}", label(k)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn code_row(config: &Config, call: &str, codes: &[Code], count: &CodeCount) -> CodeRow {
    let code = codes.iter().find(|c| c.id == count.code);
    let parent = count
        .parent
        .and_then(|p| codes.iter().find(|c| c.id == p))
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let age = |k: &str| {
        cfi_rules::AgeBand::from_wire(k).map_or_else(|| k.to_owned(), |a| a.label().to_owned())
    };
    let capacity = |k: &str| {
        cfi_rules::Capacity::from_wire(k).map_or_else(|| k.to_owned(), |c| c.label().to_owned())
    };
    let partner = |k: &str| {
        if k == "own" {
            "The review's own site".to_owned()
        } else {
            config.partner_name(k).to_owned()
        }
    };
    CodeRow {
        id: count.code,
        name: count.name.clone(),
        description: code.map(|c| c.description.clone()).unwrap_or_default(),
        parent,
        ideas: count.ideas,
        people: count.people,
        splits: vec![
            (
                "Perspective",
                split_words(&count.by_perspective, |k| {
                    perspective_label(config, call, k)
                }),
            ),
            ("Answering as", split_words(&count.by_capacity, capacity)),
            ("Age", split_words(&count.by_age_band, age)),
            ("Partner", split_words(&count.by_partner, partner)),
        ],
    }
}

pub async fn show(
    StaffPage(_): StaffPage,
    State(state): State<AppState>,
    PagePath(call): PagePath<String>,
) -> Result<Response, HtmlError> {
    let found = counts(&state, &call).await?;
    let codes = codebook(&state, &call).await?;
    let rows: Vec<CodeRow> = found
        .codes
        .iter()
        .map(|c| code_row(&state.config, &call, &codes, c))
        .collect();
    let title = state
        .config
        .call(&call)
        .map_or_else(|| call.clone(), |c| c.title.clone());
    let call_published = state.storage.is_published(&call).await?;
    let summary_published = state.storage.is_code_summary_published(&call).await?;
    Ok(render(&CodebookPage {
        chart: bar_chart(&rows),
        call,
        title,
        ideas: found.ideas,
        uncoded: found.uncoded,
        rows,
        codes,
        call_published,
        summary_published,
    }))
}

/// The switch of the public summary as posted: `on` or `off`.
#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    published: String,
}

pub async fn switch_summary(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(call): PagePath<String>,
    PageForm(form): PageForm<SwitchForm>,
) -> Result<Response, HtmlError> {
    let published = match form.published.as_str() {
        "on" => true,
        "off" => false,
        _ => {
            return Err(ApiError::InvalidAction("Say whether to publish the summary.").into());
        }
    };
    set_summary_published(&state, &staff, &call, published).await?;
    Ok(Redirect::to(&format!("/admin/calls/{call}/codes#summary")).into_response())
}

/// A code's form as posted: every field is text.
#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    parent: String,
}

impl CodeForm {
    fn request(self) -> Result<CodeRequest, AnalysisError> {
        let parent = match self.parent.trim() {
            "" => None,
            id => Some(id.parse().map_err(|_| {
                AnalysisError::Invalid("Choose a parent code from this call's codebook.")
            })?),
        };
        Ok(CodeRequest {
            name: self.name,
            description: self.description,
            parent,
        })
    }
}

/// Back to the codebook, at the code changed. A call id is a configured
/// slug, so it needs no escaping in a path.
fn to_code(call: &str, code: i64) -> Response {
    Redirect::to(&format!("/admin/calls/{call}/codes#code-{code}")).into_response()
}

pub async fn create(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(call): PagePath<String>,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, HtmlError> {
    let code = create_code(&state, &staff, &call, &form.request()?).await?;
    Ok(to_code(&code.call, code.id))
}

pub async fn edit(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath((call, id)): PagePath<(String, i64)>,
    PageForm(form): PageForm<CodeForm>,
) -> Result<Response, HtmlError> {
    let code = edit_code(&state, &staff, &call, id, &form.request()?).await?;
    Ok(to_code(&code.call, code.id))
}

/// The coding controls of one submission's page.
pub struct CodingView {
    /// Where the coding forms post.
    pub action: String,
    /// Where the read forms post.
    pub read_action: String,
    /// Where the decisions on suggested codes post.
    pub suggest_action: String,
    /// The codebook page of the submission's call.
    pub codebook: String,
    pub ideas: Vec<IdeaCoding>,
    pub trail: Vec<TrailRow>,
}

/// One idea's codes, the codes it could get, and who read it.
pub struct IdeaCoding {
    pub number: usize,
    pub applied: Vec<Code>,
    pub available: Vec<Code>,
    /// Who read it and when.
    pub read: Option<(String, String)>,
    /// The ideas most like it in other submissions.
    pub similar: Vec<SimilarRow>,
    /// Codes suggested for it (only when it has none), never applied
    /// until a person accepts.
    pub suggestions: Vec<SuggestionRow>,
}

pub struct TrailRow {
    pub id: i64,
    pub at: String,
    pub staff: String,
    pub what: String,
    pub can_undo: bool,
    pub undone: bool,
}

/// The coding controls for the submission page (built here so the review
/// pages need nothing of the codebook but this).
pub async fn coding_view(
    state: &AppState,
    reference: &Reference,
) -> Result<CodingView, AnalysisError> {
    let found = submission_coding(state, reference).await?;
    let mut similarity = idea_rows(state, reference).await?.into_iter();
    let name = |id: i64| {
        found
            .codebook
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| format!("code {id}"), |c| c.name.clone())
    };
    let ideas = (0..found.ideas)
        .map(|i| {
            let (applied, available) = found.codebook.iter().cloned().partition(|c| {
                found
                    .codings
                    .iter()
                    .any(|coding| coding.idea == i && coding.code == c.id)
            });
            let (similar, suggestions) = similarity.next().unwrap_or_default();
            IdeaCoding {
                number: i + 1,
                similar,
                suggestions,
                applied,
                available,
                read: found
                    .reads
                    .iter()
                    .find(|r| r.idea == i)
                    .map(|r| (r.staff.clone(), when(&r.at))),
            }
        })
        .collect();
    let trail = found
        .actions
        .iter()
        .map(|a| {
            let what = match a.action {
                CodingKind::Apply => format!("Applied {} to idea {}", name(a.code), a.idea + 1),
                CodingKind::Remove => {
                    format!("Removed {} from idea {}", name(a.code), a.idea + 1)
                }
                CodingKind::Undo => format!(
                    "Undid change {} ({} on idea {})",
                    a.undoes.unwrap_or_default(),
                    name(a.code),
                    a.idea + 1
                ),
            };
            TrailRow {
                id: a.id,
                at: when(&a.at),
                staff: a.staff.clone(),
                what,
                can_undo: a.action != CodingKind::Undo,
                undone: found.actions.iter().any(|b| b.undoes == Some(a.id)),
            }
        })
        .collect();
    Ok(CodingView {
        action: format!("/admin/submissions/{reference}/codings"),
        read_action: format!("/admin/submissions/{reference}/read"),
        suggest_action: format!("/admin/submissions/{reference}/suggestions"),
        codebook: format!("/admin/calls/{}/codes", found.call),
        ideas,
        trail,
    })
}

/// A coding form as posted: every field is text.
#[derive(Deserialize)]
pub struct CodingForm {
    action: String,
    #[serde(default)]
    idea: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    undoes: String,
}

pub async fn code_idea(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(reference): PagePath<Reference>,
    PageForm(form): PageForm<CodingForm>,
) -> Result<Response, HtmlError> {
    let action = CodingKind::from_wire(&form.action)
        .ok_or(ApiError::InvalidAction("Unknown coding change."))?;
    let request = CodingRequest {
        action,
        idea: form.idea.trim().parse().ok(),
        code: form.code.trim().parse().ok(),
        undoes: form.undoes.trim().parse().ok(),
    };
    let recorded = change_coding(&state, &staff, &reference, &request).await?;
    // A parsed reference holds only letters, digits and hyphens.
    Ok(Redirect::to(&format!(
        "/admin/submissions/{reference}#codes-{}",
        recorded.idea + 1
    ))
    .into_response())
}

/// A read form as posted.
#[derive(Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    idea: String,
    /// `on` marks the idea as read, `off` clears the mark.
    #[serde(default)]
    read: String,
}

pub async fn read(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(reference): PagePath<Reference>,
    PageForm(form): PageForm<ReadForm>,
) -> Result<Response, HtmlError> {
    let read = match form.read.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(ApiError::InvalidAction("Say whether the idea was read.").into()),
    };
    let idea: Option<usize> = form.idea.trim().parse().ok();
    mark_read(&state, &staff, &reference, idea, read).await?;
    Ok(Redirect::to(&format!(
        "/admin/submissions/{reference}#codes-{}",
        idea.unwrap_or(1)
    ))
    .into_response())
}
