//! Data preparation on awkward inputs: columns constant up to rounding (scalers and
//! outlier bounds), and splits that cannot be honoured or must be shared out by
//! scikit-learn's rules. Expected values come from the definitions, worked by hand.

use nn::data::{
    DataError, Dataset, MinMaxScaler, OutlierMethod, Outliers, SplitOptions, StandardScaler,
};
use tensor::Tensor;

fn column(v: &[f64]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), &[v.len(), 1]).unwrap()
}

/// Columns whose values are equal up to rounding, with the label used in failures.
fn nearly_constant_columns() -> Vec<(&'static str, Vec<f64>)> {
    vec![
        ("ten rows of 0.1", vec![0.1; 10]), // mean 0.09999999999999999, std 1.4e-17
        (
            "0.1 + 0.2 beside 0.3",
            vec![0.1 + 0.2, 0.3, 0.3, 0.1 + 0.2, 0.3],
        ),
        ("1e6 + 0.1", vec![1e6 + 0.1; 7]),
        ("f32 0.1 widened", vec![f64::from(0.1f32); 33]),
        (
            "tiny 3e-300",
            vec![3e-300, 3e-300 * (1.0 + f64::EPSILON), 3e-300],
        ),
    ]
}

#[test]
fn standard_scaler_only_centres_columns_constant_up_to_rounding() {
    for (name, v) in nearly_constant_columns() {
        let s = StandardScaler::fit(&column(&v));
        assert_eq!(s.std(), &[1.0], "{name}: std is treated as 1");
        for (t, x) in s.transform(&column(&v)).to_vec().iter().zip(&v) {
            // Centred only: x − mean, which is rounding noise relative to x.
            assert!(t.abs() <= 1e-14 * x.abs().max(1e-300), "{name}: {t}");
        }
    }
    // The f32 path: ten rows of 0.1f32 become ≈ 0, not 1.
    let s = StandardScaler::fit(&Tensor::from_vec(vec![0.1f32; 10], &[10, 1]).unwrap());
    assert!(s
        .transform(&Tensor::from_vec(vec![0.1f32; 10], &[10, 1]).unwrap())
        .to_vec()
        .iter()
        .all(|t| t.abs() < 1e-7));
}

#[test]
fn a_real_spread_is_scaled_however_small_or_large_the_values() {
    // Two values a ± d: mean a, population std d, so they map to −1 and +1. The bound is
    // relative to the data, so a tiny spread on tiny values and a spread of 1e-6 (relative)
    // on large values are real.
    for (a, d) in [(1e-20, 5e-21), (1.0, 1e-9), (1e6, 1.0), (0.0, 1e-30)] {
        let x = column(&[a - d, a + d]);
        let t = StandardScaler::fit(&x).transform(&x).to_vec();
        assert!(
            (t[0] + 1.0).abs() < 1e-6 && (t[1] - 1.0).abs() < 1e-6,
            "{a} ± {d}: {t:?}"
        );
        let m = MinMaxScaler::fit(&x).transform(&x).to_vec();
        assert_eq!(m, vec![0.0, 1.0], "{a} ± {d}");
    }
}

#[test]
fn min_max_scaler_maps_columns_constant_up_to_rounding_to_low() {
    for (name, v) in nearly_constant_columns() {
        let m = MinMaxScaler::fit_range(&column(&v), -1.0, 1.0);
        for t in m.transform(&column(&v)).to_vec() {
            // max − min is at most a few ulps; with range 1 the result is −1 + that.
            assert!((t + 1.0).abs() < 1e-12, "{name}: {t}");
        }
    }
}

