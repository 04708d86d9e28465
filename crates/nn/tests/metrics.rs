//! Metrics against hand counts, with wrong predictions in every case (a metric that
//! always returned 1.0 or 0.0 would fail), in each label format Keras' `"accuracy"`
//! accepts, and shape errors that name the metric and both shapes, directly and through
//! `evaluate`.

use autograd::Var;
use nn::loss::{CrossEntropy, Mse};
use nn::optim::Sgd;
use nn::train::{
    Accuracy, BinaryAccuracy, FitConfig, MeanAbsoluteError, MeanSquaredError, Metric, TrainError,
};
use nn::{Model, Module};
use tensor::Tensor;

fn t<const R: usize, const C: usize>(rows: [[f32; C]; R]) -> Tensor<f32> {
    Tensor::from(rows)
}

fn v<const N: usize>(values: [f32; N]) -> Tensor<f32> {
    Tensor::from(values)
}

/// The value of `m` after one update.
fn once(mut m: impl Metric<f32>, pred: &Tensor<f32>, target: &Tensor<f32>) -> f64 {
    m.update(pred, target);
    m.compute()
}

fn panic_message(f: impl FnOnce()) -> String {
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("no panic");
    err.downcast_ref::<String>().cloned().unwrap_or_default()
}

/// Four rows of three-class scores; arg-maxes 0, 1, 2, 0 (row 3 ties 0 and 2: the first).
fn scores() -> Tensor<f32> {
    t([
        [0.7, 0.2, 0.1],
        [0.1, 0.8, 0.1],
        [-1.0, -3.0, 2.0],
        [0.4, 0.2, 0.4],
    ])
}

#[test]
fn accuracy_with_class_indices_counts_matching_arg_maxes() {
    // Targets 0, 2, 2, 0: rows 0, 2, 3 right → 3/4. Targets 1, 1, 0, 2: only row 1 → 1/4.
    assert_eq!(
        once(Accuracy::default(), &scores(), &v([0.0, 2.0, 2.0, 0.0])),
        0.75
    );
    assert_eq!(
        once(Accuracy::default(), &scores(), &v([1.0, 1.0, 0.0, 2.0])),
        0.25
    );
    // [N, 1] targets read the same way.
    let col = t([[0.0], [2.0], [2.0], [0.0]]);
    assert_eq!(once(Accuracy::default(), &scores(), &col), 0.75);
    // The case: three right predictions.
    let three = t([[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]]);
    assert_eq!(once(Accuracy::default(), &three, &v([0.0, 1.0, 2.0])), 1.0);
}

#[test]
fn accuracy_with_one_hot_targets_compares_arg_maxes() {
    // The case: three right predictions with one-hot targets gave 0.0.
    let three = t([[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]]);
    assert_eq!(once(Accuracy::default(), &three, &Tensor::eye(3)), 1.0);
    // One-hot of 0, 2, 2, 0 → 3/4 as with indices; of 2, 1, 0, 1 → only row 1 → 1/4.
    let onehot = |c: [usize; 4]| {
        let mut rows = [[0.0f32; 3]; 4];
        for (r, &k) in c.iter().enumerate() {
            rows[r][k] = 1.0;
        }
        t(rows)
    };
    assert_eq!(
        once(Accuracy::default(), &scores(), &onehot([0, 2, 2, 0])),
        0.75
    );
    assert_eq!(
        once(Accuracy::default(), &scores(), &onehot([2, 1, 0, 1])),
        0.25
    );
    // Soft (label-smoothed) targets: their arg-max is the class, as in Keras.
    let soft = t([
        [0.8, 0.1, 0.1],
        [0.1, 0.1, 0.8],
        [0.1, 0.1, 0.8],
        [0.8, 0.1, 0.1],
    ]);
    assert_eq!(once(Accuracy::default(), &scores(), &soft), 0.75);
}

#[test]
fn accuracy_with_one_output_is_binary_at_one_half() {
    // Predictions 0.9, 0.5, 0.2, 0.7 → classes 1, 0 (0.5 is not above), 0, 1.
    let p = t([[0.9], [0.5], [0.2], [0.7]]);
    let y = [1.0, 1.0, 0.0, 0.0]; // right, wrong, right, wrong → 2/4
    assert_eq!(once(Accuracy::default(), &p, &v(y)), 0.5);
    assert_eq!(
        once(Accuracy::default(), &p, &p.reshape(&[4]).gt_scalar(0.5)),
        1.0
    );
    assert_eq!(once(Accuracy::default(), &p.reshape(&[4]), &v(y)), 0.5);
    assert_eq!(
        once(
            Accuracy::default(),
            &p.reshape(&[4]),
            &v(y).reshape(&[4, 1])
        ),
        0.5
    );
}

