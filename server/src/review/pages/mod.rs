//! The review team's pages, server-rendered HTML without scripts, one module
//! per page, each from its template in `server/templates/`: the dashboard
//! (totals, a chart of submissions per day per partner, the publication
//! switch), the searchable list with filters, one submission with its
//! moderation forms and audit trail, and the partners' counts page. Every
//! page sends the headers of [`private_pages`].

mod chart;
mod dashboard;
mod partner;
mod submission;
mod submissions;

use std::ops::Range;

use axum::routing::{get, post};

use crate::config::Config;
use crate::http::html::private_pages;
use crate::{AppState, Router};

pub fn router() -> Router<AppState> {
    private_pages(
        Router::new()
            .route("/admin", get(dashboard::show))
            .route("/admin/submissions", get(submissions::show))
            .route("/admin/submissions/{reference}", get(submission::show))
            .route(
                "/admin/submissions/{reference}/actions",
                post(submission::act),
            )
            .route(
                "/admin/submissions/{reference}/erase",
                post(submission::erase),
            )
            .route(
                "/admin/calls/{call}/publication",
                post(dashboard::switch_publication),
            )
            .route("/partner", get(partner::show)),
    )
}

/// Where a submission came from, in words.
fn partner_label(config: &Config, partner: Option<&str>) -> String {
    match partner {
        Some(id) => config.partner_name(id).to_owned(),
        None => "The review's own site".to_owned(),
    }
}

/// "As an individual" or "On behalf of an organisation" for the stored capacity.
fn capacity_words(wire: &str) -> String {
    cfi_rules::Capacity::from_wire(wire).map_or_else(|| wire.to_owned(), |c| c.label().to_owned())
}

/// "With their name" or "Anonymously" for a stored publication choice.
fn publication_words(wire: &str) -> String {
    match cfi_rules::Publication::from_wire(wire) {
        Some(cfi_rules::Publication::Named) => "With their name".to_owned(),
        Some(cfi_rules::Publication::Anonymous) => "Anonymously".to_owned(),
        None => wire.to_owned(),
    }
}

/// A piece of a passage; marked pieces are a safeguarding phrase.
struct Part {
    text: String,
    marked: bool,
}

/// `text` cut into pieces, those in `ranges` (byte ranges, in order) marked.
fn parts(text: &str, ranges: &[Range<usize>]) -> Vec<Part> {
    let mut out = Vec::new();
    let mut at = 0;
    for range in ranges {
        if range.start < at || range.end > text.len() {
            continue;
        }
        let (Some(before), Some(marked)) = (text.get(at..range.start), text.get(range.clone()))
        else {
            continue;
        };
        out.push(Part {
            text: before.to_owned(),
            marked: false,
        });
        out.push(Part {
            text: marked.to_owned(),
            marked: true,
        });
        at = range.end;
    }
    out.push(Part {
        text: text.get(at..).unwrap_or_default().to_owned(),
        marked: false,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passage_is_cut_around_its_phrase() {
        let pieces = parts("a <b> c", &[Range { start: 2, end: 5 }]);
        let text: Vec<(&str, bool)> = pieces.iter().map(|p| (p.text.as_str(), p.marked)).collect();
        assert_eq!(text, [("a ", false), ("<b>", true), (" c", false)]);
    }

    #[test]
    fn stored_wire_values_read_as_words() {
        assert_eq!(capacity_words("individual"), "As an individual");
        assert_eq!(publication_words("anonymous"), "Anonymously");
    }
}
