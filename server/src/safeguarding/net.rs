//! The whole check: the configured phrases, then the sentence-embedding
//! model comparing each sentence with written examples.
//!
//! Why nearest examples: a disclosure in plain words ("my mum's boyfriend
//! hurts me when she is at work") shares no phrase with a list, but its
//! meaning sits close to other written disclosures and far from policy
//! sentences on the same subject. Each sentence's nearest examples vote,
//! weighted by similarity; a sentence is urgent when enough of the vote is
//! urgent and its nearest urgent example is close enough. The examples are
//! in `server/data/safeguarding/` (see [`super::examples`]); the thresholds
//! were chosen on the tuning part and are measured on the held-out part by
//! `cfi-bench --safeguarding`.

use std::ops::Range;
use std::sync::Arc;

use cfi_rules::Submission;
use tokio::sync::OnceCell;

use super::examples::{self, Example, Label};
use super::{Category, Flag, FlagLevel, find_in, passage};
use crate::limits::SAFEGUARDING_MAX_SENTENCES;
use crate::model::{Model, ModelError, Priority, cosine};

/// How the nearest examples decide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Examples that vote on each sentence.
    pub neighbours: usize,
    /// Share of the vote (by similarity) that must be urgent.
    pub urgent_share: f32,
    /// The nearest urgent example must be at least this similar.
    pub urgent_floor: f32,
    /// ...and this much closer than the nearest ordinary idea (-1 turns
    /// it off). A sentence about an adult and children ("my neighbour
    /// fosters three children") sits near disclosures too, but every
    /// margin tried cost recall on the tuning part, and a missed
    /// disclosure costs more than a false alarm: off.
    pub urgent_margin: f32,
    /// How much closer the nearest urgent or sensitive example must be than
    /// the nearest ordinary idea for a sensitive mark: every example is
    /// about children's care, so closeness alone says "care", not "harm".
    pub sensitive_margin: f32,
    /// The nearest urgent or sensitive example must be at least this
    /// similar for a sensitive mark.
    pub sensitive_floor: f32,
}

/// Chosen on the tuning part of the labelled set (`cfi-bench
/// --safeguarding` prints the sweeps): the urgent share and margin with the
/// highest urgent recall there while policy sentences and ordinary ideas
/// raised as urgent each stay at or under 2.5 % (half the 5 % target, room
/// for text the net has not seen), since a missed disclosure costs more
/// than a false alert; the sensitive margin that keeps ordinary ideas
/// marked near the floor of the sweep. On the 378 tuning rows: 0.2 or 0.25
/// would reach 98.4 % recall but raise 4.8 % of policy sentences and 7.1 %
/// of ordinary ideas as urgent; 0.3 gives 96.7 % with 2.4 % and 1.2 %.
pub const THRESHOLDS: Thresholds = Thresholds {
    neighbours: 7,
    urgent_share: 0.3,
    urgent_floor: 0.35,
    urgent_margin: -1.0,
    sensitive_margin: 0.1,
    sensitive_floor: 0.4,
};

/// The net: shared by every request (cloning is cheap).
#[derive(Clone)]
pub struct Net {
    inner: Arc<Inner>,
}

struct Inner {
    model: Option<Model>,
    /// The examples and their embeddings, computed once on first use (or
    /// by [`Net::warm`] at start), shared by every net on the same model.
    reference: Arc<OnceCell<Reference>>,
}

/// The examples' embeddings per model directory: they depend only on the
/// model (the examples are compiled in), so servers sharing a model in one
/// process embed them once.
fn shared_reference(model: Option<&Model>) -> Arc<OnceCell<Reference>> {
    type Shared = Vec<(std::path::PathBuf, Arc<OnceCell<Reference>>)>;
    static SHARED: std::sync::Mutex<Shared> = std::sync::Mutex::new(Vec::new());
    let Some(model) = model else {
        return Arc::default();
    };
    let mut shared = SHARED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, cell)) = shared.iter().find(|(dir, _)| dir == model.dir()) {
        return Arc::clone(cell);
    }
    let cell: Arc<OnceCell<Reference>> = Arc::default();
    shared.push((model.dir().to_owned(), Arc::clone(&cell)));
    cell
}