#[test]
fn metrics_accumulate_over_batches_until_reset() {
    let mut acc = Accuracy::default();
    acc.update(&scores(), &v([0.0, 2.0, 2.0, 0.0])); // 3 of 4
    acc.update(&t([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), &v([1.0, 1.0])); // 0 of 2
    assert_eq!(Metric::<f32>::compute(&acc), 3.0 / 6.0);
    Metric::<f32>::reset(&mut acc);
    acc.update(&scores(), &v([1.0, 1.0, 0.0, 2.0]));
    assert_eq!(Metric::<f32>::compute(&acc), 0.25);
    let mut mae = MeanAbsoluteError::default();
    mae.update(&v([1.0, 2.0]), &v([0.0, 0.0])); // |1| + |2|
    mae.update(&v([5.0]), &v([2.0])); // |3|
    assert_eq!(Metric::<f32>::compute(&mae), 2.0);
}

#[test]
fn accuracy_rejects_shapes_it_cannot_read_naming_both() {
    // (predictions, targets, words the message must contain)
    let cases = [
        (scores(), Tensor::zeros(&[12]), "[4, 3]", "[12]"),
        (scores(), Tensor::zeros(&[4, 2]), "[4, 3]", "[4, 2]"),
        (scores(), Tensor::zeros(&[3]), "[4, 3]", "[3]"),
        (
            Tensor::zeros(&[4, 1]),
            Tensor::zeros(&[4, 2]),
            "[4, 1]",
            "[4, 2]",
        ),
        (Tensor::zeros(&[4]), Tensor::zeros(&[5]), "[4]", "[5]"),
    ];
    for (p, y, ps, ys) in cases {
        let mut acc = Accuracy::default();
        let err = acc.try_update(&p, &y).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("accuracy: predictions of shape"), "{text}");
        assert!(text.contains(ps) && text.contains(ys), "{text}");
        assert_eq!(Metric::<f32>::compute(&acc), 0.0, "nothing accumulated");
        let msg = panic_message(|| Metric::<f32>::update(&mut acc, &p, &y));
        assert_eq!(msg, text);
    }
    // Class indices out of range or not whole.
    for bad in [
        [0.0, 3.0, 1.0, 0.0],
        [0.0, 1.5, 1.0, 0.0],
        [-1.0, 0.0, 0.0, 0.0],
    ] {
        let err = Accuracy::default()
            .try_update(&scores(), &v(bad))
            .unwrap_err();
        assert!(err.to_string().contains("class indices in 0..3"), "{err}");
    }
}

#[test]
fn binary_accuracy_compares_elements_of_the_same_shape() {
    let p = t([[0.9], [0.5], [0.2], [0.7]]);
    assert_eq!(
        once(BinaryAccuracy::default(), &p, &v([1.0, 1.0, 0.0, 0.0])),
        0.5
    );
    // Logits with threshold 0: −0.1 → 0, 0.3 → 1, 2 → 1; targets 0, 0, 1 → 2/3.
    let logits = v([-0.1, 0.3, 2.0]);
    assert_eq!(
        once(BinaryAccuracy::new(0.0), &logits, &v([0.0, 0.0, 1.0])),
        2.0 / 3.0
    );
    // Multi-label [2, 3]: 6 decisions, 4 right.
    let p = t([[0.9, 0.1, 0.6], [0.2, 0.8, 0.4]]);
    let y = t([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]);
    assert_eq!(once(BinaryAccuracy::default(), &p, &y), 4.0 / 6.0);
    for (p, y) in [
        (Tensor::<f32>::zeros(&[4, 1]), Tensor::<f32>::zeros(&[4, 2])),
        (Tensor::<f32>::zeros(&[2, 3]), Tensor::<f32>::zeros(&[6])),
        (Tensor::<f32>::zeros(&[2, 3]), Tensor::<f32>::zeros(&[3, 2])),
    ] {
        let err = BinaryAccuracy::default().try_update(&p, &y).unwrap_err();
        let text = err.to_string();
        let shapes = (format!("{:?}", p.shape()), format!("{:?}", y.shape()));
        assert!(text.starts_with("binary_accuracy:"), "{text}");
        assert!(
            text.contains(&shapes.0) && text.contains(&shapes.1),
            "{text}"
        );
    }
}

