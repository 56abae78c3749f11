//! The written sentences the net compares with and is measured on
//! (`server/data/safeguarding/`, whose README says how each part was
//! written):
//! - `examples.tsv`: reference examples per category and level;
//! - `labelled.tsv`: the labelled set. Its tuning part (rows whose text
//!   hashes to an even number) is also a reference for the model and is
//!   where the thresholds were chosen; its held-out part (odd) is never
//!   used by the net, only by `cfi-bench --safeguarding` to measure it.

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

/// The reference examples (`examples.tsv`).
pub fn reference() -> Vec<Example> {
    parse(EXAMPLES)
}

/// The whole labelled set (`labelled.tsv`).
pub fn labelled() -> Vec<Example> {
    parse(LABELLED)
}

/// Whether a labelled row is in the tuning part (else held out): by the
/// FNV-1a hash of its text, so the split never changes when rows are added.
pub fn is_tuning(example: &Example) -> bool {
    fnv1a64(example.text.as_bytes()).is_multiple_of(2)
}

/// What the net compares with: the reference examples and the tuning part
/// of the labelled set.
pub fn compared_with() -> Vec<Example> {
    let mut all = reference();
    all.extend(labelled().into_iter().filter(is_tuning));
    all
}

/// 64-bit FNV-1a: a fixed, documented hash (the README names it), unlike
/// the standard library's, which may change between releases.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
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
    fn every_row_of_both_sets_is_read() {
        for (name, text) in [("examples", EXAMPLES), ("labelled", LABELLED)] {
            let rows = text.lines().skip(1).filter(|l| !l.trim().is_empty());
            for line in rows {
                assert!(parse_row(line).is_some(), "{name}.tsv: {line}");
            }
        }
    }

    #[test]
    fn the_labelled_set_has_every_category_and_both_parts() {
        let rows = labelled();
        assert!(rows.len() >= 300, "{} rows", rows.len());
        for category in Category::HARMS {
            for label in [Label::Urgent, Label::Sensitive] {
                let of = |tuning: bool| {
                    rows.iter()
                        .filter(|r| r.category == Some(category) && r.label == label)
                        .filter(|r| is_tuning(r) == tuning)
                        .count()
                };
                assert!(of(true) > 0 && of(false) > 0, "{category:?} {label:?}");
            }
        }
    }

    #[test]
    fn no_sentence_is_in_both_sets() {
        let reference: std::collections::HashSet<String> =
            reference().into_iter().map(|e| e.text).collect();
        for row in labelled() {
            assert!(!reference.contains(&row.text), "{}", row.text);
        }
    }

    #[test]
    fn the_hash_is_fnv1a() {
        // The published test vectors of 64-bit FNV-1a.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