struct Reference {
    examples: Vec<Example>,
    vectors: Vec<Vec<f32>>,
}

/// What the model says of one sentence.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub label: Label,
    pub category: Option<Category>,
    /// The nearest example of the deciding level, and its similarity.
    pub closest: Option<(String, f32)>,
    /// The urgent share of the vote.
    pub urgent_share: f32,
}

impl Net {
    pub fn new(model: Option<Model>) -> Self {
        Self {
            inner: Arc::new(Inner {
                reference: shared_reference(model.as_ref()),
                model,
            }),
        }
    }

    /// Whether the model takes part (else phrases only).
    pub fn has_model(&self) -> bool {
        self.inner.model.is_some()
    }

    /// Embeds the examples now rather than on the first submission.
    pub async fn warm(&self) -> Result<(), ModelError> {
        self.reference().await.map(|_| ())
    }

    async fn reference(&self) -> Result<Option<&Reference>, ModelError> {
        let Some(model) = &self.inner.model else {
            return Ok(None);
        };
        self.inner
            .reference
            .get_or_try_init(|| async {
                let examples = examples::compared_with();
                let texts: Vec<String> = examples.iter().map(|e| e.text.clone()).collect();
                let vectors = model.embed_blocking(texts, Priority::Background).await?;
                Ok(Reference { examples, vectors })
            })
            .await
            .map(Some)
    }

    /// The flag a new submission gets, if any. Never fails: when the model
    /// cannot run, the phrases still decide (and the log says so).
    pub async fn check(&self, phrases: &[String], submission: &Submission) -> Option<Flag> {
        self.check_texts(phrases, &super::texts(submission)).await
    }

    /// [`Net::check`] over plain texts.
    pub async fn check_texts(&self, phrases: &[String], texts: &[&str]) -> Option<Flag> {
        match self.judge(phrases, texts, &THRESHOLDS, None).await {
            Ok(flag) => flag,
            Err(error) => {
                tracing::warn!(%error, "the safeguarding model could not run: phrases only");
                find_in(phrases, texts)
            }
        }
    }

    /// The decision with the given thresholds; `leave_out` is a text whose
    /// own example is not compared (to measure the tuning part fairly).
    pub async fn judge(
        &self,
        phrases: &[String],
        texts: &[&str],
        thresholds: &Thresholds,
        leave_out: Option<&str>,
    ) -> Result<Option<Flag>, ModelError> {
        let by_phrase = find_in(phrases, texts);
        if by_phrase
            .as_ref()
            .is_some_and(|f| f.level == FlagLevel::Urgent)
        {
            return Ok(by_phrase);
        }
        let prepared = self.prepare(texts).await?;
        self.decide(phrases, texts, prepared.as_ref(), thresholds, leave_out)
            .await
    }

    /// The sentences of `texts` and their embeddings (`None` without the
    /// model): the costly half of [`Net::judge`], so a bench can try many
    /// thresholds on one embedding.
    pub async fn prepare(&self, texts: &[&str]) -> Result<Option<Prepared>, ModelError> {
        let Some(model) = &self.inner.model else {
            return Ok(None);
        };
        let pieces = sentences_of(texts);
        let sentences: Vec<String> = pieces
            .iter()
            .map(|(t, r)| texts[*t][r.clone()].to_owned())
            .collect();
        let vectors = if sentences.is_empty() {
            Vec::new()
        } else {
            model.embed_blocking(sentences, Priority::Urgent).await?
        };
        Ok(Some(Prepared { pieces, vectors }))
    }

