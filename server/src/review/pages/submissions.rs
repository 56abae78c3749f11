//! `GET /admin/submissions` (`submissions.html`): search and filters, one
//! page of results (open flags first, then the newest), and links to the
//! pages before and after.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{Part, partner_label, parts};
use crate::AppState;
use crate::auth::pages::{HtmlError, PageQuery, StaffPage};
use crate::config::Config;
use crate::http::html::{render, when};
use crate::limits::PER_PAGE;
use crate::moderation::ModerationState;
use crate::review::filter::{FilterQuery, OWN_SITE};
use crate::review::service::search;
use crate::safeguarding::matches;
use crate::storage::StoredSubmission;

#[derive(Template)]
#[template(path = "submissions.html")]
struct SubmissionsPage {
    q: String,
    from: String,
    to: String,
    selects: Vec<Select>,
    total: i64,
    page: u32,
    pages: i64,
    rows: Vec<Row>,
    prev: Option<String>,
    next: Option<String>,
}

struct Select {
    name: &'static str,
    label: &'static str,
    options: Vec<Choice>,
}

struct Choice {
    value: String,
    text: String,
    selected: bool,
}

struct Row {
    reference: String,
    sent: String,
    from: String,
    partner: String,
    titles: Vec<String>,
    tags: Vec<Tag>,
    passage: Option<Vec<Part>>,
}

struct Tag {
    /// Extra CSS class, with its leading space.
    class: &'static str,
    text: &'static str,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(flatten)]
    filter: FilterQuery,
    /// 1-based; a number too large to be a page is a 400.
    page: Option<u32>,
}

pub async fn show(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    PageQuery(query): PageQuery<ListQuery>,
) -> Result<Response, HtmlError> {
    let filter = query.filter.cleaned();
    let page = query.page.unwrap_or(1).max(1);
    let found = search(&state, &filter, page).await?;
    let config = &state.config;
    let pages = (found.total + PER_PAGE - 1) / PER_PAGE;
    let references: Vec<&str> = found
        .submissions
        .iter()
        .map(|s| s.reference.as_str())
        .collect();
    let states = ModerationState::by_reference(
        &crate::moderation::persistence::actions_of(&state.storage, &references).await?,
    );
    let none = ModerationState::default();
    // The flagged passage is the safeguarding team's to read.
    let passages = staff.can(crate::auth::Permission::Safeguard);
    let rows = found
        .submissions
        .iter()
        .map(|s| row(config, s, states.get(&s.reference).unwrap_or(&none)))
        .map(|mut r| {
            if !passages {
                r.passage = None;
            }
            r
        })
        .collect();
    let page_number = i64::from(page);
    let link = |page: i64| page_link(&filter, page);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(render(&SubmissionsPage {
        q: text(&filter.q),
        from: text(&filter.from),
        to: text(&filter.to),
        selects: selects(config, &filter),
        total: found.total,
        page,
        pages,
        rows,
        prev: (pages > 1 && page_number > 1).then(|| link(page_number - 1)),
        next: (page_number < pages).then(|| link(page_number + 1)),
    }))
}

fn row(config: &Config, s: &StoredSubmission, state: &ModerationState) -> Row {
    let mut tags = Vec::new();
    if s.flag_open {
        tags.push(Tag {
            class: "",
            text: "Open flag",
        });
    } else if s.flag_phrase.is_some() && state.flag_handled.is_some() {
        tags.push(Tag {
            class: " ok",
            text: "Flag handled",
        });
    } else if s.flag_phrase.is_some() {
        tags.push(Tag {
            class: " grey",
            text: "Sensitive",
        });
    }
    if s.flag_phrase.is_some() && state.publish_decided.is_none() && !s.spam {
        tags.push(Tag {
            class: " grey",
            text: "Awaiting a publication decision",
        });
    }
    if s.spam {
        tags.push(Tag {
            class: " grey",
            text: "Spam trap",
        });
    }
    match state.summary() {
        "" => {}
        word => tags.push(Tag {
            class: " grey",
            text: word,
        }),
    }
    Row {
        reference: s.reference.clone(),
        sent: when(&s.submitted_at),
        from: sender(s),
        partner: partner_label(config, s.partner.as_deref()),
        titles: s.ideas.iter().map(|i| i.title.clone()).collect(),
        tags,
        passage: s.flag_phrase.is_some().then(|| flag_passage(s)),
    }
}