#[test]
fn regression_metrics_match_hand_values_and_check_shapes() {
    // d = pred − target = 1, −2, 0, 3: MSE (1 + 4 + 0 + 9)/4 = 3.5, MAE 6/4 = 1.5.
    let p = v([2.0, 0.0, 5.0, 3.0]);
    let y = v([1.0, 2.0, 5.0, 0.0]);
    assert_eq!(once(MeanSquaredError::default(), &p, &y), 3.5);
    assert_eq!(once(MeanAbsoluteError::default(), &p, &y), 1.5);
    // [N] against [N, 1] is the same column.
    assert_eq!(
        once(MeanSquaredError::default(), &p.reshape(&[4, 1]), &y),
        3.5
    );
    assert_eq!(
        once(MeanAbsoluteError::default(), &p, &y.reshape(&[4, 1])),
        1.5
    );
    for (p, y) in [
        (Tensor::zeros(&[4, 3]), Tensor::zeros(&[4])),
        (Tensor::zeros(&[2, 3]), Tensor::zeros(&[3, 2])),
        (Tensor::zeros(&[4]), Tensor::zeros(&[2, 2])),
    ] {
        for (mut m, name) in [
            (
                Box::new(MeanSquaredError::default()) as Box<dyn Metric<f32>>,
                "mse",
            ),
            (Box::new(MeanAbsoluteError::default()), "mae"),
        ] {
            let text = m.try_update(&p, &y).unwrap_err().to_string();
            assert!(text.starts_with(&format!("{name}: predictions of shape {:?}", p.shape())));
            assert!(
                text.contains(&format!("targets of shape {:?}", y.shape())),
                "{text}"
            );
        }
    }
}

/// Returns its input: the predictions are exactly `x`.
struct Identity;

impl Module<f32> for Identity {
    fn forward<'t>(&self, x: Var<'t, f32>) -> Var<'t, f32> {
        x
    }
}

#[test]
fn evaluate_reads_one_hot_targets_and_reports_metric_shape_errors() {
    // One-hot targets under MSE (same shape): rows 0, 2, 3 right → 3/4 (the old code
    // zipped 4 arg-maxes with the first 4 of 12 target values).
    let y = t([
        [1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, 1.0],
        [1.0, 0.0, 0.0],
    ]);
    let mut model = Model::new(Identity, Mse, Sgd::new(0.1)).metric(Accuracy::default());
    let logs = model.evaluate(&scores(), &y).unwrap();
    assert_eq!(logs.get("accuracy"), Some(0.75));
    // Indices under cross-entropy.
    let mut model = Model::new(Identity, CrossEntropy, Sgd::new(0.1)).metric(Accuracy::default());
    let logs = model.evaluate(&scores(), &v([1.0, 1.0, 0.0, 2.0])).unwrap();
    assert_eq!(logs.get("accuracy"), Some(0.25));
    // A metric that cannot read the targets the loss accepts: MAE of [4, 3] against [4].
    let mut model =
        Model::new(Identity, CrossEntropy, Sgd::new(0.1)).metric(MeanAbsoluteError::default());
    let err = model
        .evaluate(&scores(), &v([0.0, 2.0, 2.0, 0.0]))
        .unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::Metric {
                what: "evaluate",
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with("evaluate: mae: predictions of shape [4, 3] and targets of shape [4]"),
        "{msg}"
    );
    // `fit` checks before the first batch, naming itself, and nothing trains.
    let err = model
        .fit(
            &scores(),
            &v([0.0, 2.0, 2.0, 0.0]),
            FitConfig::new().verbose(0),
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("fit: mae: predictions of shape [4, 3] and targets of shape [4]"),
        "{msg}"
    );
}

#[test]
fn accuracy_on_sequences_takes_the_arg_max_over_the_last_axis() {
    // Predictions [N=2, T=2, C=3]; Keras compares arg-maxes over axis −1 (the classes), not
    // over axis 1 (the steps). Per step the arg-maxes are (0, 2) and (1, 1).
    let pred = Tensor::from([
        [[0.6f32, 0.3, 0.1], [0.2, 0.1, 0.7]],
        [[0.1, 0.8, 0.1], [0.3, 0.4, 0.3]],
    ]);
    // Class indices [N, T]: 0, 2 | 0, 1 → steps (0,0), (0,1), (1,1) right → 3/4.
    let labels = t([[0.0, 2.0], [0.0, 1.0]]);
    assert_eq!(once(Accuracy::default(), &pred, &labels), 0.75);
    // One-hot [N, T, C] of 0, 2 | 0, 1 → steps (0,0), (0,1), (1,1) right → 3/4.
    let onehot = Tensor::from([
        [[1.0f32, 0.0, 0.0], [0.0, 0.0, 1.0]],
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    ]);
    assert_eq!(once(Accuracy::default(), &pred, &onehot), 0.75);
}