    /// The decision from the phrases and, when prepared, the sentences'
    /// embeddings.
    pub async fn decide(
        &self,
        phrases: &[String],
        texts: &[&str],
        prepared: Option<&Prepared>,
        thresholds: &Thresholds,
        leave_out: Option<&str>,
    ) -> Result<Option<Flag>, ModelError> {
        let by_phrase = find_in(phrases, texts);
        if by_phrase
            .as_ref()
            .is_some_and(|f| f.level == FlagLevel::Urgent)
        {
            return Ok(by_phrase);
        }
        let (Some(prepared), Some(reference)) = (prepared, self.reference().await?) else {
            return Ok(by_phrase);
        };
        let mut best: Option<(Verdict, usize)> = None;
        for (i, vector) in prepared.vectors.iter().enumerate() {
            let verdict = reference.verdict(vector, thresholds, leave_out);
            let better = match &best {
                None => verdict.label != Label::None,
                Some((b, _)) => {
                    rank(verdict.label) > rank(b.label)
                        || (verdict.label == b.label && verdict.urgent_share > b.urgent_share)
                }
            };
            if better {
                best = Some((verdict, i));
            }
        }
        let by_model = best.map(|(verdict, i)| {
            let (text, range) = &prepared.pieces[i];
            let category = verdict.category.unwrap_or(Category::CallPhrase);
            let (example, similarity) = verdict.closest.unwrap_or_default();
            Flag {
                level: if verdict.label == Label::Urgent {
                    FlagLevel::Urgent
                } else {
                    FlagLevel::Sensitive
                },
                category: category.id().to_owned(),
                phrase: String::new(),
                reason: format!(
                    "closest to a written example of {} ({}): \"{example}\" (similarity {similarity:.2})",
                    category.words(),
                    if verdict.label == Label::Urgent {
                        "a disclosure"
                    } else {
                        "the subject, without a disclosure"
                    },
                ),
                passage: passage(texts[*text], range.clone()),
            }
        });
        Ok(match (by_model, by_phrase) {
            (Some(m), _) if m.level == FlagLevel::Urgent => Some(m),
            (_, Some(p)) => Some(p),
            (m, None) => m,
        })
    }
}

/// Sentences of some texts and their embeddings (see [`Net::prepare`]).
pub struct Prepared {
    pieces: Vec<(usize, Range<usize>)>,
    vectors: Vec<Vec<f32>>,
}

fn rank(label: Label) -> u8 {
    match label {
        Label::Urgent => 2,
        Label::Sensitive => 1,
        Label::None => 0,
    }
}

impl Reference {
    fn verdict(&self, vector: &[f32], t: &Thresholds, leave_out: Option<&str>) -> Verdict {
        let mut scored: Vec<(f32, &Example)> = self
            .vectors
            .iter()
            .zip(&self.examples)
            .filter(|(_, e)| leave_out != Some(e.text.as_str()))
            .map(|(v, e)| (cosine(vector, v), e))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.truncate(t.neighbours);
        let weight = |keep: &dyn Fn(Label) -> bool| -> f32 {
            scored
                .iter()
                .filter(|(_, e)| keep(e.label))
                .map(|(s, _)| s.max(0.0))
                .sum()
        };
        let total = weight(&|_| true).max(f32::EPSILON);
        let urgent_share = weight(&|l| l == Label::Urgent) / total;
        // The nearest ordinary idea among all examples, not only the
        // neighbours: the margin compares the two.
        let ordinary = self
            .vectors
            .iter()
            .zip(&self.examples)
            .filter(|(_, e)| e.label == Label::None && leave_out != Some(e.text.as_str()))
            .map(|(v, _)| cosine(vector, v))
            .fold(f32::MIN, f32::max);
        let nearest = |keep: &dyn Fn(Label) -> bool| {
            scored
                .iter()
                .find(|(_, e)| keep(e.label))
                .map(|(s, e)| (*s, *e))
        };
        if let Some((similarity, example)) = nearest(&|l| l == Label::Urgent)
            && urgent_share >= t.urgent_share
            && similarity >= t.urgent_floor
            && similarity - ordinary >= t.urgent_margin
        {
            return Verdict {
                label: Label::Urgent,
                category: example.category,
                closest: Some((example.text.clone(), similarity)),
                urgent_share,
            };
        }
        if let Some((similarity, example)) = nearest(&|l| l != Label::None)
            && similarity - ordinary >= t.sensitive_margin
            && similarity >= t.sensitive_floor
        {
            return Verdict {
                label: Label::Sensitive,
                category: example.category,
                closest: Some((example.text.clone(), similarity)),
                urgent_share,
            };
        }
        Verdict {
            label: Label::None,
            category: None,
            closest: None,
            urgent_share,
        }
    }
}

