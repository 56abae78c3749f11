//! The coding controls on each idea of the submission page
//! (`idea_coding.html`, `coding_trail.html`, built by [`coding_view`]) and
//! the forms they post: apply, remove or undo a code on an idea, mark an
//! idea as read.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use cfi_rules::Reference;
use serde::Deserialize;

use crate::AppState;
use crate::auth::pages::{HtmlError, PageForm, PagePath, StaffPage};
use crate::codebook::persistence::{Code, CodingKind};
use crate::codebook::service::{
    CodebookError, CodingRequest, change_coding, mark_read, submission_coding,
};
use crate::http::html::when;
use crate::http::problem::ApiError;

/// The coding controls of one submission's page.
pub struct CodingView {
    /// Where the coding forms post.
    pub action: String,
    /// Where the read forms post.
    pub read_action: String,
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
) -> Result<CodingView, CodebookError> {
    let found = submission_coding(state, reference).await?;
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
            IdeaCoding {
                number: i + 1,
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
