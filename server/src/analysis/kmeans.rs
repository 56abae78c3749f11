//! Spherical k-means over the ideas' TF-IDF vectors (joined with their
//! meaning where the corpus has it, see [`Space`]), seeded the same way
//! every time (greedy k-means++ from a fixed seed), so the same ideas always
//! make the same groups; [`super::groups`] names and keeps them.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use super::text::Sparse;
use crate::limits::{GROUP_ROUNDS, MAX_GROUPS};

/// The seed of the groups' first centres: fixed, so the same ideas always
/// make the same groups.
const GROUP_SEED: u64 = 13;

/// How many groups for `n` ideas: about √(n/2), at most [`MAX_GROUPS`].
pub fn group_count(n: usize) -> usize {
    let k = (n as f64 / 2.0).sqrt().ceil() as usize;
    k.clamp(1, MAX_GROUPS)
}

/// The points k-means groups: each idea's words (its TF-IDF vector) and,
/// where the corpus has them, its meaning (a unit sentence embedding), as
/// one vector [√w·words ; √(1−w)·meaning] of length 1 whose dot products
/// are the blended similarity w·words + (1−w)·meaning. Without meaning the
/// points are the words' vectors as they are.
pub(super) struct Space<'a> {
    pub words: &'a [Sparse],
    /// How many terms the words' vectors use.
    pub terms: usize,
    /// One unit vector per idea, aligned with `words`, and `w`.
    pub meaning: Option<(&'a [Vec<f32>], f32)>,
}

impl Space<'_> {
    /// Coordinates of a point: the terms, then the meaning's dimensions.
    fn dimensions(&self) -> usize {
        self.terms
            + self
                .meaning
                .map_or(0, |(m, _)| m.first().map_or(0, Vec::len))
    }

    /// Each non-zero coordinate of the idea at `i`, in order.
    fn each(&self, i: usize, mut f: impl FnMut(usize, f32)) {
        let (words, meaning) = match self.meaning {
            Some((_, w)) => (w.sqrt(), (1.0 - w).max(0.0).sqrt()),
            None => (1.0, 0.0),
        };
        if words > 0.0 {
            for &(t, x) in self.words.get(i).map_or(&[][..], |v| v) {
                f(t as usize, words * x);
            }
        }
        if let Some((vectors, _)) = self.meaning
            && meaning > 0.0
        {
            for (d, &x) in vectors.get(i).map_or(&[][..], |v| v).iter().enumerate() {
                f(self.terms + d, meaning * x);
            }
        }
    }
}

/// Dot products of one point with every centre; centres are stored
/// coordinate by coordinate (`centres[coordinate * k + c]`), so each of the
/// point's coordinates reads `k` neighbouring numbers.
fn centre_scores(space: &Space, i: usize, centres: &[f32], k: usize, scores: &mut [f32]) {
    scores.fill(0.0);
    space.each(i, |coordinate, weight| {
        let start = coordinate * k;
        if let Some(row) = centres.get(start..start + k) {
            for (score, centre) in scores.iter_mut().zip(row) {
                *score += weight * centre;
            }
        }
    });
}

/// The best centre for each idea of `part` and its score, over as many
/// threads as the machine has cores (the result does not depend on how
/// many).
fn assign(space: &Space, part: &[usize], centres: &[f32], k: usize) -> Vec<(usize, f32)> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = part.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = part
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut scores = vec![0.0f32; k];
                    part.iter()
                        .map(|&i| {
                            centre_scores(space, i, centres, k, &mut scores);
                            scores
                                .iter()
                                .enumerate()
                                .fold(
                                    (0, f32::MIN),
                                    |best, (c, &s)| {
                                        if s > best.1 { (c, s) } else { best }
                                    },
                                )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Greedy k-means++ seeding from a fixed seed: each next centre is the best
/// of a few candidates drawn in proportion to their distance from the
/// centres so far. Returns the chosen ideas.
fn seeds(space: &Space, usable: &[usize], k: usize) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(GROUP_SEED);
    let mut dense = vec![0.0f32; space.dimensions()];
    let mut similarity_to = |seed: usize, best: &[f32]| -> (Vec<f32>, f64) {
        space.each(seed, |d, w| dense[d] = w);
        let updated: Vec<f32> = usable
            .iter()
            .zip(best)
            .map(|(&i, &b)| {
                let mut s = 0.0f32;
                space.each(i, |d, w| s += w * dense[d]);
                s.max(b)
            })
            .collect();
        space.each(seed, |d, _| dense[d] = 0.0);
        let potential = updated.iter().map(|&s| f64::from(1.0 - s).max(0.0)).sum();
        (updated, potential)
    };
    let first = usable[rng.random_range(0..usable.len())];
    let (mut best, mut potential) = similarity_to(first, &vec![f32::MIN; usable.len()]);
    let mut chosen = vec![first];
    let trials = 2 + (k as f64).ln() as usize;
    while chosen.len() < k && potential > 0.0 {
        let mut pick: Option<(usize, Vec<f32>, f64)> = None;
        for _ in 0..trials {
            let mut target = rng.random::<f64>() * potential;
            let mut candidate = usable[usable.len() - 1];
            for (&i, &b) in usable.iter().zip(&best) {
                target -= f64::from(1.0 - b).max(0.0);
                if target <= 0.0 {
                    candidate = i;
                    break;
                }
            }
            if chosen.contains(&candidate) {
                continue;
            }
            let (updated, after) = similarity_to(candidate, &best);
            if pick.as_ref().is_none_or(|p| after < p.2) {
                pick = Some((candidate, updated, after));
            }
        }
        let Some((candidate, updated, after)) = pick else {
            break;
        };
        chosen.push(candidate);
        best = updated;
        potential = after;
    }
    chosen
}

/// Spherical k-means: each idea goes to the centre it is most like, each
/// centre becomes the normalised sum of its ideas, until nothing moves or
/// after [`GROUP_ROUNDS`]. Returns each usable idea's group and score.
pub(super) fn k_means(space: &Space, usable: &[usize], k: usize) -> Vec<(usize, f32)> {
    let chosen = seeds(space, usable, k);
    let k = chosen.len();
    let mut centres = vec![0.0f32; space.dimensions() * k];
    for (c, &seed) in chosen.iter().enumerate() {
        space.each(seed, |d, w| centres[d * k + c] = w);
    }
    let mut assigned = assign(space, usable, &centres, k);
    for _ in 0..GROUP_ROUNDS {
        centres.fill(0.0);
        for (&i, &(c, _)) in usable.iter().zip(&assigned) {
            space.each(i, |d, w| centres[d * k + c] += w);
        }
        let mut norms = vec![0.0f32; k];
        for row in centres.chunks(k) {
            for (n, w) in norms.iter_mut().zip(row) {
                *n += w * w;
            }
        }
        for row in centres.chunks_mut(k) {
            for (w, n) in row.iter_mut().zip(&norms) {
                if *n > 0.0 {
                    *w /= n.sqrt();
                }
            }
        }
        let next = assign(space, usable, &centres, k);
        let moved = next.iter().zip(&assigned).any(|(a, b)| a.0 != b.0);
        assigned = next;
        if !moved {
            break;
        }
    }
    assigned
}
