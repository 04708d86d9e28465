//! Data preparation: scalers, imputer and outliers against hand-computed values; split
//! and batch determinism, disjointness and coverage; CSV errors; embedded datasets.

use approx::assert_relative_eq;
use nn::data::{
    datasets, parse_csv, read_csv, Augment, Batches, CsvOptions, DataError, Dataset, GaussianNoise,
    ImputeStrategy, MinMaxScaler, Mixup, OutlierMethod, Outliers, RandomFlip, RandomShift,
    SimpleImputer, SplitOptions, StandardScaler, Target,
};
use tensor::Tensor;

const NAN: f64 = f64::NAN;

#[test]
fn scalers_match_hand_values_with_nan_and_constant_columns() {
    // Column 0: 1, 2, 3, NaN → mean 2, population std √(2/3), min 1, max 3.
    // Column 1: constant 5.
    let x = Tensor::from([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [NAN, 5.0]]);
    let s = StandardScaler::fit(&x);
    assert_eq!(s.mean(), &[2.0, 5.0]);
    assert_relative_eq!(s.std()[0], (2.0f64 / 3.0).sqrt());
    assert_eq!(s.std()[1], 1.0); // a constant column is not divided by zero
    let t = s.transform(&x).to_vec();
    assert_relative_eq!(t[0], -1.0 / (2.0f64 / 3.0).sqrt());
    assert_eq!(t[1], 0.0);
    assert!(t[6].is_nan());
    let back = s.inverse_transform(&s.transform(&x)).to_vec();
    assert_relative_eq!(back[4], 3.0, max_relative = 1e-12);
    let m = MinMaxScaler::fit(&x);
    let mt = m
        .transform(&Tensor::from([[2.0, 5.0], [5.0, 7.0]]))
        .to_vec();
    // (2 − 1)/2 = 0.5; constant column → 0 (+ offset); unseen 5 → 2 (no clipping, as sklearn).
    assert_eq!(mt, vec![0.5, 0.0, 2.0, 2.0]);
    let r = MinMaxScaler::fit_range(&x, -1.0, 1.0);
    assert_eq!(
        r.transform(&Tensor::from([[1.0, 5.0]])).to_vec(),
        vec![-1.0, -1.0]
    );
}

#[test]
fn scalers_fit_on_training_rows_only() {
    // Fitting on all rows before splitting leaks the test rows' statistics: here the test
    // rows are far larger, and only a train-only fit keeps them visibly out of range.
    let data = Dataset::new(
        Tensor::from([[0.0], [1.0], [2.0], [100.0]]),
        Tensor::from([0.0, 0.0, 1.0, 1.0]),
    )
    .unwrap();
    let train = data.select(&[0, 1, 2]);
    let scaler = MinMaxScaler::fit(&train.x);
    assert_eq!(scaler.transform(&data.select(&[3]).x).item(), 50.0);
}

#[test]
fn imputer_strategies_match_hand_values() {
    let x = Tensor::from([
        [1.0, NAN, 7.0],
        [NAN, 2.0, 7.0],
        [3.0, 2.0, NAN],
        [4.0, 9.0, 1.0],
    ]);
    let cases = [
        (ImputeStrategy::Mean, [8.0 / 3.0, 13.0 / 3.0, 5.0]),
        (ImputeStrategy::Median, [3.0, 2.0, 7.0]),
        (ImputeStrategy::MostFrequent, [1.0, 2.0, 7.0]),
        (ImputeStrategy::Constant(-1.0), [-1.0, -1.0, -1.0]),
    ];
    for (strategy, fill) in cases {
        let imp = SimpleImputer::fit(&x, strategy);
        for (a, b) in imp.statistics().iter().zip(fill) {
            assert_relative_eq!(*a, b, max_relative = 1e-12);
        }
        let (filled, counts) = imp.transform(&x);
        assert_eq!(counts, vec![1, 1, 1]);
        assert!(filled.all_finite());
        assert_relative_eq!(filled.at(&[1, 0]), fill[0], max_relative = 1e-12);
    }
}

