//! `/calls/{call}/form`: the call's form as plain HTML pages, for people
//! whose browser runs no WebAssembly or no JavaScript (Lockdown Mode,
//! hardened or managed devices), and the page the widget falls back to.
//!
//! The same steps as the widget ([`Step`]), the same words
//! ([`cfi_rules::questions`]), the same checks ([`form::errors_for`]) and the
//! same storing ([`super::submissions::accept`]): a key minted with the
//! form, so sending twice stores once. Nothing is kept on the server until
//! the ideas are sent: each page carries the answers of the other steps in
//! hidden fields, so a step with an error, "Back" and "Change" lose nothing.
//!
//! A partner's page may link here with `?partner=id`. Nothing can prove
//! which page the person came from (no script ran there), so the partner is
//! never recorded: partners' counts hold only what their page sent.

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cfi_rules::form::{self, Step, field_id, word_count_message};
use cfi_rules::questions as q;
use cfi_rules::{
    AgeBand, Capacity, FieldError, Publication, RawIdea, RawRespondent, RawSubmission, Submission,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::calls::{call_named, definition_of};
use super::submissions::{accept, answer_unless_open};
use crate::config::Call;
use crate::http::client::client_bucket;
use crate::http::extract::Path;
use crate::http::html::{private_pages, render};
use crate::http::problem::ApiError;
use crate::limits::{FORM_IDEAS_READ, FORM_IN_FLIGHT_WAIT, FORM_IN_FLIGHT_WAITS, MAX_BODY_BYTES};
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    private_pages(
        Router::new()
            .route("/calls/{call}/form", get(start).post(step))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
    )
}

/// A choice among radios or checkboxes.
pub struct Item {
    /// The control's id: the group's for the first, so an error's link
    /// lands on it, then `{group}-{value}`, as in the widget.
    pub input: String,
    pub value: String,
    pub label: String,
    pub hint: String,
    pub checked: bool,
}

/// A text control with its label, hint, value and error.
pub struct Field {
    pub id: String,
    pub label: String,
    pub hint: String,
    pub value: String,
    pub error: Option<String>,
    pub kind: &'static str,
    pub autocomplete: &'static str,
}

/// Radios or checkboxes under a legend.
pub struct Group {
    pub id: String,
    pub legend: String,
    pub hint: String,
    pub error: Option<String>,
    pub items: Vec<Item>,
}

/// One idea's controls.
pub struct IdeaFields {
    pub index: usize,
    pub heading: String,
    pub title: Field,
    pub theme: Group,
    pub description: Field,
    /// "You have 12 words remaining", from what was sent.
    pub words: String,
    pub over: bool,
    pub remove: Option<String>,
}

/// A row of the check-your-answers list.
pub struct Row {
    pub key: String,
    pub value: String,
    /// The step its "Change" button goes to.
    pub step: &'static str,
}

/// An idea's rows.
pub struct IdeaRows {
    pub heading: String,
    pub rows: Vec<Row>,
}

/// A helpline, as every page lists them.
pub struct Support {
    pub name: String,
    pub phone: String,
    pub phone_href: String,
    pub description: String,
    pub url: String,
    pub visit: String,
}