#[test]
fn outlier_bounds_of_a_constant_column_are_its_range() {
    for method in [
        OutlierMethod::ZScore(0.5),
        OutlierMethod::ZScore(3.0),
        OutlierMethod::Iqr(0.0),
        OutlierMethod::Iqr(1.5),
    ] {
        for (name, v) in nearly_constant_columns() {
            let o = Outliers::fit(&column(&v), method);
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(o.bounds(), &[(lo, hi)], "{name}, {method:?}");
            assert!(o.outlier_rows(&column(&v)).is_empty(), "{name}, {method:?}");
            // Any visibly different value is outside.
            let other = column(&[v[0] * 1.001 + 1e-3]);
            assert_eq!(o.outlier_rows(&other), vec![0], "{name}, {method:?}");
        }
    }
}

#[test]
fn a_column_without_values_clips_nothing_and_cannot_be_scaled() {
    // All NaN when fitted: NaN outlier bounds, and new finite values pass through clipping
    // (the old bounds panicked in `clamp`).
    let x = column(&[f64::NAN, f64::NAN]);
    let new = column(&[1.0, -3.0]);
    for method in [OutlierMethod::Iqr(1.5), OutlierMethod::ZScore(3.0)] {
        let o = Outliers::fit(&x, method);
        assert!(o.bounds()[0].0.is_nan() && o.bounds()[0].1.is_nan());
        let (clipped, counts) = o.clip(&new);
        assert_eq!((clipped.to_vec(), counts), (vec![1.0, -3.0], vec![0]));
        assert!(o.outlier_rows(&new).is_empty());
    }
    // Scalers refuse it instead of scaling everything to NaN (see the next test).
    assert!(MinMaxScaler::try_fit(&x).is_err());
    assert!(StandardScaler::try_fit(&x).is_err());
}

fn labelled(counts: &[usize]) -> Dataset<f32> {
    let y: Vec<f32> = counts
        .iter()
        .enumerate()
        .flat_map(|(c, &k)| std::iter::repeat_n(c as f32, k))
        .collect();
    let n = y.len();
    let x = Tensor::from_vec((0..n).map(|i| i as f32).collect(), &[n, 1]).unwrap();
    Dataset::new(x, Tensor::from_vec(y, &[n]).unwrap()).unwrap()
}

fn stratified(f: f64, seed: u64) -> SplitOptions {
    SplitOptions {
        stratify: true,
        ..SplitOptions::new(f, seed)
    }
}

fn class_counts(d: &Dataset<f32>, classes: usize) -> Vec<usize> {
    let mut out = vec![0; classes];
    for v in d.y.to_vec() {
        out[v as usize] += 1;
    }
    out
}

#[test]
fn unstratified_test_part_is_the_ceiling_of_n_times_f() {
    // (n, f, ⌈n·f⌉): sklearn's _validate_shuffle_split.
    for (n, f, k) in [
        (10, 0.25, 3),
        (10, 0.33, 4),
        (7, 0.3, 3),
        (9, 0.1, 1),
        (150, 0.2, 30),
        (100, 0.07, 7),
    ] {
        let (train, test) = labelled(&[n])
            .split_indices(SplitOptions::new(f, 1))
            .unwrap();
        assert_eq!((train.len(), test.len()), (n - k, k), "n={n}, f={f}");
    }
    // ⌈2·0.6⌉ = 2 leaves nothing to train on.
    let err = labelled(&[2])
        .split_indices(SplitOptions::new(0.6, 1))
        .unwrap_err();
    assert!(err.to_string().contains("no training rows"), "{err}");
}

