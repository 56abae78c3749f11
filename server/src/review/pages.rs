//! The review team's pages, server-rendered HTML without scripts: sign-in,
//! dashboard (totals, a chart of submissions per day per partner, the
//! publication switch), the searchable list with filters, one submission
//! with its moderation forms and audit trail, and the partners' counts page.
//! Every piece of stored or requested text goes through [`escape`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::filter::{Filter, OWN_SITE};
use super::service::{
    ActionRequest, Detail, PER_PAGE, apply_action, counts_for, detail, erase, search,
    set_publication,
};
use crate::auth::Principal;
use crate::auth::pages::{HtmlError, StaffPage, ViewerPage, nav};
use crate::config::Config;
use crate::http::html::{escape, highlighted, page, private_page, query_value};
use crate::http::problem::ApiError;
use crate::intake::safeguarding::matches;
use crate::moderation::{ActionKind, ModerationState, redact};
use crate::storage::{DayCount, StoredSubmission};
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/submissions", get(list_page))
        .route("/admin/submissions/{reference}", get(submission_page))
        .route("/admin/submissions/{reference}/actions", post(action_form))
        .route("/admin/submissions/{reference}/erase", post(erase_form))
        .route("/admin/calls/{call}/publication", post(publication_form))
        .route("/partner", get(partner_page))
}

fn partner_label(config: &Config, partner: Option<&str>) -> String {
    match partner {
        Some(id) => config.partner_name(id).to_owned(),
        None => "The review's own site".to_owned(),
    }
}

/// Colours for chart series, distinguishable and dark enough for white gaps.
const PALETTE: [&str; 8] = [
    "#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#f47738", "#5694ca", "#85994b", "#b58840",
];

/// Stacked bars of submissions per day, one colour per partner, with a
/// table of the same numbers for screen readers and keyboard users.
fn chart(config: &Config, counts: &[DayCount]) -> String {
    let mut by_day: BTreeMap<&str, BTreeMap<String, i64>> = BTreeMap::new();
    let mut partners: BTreeSet<String> = BTreeSet::new();
    for c in counts {
        let label = partner_label(config, c.partner.as_deref());
        *by_day
            .entry(&c.day)
            .or_default()
            .entry(label.clone())
            .or_default() += c.submissions;
        partners.insert(label);
    }
    if by_day.is_empty() {
        return "<p>No submissions yet.</p>".to_owned();
    }
    let days: Vec<(&str, BTreeMap<String, i64>)> = by_day
        .into_iter()
        .rev()
        .take(60)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let partners: Vec<String> = partners.into_iter().collect();
    let max = days
        .iter()
        .map(|(_, m)| m.values().sum::<i64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (width, height, left, bottom) = (760.0_f64, 240.0_f64, 40.0_f64, 40.0_f64);
    let bar = (width - left) / days.len() as f64;
    let scale = (height - bottom - 10.0) / max as f64;
    let mut svg = format!(
        "<svg role=\"img\" aria-labelledby=\"chart-title chart-desc\" viewBox=\"0 0 {width} {h}\" \
         width=\"100%\" style=\"max-width:{width}px\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"chart-title\">Submissions per day per partner</title>\
         <desc id=\"chart-desc\">Stacked bars for {n} days, from {first} to {last}; the busiest \
         day had {max}. The same numbers are in the table below the chart.</desc>\
         <line x1=\"{left}\" y1=\"{base}\" x2=\"{width}\" y2=\"{base}\" stroke=\"#0b0c0c\"/>\
         <text x=\"0\" y=\"14\" font-size=\"12\">{max}</text>\
         <text x=\"0\" y=\"{base}\" font-size=\"12\">0</text>",
        h = height + 20.0 * ((partners.len() as f64 / 4.0).ceil()),
        n = days.len(),
        first = escape(days[0].0),
        last = escape(days[days.len() - 1].0),
        base = height - bottom,
    );
    for (i, (day, per_partner)) in days.iter().enumerate() {
        let x = left + i as f64 * bar;
        let mut y = height - bottom;
        for (p, partner) in partners.iter().enumerate() {
            let n = per_partner.get(partner).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let h = n as f64 * scale;
            y -= h;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{c}\">\
                 <title>{day}: {n} from {partner}</title></rect>",
                w = (bar - 1.0).max(1.0),
                c = PALETTE[p % PALETTE.len()],
                day = escape(day),
                partner = escape(partner),
            );
        }
        if i % (days.len() / 6).max(1) == 0 {
            let _ = write!(
                svg,
                "<text x=\"{x:.1}\" y=\"{ty}\" font-size=\"11\">{}</text>",
                escape(&day[5..]),
                ty = height - bottom + 14.0,
            );
        }
    }
    for (p, partner) in partners.iter().enumerate() {
        let x = (p % 4) as f64 * 190.0;
        let y = height - 10.0 + 20.0 * (p / 4) as f64;
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{ry}\" width=\"12\" height=\"12\" fill=\"{c}\"/>\
             <text x=\"{tx}\" y=\"{y}\" font-size=\"12\">{name}</text>",
            ry = y - 10.0,
            tx = x + 16.0,
            c = PALETTE[p % PALETTE.len()],
            name = escape(partner),
        );
    }
    svg.push_str("</svg>");
    let mut table = String::from(
        "<details><summary>Show the numbers as a table</summary><table><caption>Submissions \
         per day per partner</caption><thead><tr><th scope=\"col\">Day</th>",
    );
    for partner in &partners {
        let _ = write!(table, "<th scope=\"col\">{}</th>", escape(partner));
    }
    table.push_str("</tr></thead><tbody>");
    for (day, per_partner) in &days {
        let _ = write!(table, "<tr><th scope=\"row\">{}</th>", escape(day));
        for partner in &partners {
            let _ = write!(
                table,
                "<td>{}</td>",
                per_partner.get(partner).copied().unwrap_or(0)
            );
        }
        table.push_str("</tr>");
    }
    table.push_str("</tbody></table></details>");
    svg + &table
}