#[test]
fn every_metric_resets_and_says_its_direction() {
    // Accuracy and binary accuracy go up, the errors go down (Keras' `auto` mode reads
    // this); a boxed metric says the same as the metric it holds.
    let p = v([0.9, 0.2, 0.7, 0.4]);
    let y = v([1.0, 0.0, 0.0, 0.0]); // classes 1, 0, 1, 0 → 3/4 right
    let cases: [(Box<dyn Metric<f32>>, bool, f64); 4] = [
        (Box::new(Accuracy::default()), true, 0.75),
        (Box::new(BinaryAccuracy::default()), true, 0.75),
        // d = −0.1, 0.2, 0.7, 0.4 (in f32): MSE (0.01 + 0.04 + 0.49 + 0.16)/4 = 0.175,
        // MAE (0.1 + 0.2 + 0.7 + 0.4)/4 = 0.35.
        (Box::new(MeanSquaredError::default()), false, 0.175),
        (Box::new(MeanAbsoluteError::default()), false, 0.35),
    ];
    for (mut m, higher, value) in cases {
        assert_eq!(m.higher_is_better(), higher, "{}", m.name());
        m.update(&p, &y);
        assert!(
            (m.compute() - value).abs() < 1e-6,
            "{}: {}",
            m.name(),
            m.compute()
        );
        // A second batch all wrong (accuracy) or with error 1 everywhere.
        m.update(&v([0.0, 1.0]), &v([1.0, 0.0]));
        let six = match m.name() {
            "accuracy" | "binary_accuracy" => 3.0 / 6.0,
            "mse" => (0.175 * 4.0 + 2.0) / 6.0,
            _ => (0.35 * 4.0 + 2.0) / 6.0,
        };
        assert!(
            (m.compute() - six).abs() < 1e-6,
            "{}: {}",
            m.name(),
            m.compute()
        );
        m.reset();
        assert_eq!(m.compute(), 0.0, "{} after reset", m.name());
        m.update(&v([0.0, 1.0]), &v([1.0, 0.0]));
        let fresh = if higher { 0.0 } else { 1.0 };
        assert_eq!(
            m.compute(),
            fresh,
            "{}: only the batch after reset",
            m.name()
        );
    }
    // The unboxed metrics directly.
    assert!(Metric::<f32>::higher_is_better(&Accuracy::default()));
    assert!(Metric::<f32>::higher_is_better(&BinaryAccuracy::new(0.0)));
    assert!(!Metric::<f32>::higher_is_better(
        &MeanSquaredError::default()
    ));
    assert!(!Metric::<f32>::higher_is_better(
        &MeanAbsoluteError::default()
    ));
}

#[test]
fn masked_updates_count_only_the_real_steps_of_padded_sequences() {
    // Two sequences, T = 3, C = 2 classes; the second is 2 steps long. Real steps:
    // (0,0) argmax 1 = 1 ✓, (0,1) argmax 0 ≠ 1 ✗, (0,2) argmax 1 = 1 ✓,
    // (1,0) argmax 0 = 0 ✓, (1,1) argmax 1 ≠ 0 ✗; the padded (1,2) is wrong too.
    let pred = Tensor::from([
        [[0.1f32, 0.9], [0.8, 0.2], [0.3, 0.7]],
        [[0.6, 0.4], [0.4, 0.6], [0.9, 0.1]],
    ]);
    let target = t([[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]);
    let mask = nn::data::sequence_mask::<f32>(&[3, 2], 3);
    let mut acc = Accuracy::default();
    acc.update_masked(&pred, &target, &mask);
    assert_eq!(Metric::<f32>::compute(&acc), 3.0 / 5.0);
    // The same as an update on the real steps alone, picked by hand.
    let real = t([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.4, 0.6]]);
    assert_eq!(
        once(Accuracy::default(), &real, &v([1.0, 1.0, 1.0, 0.0, 0.0])),
        3.0 / 5.0
    );
    // A mask of zeros adds nothing.
    acc.update_masked(&pred, &target, &Tensor::zeros(&[2, 3]));
    assert_eq!(Metric::<f32>::compute(&acc), 3.0 / 5.0);

    // Regression per step: |errors| 1, 2, 4 at the real steps, 100 at the padded one.
    let mut mae = MeanAbsoluteError::default();
    let pred = t([[1.0, 2.0], [4.0, 100.0]]);
    mae.update_masked(&pred, &Tensor::zeros(&[2, 2]), &t([[1.0, 1.0], [1.0, 0.0]]));
    assert_eq!(Metric::<f32>::compute(&mae), 7.0 / 3.0);

    let msg = panic_message(|| {
        Accuracy::default().update_masked(&pred, &target, &Tensor::ones(&[2, 3]));
    });
    assert!(
        msg.contains("update_masked") && msg.contains("[2, 3]") && msg.contains("[2, 2]"),
        "{msg}"
    );
}