/// A link of the error summary.
pub struct ErrorLink {
    pub href: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct Page {
    pub lang: String,
    pub dir: &'static str,
    pub call_title: String,
    /// The page's `<h1>` and the start of its `<title>`.
    pub heading: String,
    pub step: &'static str,
    pub action: String,
    pub key: String,
    pub partner: String,
    pub returning: bool,
    pub errors: Vec<ErrorLink>,
    /// Answers of the other steps, carried to the next page.
    pub hidden: Vec<(String, String)>,
    pub back: bool,
    pub support: Vec<Support>,
    pub privacy_url: String,
    /// The first screen (`cfi_rules::form::first_screen`, as the widget and
    /// the loader show it); its heading is `heading`.
    pub first: Vec<form::Block>,
    // About you.
    pub capacity: Option<Group>,
    pub fields: Vec<Field>,
    pub perspectives: Option<Group>,
    pub age: Option<Group>,
    // Ideas.
    pub ideas_intro: String,
    pub ideas: Vec<IdeaFields>,
    pub guidance: Vec<String>,
    pub word_limit: String,
    pub can_add: bool,
    pub most: String,
    // Publishing.
    pub under_18: bool,
    pub publication: Option<Group>,
    pub privacy: Option<Group>,
    // Check.
    pub about_rows: Vec<Row>,
    pub idea_rows: Vec<IdeaRows>,
    pub publishing_rows: Vec<Row>,
    // Sent, or refused.
    pub reference: String,
    pub problem: Option<String>,
}

#[derive(serde::Deserialize)]
struct StartQuery {
    partner: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    Path(call_id): Path<String>,
    Query(query): Query<StartQuery>,
) -> Result<Response, ApiError> {
    let call = call_named(&state, &call_id)?;
    let partner = query
        .partner
        .filter(|p| state.config.partners.iter().any(|c| &c.id == p))
        .unwrap_or_default();
    let page = Form {
        call,
        answers: RawSubmission::default(),
        key: new_key(),
        partner,
        returning: false,
    };
    Ok(render(&page.page(Step::Start, &[])))
}

/// A form's idempotency key: a random (version 4) UUID, as the widget's.
fn new_key() -> Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
}

/// A form being filled in: its answers and what travels with them.
struct Form<'a> {
    call: &'a Call,
    answers: RawSubmission,
    key: Uuid,
    /// The partner whose link led here (never stored; see the module).
    partner: String,
    /// Came from "Change" on the check page: Continue goes back there.
    returning: bool,
}

/// What a button asked for.
enum Action {
    Continue,
    Back,
    Add,
    Remove(usize),
    Change(Step),
    Send,
}

fn read_action(text: &str) -> Action {
    if let Some(n) = text.strip_prefix("remove-") {
        return n.parse().map_or(Action::Continue, Action::Remove);
    }
    if let Some(step) = text.strip_prefix("change-") {
        return Step::from_name(step).map_or(Action::Continue, Action::Change);
    }
    match text {
        "back" => Action::Back,
        "add" => Action::Add,
        "send" => Action::Send,
        _ => Action::Continue,
    }
}