async fn dashboard(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
) -> Result<Response, HtmlError> {
    let config = &state.config;
    let counts = counts_for(&state, &Principal::Staff(staff.name.clone())).await?;
    let total: i64 = counts.iter().map(|c| c.submissions).sum();
    let flagged: i64 = counts.iter().map(|c| c.flagged).sum();
    let open: i64 = counts.iter().map(|c| c.open_flags).sum();
    let spam: i64 = counts.iter().map(|c| c.spam).sum();
    let mut body = format!(
        "<h1>Dashboard</h1><p>Signed in as {name}.</p>\
         <h2>Totals</h2><dl><dt>Submissions</dt><dd>{total}</dd>\
         <dt>Open safeguarding flags</dt><dd><a href=\"/admin/submissions?flag=open\">{open}</a> \
         (of {flagged} flagged)</dd><dt>Caught by the spam trap</dt><dd>{spam}</dd></dl>",
        name = escape(&staff.name),
    );
    body.push_str(
        "<h2>Calls</h2><table><thead><tr><th scope=\"col\">Call</th>\
         <th scope=\"col\">Submissions</th><th scope=\"col\">Publication</th>\
         <th scope=\"col\">Exports</th></tr></thead><tbody>",
    );
    for call in &config.calls {
        let n: i64 = counts
            .iter()
            .filter(|c| c.call == call.id)
            .map(|c| c.submissions)
            .sum();
        let published = state.storage.is_published(&call.id).await?;
        let id = escape(&call.id);
        let (status, button, value) = if published {
            (
                format!("Published at <a href=\"/published/{id}\">/published/{id}</a>"),
                "Stop publishing",
                "off",
            )
        } else {
            ("Not published".to_owned(), "Publish", "on")
        };
        let _ = write!(
            body,
            "<tr><th scope=\"row\"><a href=\"/admin/submissions?call={id}\">{title}</a></th>\
             <td>{n}</td><td>{status}<form method=\"post\" action=\"/admin/calls/{id}/publication\">\
             <input type=\"hidden\" name=\"published\" value=\"{value}\">\
             <button type=\"submit\">{button}<span class=\"skip\"> {title}</span></button></form></td>\
             <td><a href=\"/api/admin/export/{id}.csv\">CSV</a> · \
             <a href=\"/api/admin/export/{id}.json\">JSON</a></td></tr>",
            title = escape(&call.title),
        );
    }
    body.push_str("</tbody></table>");
    body.push_str("<h2>Submissions per day</h2>");
    body.push_str(&chart(config, &counts));
    let mut by_partner: BTreeMap<String, i64> = BTreeMap::new();
    for c in &counts {
        *by_partner
            .entry(partner_label(config, c.partner.as_deref()))
            .or_default() += c.submissions;
    }
    body.push_str(
        "<h2>Partners</h2><table><thead><tr><th scope=\"col\">Partner</th>\
         <th scope=\"col\">Submissions</th></tr></thead><tbody>",
    );
    for (partner, n) in &by_partner {
        let _ = write!(
            body,
            "<tr><th scope=\"row\">{}</th><td>{n}</td></tr>",
            escape(partner)
        );
    }
    body.push_str("</tbody></table>");
    let audit = state.storage.audit_log(None, 20).await?;
    body.push_str("<h2>Recent publication, erasure and retention events</h2>");
    if audit.is_empty() {
        body.push_str("<p>None yet.</p>");
    } else {
        body.push_str(
            "<table><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Who</th>\
             <th scope=\"col\">What</th><th scope=\"col\">Call</th>\
             <th scope=\"col\">Reference</th></tr></thead><tbody>",
        );
        for e in &audit {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&e.at),
                escape(&e.staff),
                escape(&e.detail),
                escape(e.call.as_deref().unwrap_or("")),
                escape(e.reference.as_deref().unwrap_or("")),
            );
        }
        body.push_str("</tbody></table>");
    }
    Ok(private_page(page("Dashboard", &nav(true), &body)))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(flatten)]
    filter: Filter,
    page: Option<String>,
}

