//! Calls and partners in the configuration: their raw TOML shape, their
//! checked form, and the default safeguarding phrases.

use cfi_rules::call::{default_guidance, default_perspectives};
use cfi_rules::limits::{HARD_MAX_IDEAS, HARD_MAX_WORDS};
use cfi_rules::model::is_id;
use cfi_rules::wire::{DEFAULT_LANG, TextDirection, is_language_tag};
use cfi_rules::{CallRules, Choice, Limits, SupportLine};
use jiff::Zoned;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::collections::HashSet;

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPartner {
    id: String,
    name: String,
    #[serde(default)]
    origins: Vec<String>,
    token_sha256: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCall {
    id: String,
    title: String,
    #[serde(default)]
    intro: String,
    opens: String,
    closes: String,
    max_ideas: Option<usize>,
    max_words: Option<usize>,
    privacy_notice_url: String,
    lang: Option<String>,
    dir: Option<String>,
    page_url: Option<String>,
    #[serde(default)]
    themes: Vec<Choice>,
    perspectives: Option<Vec<Choice>>,
    guidance: Option<Vec<String>>,
    #[serde(default)]
    support: Vec<SupportLine>,
    #[serde(default)]
    safeguarding_phrases: Vec<String>,
    retain_personal_data_until: Option<String>,
    #[serde(default)]
    safeguarding_contacts: Vec<super::mail::RawContact>,
    safeguarding_resend_after_secs: Option<u64>,
    #[serde(default)]
    acknowledgements: bool,
    #[serde(default)]
    acknowledgements_quote_ideas: bool,
}

/// A partner charity and the origins its pages are served from.
#[derive(Debug, Clone)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub origins: Vec<String>,
    /// SHA-256 hex digest of the partner's token: it sees its own counts,
    /// never content.
    pub token_sha256: Option<String>,
}

/// One call for input, with its window in UK time.
#[derive(Debug, Clone)]
pub struct Call {
    pub id: String,
    pub title: String,
    pub intro: String,
    pub opens: Zoned,
    pub closes: Zoned,
    pub limits: Limits,
    pub privacy_notice_url: String,
    /// The language and direction of the form's own text.
    pub lang: String,
    pub dir: TextDirection,
    /// The review's own page for sending ideas, if it has one.
    pub page_url: Option<String>,
    pub themes: Vec<Choice>,
    pub perspectives: Vec<Choice>,
    pub guidance: Vec<String>,
    pub support: Vec<SupportLine>,
    /// The values validation needs, built once at start rather than on every
    /// submission.
    pub rules: CallRules,
    /// Phrases that flag a submission for safeguarding on arrival: the
    /// global list plus this call's own, lower-cased.
    pub safeguarding_phrases: Vec<String>,
    /// After this instant the retention command removes respondents'
    /// personal data from this call's submissions.
    pub retain_personal_data_until: Option<Zoned>,
    /// Who is alerted when a submission is flagged, and whether
    /// respondents get an acknowledgement.
    pub mail: super::CallMail,
}

/// Phrases that flag a submission for the safeguarding lead when no list is
/// configured: self-harm, abuse happening now, a child in danger. Matched
/// case-insensitively anywhere in a title or description.
pub const DEFAULT_SAFEGUARDING_PHRASES: &[&str] = &[
    "kill myself",
    "killing myself",
    "end my life",
    "want to die",
    "suicide",
    "suicidal",
    "self-harm",
    "self harm",
    "hurt myself",
    "hurting myself",
    "cutting myself",
    "abusing me",
    "abused me",
    "being abused",
    "hits me",
    "hitting me",
    "beats me",
    "touches me",
    "touching me",
    "not safe at home",
    "scared to go home",
    "afraid to go home",
    "in danger",
    "run away from home",
    "groomed",
];

/// Trimmed, lower-cased, non-empty, unique.
pub(super) fn check_phrases(key: &str, phrases: Vec<String>) -> Result<Vec<String>, ConfigError> {
    let mut out: Vec<String> = Vec::with_capacity(phrases.len());
    for (i, phrase) in phrases.iter().enumerate() {
        let phrase = phrase.trim().to_lowercase();
        if phrase.is_empty() {
            return Err(invalid(format!("{key}[{i}]"), "must not be empty"));
        }
        if !out.contains(&phrase) {
            out.push(phrase);
        }
    }
    Ok(out)
}

pub(super) fn check_partners(raw: Vec<RawPartner>) -> Result<Vec<Partner>, ConfigError> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .enumerate()
        .map(|(i, p)| {
            if !is_id(&p.id) {
                return Err(invalid(
                    format!("partners[{i}].id"),
                    "use lower-case letters, digits, - and _",
                ));
            }
            if !seen.insert(p.id.clone()) {
                return Err(invalid(format!("partners[{i}].id"), "used twice"));
            }
            for (j, origin) in p.origins.iter().enumerate() {
                check_origin(&format!("partners[{i}].origins[{j}]"), origin)?;
            }
            if let Some(digest) = &p.token_sha256
                && !is_digest(digest)
            {
                return Err(invalid(
                    format!("partners[{i}].token_sha256"),
                    "must be the 64-character hex SHA-256 digest of the token, never the token itself",
                ));
            }
            Ok(Partner {
                id: p.id,
                name: p.name,
                origins: p.origins,
                token_sha256: p.token_sha256,
            })
        })
        .collect()
}