#[test]
fn outliers_by_iqr_and_zscore() {
    // Column: 1..=8 and 100. Q1 = 3, Q3 = 7 (linear interpolation), IQR 4 → [−3, 13].
    let col: Vec<f64> = (1..=8).map(|v| v as f64).chain([100.0]).collect();
    let x = Tensor::from_vec(col.clone(), &[9, 1]).unwrap();
    let iqr = Outliers::fit(&x, OutlierMethod::Iqr(1.5));
    assert_eq!(iqr.bounds(), &[(-3.0, 13.0)]);
    let (clipped, counts) = iqr.clip(&x);
    assert_eq!((clipped.to_vec()[8], counts), (13.0, vec![1]));
    assert_eq!(iqr.outlier_rows(&x), vec![8]);
    assert_eq!(iqr.inlier_rows(&x), (0..8).collect::<Vec<_>>());
    // z-score with t = 2: mean 15.11…, population std 30.1…: only 100 is beyond.
    let z = Outliers::fit(&x, OutlierMethod::ZScore(2.0));
    let mean = col.iter().sum::<f64>() / 9.0;
    let std = (col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 9.0).sqrt();
    assert_relative_eq!(z.bounds()[0].1, mean + 2.0 * std, max_relative = 1e-12);
    assert_eq!(z.outlier_rows(&x), vec![8]);
}

#[test]
fn split_is_deterministic_disjoint_and_complete() {
    let data = datasets::iris();
    let opts = SplitOptions::new(0.2, 7);
    let (a_train, a_test) = data.split_indices(opts).unwrap();
    let (b_train, b_test) = data.split_indices(opts).unwrap();
    assert_eq!((&a_train, &a_test), (&b_train, &b_test));
    assert_eq!(a_test.len(), 30);
    let mut all: Vec<usize> = a_train.iter().chain(&a_test).copied().collect();
    all.sort();
    assert_eq!(all, (0..150).collect::<Vec<_>>());
    let (c_train, _) = data.split_indices(SplitOptions::new(0.2, 8)).unwrap();
    assert_ne!(a_train, c_train);
    // Without shuffling the last rows are the test part.
    let (_, tail) = data
        .split_indices(SplitOptions {
            shuffle: false,
            ..opts
        })
        .unwrap();
    assert_eq!(tail, (120..150).collect::<Vec<_>>());
    // Stratified: each class keeps its share (50 each → 10 each in the test part).
    let (train, test) = data
        .train_test_split_with(SplitOptions {
            stratify: true,
            ..opts
        })
        .unwrap();
    for c in 0..3 {
        let count = |d: &Dataset| d.y.to_vec().iter().filter(|&&v| v == c as f32).count();
        assert_eq!((count(&train), count(&test)), (40, 10));
    }
    assert!(matches!(
        data.train_test_split(1.0, 0),
        Err(DataError::InvalidFraction { .. })
    ));
    assert!(matches!(
        data.train_test_split(0.0, 0),
        Err(DataError::InvalidFraction { .. })
    ));
}

#[test]
fn batches_cover_every_row_once_per_epoch_and_repeat_for_a_seed() {
    let mut a = Batches::new(23, 5, true, 11);
    let mut b = Batches::new(23, 5, true, 11);
    assert_eq!(a.len(), 5);
    let (e1, e2) = (a.epoch(), a.epoch());
    assert_ne!(e1, e2, "reshuffled every epoch");
    assert_eq!(e1, b.epoch());
    for epoch in [e1, e2] {
        assert_eq!(
            epoch.last().unwrap().len(),
            3,
            "the last partial batch is kept"
        );
        let mut all = epoch.concat();
        all.sort();
        assert_eq!(all, (0..23).collect::<Vec<_>>());
    }
    // Batch GD and per-sample SGD.
    assert_eq!(Batches::new(23, 100, true, 0).epoch().len(), 1);
    assert_eq!(Batches::new(23, 1, false, 0).epoch()[4], vec![4]);
}