fn select(name: &str, label: &str, current: Option<&str>, options: &[(String, String)]) -> String {
    let mut out = format!(
        "<div><label for=\"f-{name}\">{label}</label><select id=\"f-{name}\" name=\"{name}\">\
         <option value=\"\">Any</option>"
    );
    for (value, text) in options {
        let selected = if current == Some(value.as_str()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<option value=\"{}\"{selected}>{}</option>",
            escape(value),
            escape(text)
        );
    }
    out.push_str("</select></div>");
    out
}

fn filter_form(config: &Config, filter: &Filter) -> String {
    let pairs = |items: &mut dyn Iterator<Item = (String, String)>| -> Vec<(String, String)> {
        let mut seen = BTreeSet::new();
        items.filter(|(v, _)| seen.insert(v.clone())).collect()
    };
    let calls = pairs(&mut config.calls.iter().map(|c| (c.id.clone(), c.title.clone())));
    let mut partners: Vec<(String, String)> = config
        .partners
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    partners.push((OWN_SITE.to_owned(), "The review's own site".to_owned()));
    let capacities = vec![
        ("individual".to_owned(), "Individual".to_owned()),
        ("organisation".to_owned(), "Organisation".to_owned()),
    ];
    let perspectives = pairs(&mut config.calls.iter().flat_map(|c| {
        c.perspectives
            .iter()
            .map(|p| (p.id.clone(), p.label.clone()))
    }));
    let ages: Vec<(String, String)> = cfi_rules::AgeBand::ALL
        .iter()
        .map(|a| (a.as_str().to_owned(), a.label().to_owned()))
        .collect();
    let themes = pairs(
        &mut config
            .calls
            .iter()
            .flat_map(|c| c.themes.iter().map(|t| (t.id.clone(), t.label.clone()))),
    );
    let flags = vec![
        ("open".to_owned(), "Open flag".to_owned()),
        ("handled".to_owned(), "Handled flag".to_owned()),
        ("any".to_owned(), "Any flag".to_owned()),
        ("none".to_owned(), "Not flagged".to_owned()),
    ];
    let value = |v: &Option<String>| escape(v.as_deref().unwrap_or(""));
    format!(
        "<form method=\"get\" action=\"/admin/submissions\" role=\"search\" \
         aria-label=\"Search and filter submissions\">\
         <label for=\"f-q\">Search idea titles and descriptions, or a reference</label>\
         <input id=\"f-q\" name=\"q\" type=\"search\" size=\"50\" value=\"{q}\">\
         <div class=\"filters\">{call}{partner}{capacity}{perspective}{age}{theme}{flag}\
         <div><label for=\"f-from\">Sent from</label><input id=\"f-from\" name=\"from\" type=\"date\" value=\"{from}\"></div>\
         <div><label for=\"f-to\">Sent until</label><input id=\"f-to\" name=\"to\" type=\"date\" value=\"{to}\"></div>\
         </div><button type=\"submit\">Apply</button> <a href=\"/admin/submissions\">Clear filters</a></form>",
        q = value(&filter.q),
        call = select("call", "Call", filter.call.as_deref(), &calls),
        partner = select("partner", "Partner", filter.partner.as_deref(), &partners),
        capacity = select(
            "capacity",
            "Answering as",
            filter.capacity.as_deref(),
            &capacities
        ),
        perspective = select(
            "perspective",
            "Perspective",
            filter.perspective.as_deref(),
            &perspectives
        ),
        age = select("age_band", "Age", filter.age_band.as_deref(), &ages),
        theme = select("theme", "Theme", filter.theme.as_deref(), &themes),
        flag = select("flag", "Safeguarding", filter.flag.as_deref(), &flags),
        from = value(&filter.from),
        to = value(&filter.to),
    )
}

