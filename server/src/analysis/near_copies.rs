//! Which descriptions are near-copies of each other, for [`super::campaigns`].
//! Descriptions are normalised (lower case, words only), cut into word
//! shingles ([`CAMPAIGN_SHINGLE_WORDS`]), and each distinct text gets a
//! MinHash signature (`gaoya`, fixed seed and a seedless FNV hash, so the
//! same ideas give the same sets on every run). Texts sharing a band of
//! their signatures are candidates, each checked by the exact share of
//! shingles they have in common ([`CAMPAIGN_SIMILARITY`]), and the pairs that
//! pass are joined into sets.
//!
//! The work grows with the texts, not with their pairs. A campaign of n
//! near-copies puts most of them in the same bucket of each band, so
//! checking every pair there costs n² (and listing each text's candidates
//! as many). Instead each bucket is read once, in the order the texts came,
//! keeping the sets met so far in it, each by a few of its members: a text
//! is checked against those members of every other set in the bucket, and
//! joins the sets it matches. Once a text is in a set it is never checked
//! against that set again, so a campaign costs a few checks per copy. While
//! a bucket holds at most [`CAMPAIGN_BUCKET_SETS`] sets of at most
//! [`CAMPAIGN_MEMBERS_COMPARED`] members each, this is every pair of the
//! bucket, and the sets are exactly the connected parts of the pairs that
//! pass; beyond that, and within [`CAMPAIGN_CHECKS_PER_TEXT`] in all, the
//! bound holds and a text is joined through the members it is checked with.

use std::hash::Hasher;

use fnv::{FnvBuildHasher, FnvHasher};
use gaoya::minhash::{MinHasher, MinHasher32};
use rayon::prelude::*;

use super::corpus::IdeaText;
use crate::limits::{
    CAMPAIGN_BAND_ROWS, CAMPAIGN_BANDS, CAMPAIGN_BUCKET_SETS, CAMPAIGN_CHECKS_PER_TEXT,
    CAMPAIGN_MEMBERS_COMPARED, CAMPAIGN_SHINGLE_WORDS, CAMPAIGN_SIMILARITY,
};

/// The seed of the MinHash permutations: any fixed number; changing it may
/// change which borderline pairs are proposed, never what a pair scores.
const MINHASH_SEED: u64 = 2021;

/// Lower case, words only (letters and digits), one space between them.
/// One pass into one string: it runs on every idea of the call.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// The hashed word shingles of a normalised text, sorted, each once; a text
/// shorter than a shingle is one shingle.
fn shingles(normalised: &str) -> Vec<u64> {
    let words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let size = CAMPAIGN_SHINGLE_WORDS.min(words.len());
    let mut hashes: Vec<u64> = words
        .windows(size)
        .map(|window| {
            let mut hasher = FnvHasher::default();
            for word in window {
                hasher.write(word.as_bytes());
                hasher.write_u8(0xff);
            }
            hasher.finish()
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// The exact Jaccard similarity of two sorted sets.
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    }
}

/// Disjoint sets over 0..n (path halving, union by index so the smallest
/// is the root). Hand-written: ten lines, where a graph crate would bring far
/// more than this.
pub struct Sets(Vec<usize>);

impl Sets {
    pub fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        self.0[a.max(b)] = a.min(b);
    }
}

/// A corpus's distinct texts and their MinHash signatures.
pub struct Signed {
    /// Each idea's distinct text (ideas in corpus order, texts in order of
    /// first appearance).
    pub text_of: Vec<usize>,
    /// Each distinct text's shingles (none for a text without words).
    pub shingled: Vec<Vec<u64>>,
    /// The texts with words, and their signatures, in text order.
    signatures: Vec<(usize, Vec<u32>)>,
}

/// Normalises, shingles and signs the ideas' descriptions: each distinct
/// text once, the signatures on every core.
pub fn sign(ideas: &[IdeaText]) -> Signed {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut shingled: Vec<Vec<u64>> = Vec::new();
    let text_of: Vec<usize> = ideas
        .iter()
        .map(|idea| {
            let text = normalise(&idea.description);
            *seen.entry(text).or_insert_with_key(|text| {
                shingled.push(shingles(text));
                shingled.len() - 1
            })
        })
        .collect();
    drop(seen);
    let hasher = MinHasher32::new_with_hasher_and_seed(
        CAMPAIGN_BANDS * CAMPAIGN_BAND_ROWS,
        FnvBuildHasher::default(),
        MINHASH_SEED,
    );
    let signatures = (0..shingled.len())
        .into_par_iter()
        .filter(|&id| !shingled[id].is_empty())
        .map(|id| (id, hasher.create_signature(shingled[id].iter())))
        .collect();
    Signed {
        text_of,
        shingled,
        signatures,
    }
}

