//! `GET /admin` (`dashboard.html`): totals, each call with its publication
//! switch and exports, the chart, partners, recent audit events and the
//! count of tokens refused (from the database, so every replica's); and
//! `POST /admin/calls/{call}/publication`, the switch.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::chart::Chart;
use super::partner_label;
use crate::AppState;
use crate::auth::FailureCounts;
use crate::auth::Principal;
use crate::auth::pages::{HtmlError, PageForm, PagePath, StaffPage};
use crate::http::html::{render, when};
use crate::http::problem::ApiError;
use crate::limits::{AUTH_FAILURES_KEPT, DASHBOARD_ALERT_LINES, DASHBOARD_AUDIT_LINES};
use crate::review::service::{counts_for, set_publication};

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    staff: String,
    /// The roles held, in words.
    roles: String,
    /// Links to accounts, tokens and the access record.
    administrator: bool,
    total: i64,
    open_flags: i64,
    flagged: i64,
    spam: i64,
    calls: Vec<CallRow>,
    chart: Chart,
    by_partner: BTreeMap<String, i64>,
    audit: Vec<AuditLine>,
    failed_sign_ins: FailureCounts,
    /// How many days of failures are kept (and counted).
    failures_kept_days: u64,
    alerts: Vec<AlertLine>,
    /// The sentence-embedding model is loaded (else the net and the
    /// analyses use words only, and staff are told).
    model_loaded: bool,
    /// Submissions whose ideas wait to be read for meaning.
    reading: i64,
    /// Flags per category and level, with those marked not a concern.
    flag_counts: Vec<FlagCountLine>,
}

struct FlagCountLine {
    category: String,
    level: String,
    raised: i64,
    not_a_concern: i64,
}

/// A safeguarding alert and its state.
struct AlertLine {
    reference: String,
    state: String,
}

struct CallRow {
    id: String,
    title: String,
    submissions: i64,
    published: bool,
}

struct AuditLine {
    at: String,
    staff: String,
    detail: String,
    call: String,
    reference: String,
}

pub async fn show(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
) -> Result<Response, HtmlError> {
    let config = &state.config;
    let viewer = Principal::Staff {
        name: staff.name.clone(),
        roles: staff.roles,
    };
    let counts = counts_for(&state, &viewer).await?;
    let mut calls = Vec::new();
    for call in &config.calls {
        calls.push(CallRow {
            id: call.id.clone(),
            title: call.title.clone(),
            submissions: counts
                .iter()
                .filter(|c| c.call == call.id)
                .map(|c| c.submissions)
                .sum(),
            published: crate::publication::persistence::is_published(&state.storage, &call.id)
                .await?,
        });
    }
    let mut by_partner: BTreeMap<String, i64> = BTreeMap::new();
    for c in &counts {
        *by_partner
            .entry(partner_label(config, c.partner.as_deref()))
            .or_default() += c.submissions;
    }
    let audit = crate::review::persistence::audit_log(&state.storage, None, DASHBOARD_AUDIT_LINES)
        .await?
        .into_iter()
        .map(|e| AuditLine {
            at: when(&e.at),
            staff: e.staff,
            detail: e.detail,
            call: e.call.unwrap_or_default(),
            reference: e.reference.unwrap_or_default(),
        })
        .collect();
    let failed_sign_ins = crate::auth::failure_counts(&state).await?;
    let alerts = crate::outbox::persistence::recent_alerts(&state.storage, DASHBOARD_ALERT_LINES)
        .await?
        .into_iter()
        .map(|m| AlertLine {
            state: crate::outbox::describe(&m),
            reference: m.reference,
        })
        .collect();
    let flag_counts = crate::safeguarding::persistence::counts(&state.storage)
        .await?
        .into_iter()
        .map(|c| FlagCountLine {
            category: crate::safeguarding::category_words(&c.category),
            level: c.level,
            raised: c.raised,
            not_a_concern: c.not_a_concern,
        })
        .collect();
    Ok(render(&Dashboard {
        roles: staff.roles.to_string(),
        administrator: staff.can(crate::auth::Permission::Administer),
        staff: staff.name,
        total: counts.iter().map(|c| c.submissions).sum(),
        open_flags: counts.iter().map(|c| c.open_flags).sum(),
        flagged: counts.iter().map(|c| c.flagged).sum(),
        spam: counts.iter().map(|c| c.spam).sum(),
        calls,
        chart: Chart::new(config, &counts),
        by_partner,
        audit,
        failed_sign_ins,
        failures_kept_days: AUTH_FAILURES_KEPT.as_secs() / (24 * 60 * 60),
        alerts,
        model_loaded: state.model.is_some(),
        reading: if state.config.embed_ideas {
            crate::embeddings::persistence::queued(&state.storage).await?
        } else {
            0
        },
        flag_counts,
    }))
}

#[derive(Deserialize)]
pub struct PublicationForm {
    published: String,
}

pub async fn switch_publication(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PagePath(call): PagePath<String>,
    PageForm(form): PageForm<PublicationForm>,
) -> Result<Response, HtmlError> {
    let published = match form.published.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(ApiError::InvalidAction("Publication is on or off").into()),
    };
    set_publication(&state, &staff, &call, published).await?;
    Ok(Redirect::to("/admin").into_response())
}