fn filter_query(filter: &Filter) -> String {
    let pairs = [
        ("q", &filter.q),
        ("call", &filter.call),
        ("partner", &filter.partner),
        ("capacity", &filter.capacity),
        ("perspective", &filter.perspective),
        ("age_band", &filter.age_band),
        ("theme", &filter.theme),
        ("flag", &filter.flag),
        ("from", &filter.from),
        ("to", &filter.to),
    ];
    pairs
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| format!("{k}={}", query_value(v))))
        .collect::<Vec<_>>()
        .join("&")
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

/// The flag's passage with its phrase highlighted, escaped.
fn flag_passage(s: &StoredSubmission) -> String {
    match (&s.flag_phrase, &s.flag_passage) {
        (Some(phrase), Some(passage)) => {
            highlighted(passage, &matches(std::slice::from_ref(phrase), passage))
        }
        (Some(phrase), None) => escape(phrase),
        _ => String::new(),
    }
}

fn status_tags(s: &StoredSubmission, state: &ModerationState) -> String {
    let mut tags = String::new();
    if s.flag_open {
        tags.push_str("<span class=\"tag\">Open flag</span> ");
    } else if s.flag_phrase.is_some() {
        tags.push_str("<span class=\"tag ok\">Flag handled</span> ");
    }
    if s.spam {
        tags.push_str("<span class=\"tag grey\">Spam trap</span> ");
    }
    match state.summary() {
        "" => {}
        word => {
            let _ = write!(tags, "<span class=\"tag grey\">{}</span> ", escape(word));
        }
    }
    tags
}

