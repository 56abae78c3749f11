//! The written sentences the net compares with and is measured on
//! (`server/data/safeguarding/`, whose README says how each part was
//! written):
//! - `examples.tsv`: reference examples per category and level;
//! - `labelled.tsv`: the tuning part of the labelled set, also a reference
//!   for the model, where the thresholds were chosen;
//! - `heldout.tsv`: the held-out part, written afterwards by another hand,
//!   never used by the net, only by `cfi-bench --safeguarding` to measure
//!   it.

use super::Category;

/// What a labelled sentence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    /// Someone may be at risk now.
    Urgent,
    /// The subject without a disclosure.
    Sensitive,
    /// An ordinary idea.
    None,
}

impl Label {
    pub fn id(self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::Sensitive => "sensitive",
            Self::None => "none",
        }
    }
}

/// One row of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// `None` for ordinary ideas (`-` in the file).
    pub category: Option<Category>,
    pub label: Label,
    /// How it was written (`young-plain`, `policy`, `ordinary`...).
    pub form: String,
    pub text: String,
}

const EXAMPLES: &str = include_str!("../../data/safeguarding/examples.tsv");
const LABELLED: &str = include_str!("../../data/safeguarding/labelled.tsv");
const HELD_OUT: &str = include_str!("../../data/safeguarding/heldout.tsv");

/// The reference examples (`examples.tsv`).
pub fn reference() -> Vec<Example> {
    parse(EXAMPLES)
}

/// The tuning part of the labelled set (`labelled.tsv`).
pub fn tuning() -> Vec<Example> {
    parse(LABELLED)
}

/// The held-out part of the labelled set (`heldout.tsv`): only measured.
pub fn held_out() -> Vec<Example> {
    parse(HELD_OUT)
}

/// What the net compares with: the reference examples and the tuning part
/// of the labelled set.
pub fn compared_with() -> Vec<Example> {
    let mut all = reference();
    all.extend(tuning());
    all
}

/// Rows of `category\tlevel\tform\ttext` after a header line. The files are
/// compiled in and checked by a test, so a bad row is a build-time mistake:
/// it is skipped here and reported by the test.
fn parse(text: &str) -> Vec<Example> {
    text.lines().skip(1).filter_map(parse_row).collect()
}

fn parse_row(line: &str) -> Option<Example> {
    let mut fields = line.split('\t');
    let (category, level, form, text) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if fields.next().is_some() || text.trim().is_empty() {
        return None;
    }
    let label = match level {
        "urgent" => Label::Urgent,
        "sensitive" => Label::Sensitive,
        "none" => Label::None,
        _ => return None,
    };
    let category = match (category, label) {
        ("-", Label::None) => None,
        (id, Label::Urgent | Label::Sensitive) => {
            Some(Category::from_id(id).filter(|c| Category::HARMS.contains(c))?)
        }
        _ => return None,
    };
    Some(Example {
        category,
        label,
        form: form.to_owned(),
        text: text.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_every_set_is_read() {
        for (name, text) in [
            ("examples", EXAMPLES),
            ("labelled", LABELLED),
            ("heldout", HELD_OUT),
        ] {
            let rows = text.lines().skip(1).filter(|l| !l.trim().is_empty());
            for line in rows {
                assert!(parse_row(line).is_some(), "{name}.tsv: {line}");
            }
        }
    }

    #[test]
    fn the_labelled_set_has_every_category_in_both_parts() {
        let (tuning, held_out) = (tuning(), held_out());
        assert!(
            tuning.len() + held_out.len() >= 300,
            "{} rows",
            tuning.len() + held_out.len()
        );
        for category in Category::HARMS {
            for label in [Label::Urgent, Label::Sensitive] {
                let of = |rows: &[Example]| {
                    rows.iter()
                        .filter(|r| r.category == Some(category) && r.label == label)
                        .count()
                };
                assert!(
                    of(&tuning) > 0 && of(&held_out) > 0,
                    "{category:?} {label:?}"
                );
            }
        }
        assert!(held_out.iter().any(|r| r.label == Label::None));
    }

    #[test]
    fn no_sentence_is_in_two_sets() {
        let mut seen = std::collections::HashSet::new();
        for row in reference().into_iter().chain(tuning()).chain(held_out()) {
            assert!(seen.insert(row.text.clone()), "{}", row.text);
        }
    }
}
