//! The chart of submissions per day per partner on the dashboard and the
//! partners' page (`chart.html`): stacked bars, one colour per partner, with
//! a table of the same numbers for screen readers and keyboard users.

use std::collections::{BTreeMap, BTreeSet};

use super::partner_label;
use crate::config::Config;
use crate::review::persistence::DayCount;

use crate::limits::CHART_DAYS as DAYS_SHOWN;

/// Colours for chart series, distinguishable and dark enough for white gaps.
const PALETTE: [&str; 8] = [
    "#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#f47738", "#5694ca", "#85994b", "#b58840",
];

pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub base: f64,
    pub max: i64,
    pub first: String,
    pub last: String,
    pub partners: Vec<String>,
    pub days: Vec<Day>,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
    pub legend: Vec<Key>,
}

pub struct Day {
    pub day: String,
    /// One count per partner, in the order of [`Chart::partners`].
    pub counts: Vec<i64>,
}

pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub colour: &'static str,
    pub day: String,
    pub count: i64,
    pub partner: String,
}

pub struct Tick {
    pub x: String,
    pub y: f64,
    pub label: String,
}

pub struct Key {
    pub x: f64,
    pub y: f64,
    pub box_y: f64,
    pub text_x: f64,
    pub colour: &'static str,
    pub partner: String,
}

impl Chart {
    pub fn new(config: &Config, counts: &[DayCount]) -> Self {
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
        let skip = by_day.len().saturating_sub(DAYS_SHOWN);
        let shown: Vec<(&str, BTreeMap<String, i64>)> = by_day.into_iter().skip(skip).collect();
        let partners: Vec<String> = partners.into_iter().collect();
        let max = shown
            .iter()
            .map(|(_, m)| m.values().sum::<i64>())
            .max()
            .unwrap_or(1)
            .max(1);
        let (width, height, left, bottom) = (760.0_f64, 240.0_f64, 40.0_f64, 40.0_f64);
        let bar = (width - left) / shown.len().max(1) as f64;
        let scale = (height - bottom - 10.0) / max as f64;
        let base = height - bottom;
        let mut bars = Vec::new();
        let mut ticks = Vec::new();
        for (i, (day, per_partner)) in shown.iter().enumerate() {
            let x = left + i as f64 * bar;
            let mut y = base;
            for (p, partner) in partners.iter().enumerate() {
                let n = per_partner.get(partner).copied().unwrap_or(0);
                if n == 0 {
                    continue;
                }
                let h = n as f64 * scale;
                y -= h;
                bars.push(Bar {
                    x: format!("{x:.1}"),
                    y: format!("{y:.1}"),
                    width: format!("{:.1}", (bar - 1.0).max(1.0)),
                    height: format!("{h:.1}"),
                    colour: PALETTE[p % PALETTE.len()],
                    day: (*day).to_owned(),
                    count: n,
                    partner: partner.clone(),
                });
            }
            if i % (shown.len() / 6).max(1) == 0 {
                ticks.push(Tick {
                    x: format!("{x:.1}"),
                    y: base + 14.0,
                    label: day.get(5..).unwrap_or(day).to_owned(),
                });
            }
        }
        let legend = partners
            .iter()
            .enumerate()
            .map(|(p, partner)| {
                let x = (p % 4) as f64 * 190.0;
                let y = height - 10.0 + 20.0 * (p / 4) as f64;
                Key {
                    x,
                    y,
                    box_y: y - 10.0,
                    text_x: x + 16.0,
                    colour: PALETTE[p % PALETTE.len()],
                    partner: partner.clone(),
                }
            })
            .collect();
        let days: Vec<Day> = shown
            .iter()
            .map(|(day, per_partner)| Day {
                day: (*day).to_owned(),
                counts: partners
                    .iter()
                    .map(|p| per_partner.get(p).copied().unwrap_or(0))
                    .collect(),
            })
            .collect();
        Self {
            width,
            height: height + 20.0 * ((partners.len() as f64 / 4.0).ceil()),
            left,
            base,
            max,
            first: days.first().map(|d| d.day.clone()).unwrap_or_default(),
            last: days.last().map(|d| d.day.clone()).unwrap_or_default(),
            partners,
            days,
            bars,
            ticks,
            legend,
        }
    }
}