async fn list_page(
    StaffPage(_): StaffPage,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Response, HtmlError> {
    let filter = query.filter.cleaned();
    let page_number = query
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let found = search(&state, filter.clone(), page_number).await?;
    let config = &state.config;
    let mut body = String::from("<h1>Submissions</h1>");
    body.push_str(&filter_form(config, &filter));
    let pages = (found.total + PER_PAGE - 1) / PER_PAGE;
    let _ = write!(
        body,
        "<h2 id=\"results\">{} submission{} found</h2><p>Open safeguarding flags come first, then \
         the newest.{}</p>",
        found.total,
        if found.total == 1 { "" } else { "s" },
        if pages > 1 {
            format!(" Page {page_number} of {pages}.")
        } else {
            String::new()
        }
    );
    if !found.submissions.is_empty() {
        body.push_str(
            "<table aria-describedby=\"results\"><thead><tr><th scope=\"col\">Reference</th>\
             <th scope=\"col\">Sent</th><th scope=\"col\">From</th><th scope=\"col\">Partner</th>\
             <th scope=\"col\">Ideas</th><th scope=\"col\">Status</th></tr></thead><tbody>",
        );
        for s in &found.submissions {
            let moderation = ModerationState::fold(&state.storage.actions(&s.reference).await?);
            let titles: Vec<String> = s.ideas.iter().map(|i| escape(&i.title)).collect();
            let passage = if s.flag_phrase.is_some() {
                format!("<div class=\"flag\">{}</div>", flag_passage(s))
            } else {
                String::new()
            };
            let _ = write!(
                body,
                "<tr><th scope=\"row\"><a href=\"/admin/submissions/{r}\">{r}</a></th>\
                 <td>{sent}</td><td>{from}</td><td>{partner}</td><td>{ideas}</td>\
                 <td>{tags}{passage}</td></tr>",
                r = escape(&s.reference),
                sent = escape(&s.submitted_at[..s.submitted_at.len().min(16)].replace('T', " ")),
                from = escape(&sender(s)),
                partner = escape(&partner_label(config, s.partner.as_deref())),
                ideas = titles.join("<br>"),
                tags = status_tags(s, &moderation),
            );
        }
        body.push_str("</tbody></table>");
    }
    let query_text = filter_query(&filter);
    let link = |page: i64| {
        if query_text.is_empty() {
            format!("/admin/submissions?page={page}")
        } else {
            format!("/admin/submissions?{query_text}&page={page}")
        }
    };
    if pages > 1 {
        body.push_str("<nav aria-label=\"Pages\"><p>");
        if page_number > 1 {
            let _ = write!(
                body,
                "<a href=\"{}\" rel=\"prev\">Previous page</a> ",
                escape(&link(page_number - 1))
            );
        }
        if page_number < pages {
            let _ = write!(
                body,
                "<a href=\"{}\" rel=\"next\">Next page</a>",
                escape(&link(page_number + 1))
            );
        }
        body.push_str("</p></nav>");
    }
    Ok(private_page(page("Submissions", &nav(true), &body)))
}

fn label_of(choices: &[cfi_rules::Choice], id: &str) -> String {
    choices
        .iter()
        .find(|c| c.id == id)
        .map_or_else(|| id.to_owned(), |c| c.label.clone())
}

fn reason_field(id: &str, label: &str) -> String {
    format!(
        "<label for=\"{id}\">{label}</label><textarea id=\"{id}\" name=\"reason\" rows=\"2\" \
         cols=\"60\" required></textarea>"
    )
}

fn action_form_html(reference: &str, action: ActionKind, inner: &str, button: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/admin/submissions/{r}/actions\">\
         <input type=\"hidden\" name=\"action\" value=\"{a}\">{inner}\
         <div><button type=\"submit\"{class}>{button}</button></div></form>",
        r = escape(reference),
        a = action.as_str(),
        class = if matches!(action, ActionKind::Withhold | ActionKind::Spam) {
            " class=\"warning\""
        } else {
            ""
        },
    )
}