/// The near-copy sets of the signed texts. Deterministic: the buckets are
/// read in a fixed order (band, then the band's hash), each in text order.
pub fn join(signed: &Signed) -> Sets {
    // (band, hash of the band's rows, text): sorted, each run of one band
    // and hash is a bucket. gaoya's index answers only "who shares a band
    // with this text", a whole campaign for each of its copies, so the
    // buckets are made here.
    let mut keys: Vec<(u32, u64, u32)> = signed
        .signatures
        .par_iter()
        .flat_map_iter(|(id, signature)| {
            signature
                .chunks(CAMPAIGN_BAND_ROWS)
                .enumerate()
                .map(move |(band, rows)| {
                    let mut hasher = FnvHasher::default();
                    for row in rows {
                        hasher.write_u32(*row);
                    }
                    (band as u32, hasher.finish(), *id as u32)
                })
        })
        .collect();
    keys.par_sort_unstable();
    let mut sets = Sets((0..signed.shingled.len()).collect());
    let mut checks = vec![0usize; signed.shingled.len()];
    for bucket in keys.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        if bucket.len() > 1 {
            let texts = bucket.iter().map(|&(_, _, id)| id as usize);
            join_bucket(texts, &signed.shingled, &mut sets, &mut checks);
        }
    }
    sets
}

/// Joins the near-copies among the texts of one bucket (in text order):
/// each text is checked against a few members of every set met before it in
/// the bucket that it is not already in; see the module's documentation.
fn join_bucket(
    texts: impl Iterator<Item = usize>,
    shingled: &[Vec<u64>],
    sets: &mut Sets,
    checks: &mut [usize],
) {
    // The sets met in this bucket, each by its first member here and its
    // latest ones; distinct sets, in the order they were met.
    let mut met: Vec<Vec<usize>> = Vec::new();
    for text in texts {
        // The sets this text is in or joins now, merged into the first.
        let mut joined: Option<usize> = None;
        let mut at = 0;
        while at < met.len() {
            let same = sets.find(met[at][0]) == sets.find(text);
            let matches = !same
                && met[at].iter().any(|&member| {
                    if checks[text] >= CAMPAIGN_CHECKS_PER_TEXT {
                        return false;
                    }
                    checks[text] += 1;
                    jaccard(&shingled[member], &shingled[text]) >= CAMPAIGN_SIMILARITY
                });
            if !(same || matches) {
                at += 1;
                continue;
            }
            if matches {
                sets.join(met[at][0], text);
            }
            match joined {
                None => {
                    joined = Some(at);
                    at += 1;
                }
                Some(first) => {
                    let merged = met.remove(at);
                    met[first].extend(merged);
                    met[first].sort_unstable();
                }
            }
        }
        match joined {
            Some(set) => {
                let members = &mut met[set];
                members.push(text);
                // The first member and the latest ones.
                if members.len() > CAMPAIGN_MEMBERS_COMPARED {
                    members.drain(1..members.len() + 1 - CAMPAIGN_MEMBERS_COMPARED);
                }
            }
            None if met.len() < CAMPAIGN_BUCKET_SETS => met.push(vec![text]),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idea(description: &str) -> IdeaText {
        IdeaText {
            reference: "CFI-0001".to_owned(),
            idea: 0,
            title: String::new(),
            description: description.to_owned(),
        }
    }

    #[test]
    fn normalising_keeps_lower_case_words_only() {
        assert_eq!(
            normalise("  Keep   brothers & sisters TOGETHER!\n(Please.) 25's "),
            "keep brothers sisters together please 25 s"
        );
        assert_eq!(normalise("«Ça» — é"), "ça é");
        assert_eq!(normalise("!!! ..."), "");
    }

    #[test]
    fn shingles_of_short_texts_are_one_shingle() {
        assert_eq!(shingles("more money").len(), 1);
        assert!(shingles("").is_empty());
        assert_eq!(shingles("a b c d").len(), 2);
        assert_eq!(jaccard(&shingles("a b c d"), &shingles("a b c d")), 1.0);
    }

    #[test]
    fn a_chain_of_near_copies_is_one_set_and_a_text_of_its_own_stays_out() {
        // Each text drifts one word further from the first: the last shares
        // little with the first, but every one is close to the one before.
        let words: Vec<String> = (0..40).map(|n| format!("word{n}")).collect();
        let mut texts = Vec::new();
        for step in 0..30 {
            let mut drifted = words.clone();
            for (n, word) in drifted.iter_mut().enumerate().take(step) {
                *word = format!("other{n}");
            }
            texts.push(idea(&drifted.join(" ")));
        }
        texts.push(idea(
            "A text of its own with nothing in common at all here.",
        ));
        let signed = sign(&texts);
        let mut sets = join(&signed);
        let first = sets.find(signed.text_of[0]);
        for (n, &text) in signed.text_of.iter().enumerate().take(30) {
            assert_eq!(sets.find(text), first, "text {n}");
        }
        assert_ne!(sets.find(signed.text_of[30]), first);
    }
}
