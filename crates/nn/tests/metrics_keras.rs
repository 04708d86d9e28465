//! Keras' classification metrics against counts done by hand, AUC against the exact
//! Mann–Whitney statistic, metrics and losses by name, and the predict helpers.

use autograd::Param;
use nn::loss::{self, CrossEntropy};
use nn::optim::Sgd;
use nn::train::{metric, Auc, F1Score, Metric, Precision, Recall, TopKCategoricalAccuracy};
use nn::{Linear, Model, Module, Sequential, Softmax};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

fn compute<M: Metric<f64>>(m: &M) -> f64 {
    m.compute()
}

#[test]
fn precision_recall_and_f1_count_thresholded_decisions() {
    // Two batches. Above 0.5: rows 0, 1, 4, 6. Targets 1: rows 0, 2, 4, 5.
    // TP = 2 (rows 0, 4), FP = 2 (rows 1, 6), FN = 2 (rows 2, 5).
    let batches = [
        (
            Tensor::from([0.9, 0.6, 0.4, 0.1]),
            Tensor::from([1.0, 0.0, 1.0, 0.0]),
        ),
        (
            Tensor::from([[0.8], [0.5], [0.7]]),
            Tensor::from([[1.0], [1.0], [0.0]]),
        ),
    ];
    let (mut p, mut r, mut f) = (Precision::new(), Recall::new(), F1Score::new());
    for (pred, target) in &batches {
        p.update(pred, target);
        r.update(pred, target);
        f.update(pred, target);
    }
    assert_eq!(compute(&p), 2.0 / 4.0);
    assert_eq!(compute(&r), 2.0 / 4.0);
    assert_eq!(compute(&f), 0.5);
    // A threshold of 0.45 adds row 5 (0.5) as a true positive: P = 3/5, R = 3/4.
    let (mut p, mut r, mut f) = (
        Precision::new().threshold(0.45),
        Recall::new().threshold(0.45),
        F1Score::new().threshold(0.45),
    );
    for (pred, target) in &batches {
        p.update(pred, target);
        r.update(pred, target);
        f.update(pred, target);
    }
    assert_eq!((compute(&p), compute(&r)), (0.6, 0.75));
    assert!((compute(&f) - 2.0 * 0.6 * 0.75 / 1.35).abs() < 1e-15);
    // Nothing predicted positive: precision 0, not NaN; after reset, fresh counts.
    Metric::<f64>::reset(&mut p);
    p.update(&Tensor::from([0.1, 0.2]), &Tensor::from([1.0, 0.0]));
    assert_eq!(compute(&p), 0.0);
    // Targets that are not 0/1, or another shape, are errors naming both shapes.
    let e = p
        .try_update(&Tensor::from([0.1, 0.2]), &Tensor::from([2.0, 0.0]))
        .unwrap_err();
    assert!(e.to_string().contains("targets must be 0 or 1"), "{e}");
    let e = p
        .try_update(&Tensor::from([0.1, 0.2]), &Tensor::from([1.0, 0.0, 1.0]))
        .unwrap_err();
    assert!(
        e.to_string().contains("[2]") && e.to_string().contains("[3]"),
        "{e}"
    );
}

#[test]
fn auc_equals_the_mann_whitney_statistic_when_thresholds_separate_the_scores() {
    // Scores in the middle of distinct threshold cells (cell/199 .. (cell+1)/199), so the
    // 200-threshold trapezoid is exact: AUC = P(positive scores above negative).
    let cell = |c: f64| (c + 0.5) / 199.0;
    let positives = [150.0, 120.0, 80.0, 60.0];
    let negatives = [100.0, 40.0, 130.0, 10.0, 5.0];
    let pairs_won: usize = positives
        .iter()
        .map(|p| negatives.iter().filter(|&&n| *p > n).count())
        .sum();
    let exact = pairs_won as f64 / 20.0; // 15 / 20
    let mut auc = Auc::new();
    // In two batches, to check accumulation.
    auc.update(
        &Tensor::from([cell(150.0), cell(100.0), cell(120.0), cell(40.0)]),
        &Tensor::from([1.0, 0.0, 1.0, 0.0]),
    );
    auc.update(
        &Tensor::from([cell(130.0), cell(80.0), cell(10.0), cell(60.0), cell(5.0)]),
        &Tensor::from([0.0, 1.0, 0.0, 1.0, 0.0]),
    );
    assert!(
        (compute(&auc) - exact).abs() < 1e-12,
        "{} vs {exact}",
        compute(&auc)
    );
    assert_eq!(exact, 0.75);
    let mut perfect = Auc::new();
    perfect.update(
        &Tensor::from([0.9, 0.8, 0.2, 0.1]),
        &Tensor::from([1.0, 1.0, 0.0, 0.0]),
    );
    assert_eq!(compute(&perfect), 1.0);
    let mut reversed = Auc::new();
    reversed.update(
        &Tensor::from([0.1, 0.2, 0.8, 0.9]),
        &Tensor::from([1.0, 1.0, 0.0, 0.0]),
    );
    assert_eq!(compute(&reversed), 0.0);
}