fn submission_body(config: &Config, found: &Detail) -> String {
    let s = &found.submission;
    let state = &found.state;
    let call = config.call(&s.call);
    let r = escape(&s.reference);
    let mut body = format!("<h1>Submission {r}</h1>");
    if s.flag_phrase.is_some() {
        let handled = match &state.flag_handled {
            Some(a) => format!(
                "<p><span class=\"tag ok\">Handled</span> by {} at {}: {}</p>",
                escape(&a.staff),
                escape(&a.at),
                escape(&a.reason)
            ),
            None if s.flag_open => format!(
                "<p><span class=\"tag\">Open</span> This submission will not be published until \
                 the flag is handled.</p>{}",
                action_form_html(
                    &s.reference,
                    ActionKind::HandleFlag,
                    &reason_field("handle-note", "What was done (for example, who was told)"),
                    "Mark the flag as handled",
                )
            ),
            None => String::new(),
        };
        let _ = write!(
            body,
            "<section class=\"flag\" aria-labelledby=\"flag-h\"><h2 id=\"flag-h\">Safeguarding \
             flag</h2><p>Phrase found: <strong>{phrase}</strong></p><blockquote>{passage}</blockquote>{handled}</section>",
            phrase = escape(s.flag_phrase.as_deref().unwrap_or("")),
            passage = flag_passage(s),
        );
    }
    let perspectives: Vec<String> = s
        .perspectives
        .iter()
        .map(|p| call.map_or_else(|| p.clone(), |c| label_of(&c.perspectives, p)))
        .collect();
    let published_as = call
        .and_then(|c| crate::publication::public_view(c, s, state))
        .map_or_else(
            || "Not published (spam, withheld, an open flag, or every idea withheld)".to_owned(),
            |p| p.published_as,
        );
    let row = |label: &str, value: &str| format!("<dt>{label}</dt><dd>{}</dd>", escape(value));
    body.push_str("<h2>About the respondent</h2><dl>");
    for (label, value) in [
        ("Call", call.map_or(s.call.clone(), |c| c.title.clone())),
        ("Partner", partner_label(config, s.partner.as_deref())),
        ("Sent", s.submitted_at.clone()),
        ("Answering as", s.capacity.clone()),
        ("Name", s.name.clone().unwrap_or_default()),
        ("Organisation", s.organisation.clone().unwrap_or_default()),
        ("Email", s.email.clone().unwrap_or_default()),
        ("Perspectives", perspectives.join("; ")),
        (
            "Age",
            cfi_rules::AgeBand::from_wire(&s.age_band)
                .map_or_else(|| s.age_band.clone(), |a| a.label().to_owned()),
        ),
        ("Chose to be published", s.publication_chosen.clone()),
        (
            "Publication applied (under 18s anonymous)",
            s.publication.clone(),
        ),
        ("Would be published as", published_as),
        (
            "Spam trap",
            if s.spam { "filled (spam)" } else { "empty" }.to_owned(),
        ),
        (
            "Personal data removed",
            s.personal_data_removed_at
                .clone()
                .unwrap_or_else(|| "no".to_owned()),
        ),
    ] {
        body.push_str(&row(label, &value));
    }
    body.push_str("</dl><h2>Ideas</h2>");
    for (i, idea) in s.ideas.iter().enumerate() {
        let n = i + 1;
        let withheld = state
            .withheld_ideas
            .get(&i)
            .map(|a| {
                format!(
                    "<p><span class=\"tag grey\">Withheld</span> {}</p>",
                    escape(&a.reason)
                )
            })
            .unwrap_or_default();
        let title_spans = state.spans(i, "title");
        let description_spans = state.spans(i, "description");
        let redacted = if title_spans.is_empty() && description_spans.is_empty() {
            String::new()
        } else {
            format!(
                "<details><summary>As published, with redactions</summary><p><strong>{}</strong></p>\
                 <p class=\"description\">{}</p></details>",
                escape(&redact(&idea.title, &title_spans)),
                escape(&redact(&idea.description, &description_spans)),
            )
        };
        let theme = idea
            .theme
            .as_deref()
            .map(|t| call.map_or_else(|| t.to_owned(), |c| label_of(&c.themes, t)))
            .unwrap_or_else(|| "none".to_owned());
        let idea_field = format!("<input type=\"hidden\" name=\"idea\" value=\"{n}\">");
        let _ = write!(
            body,
            "<section class=\"idea\" aria-labelledby=\"idea-{n}\"><h3 id=\"idea-{n}\">Idea {n}: {title}</h3>\
             <p>Theme: {theme}. {words} words.</p>{withheld}<p class=\"description\">{description}</p>{redacted}\
             <details><summary>Withhold or redact idea {n}</summary>{withhold}{redact_form}</details></section>",
            title = escape(&idea.title),
            theme = escape(&theme),
            words = idea.words,
            description = escape(&idea.description),
            withhold = action_form_html(
                &s.reference,
                ActionKind::WithholdIdea,
                &format!(
                    "{idea_field}{}",
                    reason_field(&format!("withhold-{n}"), "Why withhold this idea")
                ),
                &format!("Withhold idea {n}"),
            ),
            redact_form = action_form_html(
                &s.reference,
                ActionKind::Redact,
                &format!(
                    "{idea_field}<label for=\"field-{n}\">In</label><select id=\"field-{n}\" name=\"field\">\
                     <option value=\"description\">Description</option><option value=\"title\">Title</option></select>\
                     <label for=\"text-{n}\">Text to redact (exactly as written; every occurrence)</label>\
                     <input id=\"text-{n}\" name=\"text\" size=\"60\" required>{}",
                    reason_field(&format!("redact-{n}"), "Why redact it")
                ),
                &format!("Redact in idea {n}"),
            ),
        );
    }
    body.push_str("<h2>Moderate the whole submission</h2>");
    if state.withheld.is_none() {
        body.push_str(&action_form_html(
            &s.reference,
            ActionKind::Withhold,
            &reason_field("withhold-all", "Why withhold the whole submission"),
            "Withhold the submission",
        ));
    }
    if state.spam.is_none() {
        body.push_str(&action_form_html(
            &s.reference,
            ActionKind::Spam,
            &reason_field("spam", "Why is it spam"),
            "Mark as spam",
        ));
    }
    body.push_str("<h2 id=\"audit\">Audit trail</h2>");
    if found.actions.is_empty() {
        body.push_str("<p>No moderation yet.</p>");
    } else {
        body.push_str(
            "<table><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Who</th>\
             <th scope=\"col\">What</th><th scope=\"col\">Why</th><th scope=\"col\">Undo</th>\
             </tr></thead><tbody>",
        );
        for a in &found.actions {
            let what = match (a.action, a.idea, a.undoes) {
                (ActionKind::Undo, _, Some(id)) => format!("Undid action {id}"),
                (ActionKind::Redact, Some(i), _) => format!(
                    "Redacted {} span(s) in idea {} ({})",
                    a.spans.len(),
                    i + 1,
                    a.field.as_deref().unwrap_or("")
                ),
                (kind, Some(i), _) => format!("{} (idea {})", kind.label(), i + 1),
                (kind, None, _) => kind.label().to_owned(),
            };
            let undo = if a.action == ActionKind::Undo {
                String::new()
            } else if state.undone.contains(&a.id) {
                "Undone".to_owned()
            } else {
                let id = a.id;
                action_form_html(
                    &s.reference,
                    ActionKind::Undo,
                    &format!(
                        "<input type=\"hidden\" name=\"undoes\" value=\"{id}\">{}",
                        reason_field(&format!("undo-{id}"), &format!("Why undo action {id}")),
                    ),
                    &format!("Undo action {}", a.id),
                )
            };
            let _ = write!(
                body,
                "<tr><td>{at}<br>(action {id})</td><td>{who}</td><td>{what}</td><td>{why}</td><td>{undo}</td></tr>",
                at = escape(&a.at),
                id = a.id,
                who = escape(&a.staff),
                what = escape(&what),
                why = escape(&a.reason),
            );
        }
        body.push_str("</tbody></table>");
    }
    let _ = write!(
        body,
        "<h2>Erase</h2><p>Erasing deletes this submission and its moderation notes for good \
         (for example when the respondent asks). An audit line keeps only the reference, who \
         and when.</p><form method=\"post\" action=\"/admin/submissions/{r}/erase\">\
         <label for=\"confirm\">Type the reference {r} to confirm</label>\
         <input id=\"confirm\" name=\"confirm\" required autocomplete=\"off\">\
         <div><button type=\"submit\" class=\"warning\">Erase submission {r}</button></div></form>"
    );
    body
}