/// Who sent it, as staff see it.
fn sender(s: &StoredSubmission) -> String {
    match (s.organisation.as_deref(), s.name.as_deref()) {
        (Some(org), Some(name)) => format!("{org} ({name})"),
        (Some(org), None) => org.to_owned(),
        (None, Some(name)) => name.to_owned(),
        (None, None) => "(removed)".to_owned(),
    }
}

/// The flag's passage with its phrase marked.
pub(super) fn flag_passage(s: &StoredSubmission) -> Vec<Part> {
    match (&s.flag_phrase, &s.flag_passage) {
        (Some(phrase), Some(passage)) => {
            parts(passage, &matches(std::slice::from_ref(phrase), passage))
        }
        (Some(phrase), None) => parts(phrase, &[]),
        _ => Vec::new(),
    }
}

fn selects(config: &Config, filter: &FilterQuery) -> Vec<Select> {
    let unique = |items: &mut dyn Iterator<Item = (String, String)>| -> Vec<(String, String)> {
        let mut seen = BTreeSet::new();
        items.filter(|(v, _)| seen.insert(v.clone())).collect()
    };
    let calls = unique(&mut config.calls.iter().map(|c| (c.id.clone(), c.title.clone())));
    let mut partners: Vec<(String, String)> = config
        .partners
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    partners.push((OWN_SITE.to_owned(), "The review's own site".to_owned()));
    let capacities = cfi_rules::Capacity::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), super::capacity_words(c.as_str())))
        .collect();
    let perspectives = unique(&mut config.calls.iter().flat_map(|c| {
        c.perspectives
            .iter()
            .map(|p| (p.id.clone(), p.label.clone()))
    }));
    let ages = cfi_rules::AgeBand::ALL
        .iter()
        .map(|a| (a.as_str().to_owned(), a.label().to_owned()))
        .collect();
    let themes = unique(
        &mut config
            .calls
            .iter()
            .flat_map(|c| c.themes.iter().map(|t| (t.id.clone(), t.label.clone()))),
    );
    let flags = [
        ("open", "Open flag"),
        ("handled", "Handled flag"),
        ("any", "Any flag"),
        ("none", "Not flagged"),
    ]
    .map(|(v, t)| (v.to_owned(), t.to_owned()))
    .to_vec();
    let select = |name, label, current: &Option<String>, options: Vec<(String, String)>| Select {
        name,
        label,
        options: options
            .into_iter()
            .map(|(value, text)| Choice {
                selected: current.as_deref() == Some(value.as_str()),
                value,
                text,
            })
            .collect(),
    };
    vec![
        select("call", "Call", &filter.call, calls),
        select("partner", "Partner", &filter.partner, partners),
        select("capacity", "Answering as", &filter.capacity, capacities),
        select(
            "perspective",
            "Perspective",
            &filter.perspective,
            perspectives,
        ),
        select("age_band", "Age", &filter.age_band, ages),
        select("theme", "Theme", &filter.theme, themes),
        select("flag", "Safeguarding", &filter.flag, flags),
    ]
}

/// The filter and a page number as a link to that page of results.
fn page_link(filter: &FilterQuery, page: i64) -> String {
    #[derive(Serialize)]
    struct Link<'a> {
        #[serde(flatten)]
        filter: &'a FilterQuery,
        page: i64,
    }
    match serde_urlencoded::to_string(Link { filter, page }) {
        Ok(query) => format!("/admin/submissions?{query}"),
        Err(_) => format!("/admin/submissions?page={page}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filter_encoded() {
        let filter = FilterQuery {
            q: Some("a b&c=é".into()),
            flag: Some("open".into()),
            ..FilterQuery::default()
        };
        assert_eq!(
            page_link(&filter, 2),
            "/admin/submissions?q=a+b%26c%3D%C3%A9&flag=open&page=2"
        );
    }
}
