//! How well one partition of items agrees with another (clusters found
//! against people's labels): normalised mutual information, and the
//! adjusted Rand index (Hubert and Arabie). Each is 1 for the same
//! partition; NMI is 0 and ARI about 0 for a partition no better than
//! chance.

use std::collections::HashMap;

/// The contingency table of two labellings of the same items: the count
/// of each pair of labels, and of each label on either side.
struct Table {
    both: HashMap<(usize, usize), f64>,
    left: HashMap<usize, f64>,
    right: HashMap<usize, f64>,
    n: f64,
}

fn table(a: &[usize], b: &[usize]) -> Table {
    let mut t = Table {
        both: HashMap::new(),
        left: HashMap::new(),
        right: HashMap::new(),
        n: a.len().min(b.len()) as f64,
    };
    for (&x, &y) in a.iter().zip(b) {
        *t.both.entry((x, y)).or_default() += 1.0;
        *t.left.entry(x).or_default() += 1.0;
        *t.right.entry(y).or_default() += 1.0;
    }
    t
}

fn entropy(counts: &HashMap<usize, f64>, n: f64) -> f64 {
    counts
        .values()
        .map(|&c| {
            let p = c / n;
            -p * p.ln()
        })
        .sum()
}

/// Normalised mutual information, with the arithmetic mean of the two
/// entropies as the normaliser (scikit-learn's default). Two partitions
/// that are each a single cluster agree perfectly (1).
pub(crate) fn nmi(a: &[usize], b: &[usize]) -> f64 {
    let t = table(a, b);
    if t.n == 0.0 {
        return 1.0;
    }
    let (ha, hb) = (entropy(&t.left, t.n), entropy(&t.right, t.n));
    if ha == 0.0 && hb == 0.0 {
        return 1.0;
    }
    let mutual: f64 = t
        .both
        .iter()
        .map(|(&(x, y), &c)| {
            let p = c / t.n;
            p * (c * t.n / (t.left[&x] * t.right[&y])).ln()
        })
        .sum();
    (mutual / ((ha + hb) / 2.0)).clamp(0.0, 1.0)
}

/// The adjusted Rand index: agreement on pairs of items, corrected for
/// what chance gives. 1 for the same partition.
pub(crate) fn ari(a: &[usize], b: &[usize]) -> f64 {
    let t = table(a, b);
    let pairs = |c: f64| c * (c - 1.0) / 2.0;
    let index: f64 = t.both.values().map(|&c| pairs(c)).sum();
    let left: f64 = t.left.values().map(|&c| pairs(c)).sum();
    let right: f64 = t.right.values().map(|&c| pairs(c)).sum();
    let expected = left * right / pairs(t.n);
    let max = (left + right) / 2.0;
    if max == expected {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn the_same_partition_under_other_names_agrees_perfectly() {
        let a = [0, 0, 1, 1, 2, 2];
        let b = [5, 5, 3, 3, 9, 9];
        assert!(close(nmi(&a, &b), 1.0));
        assert!(close(ari(&a, &b), 1.0));
    }

    #[test]
    fn a_partition_that_says_nothing_about_the_labels_scores_zero() {
        // Each cluster holds one item of each label.
        let labels = [0, 1, 0, 1];
        let clusters = [0, 0, 1, 1];
        assert!(close(nmi(&labels, &clusters), 0.0));
        assert!(close(ari(&labels, &clusters), -0.5));
    }

    #[test]
    fn scores_match_the_worked_values_of_a_small_example() {
        // Pairs (label, cluster): (0,0)×2, (0,1), (1,1), (1,2)×2. Mutual
        // information (2/3)·ln 2, entropies ln 2 and ln 3: NMI =
        // (2/3)·ln 2 / ((ln 2 + ln 3) / 2) = 0.5158037…. Pairs together in
        // both 2, in the labels 6, in the clusters 3, of 15: expected
        // 6·3/15 = 1.2, ARI = (2 − 1.2) / (4.5 − 1.2) = 0.2424….
        let labels = [0, 0, 0, 1, 1, 1];
        let clusters = [0, 0, 1, 1, 2, 2];
        assert!(close(nmi(&labels, &clusters), 0.515_803_742_979_388_9));
        assert!(close(ari(&labels, &clusters), 0.242_424_242_424_242_46));
    }
}