async fn submission_page(
    StaffPage(_): StaffPage,
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Response, HtmlError> {
    let found = detail(&state, &reference).await?;
    let body = submission_body(&state.config, &found);
    Ok(private_page(page(
        &format!("Submission {reference}"),
        &nav(true),
        &body,
    )))
}

/// A moderation form as posted: every field is text.
#[derive(Deserialize)]
struct ActionForm {
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
}

async fn action_form(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Form(form): Form<ActionForm>,
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
    };
    apply_action(&state, &staff, &reference, request).await?;
    Ok(Redirect::to(&format!(
        "/admin/submissions/{}#audit",
        query_value(&reference)
    ))
    .into_response())
}

#[derive(Deserialize)]
struct EraseForm {
    #[serde(default)]
    confirm: String,
}

async fn erase_form(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Form(form): Form<EraseForm>,
) -> Result<Response, HtmlError> {
    if !form.confirm.trim().eq_ignore_ascii_case(&reference) {
        return Err(ApiError::InvalidAction(
            "Type the submission's reference exactly to confirm erasing it",
        )
        .into());
    }
    erase(&state, &staff, &reference).await?;
    let body = format!(
        "<h1>Submission erased</h1><p>Submission {} and its moderation notes were deleted. \
         The audit log keeps its reference, who erased it and when.</p>\
         <p><a href=\"/admin/submissions\">Back to the submissions</a></p>",
        escape(&reference)
    );
    Ok(private_page(page("Submission erased", &nav(true), &body)))
}

