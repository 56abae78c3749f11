//! Ideas' words as numbers: tokenising at Unicode word boundaries, lower
//! case, English stop words left out (the NLTK list of the `stop-words`
//! crate: short, so words such as "school" or "support" stay), Snowball
//! English stemming (`rust-stemmers`), and TF-IDF vectors over each idea's
//! title and description. Each stem keeps its most common surface word, so
//! what is shown to people are words they wrote, not stems.

use std::collections::{HashMap, HashSet};

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation as _;

use crate::limits::TITLE_WEIGHT;

/// Splits text into the words that carry meaning, and stems them.
pub struct Tokeniser {
    stemmer: Stemmer,
    stop: HashSet<&'static str>,
}

impl Default for Tokeniser {
    fn default() -> Self {
        Self::new()
    }
}

impl Tokeniser {
    pub fn new() -> Self {
        Self {
            stemmer: Stemmer::create(Algorithm::English),
            stop: stop_words::get("en").iter().copied().collect(),
        }
    }

    /// The words of `text` in lower case, in order, without stop words,
    /// numbers and single letters.
    pub fn words<'a>(&'a self, text: &'a str) -> impl Iterator<Item = String> + 'a {
        text.unicode_words().filter_map(|word| {
            let word = word.to_lowercase();
            // Curly apostrophes are written as straight ones, so "don’t"
            // is the stop word "don't".
            let word = if word.contains('\u{2019}') {
                word.replace('\u{2019}', "'")
            } else {
                word
            };
            let letters = word.chars().filter(|c| c.is_alphabetic()).count();
            (letters >= 2 && !self.stop.contains(word.as_str())).then_some(word)
        })
    }

    /// The stem of a lower-case word ("carers" → "carer").
    pub fn stem(&self, word: &str) -> String {
        self.stemmer.stem(word).into_owned()
    }
}

/// A stem of the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub stem: String,
    /// The word people wrote most often for this stem (the first in
    /// alphabetical order among equals).
    pub surface: String,
    /// How many ideas use it.
    pub ideas: u32,
}

/// A sparse vector: (term, weight) sorted by term, of length 1 unless empty.
pub type Sparse = Vec<(u32, f32)>;

/// The TF-IDF vectors of a list of texts and their vocabulary.
pub struct TfIdf {
    pub terms: Vec<Term>,
    pub vectors: Vec<Sparse>,
}

/// Builds TF-IDF vectors over (title, description) pairs: sublinear term
/// frequency (1 + ln tf), smoothed inverse document frequency
/// (ln((1 + n) / (1 + df)) + 1), each vector scaled to length 1. Title
/// words count [`TITLE_WEIGHT`] times. Term ids follow the order stems are
/// first met, so the same texts give the same vectors.
pub fn tf_idf<'a>(texts: impl Iterator<Item = (&'a str, &'a str)>) -> TfIdf {
    let tokeniser = Tokeniser::new();
    // Stemming is the slow step: each distinct word is stemmed once.
    let mut word_term: HashMap<String, u32> = HashMap::new();
    let mut stems: HashMap<String, u32> = HashMap::new();
    let mut stem_names: Vec<String> = Vec::new();
    let mut surfaces: Vec<HashMap<u32, u32>> = Vec::new();
    let mut word_names: Vec<String> = Vec::new();
    let mut word_ids: HashMap<String, u32> = HashMap::new();
    let mut counts: Vec<Vec<(u32, u32)>> = Vec::new();
    let mut bag: HashMap<u32, u32> = HashMap::new();
    for (title, description) in texts {
        bag.clear();
        let title_words = tokeniser.words(title).map(|w| (w, TITLE_WEIGHT));
        let description_words = tokeniser.words(description).map(|w| (w, 1));
        for (word, weight) in title_words.chain(description_words) {
            let term = match word_term.get(&word) {
                Some(&term) => term,
                None => {
                    let stem = tokeniser.stem(&word);
                    let next = u32::try_from(stem_names.len()).unwrap_or(u32::MAX);
                    let term = *stems.entry(stem.clone()).or_insert_with(|| {
                        stem_names.push(stem);
                        surfaces.push(HashMap::new());
                        next
                    });
                    word_term.insert(word.clone(), term);
                    term
                }
            };
            let next_word = u32::try_from(word_names.len()).unwrap_or(u32::MAX);
            let word_id = *word_ids.entry(word).or_insert_with_key(|w| {
                word_names.push(w.clone());
                next_word
            });
            if let Some(seen) = surfaces.get_mut(term as usize) {
                *seen.entry(word_id).or_default() += weight;
            }
            *bag.entry(term).or_default() += weight;
        }
        let mut row: Vec<(u32, u32)> = bag.iter().map(|(&t, &n)| (t, n)).collect();
        row.sort_unstable();
        counts.push(row);
    }
    let mut ideas = vec![0u32; stem_names.len()];
    for row in &counts {
        for &(term, _) in row {
            ideas[term as usize] += 1;
        }
    }
    let n = counts.len() as f32;
    let idf: Vec<f32> = ideas
        .iter()
        .map(|&df| ((1.0 + n) / (1.0 + df as f32)).ln() + 1.0)
        .collect();
    let vectors = counts
        .into_iter()
        .map(|row| {
            let mut vector: Sparse = row
                .into_iter()
                .map(|(t, tf)| (t, (1.0 + (tf as f32).ln()) * idf[t as usize]))
                .collect();
            let norm = vector.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if norm > 0.0 {
                for (_, w) in &mut vector {
                    *w /= norm;
                }
            }
            vector
        })
        .collect();
    let terms = stem_names
        .into_iter()
        .zip(surfaces)
        .zip(ideas)
        .map(|((stem, seen), ideas)| {
            let surface = seen
                .iter()
                .map(|(&w, &n)| (n, word_names[w as usize].as_str()))
                .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)))
                .map_or_else(|| stem.clone(), |(_, w)| w.to_owned());
            Term {
                stem,
                surface,
                ideas,
            }
        })
        .collect();
    TfIdf { terms, vectors }
}

