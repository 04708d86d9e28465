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
    assert!(format!("{model:?}").contains("Model"));
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
