//! Spherical k-means over the ideas' TF-IDF vectors, seeded the same way
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

/// Dot products of one sparse vector with every centre; centres are stored
/// term by term (`centres[term * k + c]`), so each of the vector's terms
/// reads `k` neighbouring numbers.
fn centre_scores(vector: &[(u32, f32)], centres: &[f32], k: usize, scores: &mut [f32]) {
    scores.fill(0.0);
    for &(term, weight) in vector {
        let start = term as usize * k;
        if let Some(row) = centres.get(start..start + k) {
            for (score, centre) in scores.iter_mut().zip(row) {
                *score += weight * centre;
            }
        }
    }
}

/// The best centre for each vector and its score, over as many threads as
/// the machine has cores (the result does not depend on how many).
fn assign(vectors: &[Sparse], centres: &[f32], k: usize) -> Vec<(usize, f32)> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = vectors.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = vectors
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut scores = vec![0.0f32; k];
                    part.iter()
                        .map(|vector| {
                            centre_scores(vector, centres, k, &mut scores);
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
fn seeds(vectors: &[Sparse], usable: &[usize], terms: usize, k: usize) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(GROUP_SEED);
    let mut dense = vec![0.0f32; terms];
    let mut similarity_to = |seed: usize, best: &[f32]| -> (Vec<f32>, f64) {
        for &(t, w) in &vectors[seed] {
            dense[t as usize] = w;
        }
        let updated: Vec<f32> = usable
            .iter()
            .zip(best)
            .map(|(&i, &b)| {
                let s: f32 = vectors[i].iter().map(|&(t, w)| w * dense[t as usize]).sum();
                s.max(b)
            })
            .collect();
        for &(t, _) in &vectors[seed] {
            dense[t as usize] = 0.0;
        }
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
pub(super) fn k_means(
    vectors: &[Sparse],
    usable: &[usize],
    terms: usize,
    k: usize,
) -> Vec<(usize, f32)> {
    let chosen = seeds(vectors, usable, terms, k);
    let k = chosen.len();
    let mut centres = vec![0.0f32; terms * k];
    for (c, &seed) in chosen.iter().enumerate() {
        for &(t, w) in &vectors[seed] {
            centres[t as usize * k + c] = w;
        }
    }
    let part: Vec<Sparse> = usable.iter().map(|&i| vectors[i].clone()).collect();
    let mut assigned = assign(&part, &centres, k);
    for _ in 0..GROUP_ROUNDS {
        centres.fill(0.0);
        for (vector, &(c, _)) in part.iter().zip(&assigned) {
            for &(t, w) in vector {
                centres[t as usize * k + c] += w;
            }
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
        let next = assign(&part, &centres, k);
        let moved = next.iter().zip(&assigned).any(|(a, b)| a.0 != b.0);
        assigned = next;
        if !moved {
            break;
        }
    }
    assigned
}