async fn step(
    State(state): State<AppState>,
    Path(call_id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let call = call_named(&state, &call_id)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| ApiError::Malformed("The form could not be read".into()))?;
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let key = value("key")
        .and_then(|k| Uuid::parse_str(k).ok())
        .unwrap_or_else(new_key);
    let at = value("step")
        .and_then(Step::from_name)
        .unwrap_or(Step::Start);
    let action = read_action(value("action").unwrap_or_default());
    let mut form = Form {
        call,
        answers: answers_from(&pairs, call.limits.max_ideas.min(FORM_IDEAS_READ)),
        key,
        partner: value("partner")
            .filter(|p| state.config.partners.iter().any(|c| c.id == *p))
            .unwrap_or_default()
            .to_owned(),
        returning: value("returning") == Some("1"),
    };
    let rules = &call.rules;
    let (to, errors) = match action {
        Action::Back => (at.previous().unwrap_or(Step::Start), Vec::new()),
        Action::Add => {
            let ideas = form.answers.ideas.get_or_insert_with(Vec::new);
            if ideas.len() < call.limits.max_ideas {
                ideas.push(RawIdea::default());
            }
            (Step::Ideas, Vec::new())
        }
        Action::Remove(index) => {
            let ideas = form.answers.ideas.get_or_insert_with(Vec::new);
            if index < ideas.len() {
                ideas.remove(index);
            }
            (Step::Ideas, Vec::new())
        }
        Action::Change(step) => {
            form.returning = true;
            (step, Vec::new())
        }
        Action::Continue | Action::Send if at == Step::Start => (Step::AboutYou, Vec::new()),
        Action::Continue if at != Step::Check => {
            let mut errors = form::errors_for(&form.answers, at, None, rules);
            // Choosing "on behalf of an organisation" shows its name's field
            // on the next page load: that field is not in error before the
            // person has seen it (the widget shows it at once).
            let unseen = at == Step::AboutYou
                && form.organisation()
                && !pairs.iter().any(|(k, _)| k == q::ORGANISATION.id);
            if unseen {
                errors.retain(|e| field_id(&e.pointer) != q::ORGANISATION.id);
            }
            if unseen && errors.is_empty() {
                (at, errors)
            } else if errors.is_empty() {
                let next = if form.returning {
                    Step::Check
                } else {
                    at.next()
                };
                if next == Step::Check {
                    form.returning = false;
                }
                (next, errors)
            } else {
                (at, errors)
            }
        }
        Action::Continue | Action::Send => {
            // Checked like the API: the rate limit, the window, the rules.
            if let Err(retry_after_secs) =
                state
                    .limiter
                    .check(client_bucket(&state.config, &headers, peer))
            {
                return Ok(form.refused(&ApiError::RateLimited { retry_after_secs }));
            }
            let mut sent = form::as_sent(&form.answers, None);
            // The honeypot as posted: only a program fills it.
            sent.website = form.answers.website.clone();
            let body_hash = hash_of(&sent);
            match answer_unless_open(&state, call, key, &body_hash).await {
                Ok(Some(receipt)) => return Ok(form.sent(&receipt.reference.to_string())),
                Ok(None) => {}
                Err(error) => return Ok(form.refused(&error)),
            }
            match Submission::parse(&sent, rules) {
                Ok(submission) => {
                    // A second press of "Send ideas" while the first is being
                    // stored waits for it, and shows the same reference.
                    let mut waits = FORM_IN_FLIGHT_WAITS;
                    loop {
                        match accept(&state, call, key, body_hash.clone(), submission.clone()).await
                        {
                            Ok((_, receipt)) => {
                                return Ok(form.sent(&receipt.reference.to_string()));
                            }
                            Err(ApiError::InFlight) if waits > 0 => {
                                waits -= 1;
                                tokio::time::sleep(FORM_IN_FLIGHT_WAIT).await;
                            }
                            Err(error) => return Ok(form.refused(&error)),
                        }
                    }
                }
                // Only a page posted around the steps gets here: back to the
                // first step with a problem, then straight back to "Check".
                Err(errors) => {
                    let first = errors
                        .iter()
                        .find_map(|e| form::step_of_pointer(&e.pointer))
                        .unwrap_or(Step::Check);
                    form.returning = true;
                    let errors = errors
                        .into_iter()
                        .filter(|e| first == Step::Check || first.owns(&e.pointer))
                        .collect();
                    (first, errors)
                }
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&form.page(to, &errors))).into_response())
}

/// The SHA-256 of the body the form sends, as the API hashes its JSON: the
/// same answers give the same hash, so a second POST is a replay.
fn hash_of(sent: &RawSubmission) -> String {
    let canonical = serde_json::to_value(sent)
        .and_then(|v| serde_json::to_vec(&v))
        .unwrap_or_default();
    hex::encode(Sha256::digest(&canonical))
}

/// The answers a page posted: its own controls and the hidden fields of the
/// other steps, by the controls' ids ([`field_id`]).
fn answers_from(pairs: &[(String, String)], most_ideas: usize) -> RawSubmission {
    let mut respondent = RawRespondent::default();
    let mut ideas: Vec<RawIdea> = Vec::new();
    let mut raw = RawSubmission::default();
    let mut any_respondent = false;
    for (name, value) in pairs {
        let text = Some(value.clone());
        match name.as_str() {
            "respondent-capacity" => respondent.capacity = text,
            "respondent-name" => respondent.name = text,
            "respondent-organisation" => respondent.organisation = text,
            "respondent-email" => respondent.email = text,
            "respondent-age_band" => respondent.age_band = text,
            "respondent-perspectives" => respondent
                .perspectives
                .get_or_insert_with(Vec::new)
                .push(value.clone()),
            "publication" => raw.publication = text,
            "privacy_notice_read" => raw.privacy_notice_read = Some(value == "read"),
            "website" => raw.website = text,
            _ => {
                let Some((index, part)) = name
                    .strip_prefix("ideas-")
                    .and_then(|rest| rest.split_once('-'))
                    .and_then(|(i, part)| Some((i.parse::<usize>().ok()?, part)))
                else {
                    continue;
                };
                if index >= most_ideas {
                    continue;
                }
                if ideas.len() <= index {
                    ideas.resize(index + 1, RawIdea::default());
                }
                let idea = &mut ideas[index];
                match part {
                    "title" => idea.title = text,
                    "theme" => idea.theme = text,
                    "description" => idea.description = text,
                    _ => continue,
                }
            }
        }
        any_respondent |= name.starts_with("respondent-");
    }
    if any_respondent {
        raw.respondent = Some(respondent);
    }
    raw.ideas = Some(ideas);
    raw
}