pub(super) fn check_call(
    i: usize,
    raw: RawCall,
    global_phrases: &[String],
    has_smtp: bool,
) -> Result<Call, ConfigError> {
    let key = |field: &str| format!("calls[{i}].{field}");
    if !is_id(&raw.id) {
        return Err(invalid(
            key("id"),
            "use lower-case letters, digits, - and _",
        ));
    }
    let opens = parse_instant(&raw.opens).map_err(|m| invalid(key("opens"), m))?;
    let closes = parse_instant(&raw.closes).map_err(|m| invalid(key("closes"), m))?;
    if closes <= opens {
        return Err(invalid(key("closes"), "must be after opens"));
    }
    let limits = Limits {
        max_ideas: raw
            .max_ideas
            .unwrap_or(cfi_rules::limits::DEFAULT_MAX_IDEAS),
        max_words: raw
            .max_words
            .unwrap_or(cfi_rules::limits::DEFAULT_MAX_WORDS),
    };
    if !(1..=HARD_MAX_IDEAS).contains(&limits.max_ideas) {
        return Err(invalid(
            key("max_ideas"),
            format!("must be from 1 to {HARD_MAX_IDEAS}"),
        ));
    }
    if !(1..=HARD_MAX_WORDS).contains(&limits.max_words) {
        return Err(invalid(
            key("max_words"),
            format!("must be from 1 to {HARD_MAX_WORDS}"),
        ));
    }
    let perspectives = raw.perspectives.unwrap_or_else(default_perspectives);
    for (field, list) in [("themes", &raw.themes), ("perspectives", &perspectives)] {
        let mut seen = HashSet::new();
        for (j, choice) in list.iter().enumerate() {
            if !is_id(&choice.id) || !seen.insert(choice.id.as_str()) {
                return Err(invalid(
                    format!("calls[{i}].{field}[{j}].id"),
                    "must be a unique id of lower-case letters, digits, - and _",
                ));
            }
        }
    }
    if perspectives.is_empty() {
        return Err(invalid(key("perspectives"), "list at least one"));
    }
    if !raw.privacy_notice_url.starts_with("https://")
        && !raw.privacy_notice_url.starts_with("http://")
    {
        return Err(invalid(key("privacy_notice_url"), "must be an http(s) URL"));
    }
    let lang = raw.lang.unwrap_or_else(|| DEFAULT_LANG.to_owned());
    if !is_language_tag(&lang) {
        return Err(invalid(
            key("lang"),
            "must be a language tag such as en or cy",
        ));
    }
    let dir = match raw.dir.as_deref() {
        None => TextDirection::Ltr,
        Some(text) => TextDirection::from_wire(text)
            .ok_or_else(|| invalid(key("dir"), "must be ltr or rtl"))?,
    };
    if let Some(url) = &raw.page_url
        && !url.starts_with("https://")
        && !url.starts_with("http://")
    {
        return Err(invalid(key("page_url"), "must be an http(s) URL"));
    }
    let mut safeguarding_phrases = global_phrases.to_vec();
    for phrase in check_phrases(&key("safeguarding_phrases"), raw.safeguarding_phrases)? {
        if !safeguarding_phrases.contains(&phrase) {
            safeguarding_phrases.push(phrase);
        }
    }
    let retain_personal_data_until = raw
        .retain_personal_data_until
        .as_deref()
        .map(parse_instant)
        .transpose()
        .map_err(|m| invalid(key("retain_personal_data_until"), m))?;
    let mail = super::mail::check_call_mail(
        &key,
        super::mail::RawCallMail {
            contacts: raw.safeguarding_contacts,
            resend_after_secs: raw.safeguarding_resend_after_secs,
            acknowledgements: raw.acknowledgements,
            quote_ideas: raw.acknowledgements_quote_ideas,
        },
        has_smtp,
    )?;
    let rules = CallRules {
        limits,
        themes: raw.themes.iter().map(|c| c.id.clone()).collect(),
        perspectives: perspectives.iter().map(|c| c.id.clone()).collect(),
    };
    Ok(Call {
        rules,
        id: raw.id,
        title: raw.title,
        intro: raw.intro,
        opens,
        closes,
        limits,
        privacy_notice_url: raw.privacy_notice_url,
        lang,
        dir,
        page_url: raw.page_url,
        themes: raw.themes,
        perspectives,
        guidance: raw.guidance.unwrap_or_else(default_guidance),
        support: raw.support,
        safeguarding_phrases,
        retain_personal_data_until,
        mail,
    })
}

/// RFC 3339 with an offset (`2021-12-15T17:00:00Z`, `...+00:00`), or a local
/// time without offset (`2021-12-15T17:00`) read as UK time.
pub fn parse_instant(text: &str) -> Result<Zoned, String> {
    let uk = TimeZone::get(UK_TIME_ZONE).map_err(|e| format!("time zone data missing: {e}"))?;
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts.to_zoned(uk));
    }
    let civil: DateTime = text.parse().map_err(|_| {
        format!(
            "{text:?} is not a time like 2021-12-15T17:00 (UK time) or 2021-12-15T17:00:00+00:00"
        )
    })?;
    civil
        .to_zoned(uk)
        .map_err(|e| format!("{text:?} is not a valid UK time: {e}"))
}