#[test]
fn csv_reads_headers_targets_and_missing_values() {
    let text = "a,b,label,c\n1,2,0,3\n4,,1,NA\n";
    let d = parse_csv::<f64>(
        text,
        "t.csv",
        &CsvOptions {
            target: Target::Names(vec!["label".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(d.feature_names, vec!["a", "b", "c"]);
    assert_eq!(d.y.to_vec(), vec![0.0, 1.0]);
    let x = d.x.to_vec();
    assert_eq!(&x[..3], &[1.0, 2.0, 3.0]);
    assert!(x[4].is_nan() && x[5].is_nan());
    let no_header = parse_csv::<f32>(
        "1 2\n3 4\n",
        "s.txt",
        &CsvOptions {
            header: false,
            delimiter: ' ',
            target: Target::Indices(vec![0]),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(no_header.y.to_vec(), vec![1.0, 3.0]);
    assert_eq!(no_header.x.to_vec(), vec![2.0, 4.0]);
}

#[test]
fn csv_errors_name_file_line_and_column() {
    let opts = CsvOptions::default();
    let ragged = parse_csv::<f32>("a,b\n1,2\n3\n", "r.csv", &opts).unwrap_err();
    assert_eq!(
        ragged.to_string(),
        "r.csv:3: too few fields: found 1, expected 2 (as in the header)"
    );
    let bad = parse_csv::<f32>("a,b\n1,2\n3,x7\n", "n.csv", &opts).unwrap_err();
    assert_eq!(
        bad.to_string(),
        "n.csv:3: column 2 (b): \"x7\" is not a number (if \"b\" holds categories, read it \
         with CsvOptions::categorical and read_table, then encode it with OneHotEncoder or \
         OrdinalEncoder)"
    );
    assert!(matches!(
        bad,
        DataError::NotNumeric {
            line: 3,
            column: 2,
            ..
        }
    ));
    let empty = parse_csv::<f32>("", "e.csv", &opts).unwrap_err();
    assert_eq!(empty.to_string(), "e.csv: the file has no data rows");
    let header_only = parse_csv::<f32>("a,b\n", "h.csv", &opts).unwrap_err();
    assert!(matches!(header_only, DataError::EmptyFile { .. }));
    let missing = parse_csv::<f32>(
        "a,b\n1,2\n",
        "m.csv",
        &CsvOptions {
            target: Target::Names(vec!["y".into()]),
            ..opts.clone()
        },
    )
    .unwrap_err();
    assert_eq!(
        missing.to_string(),
        "m.csv: target column \"y\" not found (columns: a, b)"
    );
    let missing_index = parse_csv::<f32>(
        "a,b\n1,2\n",
        "m.csv",
        &CsvOptions {
            target: Target::Indices(vec![5]),
            ..opts.clone()
        },
    )
    .unwrap_err();
    assert!(matches!(missing_index, DataError::MissingTarget { .. }));
    let io = read_csv::<f32>("/nonexistent/file.csv", &opts).unwrap_err();
    assert!(io.to_string().starts_with("/nonexistent/file.csv: "));
}

#[test]
fn csv_files_round_trip_from_disk() {
    let dir = std::env::temp_dir().join(format!("wengert-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("data.csv");
    std::fs::write(&path, "x1,x2,y\n0.5,1.5,1\n2,3,0\n").unwrap();
    let d = read_csv::<f32>(&path, &CsvOptions::default()).unwrap();
    assert_eq!((d.x.shape(), d.y.shape()), (&[2, 2][..], &[2, 1][..]));
    assert_eq!(d.x.to_vec(), vec![0.5, 1.5, 2.0, 3.0]);
    assert_eq!(d.y.to_vec(), vec![1.0, 0.0]);
    assert_eq!(d.feature_names, vec!["x1", "x2"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn embedded_datasets_match_their_documentation() {
    let classes = |d: &Dataset, k: usize| {
        (0..k)
            .map(|c| d.y.to_vec().iter().filter(|&&v| v == c as f32).count())
            .collect::<Vec<_>>()
    };
    let iris = datasets::iris();
    assert_eq!(
        (iris.x.shape(), classes(&iris, 3)),
        (&[150, 4][..], vec![50, 50, 50])
    );
    assert_eq!(iris.x.narrow(0, 0, 1).to_vec(), vec![5.1, 3.5, 1.4, 0.2]);
    let wine = datasets::wine();
    assert_eq!(
        (wine.x.shape(), classes(&wine, 3)),
        (&[178, 13][..], vec![59, 71, 48])
    );
    let bc = datasets::breast_cancer();
    assert_eq!(
        (bc.x.shape(), classes(&bc, 2)),
        (&[569, 30][..], vec![212, 357])
    );
    assert_eq!(bc.feature_names[0], "mean radius");
    assert_eq!(bc.feature_names[29], "worst fractal dimension");
    let diabetes = datasets::diabetes();
    assert_eq!(
        (diabetes.x.shape(), diabetes.y.shape()),
        (&[442, 10][..], &[442, 1][..])
    );
    assert_eq!(
        diabetes.x.narrow(0, 0, 1).to_vec(),
        vec![59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]
    );
    assert_eq!(diabetes.y.to_vec()[0], 151.0);
    assert_eq!((diabetes.y.min_all(), diabetes.y.max_all()), (25.0, 346.0));
    let digits = datasets::digits();
    assert_eq!(digits.x.shape(), &[1797, 64]);
    assert_eq!(
        classes(&digits, 10),
        vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
    assert_eq!((digits.x.min_all(), digits.x.max_all()), (0.0, 16.0));
}

#[test]
fn augmentations_are_seeded_and_shape_preserving() {
    let x = Tensor::<f32>::from([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]); // one 2×3 image
    let y = Tensor::from([1.0f32]);
    let (flipped, _) = RandomFlip::new(1.0, 0).apply(&x, &y);
    assert_eq!(flipped.to_vec(), vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
    let (same, _) = RandomFlip::new(0.0, 0).apply(&x, &y);
    assert_eq!(same, x);
    let (shifted, _) = RandomShift::new(1, 3).apply(&x, &y);
    assert_eq!(shifted.shape(), x.shape());
    let nonzero_in = x.to_vec().iter().filter(|v| **v != 0.0).count();
    assert!(shifted.to_vec().iter().filter(|v| **v != 0.0).count() <= nonzero_in);
    let (a, _) = GaussianNoise::new(0.1, 5).apply(&x, &y);
    let (b, _) = GaussianNoise::new(0.1, 5).apply(&x, &y);
    assert_eq!(a, b);
    assert_ne!(a, x);
    // mixup blends samples and their one-hot targets with the same λ.
    let xs = Tensor::<f64>::from([[0.0], [10.0]]);
    let ys = Tensor::<f64>::from([[1.0, 0.0], [0.0, 1.0]]);
    let (mx, my) = Mixup::new(0.4, 1).apply(&xs, &ys);
    for i in 0..2 {
        let lambda_from_x = mx.at(&[i, 0]) / 10.0; // share of sample 1
        assert_relative_eq!(my.at(&[i, 1]), lambda_from_x, epsilon = 1e-12);
        assert_relative_eq!(my.at(&[i, 0]) + my.at(&[i, 1]), 1.0, epsilon = 1e-12);
    }
}

/// Augmentations do what they say, not just "something": RandomShift moves each image by
/// one (dr, dc) within the bound, and not always by zero; GaussianNoise has the stated σ;
/// mixup's λ follows Beta(α, α) (mean ½, variance 1/(4(2α + 1))).
#[test]
fn augmentations_have_their_stated_distributions() {
    // 40 images 5 × 5 with distinct values, so a shift is identifiable.
    let (n, h, w) = (40, 5, 5);
    let x =
        Tensor::<f64>::from_vec((1..=n * h * w).map(|v| v as f64).collect(), &[n, h, w]).unwrap();
    let y = Tensor::<f64>::zeros(&[n, 1]);
    let (shifted, _) = RandomShift::new(1, 3).apply(&x, &y);
    let (src, out) = (x.to_vec(), shifted.to_vec());
    let mut moved = 0;
    for i in 0..n {
        let image = |r: i64, c: i64| src[i * h * w + (r as usize) * w + c as usize];
        let explains = |dr: i64, dc: i64| {
            (0..h as i64).all(|r| {
                (0..w as i64).all(|c| {
                    let (sr, sc) = (r - dr, c - dc);
                    let expected = if (0..h as i64).contains(&sr) && (0..w as i64).contains(&sc) {
                        image(sr, sc)
                    } else {
                        0.0
                    };
                    out[i * h * w + (r as usize) * w + c as usize] == expected
                })
            })
        };
        let shifts: Vec<(i64, i64)> = (-1..=1)
            .flat_map(|dr| (-1..=1).map(move |dc| (dr, dc)))
            .filter(|&(dr, dc)| explains(dr, dc))
            .collect();
        assert_eq!(shifts.len(), 1, "image {i}: {shifts:?}");
        moved += usize::from(shifts[0] != (0, 0));
    }
    assert!(moved > n / 2, "only {moved} of {n} images moved");

    let zeros = Tensor::<f64>::zeros(&[200, 100]);
    let (noisy, _) = GaussianNoise::new(0.3, 5).apply(&zeros, &Tensor::zeros(&[200, 1]));
    let v = noisy.to_vec();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
    assert!(mean.abs() < 0.01, "mean {mean}");
    assert!((std - 0.3).abs() < 0.01, "σ {std}");

    // Two samples 0 and 10 with one-hot targets: a blended row reveals λ.
    let xs = Tensor::<f64>::from([[0.0], [10.0]]);
    let ys = Tensor::<f64>::from([[1.0, 0.0], [0.0, 1.0]]);
    let alpha = 0.4;
    let mut mixup = Mixup::new(alpha, 11);
    let mut lambdas = Vec::new();
    for _ in 0..2000 {
        let (mx, my) = mixup.apply(&xs, &ys);
        // Row 0 is λ·x₀ + (1 − λ)·x_j; with j = 1 its target's first entry is λ.
        if my.at(&[0, 1]) > 0.0 {
            assert!((mx.at(&[0, 0]) - 10.0 * my.at(&[0, 1])).abs() < 1e-9);
            lambdas.push(my.at(&[0, 0]));
        }
    }
    let m = lambdas.iter().sum::<f64>() / lambdas.len() as f64;
    let var = lambdas.iter().map(|l| (l - m).powi(2)).sum::<f64>() / lambdas.len() as f64;
    let expected_var = 1.0 / (4.0 * (2.0 * alpha + 1.0));
    assert!(lambdas.len() > 500, "{} draws", lambdas.len());
    assert!((m - 0.5).abs() < 0.04, "mean λ {m}");
    assert!(
        (var / expected_var - 1.0).abs() < 0.15,
        "var λ {var} vs {expected_var}"
    );
}

/// Beta(α, α) needs a positive, finite α (NumPy's `beta` refuses the rest); a tiny one
/// puts λ at 0 or 1, never NaN.
#[test]
fn mixup_refuses_alpha_outside_its_domain() {
    for alpha in [0.0, -1.0, -1e8, f64::NAN, f64::INFINITY] {
        let panic = std::panic::catch_unwind(|| Mixup::new(alpha, 0)).unwrap_err();
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            message.contains("Mixup: alpha must be positive and finite"),
            "{alpha}: {message}"
        );
    }
    let xs = Tensor::<f64>::from([[0.0], [10.0]]);
    let ys = Tensor::<f64>::from([[1.0, 0.0], [0.0, 1.0]]);
    // Down to a subnormal α, where both Gamma draws underflow to 0 (a fair coin then).
    for alpha in [1e-300, 1e-320] {
        let mut mixup = Mixup::new(alpha, 3);
        for _ in 0..50 {
            let (mx, my) = mixup.apply(&xs, &ys);
            assert!(mx.all_finite() && my.all_finite(), "{mx:?} {my:?}");
            let lambda = my.at(&[0, 0]).max(my.at(&[0, 1]));
            assert!((lambda - 1.0).abs() < 1e-12, "λ {lambda}");
        }
    }
}

/// Augmenters on batches with no pixels return them as they are, and a shift bound past
/// any image size is a shift that empties the image (they used to panic with a division
/// by zero, a zero chunk size, or an empty sampling range).
#[test]
fn augmenters_take_empty_images_and_any_shift_bound() {
    use nn::data::Augment;
    let y = Tensor::<f32>::zeros(&[2, 1]);
    for shape in [[2usize, 3, 0], [2, 0, 3]] {
        let x = Tensor::<f32>::zeros(&shape);
        assert_eq!(RandomShift::new(1, 0).apply(&x, &y).0.shape(), &shape);
        assert_eq!(RandomFlip::new(0.5, 0).apply(&x, &y).0.shape(), &shape);
    }
    let x = Tensor::<f32>::ones(&[2, 3, 3]);
    let (shifted, _) = RandomShift::new(usize::MAX, 0).apply(&x, &y);
    assert_eq!(shifted.shape(), &[2, 3, 3]);
    // Any shift of more than 2 pixels leaves nothing; a shift of 0 leaves all 9.
    for image in shifted.to_vec().chunks(9) {
        let kept = image.iter().filter(|&&v| v == 1.0).count();
        assert!(kept == 0 || kept == 9, "{image:?}");
    }
}
