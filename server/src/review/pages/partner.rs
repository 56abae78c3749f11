//! `GET /partner` (`partner.html`): a partner's own submissions per call and
//! per day, never what they say. Staff see every partner.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::chart::Chart;
use crate::AppState;
use crate::auth::Principal;
use crate::auth::pages::{HtmlError, ViewerPage};
use crate::http::html::render;
use crate::review::service::counts_for;

#[derive(Template)]
#[template(path = "partner.html")]
struct PartnerPage {
    heading: String,
    staff: bool,
    total: i64,
    calls: Vec<CallCount>,
    chart: Chart,
}

struct CallCount {
    title: String,
    submissions: i64,
}

pub async fn show(
    ViewerPage(viewer): ViewerPage,
    State(state): State<AppState>,
) -> Result<Response, HtmlError> {
    let config = &state.config;
    let counts = counts_for(&state, &viewer).await?;
    let (heading, staff) = match &viewer {
        Principal::Partner(id) => (
            format!("Submissions through {}", config.partner_name(id)),
            false,
        ),
        Principal::Staff { .. } => ("Submissions by partner".to_owned(), true),
    };
    let calls = config
        .calls
        .iter()
        .map(|call| CallCount {
            title: call.title.clone(),
            submissions: counts
                .iter()
                .filter(|c| c.call == call.id)
                .map(|c| c.submissions)
                .sum(),
        })
        .collect();
    Ok(render(&PartnerPage {
        heading,
        staff,
        total: counts.iter().map(|c| c.submissions).sum(),
        calls,
        chart: Chart::new(config, &counts),
    }))
}