#[test]
fn top_k_accuracy_reads_indices_or_one_hot_and_counts_ties_in() {
    let pred = Tensor::from([
        [0.5, 0.3, 0.2, 0.0], // true 1: second highest → in top 2
        [0.1, 0.2, 0.3, 0.4], // true 0: lowest → out
        [0.4, 0.3, 0.3, 0.0], // true 2: tied with class 1 for second → in
    ]);
    let mut top2 = TopKCategoricalAccuracy::new(2);
    top2.update(&pred, &Tensor::from([1.0, 0.0, 2.0]));
    assert_eq!(compute(&top2), 2.0 / 3.0);
    let onehot = Tensor::from([
        [0.0, 1.0, 0.0, 0.0],
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
    ]);
    let mut top1 = TopKCategoricalAccuracy::new(1);
    top1.update(&pred, &onehot);
    assert_eq!(compute(&top1), 0.0);
    assert!(top1
        .try_update(&pred, &Tensor::from([0.0, 9.0, 1.0]))
        .is_err());
}

#[test]
fn metrics_and_losses_by_keras_name() {
    for name in [
        "accuracy",
        "acc",
        "binary_accuracy",
        "mae",
        "mse",
        "precision",
        "recall",
        "f1_score",
        "auc",
        "top_k_categorical_accuracy",
    ] {
        let m = metric::<f32>(name).unwrap();
        assert!(name == "acc" || m.name() == name, "{name} → {}", m.name());
    }
    let e = metric::<f32>("accurracy").err().unwrap();
    assert!(
        e.contains("unknown metric \"accurracy\"") && e.contains("top_k_categorical_accuracy"),
        "{e}"
    );
    for name in [
        "mse",
        "mae",
        "huber",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "kl_divergence",
        "kld",
    ] {
        assert!(loss::get::<f32>(name).is_ok(), "{name}");
    }
    assert!(loss::get::<f32>("crossentropy")
        .err()
        .unwrap()
        .contains("known: mse"));
    // A boxed metric from a name works in a model.
    let mut rng = StdRng::seed_from_u64(0);
    let model = Model::new(
        Sequential::<f32>::new().add(Linear::new(2, 3, &mut rng)),
        CrossEntropy,
        Sgd::new(0.1),
    )
    .metric(metric::<f32>("accuracy").unwrap());
    // Debug counts scalars, as Keras' "Total params": 2·3 weights + 3 biases.
    assert_eq!(
        format!("{model:?}"),
        r#"Model { loss: "cross_entropy", optimizer: "SGD", parameters: 9, .. }"#
    );
}

#[test]
fn predict_classes_and_probabilities() {
    // Linear 2 → 3 with weights picking class 0 for x₀ large, class 2 for x₁ large.
    let lin = Linear::<f64>::new(2, 3, &mut StdRng::seed_from_u64(0));
    let params = lin.parameters();
    let w: &Param<f64> = params[0].1;
    w.set(Tensor::from([[2.0, 0.0], [0.0, 0.0], [0.0, 2.0]]));
    params[1].1.set(Tensor::zeros(&[3]));
    let x = Tensor::from([[3.0, 0.0], [0.0, 3.0], [0.0, 0.0]]);
    let mut logits = Model::new(
        Sequential::<f64>::new().add(lin),
        CrossEntropy,
        Sgd::new(0.1),
    );
    assert_eq!(logits.predict_classes(&x).unwrap(), vec![0, 2, 0]);
    let p = logits.predict_proba(&x).unwrap();
    let row0: Vec<f64> = p.to_vec()[..3].to_vec();
    let z = 6f64.exp() + 2.0;
    assert!((row0[0] - 6f64.exp() / z).abs() < 1e-12 && (row0[1] - 1.0 / z).abs() < 1e-12);
    // A model that ends in Softmax: probabilities unchanged.
    let lin = Linear::<f64>::new(2, 3, &mut StdRng::seed_from_u64(0));
    let mut probs = Model::new(
        Sequential::<f64>::new().add(lin).add(Softmax(1)),
        loss::SparseCategoricalCrossentropy::new(),
        Sgd::new(0.1),
    );
    let direct = probs.predict(&x).unwrap();
    assert_eq!(probs.predict_proba(&x).unwrap(), direct);
}