impl Form<'_> {
    fn respondent(&self) -> RawRespondent {
        self.answers.respondent.clone().unwrap_or_default()
    }

    fn ideas(&self) -> Vec<RawIdea> {
        let ideas = self.answers.ideas.clone().unwrap_or_default();
        if ideas.is_empty() {
            vec![RawIdea::default()]
        } else {
            ideas
        }
    }

    fn organisation(&self) -> bool {
        self.respondent()
            .capacity
            .as_deref()
            .and_then(Capacity::from_wire)
            == Some(Capacity::Organisation)
    }

    fn age_band(&self) -> Option<AgeBand> {
        self.respondent()
            .age_band
            .as_deref()
            .and_then(AgeBand::from_wire)
    }

    /// Every answer as hidden fields, but those `step` shows.
    fn hidden(&self, step: Step) -> Vec<(String, String)> {
        let mut hidden = Vec::new();
        let mut put = |name: &str, value: &Option<String>| {
            if let Some(v) = value {
                hidden.push((name.to_owned(), v.clone()));
            }
        };
        if step != Step::AboutYou {
            let r = self.respondent();
            put("respondent-capacity", &r.capacity);
            put("respondent-name", &r.name);
            put("respondent-organisation", &r.organisation);
            put("respondent-email", &r.email);
            put("respondent-age_band", &r.age_band);
            for p in r.perspectives.unwrap_or_default() {
                put("respondent-perspectives", &Some(p));
            }
        }
        if step != Step::Ideas {
            for (i, idea) in self.answers.ideas.iter().flatten().enumerate() {
                put(
                    &format!("ideas-{i}-title"),
                    &Some(idea.title.clone().unwrap_or_default()),
                );
                put(&format!("ideas-{i}-theme"), &idea.theme);
                put(&format!("ideas-{i}-description"), &idea.description);
            }
        }
        if step != Step::Publishing {
            put("publication", &self.answers.publication);
            if self.answers.privacy_notice_read == Some(true) {
                put("privacy_notice_read", &Some("read".to_owned()));
            }
        }
        hidden
    }

    /// The page of `step`, with `errors` on its fields.
    fn page(&self, step: Step, errors: &[FieldError]) -> Page {
        let call = self.call;
        let error_at = |id: &str| {
            errors
                .iter()
                .find(|e| field_id(&e.pointer) == id)
                .map(|e| e.detail.clone())
        };
        // Its heading is the page's `h1`, as on every step.
        let first = form::first_screen(&definition_of(call, jiff::Timestamp::now()));
        let first_heading = match first.first() {
            Some(form::Block::Heading { text }) => text.clone(),
            _ => call.title.clone(),
        };
        let heading = match step {
            Step::Start => first_heading,
            Step::AboutYou => q::ABOUT_YOU_HEADING.to_owned(),
            Step::Ideas => q::IDEAS_HEADING.to_owned(),
            Step::Publishing => q::PUBLISHING_HEADING.to_owned(),
            Step::Check => q::CHECK_HEADING.to_owned(),
            Step::Done => q::SENT_HEADING.to_owned(),
        };
        let mut page = Page {
            lang: call.lang.clone(),
            dir: call.dir.as_str(),
            call_title: call.title.clone(),
            heading,
            step: step.as_str(),
            action: format!("/calls/{}/form", call.id),
            key: self.key.to_string(),
            partner: self.partner.clone(),
            returning: self.returning,
            errors: errors
                .iter()
                .map(|e| ErrorLink {
                    href: format!("#{}", field_id(&e.pointer)),
                    text: e.detail.clone(),
                })
                .collect(),
            hidden: self.hidden(step),
            back: step.previous().is_some(),
            support: call
                .support
                .iter()
                .map(|line| Support {
                    name: line.name.clone(),
                    phone: line.phone.clone().unwrap_or_default(),
                    phone_href: line.phone.as_deref().unwrap_or_default().replace(' ', ""),
                    description: line.description.clone(),
                    url: line.url.clone().unwrap_or_default(),
                    visit: q::visit_website(&line.name),
                })
                .collect(),
            privacy_url: call.privacy_notice_url.clone(),
            first,
            capacity: None,
            fields: Vec::new(),
            perspectives: None,
            age: None,
            ideas_intro: q::ideas_intro(call.limits.max_ideas),
            ideas: Vec::new(),
            guidance: call.guidance.clone(),
            word_limit: q::word_limit(call.limits.max_words),
            can_add: false,
            most: q::most_ideas(call.limits.max_ideas),
            under_18: self.age_band().is_some_and(AgeBand::is_under_18),
            publication: None,
            privacy: None,
            about_rows: Vec::new(),
            idea_rows: Vec::new(),
            publishing_rows: Vec::new(),
            reference: String::new(),
            problem: None,
        };
        let r = self.respondent();
        let text = |question: q::Question, value: &Option<String>, kind, autocomplete| Field {
            id: question.id.to_owned(),
            label: question.label.to_owned(),
            hint: question.hint.unwrap_or_default().to_owned(),
            value: value.clone().unwrap_or_default(),
            error: error_at(question.id),
            kind,
            autocomplete,
        };
        match step {
            Step::AboutYou => {
                page.capacity = Some(Group {
                    id: q::CAPACITY.id.into(),
                    legend: q::CAPACITY.label.into(),
                    hint: String::new(),
                    error: error_at(q::CAPACITY.id),
                    items: Capacity::ALL
                        .iter()
                        .map(|c| Item {
                            input: String::new(),
                            value: c.as_str().into(),
                            label: c.label().into(),
                            hint: String::new(),
                            checked: r.capacity.as_deref() == Some(c.as_str()),
                        })
                        .collect(),
                });
                if self.organisation() {
                    page.fields.push(text(
                        q::ORGANISATION,
                        &r.organisation,
                        "text",
                        "organization",
                    ));
                    page.fields
                        .push(text(q::NAME_FOR_ORGANISATION, &r.name, "text", "name"));
                } else {
                    page.fields.push(text(q::NAME, &r.name, "text", "name"));
                }
                page.fields.push(text(q::EMAIL, &r.email, "email", "email"));
                let chosen = r.perspectives.clone().unwrap_or_default();
                page.perspectives = Some(Group {
                    id: q::PERSPECTIVES.id.into(),
                    legend: q::PERSPECTIVES.label.into(),
                    hint: q::PERSPECTIVES.hint.unwrap_or_default().into(),
                    error: error_at(q::PERSPECTIVES.id),
                    items: call
                        .perspectives
                        .iter()
                        .map(|p| Item {
                            input: String::new(),
                            value: p.id.clone(),
                            label: p.label.clone(),
                            hint: String::new(),
                            checked: chosen.contains(&p.id),
                        })
                        .collect(),
                });
                page.age = Some(Group {
                    id: q::AGE_BAND.id.into(),
                    legend: q::AGE_BAND.label.into(),
                    hint: q::AGE_BAND.hint.unwrap_or_default().into(),
                    error: error_at(q::AGE_BAND.id),
                    items: AgeBand::ALL
                        .iter()
                        .map(|a| Item {
                            input: String::new(),
                            value: a.as_str().into(),
                            label: a.label().into(),
                            hint: String::new(),
                            checked: r.age_band.as_deref() == Some(a.as_str()),
                        })
                        .collect(),
                });
            }
            Step::Ideas => {
                let ideas = self.ideas();
                let count = ideas.len();
                page.can_add = count < call.limits.max_ideas;
                page.ideas = ideas
                    .iter()
                    .enumerate()
                    .map(|(i, idea)| {
                        let n = i + 1;
                        let id = |part: &str| format!("ideas-{i}-{part}");
                        let description = idea.description.clone().unwrap_or_default();
                        let (words, over) = word_count_message(&description, call.limits.max_words);
                        IdeaFields {
                            index: i,
                            heading: q::idea_heading(n),
                            title: Field {
                                id: id("title"),
                                label: q::idea_title(n),
                                hint: q::IDEA_TITLE_HINT.into(),
                                value: idea.title.clone().unwrap_or_default(),
                                error: error_at(&id("title")),
                                kind: "text",
                                autocomplete: "off",
                            },
                            theme: Group {
                                id: id("theme"),
                                legend: q::idea_theme(n),
                                hint: String::new(),
                                error: error_at(&id("theme")),
                                items: std::iter::once(Item {
                                    input: String::new(),
                                    value: String::new(),
                                    label: q::CHOOSE_THEME.into(),
                                    hint: String::new(),
                                    checked: idea.theme.as_deref().unwrap_or_default().is_empty(),
                                })
                                .chain(call.themes.iter().map(|t| Item {
                                    input: String::new(),
                                    value: t.id.clone(),
                                    label: t.label.clone(),
                                    hint: String::new(),
                                    checked: idea.theme.as_deref() == Some(t.id.as_str()),
                                }))
                                .collect(),
                            },
                            description: Field {
                                id: id("description"),
                                label: q::idea_description(n),
                                hint: String::new(),
                                value: description,
                                error: error_at(&id("description")),
                                kind: "textarea",
                                autocomplete: "off",
                            },
                            words,
                            over,
                            remove: (count > 1).then(|| q::remove_idea(n)),
                        }
                    })
                    .collect();
            }
            Step::Publishing => {
                let (named, named_hint) = q::named(self.organisation());
                let chosen = self.answers.publication.as_deref();
                page.publication = Some(Group {
                    id: q::PUBLICATION.id.into(),
                    legend: q::PUBLICATION.label.into(),
                    hint: q::PUBLICATION.hint.unwrap_or_default().into(),
                    error: error_at(q::PUBLICATION.id),
                    items: vec![
                        Item {
                            input: String::new(),
                            value: Publication::Named.as_str().into(),
                            label: named.into(),
                            hint: named_hint.into(),
                            checked: chosen == Some(Publication::Named.as_str()),
                        },
                        Item {
                            input: String::new(),
                            value: Publication::Anonymous.as_str().into(),
                            label: q::ANONYMOUS.0.into(),
                            hint: q::ANONYMOUS.1.into(),
                            checked: chosen == Some(Publication::Anonymous.as_str()),
                        },
                    ],
                });
                page.privacy = Some(Group {
                    id: q::PRIVACY_NOTICE.id.into(),
                    legend: q::PRIVACY_NOTICE.label.into(),
                    hint: String::new(),
                    error: error_at(q::PRIVACY_NOTICE.id),
                    items: vec![Item {
                        input: String::new(),
                        value: "read".into(),
                        label: q::PRIVACY_READ.into(),
                        hint: String::new(),
                        checked: self.answers.privacy_notice_read == Some(true),
                    }],
                });
            }
            Step::Check => self.check_rows(&mut page),
            Step::Start | Step::Done => {}
        }
        for group in [
            &mut page.capacity,
            &mut page.perspectives,
            &mut page.age,
            &mut page.publication,
            &mut page.privacy,
        ]
        .into_iter()
        .flatten()
        {
            for (i, item) in group.items.iter_mut().enumerate() {
                item.input = if i == 0 {
                    group.id.clone()
                } else {
                    format!("{}-{}", group.id, item.value)
                };
            }
        }
        page
    }

    fn check_rows(&self, page: &mut Page) {
        let call = self.call;
        let r = self.respondent();
        let about = Step::AboutYou.as_str();
        let some = |s: &Option<String>| s.clone().unwrap_or_default();
        let label_of = |list: &[cfi_rules::Choice], id: &str| {
            list.iter()
                .find(|c| c.id == id)
                .map_or_else(|| id.to_owned(), |c| c.label.clone())
        };
        let row = |key: &str, value: String, step: &'static str| Row {
            key: key.to_owned(),
            value,
            step,
        };
        page.about_rows.push(row(
            q::ROW_CAPACITY,
            r.capacity
                .as_deref()
                .and_then(Capacity::from_wire)
                .map(Capacity::label)
                .unwrap_or_default()
                .to_owned(),
            about,
        ));
        if self.organisation() {
            page.about_rows
                .push(row(q::ROW_ORGANISATION, some(&r.organisation), about));
        }
        page.about_rows.push(row(q::ROW_NAME, some(&r.name), about));
        page.about_rows
            .push(row(q::ROW_EMAIL, some(&r.email), about));
        page.about_rows.push(row(
            q::ROW_PERSPECTIVES,
            r.perspectives
                .clone()
                .unwrap_or_default()
                .iter()
                .map(|p| label_of(&call.perspectives, p))
                .collect::<Vec<_>>()
                .join(", "),
            about,
        ));
        page.about_rows.push(row(
            q::ROW_AGE,
            self.age_band()
                .map(AgeBand::label)
                .unwrap_or_default()
                .to_owned(),
            about,
        ));
        let ideas = Step::Ideas.as_str();
        page.idea_rows = self
            .ideas()
            .iter()
            .enumerate()
            .map(|(i, idea)| {
                let n = i + 1;
                let theme = idea
                    .theme
                    .as_deref()
                    .filter(|t| !t.is_empty())
                    .map_or_else(|| q::NO_THEME.to_owned(), |t| label_of(&call.themes, t));
                IdeaRows {
                    heading: q::idea_heading(n),
                    rows: vec![
                        row(&q::row_title(n), some(&idea.title), ideas),
                        row(&q::row_theme(n), theme, ideas),
                        row(&q::row_description(n), some(&idea.description), ideas),
                    ],
                }
            })
            .collect();
        let publishing = Step::Publishing.as_str();
        let chosen = self
            .answers
            .publication
            .as_deref()
            .and_then(Publication::from_wire);
        let published = cfi_rules::wire::publication_shown(chosen, self.age_band())
            .map(|p| {
                q::published_as(
                    p == Publication::Anonymous,
                    self.age_band().is_some_and(AgeBand::is_under_18),
                    self.organisation(),
                )
            })
            .unwrap_or_default();
        page.publishing_rows
            .push(row(q::ROW_PUBLISHED, published.to_owned(), publishing));
        page.publishing_rows.push(row(
            q::ROW_PRIVACY,
            if self.answers.privacy_notice_read == Some(true) {
                q::PRIVACY_WAS_READ
            } else {
                q::PRIVACY_NOT_READ
            }
            .to_owned(),
            publishing,
        ));
    }

    /// The confirmation, with the reference.
    fn sent(&self, reference: &str) -> Response {
        let mut page = self.page(Step::Done, &[]);
        page.reference = reference.to_owned();
        page.hidden.clear();
        render(&page)
    }

    /// The check page again, saying why the ideas could not be sent and
    /// what to do, with every answer still there to send again.
    fn refused(&self, error: &ApiError) -> Response {
        let (status, _, _, detail) = error.parts();
        let mut page = self.page(Step::Check, &[]);
        page.problem = Some(match error {
            // Sent before under this form's key with other answers (Back in
            // the browser after sending, then a change), or erased since:
            // these answers go as new ideas, under a new key.
            ApiError::KeyReused => {
                page.key = new_key().to_string();
                q::SENT_DIFFERENT.to_owned()
            }
            ApiError::SubmissionErased => {
                page.key = new_key().to_string();
                q::ERASED_BEFORE.to_owned()
            }
            ApiError::InFlight => q::STILL_SAVING.to_owned(),
            ApiError::Storage(_) | ApiError::Internal => q::NOT_SAVED.to_owned(),
            _ => detail,
        });
        (status, render(&page)).into_response()
    }
}
