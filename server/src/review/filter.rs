//! What staff search and filter submissions by.

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::http::problem::ApiError;

/// What staff search and filter by; empty values are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// Words in idea titles and descriptions (stemmed), or a reference.
    pub q: Option<String>,
    pub call: Option<String>,
    /// A partner id, or `_own` for the review's own site.
    pub partner: Option<String>,
    pub capacity: Option<String>,
    pub perspective: Option<String>,
    pub age_band: Option<String>,
    pub theme: Option<String>,
    /// `open`, `handled`, `any` or `none`.
    pub flag: Option<String>,
    /// `YYYY-MM-DD`, inclusive, UTC.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive, UTC.
    pub to: Option<String>,
}

/// The partner filter value for submissions sent from the review's own site.
pub const OWN_SITE: &str = "_own";

impl Filter {
    /// Trims every value and drops the empty ones.
    pub fn cleaned(mut self) -> Self {
        for value in [
            &mut self.q,
            &mut self.call,
            &mut self.partner,
            &mut self.capacity,
            &mut self.perspective,
            &mut self.age_band,
            &mut self.theme,
            &mut self.flag,
            &mut self.from,
            &mut self.to,
        ] {
            *value = value
                .take()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty());
        }
        self
    }
}

/// Checks filter values against the configuration, so they are known ids.
pub fn check(config: &Config, filter: &Filter) -> Result<(), ApiError> {
    let known = |value: &Option<String>, ok: &dyn Fn(&str) -> bool| value.as_deref().is_none_or(ok);
    let date_ok = |d: &str| d.len() == 10 && d.parse::<jiff::civil::Date>().is_ok();
    let checks = [
        known(&filter.call, &|c| config.call(c).is_some()),
        known(&filter.partner, &|p| {
            p == OWN_SITE || config.partner(p).is_some()
        }),
        known(&filter.capacity, &|c| {
            cfi_rules::Capacity::from_wire(c).is_some()
        }),
        known(&filter.perspective, &|p| {
            config
                .calls
                .iter()
                .any(|c| c.perspectives.iter().any(|x| x.id == p))
        }),
        known(&filter.age_band, &|a| {
            cfi_rules::AgeBand::from_wire(a).is_some()
        }),
        known(&filter.theme, &|t| {
            config
                .calls
                .iter()
                .any(|c| c.themes.iter().any(|x| x.id == t))
        }),
        known(&filter.flag, &|f| {
            matches!(f, "open" | "handled" | "any" | "none")
        }),
        known(&filter.from, &date_ok),
        known(&filter.to, &date_ok),
        filter.q.as_deref().is_none_or(|q| q.chars().count() <= 200),
    ];
    if checks.iter().all(|ok| *ok) {
        Ok(())
    } else {
        Err(ApiError::InvalidAction(
            "A filter value is not one of the choices (dates are YYYY-MM-DD)",
        ))
    }
}