/// Makes a fresh boxed metric.
type MakeMetric = fn() -> Box<dyn Metric<f64>>;

#[test]
fn binary_decision_metrics_read_n_and_n_by_1_alike_and_reject_other_shapes() {
    // Above 0.5: rows 0 and 2; targets 1: rows 0 and 1 → TP 1, FP 1, FN 1: P = R = F1 = 1/2,
    // whichever of the two holds the trailing axis of 1.
    let (p, y) = ([0.9, 0.3, 0.7], [1.0, 1.0, 0.0]);
    let col = |v: [f64; 3]| Tensor::from(v).reshape(&[3, 1]);
    for (pred, target) in [
        (Tensor::from(p), Tensor::from(y)),
        (col(p), Tensor::from(y)),
        (Tensor::from(p), col(y)),
        (col(p), col(y)),
    ] {
        let shapes = (pred.shape().to_vec(), target.shape().to_vec());
        let mut ms: [Box<dyn Metric<f64>>; 3] = [
            Box::new(Precision::new()),
            Box::new(Recall::new()),
            Box::new(F1Score::new()),
        ];
        for m in &mut ms {
            m.try_update(&pred, &target).unwrap();
            assert_eq!(m.compute(), 0.5, "{} {shapes:?}", m.name());
        }
        let mut auc = Auc::new();
        auc.try_update(&pred, &target).unwrap();
        // Pairs (positive, negative): (0.9, 0.7) won, (0.3, 0.7) lost → 1/2.
        assert!((compute(&auc) - 0.5).abs() < 1e-12, "{shapes:?}");
    }
    // Shapes that are not the same up to a trailing 1, and targets that are not 0/1.
    let bad: [(Tensor<f64>, Tensor<f64>); 6] = [
        (Tensor::zeros(&[3, 2]), Tensor::zeros(&[3])),
        (Tensor::zeros(&[3]), Tensor::zeros(&[3, 2])),
        (Tensor::zeros(&[2, 3]), Tensor::zeros(&[6])),
        (Tensor::zeros(&[6]), Tensor::zeros(&[2, 3])),
        (Tensor::zeros(&[3, 1]), Tensor::zeros(&[1, 3])),
        (Tensor::zeros(&[3, 1, 1]), Tensor::zeros(&[3])),
    ];
    let metrics: [MakeMetric; 4] = [
        || Box::new(Precision::new()),
        || Box::new(Recall::new()),
        || Box::new(F1Score::new()),
        || Box::new(Auc::new()),
    ];
    for make in metrics {
        for (pred, target) in &bad {
            let mut m = make();
            let e = m.try_update(pred, target).unwrap_err();
            assert!(e.to_string().starts_with(m.name()), "{e}");
            assert_eq!(
                (e.pred.as_slice(), e.target.as_slice()),
                (pred.shape(), target.shape())
            );
        }
        for target in [[0.0, 0.5, 1.0], [0.0, -1.0, 1.0], [0.0, 1.0, f64::NAN]] {
            let mut m = make();
            let e = m
                .try_update(&Tensor::from([0.2, 0.4, 0.6]), &Tensor::from(target))
                .unwrap_err();
            assert!(e.to_string().contains("targets must be 0 or 1"), "{e}");
            assert_eq!(m.compute(), 0.0, "{}: nothing accumulated", m.name());
        }
    }
}

