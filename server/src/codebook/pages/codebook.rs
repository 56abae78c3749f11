//! The codebook page, `GET /admin/calls/{call}/codes` (`codebook.html`):
//! the codes of a call with their counts (a bar chart and a table), the
//! switch of the public summary, and the form to create a code; each code
//! is edited on a page of its own, `GET /admin/calls/{call}/codes/{code}`
//! (`code_edit.html`), so the codebook page lists each code once whatever
//! the size of the codebook.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::AppState;
use crate::auth::pages::{HtmlError, PageForm, PagePath, StaffPage};
use crate::codebook::counts::{CodeCount, counts, perspective_label};
use crate::codebook::persistence::Code;
use crate::codebook::service::{
    CodeRequest, CodebookError, NO_CODE, codebook, create_code, edit_code,
};
use crate::codebook::summary::set_summary_published;
use crate::config::Config;
use crate::http::html::render;
use crate::http::problem::ApiError;

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

pub async fn show_codebook(
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
    let call_published =
        crate::publication::persistence::is_published(&state.storage, &call).await?;
    let summary_published =
        crate::codebook::persistence::is_code_summary_published(&state.storage, &call).await?;
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

#[derive(Template)]
#[template(path = "code_edit.html")]
struct CodePage {
    call: String,
    title: String,
    code: Code,
    /// The codes it may sit under: every other code but its own sub-codes.
    parents: Vec<Code>,
}

/// Whether the code `id` is `ancestor` or sits somewhere under it.
fn sits_under(codes: &[Code], id: i64, ancestor: i64) -> bool {
    let mut at = Some(id);
    // A codebook holds no loop (edits that would make one are refused);
    // the bound only keeps a bad row from hanging the page.
    for _ in 0..=codes.len() {
        match at {
            Some(id) if id == ancestor => return true,
            Some(id) => at = codes.iter().find(|c| c.id == id).and_then(|c| c.parent),
            None => return false,
        }
    }
    false
}

/// `GET /admin/calls/{call}/codes/{code}`: one code's form, its parent
/// chosen among the codes it may sit under.
pub async fn show_code(
    StaffPage(_): StaffPage,
    State(state): State<AppState>,
    PagePath((call, id)): PagePath<(String, i64)>,
) -> Result<Response, HtmlError> {
    let codes = codebook(&state, &call).await?;
    let code = codes.iter().find(|c| c.id == id).cloned().ok_or(NO_CODE)?;
    let parents = codes
        .iter()
        .filter(|c| !sits_under(&codes, c.id, id))
        .cloned()
        .collect();
    let title = state
        .config
        .call(&call)
        .map_or_else(|| call.clone(), |c| c.title.clone());
    Ok(render(&CodePage {
        call,
        title,
        code,
        parents,
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
    fn request(self) -> Result<CodeRequest, CodebookError> {
        let parent = match self.parent.trim() {
            "" => None,
            id => Some(id.parse().map_err(|_| {
                CodebookError::Invalid("Choose a parent code from this call's codebook.")
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