/// The dot product of two sparse vectors (their cosine, as both have
/// length 1).
pub fn dot(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while let (Some(&(ta, wa)), Some(&(tb, wb))) = (a.get(i), b.get(j)) {
        match ta.cmp(&tb) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += wa * wb;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_case_without_stop_words_numbers_or_single_letters() {
        let tokeniser = Tokeniser::new();
        let words: Vec<String> = tokeniser
            .words("The Carers’ don’t get paid, a 2024 rise of 5% would help Foster-Carers!")
            .collect();
        assert_eq!(
            words,
            [
                "carers", "get", "paid", "rise", "would", "help", "foster", "carers"
            ]
        );
    }

    #[test]
    fn stems_join_the_forms_of_a_word() {
        let tokeniser = Tokeniser::new();
        assert_eq!(tokeniser.stem("carers"), tokeniser.stem("carer"));
        assert_eq!(tokeniser.stem("mentoring"), tokeniser.stem("mentor"));
        assert_eq!(tokeniser.stem("families"), tokeniser.stem("family"));
        assert_ne!(tokeniser.stem("school"), tokeniser.stem("scheme"));
    }

    #[test]
    fn each_stem_shows_its_most_common_word() {
        let texts = [
            (
                "Mentors for care leavers",
                "A mentor helps; mentors listen.",
            ),
            ("Mentoring", "Mentors again."),
        ];
        let model = tf_idf(texts.iter().map(|(t, d)| (*t, *d)));
        let mentor = model
            .terms
            .iter()
            .find(|t| t.stem == "mentor")
            .expect("mentor stem");
        assert_eq!(mentor.surface, "mentors");
        assert_eq!(mentor.ideas, 2);
    }

    #[test]
    fn vectors_have_length_one_and_rare_words_weigh_more() {
        let texts = [
            ("Housing", "housing for care leavers"),
            ("Housing", "housing and money"),
            ("Money", "money for carers"),
        ];
        let model = tf_idf(texts.iter().map(|(t, d)| (*t, *d)));
        for vector in &model.vectors {
            let length: f32 = vector.iter().map(|(_, w)| w * w).sum();
            assert!((length - 1.0).abs() < 1e-5);
        }
        let weight = |idea: usize, stem: &str| {
            let id = model
                .terms
                .iter()
                .position(|t| t.stem == stem)
                .expect("term") as u32;
            model.vectors[idea]
                .iter()
                .find(|(t, _)| *t == id)
                .map_or(0.0, |(_, w)| *w)
        };
        // "leaver" is in one idea, "money" in two.
        assert!(weight(0, "leaver") > weight(1, "money") * 0.5);
        assert!(
            dot(&model.vectors[0], &model.vectors[1]) > dot(&model.vectors[0], &model.vectors[2])
        );
    }
}
