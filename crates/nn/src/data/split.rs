//! How many rows go to the test part, overall and per class, as scikit-learn's
//! `train_test_split` and `StratifiedShuffleSplit` count them.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::error::DataError;

/// The test part's size for `n` rows: `⌈n·f⌉` (scikit-learn's `_validate_shuffle_split`),
/// the train part gets the rest.
///
/// The product is computed in f64, where the decimal fraction `0.07` is slightly above
/// 7/100, so `100 · 0.07 = 7.000000000000001`; a product within a few ulps above an
/// integer is taken as that integer (7 test rows, where a bare `ceil` would give 8).
///
/// # Errors
/// [`DataError::Invalid`] if the train part would be empty.
pub(crate) fn test_count(n: usize, f: f64) -> Result<usize, DataError> {
    let x = n as f64 * f;
    let k = (x - x * 4.0 * f64::EPSILON).ceil() as usize;
    if k >= n {
        return Err(DataError::Invalid {
            what: "train_test_split",
            reason: format!(
                "test_fraction {f} of {n} rows leaves ⌈{n}·{f}⌉ = {k} test rows and no \
                 training rows"
            ),
        });
    }
    Ok(k)
}

/// Test rows per class for a stratified split of rows labelled `labels` into `n_test`
/// test rows, checking that the split can be honoured: every class present has at
/// least 2 rows, and both parts have at least as many rows as there are classes
/// (scikit-learn's `StratifiedShuffleSplit` checks). Classes absent from `labels` get 0.
///
/// # Errors
/// [`DataError::ClassTooSmall`] naming the first class with a single row;
/// [`DataError::PartSmallerThanClasses`] naming the part that is too small.
pub(crate) fn stratified_test_counts(
    labels: &[usize],
    n_test: usize,
    rng: &mut StdRng,
) -> Result<Vec<usize>, DataError> {
    let classes = labels.iter().max().map_or(0, |m| m + 1);
    let mut counts = vec![0; classes];
    for &l in labels {
        counts[l] += 1;
    }
    if let Some((class, &count)) = counts.iter().enumerate().find(|(_, &c)| c == 1) {
        return Err(DataError::ClassTooSmall { class, count });
    }
    let present = counts.iter().filter(|&&c| c > 0).count();
    let n_train = labels.len() - n_test;
    for (part, rows) in [("train", n_train), ("test", n_test)] {
        if rows < present {
            return Err(DataError::PartSmallerThanClasses {
                part,
                rows,
                classes: present,
            });
        }
    }
    Ok(approximate_mode(&counts, n_test, rng))
}

/// Splits `draws` among classes with `counts` rows in proportion to their sizes:
/// each class gets the floor of its expected count `c·draws/Σc`, and the rows left over go
/// one each to the classes with the largest fractional parts, ties broken at random
/// (scikit-learn's `_approximate_mode`). Computed in integers, so ties are exact.
///
/// # Panics
/// If `draws` exceeds the total count.
pub(crate) fn approximate_mode(counts: &[usize], draws: usize, rng: &mut StdRng) -> Vec<usize> {
    let total: usize = counts.iter().sum();
    assert!(
        draws <= total,
        "approximate_mode: {draws} draws from {total} rows"
    );
    if total == 0 {
        return vec![0; counts.len()];
    }
    let expected = |c: usize| (c as u128 * draws as u128, total as u128);
    let mut out: Vec<usize> = counts
        .iter()
        .map(|&c| {
            let (num, den) = expected(c);
            (num / den) as usize
        })
        .collect();
    let need = draws - out.iter().sum::<usize>();
    let remainder = |i: usize| {
        let (num, den) = expected(counts[i]);
        num % den
    };
    // Shuffle first, then sort stably by remainder: equal remainders stay in random order.
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.shuffle(rng);
    order.sort_by_key(|&i| std::cmp::Reverse(remainder(i)));
    for i in order.into_iter().take(need) {
        out[i] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn approximate_mode_matches_hand_counts() {
        let mut rng = StdRng::seed_from_u64(0);
        // Expected 10·[0.5, 0.3, 0.2] = [5, 3, 2] exactly.
        assert_eq!(approximate_mode(&[50, 30, 20], 10, &mut rng), [5, 3, 2]);
        // Expected 4·[1/3, 1/3, 1/3] = 1.33 each: floors 1, one left over, a random class.
        let got = approximate_mode(&[3, 3, 3], 4, &mut rng);
        assert_eq!(got.iter().sum::<usize>(), 4);
        assert!(got.iter().all(|&k| k == 1 || k == 2));
        // Expected 7·[6, 3, 1]/10 = [4.2, 2.1, 0.7]: floors [4, 2, 0], one left over to the
        // largest fraction (0.7).
        assert_eq!(approximate_mode(&[6, 3, 1], 7, &mut rng), [4, 2, 1]);
    }

    #[test]
    fn ties_are_broken_by_the_seed() {
        // Ten classes of 2, 5 draws: every class expects 0.5, five of them get 1.
        let draw = |seed| approximate_mode(&[2; 10], 5, &mut StdRng::seed_from_u64(seed));
        assert_eq!(draw(3), draw(3));
        assert!(draw(3).iter().all(|&k| k <= 1));
        assert!((0..20).any(|s| draw(s) != draw(3)));
        // Exact expectations need no tie-break: 10 draws give 1 each whatever the seed.
        let even = |seed| approximate_mode(&[2; 10], 10, &mut StdRng::seed_from_u64(seed));
        assert!((0..5).all(|s| even(s) == vec![1; 10]));
    }

    #[test]
    fn test_count_is_the_ceiling_without_float_noise() {
        assert_eq!(test_count(10, 0.25).unwrap(), 3); // 2.5 → 3
        assert_eq!(test_count(150, 0.2).unwrap(), 30);
        assert_eq!(test_count(100, 0.07).unwrap(), 7); // 7.000000000000001 in f64
        assert_eq!(test_count(3, 0.01).unwrap(), 1);
        assert!(test_count(2, 0.6).is_err()); // ⌈1.2⌉ = 2 leaves no training row
    }
}