#[test]
fn stratified_totals_and_per_class_counts_follow_approximate_mode() {
    // (class sizes, f): the test part has ⌈n·f⌉ rows, and each class gets the floor or the
    // ceiling of its expected share c·n_test/n.
    let cases: [(&[usize], f64); 5] = [
        (&[50, 50, 50], 0.2),
        (&[2; 10], 0.5),
        (&[60, 30, 10], 0.25),
        (&[100, 2], 0.02),
        (&[7, 5, 3, 2], 0.4),
    ];
    for (counts, f) in cases {
        let n: usize = counts.iter().sum();
        let n_test = (n as f64 * f - 1e-9).ceil() as usize;
        for seed in 0..5 {
            let data = labelled(counts);
            let (train, test) = data.train_test_split_with(stratified(f, seed)).unwrap();
            assert_eq!(
                (train.len(), test.len()),
                (n - n_test, n_test),
                "{counts:?} {f}"
            );
            let got = class_counts(&test, counts.len());
            for (c, (&k, &size)) in got.iter().zip(counts).enumerate() {
                let e = (size * n_test) as f64 / n as f64;
                assert!(
                    k == e.floor() as usize || k == e.ceil() as usize,
                    "{counts:?} f={f} class {c}: {k} test rows, expected ≈ {e}"
                );
            }
            let train_counts = class_counts(&train, counts.len());
            let both: Vec<usize> = got.iter().zip(&train_counts).map(|(a, b)| a + b).collect();
            assert_eq!(both, counts.to_vec());
        }
    }
    // Worked by hand: [60, 30, 10] at 0.25 → 25 test rows, expected [15, 7.5, 2.5]; the one
    // row left after the floors goes to class 1 or class 2 (a tie), depending on the seed.
    let outcomes: Vec<Vec<usize>> = (0..16)
        .map(|seed| {
            let (_, test) = labelled(&[60, 30, 10])
                .train_test_split_with(stratified(0.25, seed))
                .unwrap();
            class_counts(&test, 3)
        })
        .collect();
    assert!(outcomes
        .iter()
        .all(|o| *o == [15, 8, 2] || *o == [15, 7, 3]));
    assert!(outcomes.contains(&vec![15, 8, 2]) && outcomes.contains(&vec![15, 7, 3]));
}

#[test]
fn stratified_splits_that_cannot_be_honoured_are_errors_naming_the_problem() {
    // 10 classes × 2 at 0.2: 4 test rows for 10 classes (the old code gave 10, i.e. 50 %).
    let err = labelled(&[2; 10])
        .split_indices(stratified(0.2, 0))
        .unwrap_err();
    assert!(matches!(
        err,
        DataError::PartSmallerThanClasses {
            part: "test",
            rows: 4,
            classes: 10
        }
    ));
    assert!(err
        .to_string()
        .contains("test part would have 4 row(s), fewer than the 10 classes"));
    // 3 classes × 2 at 0.7: ⌈4.2⌉ = 5 test rows leave 1 training row for 3 classes.
    let err = labelled(&[2, 2, 2])
        .split_indices(stratified(0.7, 0))
        .unwrap_err();
    assert!(matches!(
        err,
        DataError::PartSmallerThanClasses {
            part: "train",
            rows: 1,
            classes: 3
        }
    ));
    // A class with a single row is named (the old code put it in the training part).
    for (counts, class) in [
        (&[5, 1, 5][..], 1),
        (&[1, 9][..], 0),
        (&[4, 4, 4, 1][..], 3),
    ] {
        let err = labelled(counts)
            .split_indices(stratified(0.3, 0))
            .unwrap_err();
        assert!(matches!(err, DataError::ClassTooSmall { class: c, count: 1 } if c == class));
        assert!(
            err.to_string()
                .contains(&format!("class {class} has only 1 row")),
            "{err}"
        );
    }
}

