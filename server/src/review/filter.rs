//! What staff search and filter submissions by: [`FilterQuery`] as sent
//! (text, kept to refill the form), parsed once into a typed [`Filter`]
//! checked against the configuration, which is what storage searches by.

use cfi_rules::{AgeBand, Capacity};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::service::ReviewError;
use crate::config::Config;
use crate::limits::MAX_SEARCH_CHARS;

/// What staff search and filter by; empty values are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterQuery {
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

impl FilterQuery {
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

    /// Parses the (cleaned) values: known ids, wire names and real dates.
    pub fn parse(&self, config: &Config) -> Result<Filter, ReviewError> {
        let invalid = || {
            ReviewError::Invalid("A filter value is not one of the choices (dates are YYYY-MM-DD)")
        };
        let known = |value: &Option<String>, ok: &dyn Fn(&str) -> bool| match value {
            Some(v) if !ok(v) => Err(invalid()),
            other => Ok(other.clone()),
        };
        let date = |value: &Option<String>| -> Result<Option<Date>, ReviewError> {
            value
                .as_deref()
                .map(|d| {
                    if d.len() == 10 {
                        d.parse::<Date>().map_err(|_| invalid())
                    } else {
                        Err(invalid())
                    }
                })
                .transpose()
        };
        let q = known(&self.q, &|q| q.chars().count() <= MAX_SEARCH_CHARS)?;
        let to = date(&self.to)?;
        Ok(Filter {
            q,
            call: known(&self.call, &|c| config.call(c).is_some())?,
            partner: self
                .partner
                .as_deref()
                .map(|p| match p {
                    OWN_SITE => Ok(Partner::OwnSite),
                    id if config.partner(id).is_some() => Ok(Partner::Id(id.to_owned())),
                    _ => Err(invalid()),
                })
                .transpose()?,
            capacity: self
                .capacity
                .as_deref()
                .map(|c| Capacity::from_wire(c).ok_or_else(invalid))
                .transpose()?,
            perspective: known(&self.perspective, &|p| {
                config
                    .calls
                    .iter()
                    .any(|c| c.perspectives.iter().any(|x| x.id == p))
            })?,
            age_band: self
                .age_band
                .as_deref()
                .map(|a| AgeBand::from_wire(a).ok_or_else(invalid))
                .transpose()?,
            theme: known(&self.theme, &|t| {
                config
                    .calls
                    .iter()
                    .any(|c| c.themes.iter().any(|x| x.id == t))
            })?,
            flag: self
                .flag
                .as_deref()
                .map(|f| FlagFilter::from_wire(f).ok_or_else(invalid))
                .transpose()?,
            from: date(&self.from)?,
            // The last day there is has no day after it to search before.
            before: to
                .map(|d| d.tomorrow().map_err(|_| invalid()))
                .transpose()?,
        })
    }
}

/// A parsed filter; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Words in idea titles and descriptions, or a reference.
    pub q: Option<String>,
    pub call: Option<String>,
    pub partner: Option<Partner>,
    pub capacity: Option<Capacity>,
    pub perspective: Option<String>,
    pub age_band: Option<AgeBand>,
    pub theme: Option<String>,
    pub flag: Option<FlagFilter>,
    /// Sent on or after this day (UTC).
    pub from: Option<Date>,
    /// Sent before this day (UTC): the day after the inclusive `to`.
    pub before: Option<Date>,
}

/// Where submissions came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Partner {
    /// The review's own site (no partner).
    OwnSite,
    Id(String),
}

/// Which safeguarding state to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagFilter {
    Open,
    Handled,
    Any,
    None,
}

impl FlagFilter {
    fn from_wire(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Self::Open),
            "handled" => Some(Self::Handled),
            "any" => Some(Self::Any),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Config {
        Config::from_toml(
            include_str!("../../../demo/review.toml"),
            std::path::Path::new("demo/review.toml"),
            |_| None,
        )
        .expect("the demo configuration is valid")
    }

    fn with(set: impl FnOnce(&mut FilterQuery)) -> Result<Filter, ReviewError> {
        let mut query = FilterQuery::default();
        set(&mut query);
        query.cleaned().parse(&demo())
    }

    #[test]
    fn the_to_date_is_inclusive() {
        let filter = with(|q| q.to = Some("2021-12-31".into())).expect("parses");
        assert_eq!(filter.before, Some(jiff::civil::date(2022, 1, 1)));
    }

    #[test]
    fn the_last_day_there_is_and_dates_that_are_not_are_422() {
        for to in ["9999-12-31", "2021-02-30", "nope", "2021-1-1"] {
            let error = with(|q| q.to = Some(to.into())).expect_err(to);
            assert!(matches!(error, ReviewError::Invalid(_)), "{to}");
        }
    }

    #[test]
    fn wire_names_parse_to_their_values_and_others_are_refused() {
        let filter = with(|q| {
            q.capacity = Some("organisation".into());
            q.age_band = Some("16_17".into());
            q.flag = Some("open".into());
            q.partner = Some(OWN_SITE.into());
        })
        .expect("parses");
        assert_eq!(filter.capacity, Some(Capacity::Organisation));
        assert_eq!(filter.age_band, Some(AgeBand::From16To17));
        assert_eq!(filter.flag, Some(FlagFilter::Open));
        assert_eq!(filter.partner, Some(Partner::OwnSite));
        assert!(with(|q| q.capacity = Some("robot".into())).is_err());
    }
}