#[test]
fn classification_metrics_go_up_and_reset_to_fresh_counts() {
    let pred = Tensor::from([0.9, 0.6, 0.2]);
    let target = Tensor::from([1.0, 0.0, 1.0]);
    // TP 1 (0.9), FP 1 (0.6), FN 1 (0.2): P = R = F1 = 1/2; AUC: (0.9 > 0.6) won,
    // (0.2 > 0.6) lost → 1/2. After a reset, a perfect batch gives 1 everywhere.
    let mut ms: [Box<dyn Metric<f64>>; 4] = [
        Box::new(Precision::new()),
        Box::new(Recall::new()),
        Box::new(F1Score::new()),
        Box::new(Auc::new()),
    ];
    for m in &mut ms {
        assert!(m.higher_is_better(), "{}", m.name());
        m.update(&pred, &target);
        assert!((m.compute() - 0.5).abs() < 1e-12, "{}", m.name());
        m.reset();
        m.update(&Tensor::from([0.8, 0.1]), &Tensor::from([1.0, 0.0]));
        assert_eq!(m.compute(), 1.0, "{} after reset", m.name());
    }
    let mut top = TopKCategoricalAccuracy::new(1);
    assert!(Metric::<f64>::higher_is_better(&top));
    top.update(
        &Tensor::from([[0.1, 0.9], [0.8, 0.2]]),
        &Tensor::from([0.0, 0.0]),
    );
    assert_eq!(compute(&top), 0.5);
    Metric::<f64>::reset(&mut top);
    top.update(&Tensor::from([[0.1, 0.9]]), &Tensor::from([1.0]));
    assert_eq!(compute(&top), 1.0);
}

#[test]
fn auc_thresholds_are_spaced_as_keras_and_ties_score_one_half() {
    // Three thresholds: −1e-7, 1/2, 1 + 1e-7 (Keras: i/(n − 1) inside, ±ε at the ends). A
    // positive scored exactly 1/2 is not above the middle one, so the ROC points are
    // (1, 1), (0, 0), (0, 0): area 1/2. Scored 0.45, the same.
    for pos in [0.5, 0.45] {
        let mut auc = Auc::with_thresholds(3);
        auc.update(&Tensor::from([pos, 0.2]), &Tensor::from([1.0, 0.0]));
        assert_eq!(compute(&auc), 0.5, "positive at {pos}");
        // A reset keeps the same three thresholds.
        Metric::<f64>::reset(&mut auc);
        auc.update(&Tensor::from([pos, 0.2]), &Tensor::from([1.0, 0.0]));
        assert_eq!(compute(&auc), 0.5, "positive at {pos}, after reset");
    }
    // Above 1/2 it separates: (1, 1), (0, 1), (0, 0): area 1.
    let mut auc = Auc::with_thresholds(3);
    auc.update(&Tensor::from([0.55, 0.2]), &Tensor::from([1.0, 0.0]));
    assert_eq!(compute(&auc), 1.0);
    // Scores of exactly 0 and 1 sit inside the end thresholds: a positive and a negative
    // tied at 0, or at 1, score one half (the Mann–Whitney statistic counts a tie as ½);
    // a positive at 1 against a negative at 0 scores 1.
    for (scores, expected) in [([0.0, 0.0], 0.5), ([1.0, 1.0], 0.5), ([1.0, 0.0], 1.0)] {
        let mut auc = Auc::new();
        auc.update(&Tensor::from(scores), &Tensor::from([1.0, 0.0]));
        assert!(
            (compute(&auc) - expected).abs() < 1e-12,
            "{scores:?}: {}",
            compute(&auc)
        );
    }
}

#[test]
fn top_k_accuracy_rejects_targets_of_other_shapes() {
    let pred = Tensor::<f64>::zeros(&[3, 4]);
    for target in [
        Tensor::zeros(&[3, 2]),
        Tensor::zeros(&[4]),
        Tensor::zeros(&[3, 4, 1]),
        Tensor::zeros(&[12]),
    ] {
        let mut top = TopKCategoricalAccuracy::new(2);
        let e = top.try_update(&pred, &target).unwrap_err();
        assert!(
            e.to_string().starts_with("top_k_categorical_accuracy"),
            "{e}"
        );
        assert_eq!(e.target, target.shape());
    }
    // [N, 1] class indices are read like [N].
    let pred = Tensor::from([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]]);
    let mut top = TopKCategoricalAccuracy::new(2);
    top.update(&pred, &Tensor::from([[2.0], [2.0]])); // row 0: 2nd → in; row 1: 3rd → out
    assert_eq!(compute(&top), 0.5);
    // Predictions that are not [N, C] are an error.
    assert!(TopKCategoricalAccuracy::new(1)
        .try_update(&Tensor::<f64>::zeros(&[3]), &Tensor::zeros(&[3]))
        .is_err());
}