/// Scalers refuse columns they cannot describe (issue class: empty and infinite columns
/// gave NaN or −∞ transforms): no rows, every value missing, an infinity, or x not 2-D.
#[test]
fn scalers_name_the_column_they_cannot_fit() {
    use nn::data::{DataError, MinMaxScaler, StandardScaler};
    let nan = f64::NAN;
    let cases: Vec<(Tensor<f64>, &str)> = vec![
        (Tensor::zeros(&[0, 3]), "column 0 has no values"),
        (
            Tensor::from([[1.0, nan], [2.0, nan]]),
            "column 1 has no values",
        ),
        (
            Tensor::from([[1.0, 2.0], [f64::NEG_INFINITY, 3.0]]),
            "column 0 holds -inf",
        ),
        (
            Tensor::from([[1.0, 2.0], [2.0, f64::INFINITY]]),
            "column 1 holds inf",
        ),
    ];
    for (x, message) in &cases {
        for err in [
            StandardScaler::try_fit(x).unwrap_err(),
            MinMaxScaler::try_fit(x).unwrap_err(),
        ] {
            assert!(matches!(err, DataError::Column { .. }), "{err}");
            assert!(err.to_string().contains(message), "{err}");
        }
    }
    let err = StandardScaler::try_fit(&Tensor::<f64>::zeros(&[4])).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected a [rows, columns] tensor, got shape [4]"),
        "{err}"
    );
    let err = MinMaxScaler::try_fit_range(&Tensor::<f64>::zeros(&[2, 1]), 1.0, 1.0).unwrap_err();
    assert!(err.to_string().contains("range 1..1 is empty"), "{err}");
    // A column with some missing values still fits, on the values it has.
    let s = StandardScaler::try_fit(&Tensor::from([[1.0], [nan], [3.0]])).unwrap();
    assert_eq!((s.mean()[0], s.std()[0]), (2.0, 1.0));
    // The panicking form says the same.
    let panic = std::panic::catch_unwind(|| StandardScaler::fit(&Tensor::<f64>::zeros(&[0, 2])))
        .unwrap_err();
    let text = panic.downcast_ref::<String>().unwrap();
    assert!(
        text.contains("StandardScaler::fit: column 0 has no values"),
        "{text}"
    );
}

#[test]
fn infinities_are_left_out_of_outlier_bounds_and_fall_outside_them() {
    // Fitted on the finite values 1, 2, 3, 4 (IQR: Q1 = 1.75, Q3 = 3.25, fences −0.5 and
    // 5.5; z-score: mean 2.5, population std √1.25), so ±∞ is clipped and its row flagged.
    let x = column(&[1.0, 2.0, f64::INFINITY, 3.0, 4.0, f64::NEG_INFINITY]);
    let z = 1.25f64.sqrt();
    for (method, bounds) in [
        (OutlierMethod::Iqr(1.5), (-0.5, 5.5)),
        (OutlierMethod::ZScore(1.0), (2.5 - z, 2.5 + z)),
    ] {
        let o = Outliers::fit(&x, method);
        assert_eq!(o.bounds()[0], bounds, "{method:?}");
        let (clipped, counts) = o.clip(&x);
        assert_eq!(clipped.to_vec()[2], bounds.1);
        assert_eq!(clipped.to_vec()[5], bounds.0);
        assert!(counts[0] >= 2);
        let rows = o.outlier_rows(&x);
        assert!(rows.contains(&2) && rows.contains(&5), "{rows:?}");
    }
}

#[test]
fn most_frequent_counts_negative_zero_as_zero() {
    // scikit-learn: 0 twice against 1 twice, a tie broken towards the smaller value.
    let x = column(&[0.0, -0.0, 1.0, 1.0, f64::NAN]);
    let imputer = nn::data::SimpleImputer::fit(&x, nn::data::ImputeStrategy::MostFrequent);
    assert_eq!(imputer.statistics()[0], 0.0);
}

#[test]
fn a_stratified_split_with_a_large_class_index_takes_one_pass() {
    // Classes 0 and 9 999 999 (below the 2^24 bound): the split groups rows by class in
    // one sort, instead of one pass over the rows for every index up to the largest.
    let n = 10_000;
    let y: Vec<f32> = (0..n)
        .map(|i| if i % 2 == 0 { 0.0 } else { 9_999_999.0 })
        .collect();
    let x = Tensor::from_vec((0..n).map(|i| i as f32).collect(), &[n, 1]).unwrap();
    let data = Dataset::new(x, Tensor::from_vec(y, &[n]).unwrap()).unwrap();
    let (train, test) = data.train_test_split_with(stratified(0.25, 1)).unwrap();
    assert_eq!((train.len(), test.len()), (7_500, 2_500));
    let zeros = test.y.to_vec().iter().filter(|&&v| v == 0.0).count();
    assert_eq!(zeros, 1_250);
}