/// Each text's sentences, as (text index, byte range): split after `.`,
/// `!` or `?` followed by white space, and at line breaks. Beyond
/// [`SAFEGUARDING_MAX_SENTENCES`] neighbouring sentences are checked
/// together, so a submission of thousands of one-word sentences costs no
/// more than a long ordinary one.
fn sentences_of(texts: &[&str]) -> Vec<(usize, Range<usize>)> {
    let mut all: Vec<(usize, Range<usize>)> = Vec::new();
    for (t, text) in texts.iter().enumerate() {
        let mut start = 0;
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let next_is_space = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
            let ends = c == '\n' || (matches!(c, '.' | '!' | '?') && next_is_space);
            if ends {
                push_trimmed(&mut all, t, text, start..at + c.len_utf8());
                start = at + c.len_utf8();
            }
        }
        push_trimmed(&mut all, t, text, start..text.len());
    }
    if all.len() <= SAFEGUARDING_MAX_SENTENCES {
        return all;
    }
    let per = all.len().div_ceil(SAFEGUARDING_MAX_SENTENCES);
    let mut merged: Vec<(usize, Range<usize>)> = Vec::new();
    let mut in_group = 0;
    for (t, range) in all {
        match merged.last_mut() {
            Some((mt, mr)) if *mt == t && in_group < per => {
                mr.end = range.end;
                in_group += 1;
            }
            _ => {
                merged.push((t, range));
                in_group = 1;
            }
        }
    }
    merged
}

fn push_trimmed(all: &mut Vec<(usize, Range<usize>)>, t: usize, text: &str, range: Range<usize>) {
    let piece = &text[range.clone()];
    let trimmed = piece.trim();
    if trimmed.chars().any(char::is_alphanumeric) {
        let start = range.start + (piece.len() - piece.trim_start().len());
        all.push((t, start..start + trimmed.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net() -> Net {
        let model = Model::shared(&crate::model::default_dir(), 2)
            .expect("the model (scripts/setup.sh fetches it)");
        Net::new(Some(model))
    }

    #[tokio::test]
    async fn ordinary_ideas_raise_nothing() {
        let net = net();
        for text in [
            "A mentor for every care leaver",
            "Every young person leaving care gets a mentor they choose, for as long as they want one.",
            "Placements near each other.",
            "This one will be withheld.",
            "This one names a teacher and must be withheld.",
            "Keep siblings together",
            "Quietly withdrawn idea",
            "Ask Jamie Doe at 12 Acacia Road, who runs the youth club.",
        ] {
            let flag = net.check_texts(&[], &[text]).await;
            assert!(flag.is_none(), "{text}: {flag:?}");
        }
    }

    #[tokio::test]
    async fn a_plain_disclosure_is_urgent_and_says_why() {
        let flag = net()
            .check_texts(&[], &["My mum's boyfriend hurts me when she is at work."])
            .await
            .expect("flagged");
        assert_eq!(flag.level, FlagLevel::Urgent);
        assert!(
            flag.reason.starts_with("closest to a written example"),
            "{}",
            flag.reason
        );
    }

    #[test]
    fn sentences_are_split_where_people_end_them() {
        let texts = [
            "Social workers should visit more. He hurts me!\nhelp",
            "A title",
        ];
        let got: Vec<&str> = sentences_of(&texts)
            .into_iter()
            .map(|(t, r)| &texts[t][r])
            .collect();
        assert_eq!(
            got,
            vec![
                "Social workers should visit more.",
                "He hurts me!",
                "help",
                "A title"
            ]
        );
    }

    #[test]
    fn a_flood_of_sentences_is_checked_in_bounded_pieces() {
        let flood = "a. ".repeat(5_000);
        let texts = [flood.as_str()];
        let pieces = sentences_of(&texts);
        assert!(
            pieces.len() <= SAFEGUARDING_MAX_SENTENCES,
            "{}",
            pieces.len()
        );
        assert_eq!(pieces.first().map(|p| p.1.start), Some(0));
        assert_eq!(pieces.last().map(|p| p.1.end), Some(flood.trim_end().len()));
    }

    #[test]
    fn decimals_and_urls_do_not_split() {
        let texts = ["It costs 2.50 a week, see example.org now"];
        assert_eq!(sentences_of(&texts).len(), 1);
    }
}