#[derive(Deserialize)]
struct PublicationForm {
    published: String,
}

async fn publication_form(
    StaffPage(staff): StaffPage,
    State(state): State<AppState>,
    Path(call): Path<String>,
    Form(form): Form<PublicationForm>,
) -> Result<Response, HtmlError> {
    let published = match form.published.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(ApiError::InvalidAction("Publication is on or off").into()),
    };
    set_publication(&state, &staff, &call, published).await?;
    Ok(Redirect::to("/admin").into_response())
}

/// A partner's page: its own submissions per day and per call, never
/// content. Staff see every partner.
async fn partner_page(
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
        Principal::Staff(_) => ("Submissions by partner".to_owned(), true),
    };
    let total: i64 = counts.iter().map(|c| c.submissions).sum();
    let mut body = format!(
        "<h1>{}</h1><p>{total} submission{} in all. You see how many, never what they say.</p>",
        escape(&heading),
        if total == 1 { "" } else { "s" }
    );
    body.push_str(
        "<table><thead><tr><th scope=\"col\">Call</th><th scope=\"col\">Submissions</th></tr>\
         </thead><tbody>",
    );
    for call in &config.calls {
        let n: i64 = counts
            .iter()
            .filter(|c| c.call == call.id)
            .map(|c| c.submissions)
            .sum();
        let _ = write!(
            body,
            "<tr><th scope=\"row\">{}</th><td>{n}</td></tr>",
            escape(&call.title)
        );
    }
    body.push_str("</tbody></table><h2>Per day</h2>");
    body.push_str(&chart(config, &counts));
    Ok(private_page(page(&heading, &nav(staff), &body)))
}
