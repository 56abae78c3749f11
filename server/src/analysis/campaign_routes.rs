//! The campaigns of a call, for staff: `GET /api/admin/calls/{call}/campaigns`
//! and `POST …/campaigns/code` (JSON), and the page
//! `GET /admin/calls/{call}/campaigns` (`campaigns.html`, no scripts) with
//! its form `POST /admin/calls/{call}/campaigns/code`. Both call
//! [`super::campaigns`].

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::campaigns::{
    Campaign, CampaignCoded, CampaignCoding, Campaigns, campaigns, code_campaign,
};
use super::service::{AnalysisError, codebook};
use crate::auth::Staff;
use crate::auth::pages::{HtmlError, PageForm, PagePath, StaffPage};
use crate::http::extract::{Json, Path};
use crate::http::html::{private_pages, render};
use crate::http::problem::ApiError;
use crate::limits::CAMPAIGN_MEMBERS_SHOWN;
use crate::storage::Code;
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/calls/{call}/campaigns", get(campaigns_json))
        .route("/api/admin/calls/{call}/campaigns/code", post(code_json))
        .merge(private_pages(
            Router::new()
                .route("/admin/calls/{call}/campaigns", get(show))
                .route("/admin/calls/{call}/campaigns/code", post(code_form)),
        ))
}

/// The answer of `GET /api/admin/calls/{call}/campaigns`.
#[derive(serde::Serialize)]
struct CampaignsAnswer<'a> {
    call: String,
    #[serde(flatten)]
    found: &'a Campaigns,
}

async fn campaigns_json(
    _staff: Staff,
    State(state): State<AppState>,
    Path(call): Path<String>,
) -> Result<Response, ApiError> {
    let found = campaigns(&state, &call).await?;
    Ok(Json(CampaignsAnswer {
        call,
        found: &found,
    })
    .into_response())
}

async fn code_json(
    staff: Staff,
    State(state): State<AppState>,
    Path(call): Path<String>,
    Json(request): Json<CampaignCoding>,
) -> Result<Json<CampaignCoded>, ApiError> {
    Ok(Json(code_campaign(&state, &staff, &call, &request).await?))
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

async fn show(
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

async fn code_form(
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
