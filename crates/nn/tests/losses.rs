//! Every loss against a hand-computed value and through gradcheck (f64).

use approx::assert_relative_eq;
use autograd::{gradcheck, GradcheckConfig, Tape};
use nn::loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_probs,
    gaussian_nll_loss, huber_loss, kl_div, l1_loss, mse_loss, nll_loss, Reduction,
};
use tensor::Tensor;

fn value(
    f: impl for<'t> Fn(autograd::Var<'t, f64>) -> autograd::Var<'t, f64>,
    pred: Tensor<f64>,
) -> Tensor<f64> {
    let tape = Tape::new();
    f(tape.var(pred)).value()
}

#[test]
fn regression_losses_match_hand_values() {
    let p = Tensor::from([1.0, 2.0, -1.0]);
    let y = Tensor::from([0.5, 4.0, 2.0]);
    // d = [0.5, −2, −3]
    assert_relative_eq!(
        value(|v| mse_loss(v, &y, Reduction::Mean), p.clone()).item(),
        (0.25 + 4.0 + 9.0) / 3.0
    );
    assert_relative_eq!(
        value(|v| mse_loss(v, &y, Reduction::Sum), p.clone()).item(),
        13.25
    );
    assert_eq!(
        value(|v| mse_loss(v, &y, Reduction::None), p.clone()).to_vec(),
        vec![0.25, 4.0, 9.0]
    );
    assert_relative_eq!(
        value(|v| l1_loss(v, &y, Reduction::Mean), p.clone()).item(),
        5.5 / 3.0
    );
    // Huber δ = 1: ½·0.25, 1·(2 − ½), 1·(3 − ½)
    assert_relative_eq!(
        value(|v| huber_loss(v, &y, 1.0, Reduction::Sum), p.clone()).item(),
        0.125 + 1.5 + 2.5
    );
    // Gaussian NLL with σ² = 2: ½(ln 2 + d²/2) per element.
    let nll = {
        let tape = Tape::new();
        gaussian_nll_loss(
            tape.var(p.clone()),
            &y,
            tape.constant(Tensor::full(&[3], 2.0)),
            Reduction::Mean,
        )
        .item()
    };
    assert_relative_eq!(
        nll,
        0.5 * (2f64.ln() + 13.25 / 3.0 / 2.0),
        max_relative = 1e-12
    );
}

#[test]
fn classification_losses_match_hand_values() {
    let p = Tensor::from([0.9, 0.2]);
    let y = Tensor::from([1.0, 0.0]);
    assert_relative_eq!(
        value(|v| binary_cross_entropy(v, &y, Reduction::Mean), p).item(),
        -(0.9f64.ln() + 0.8f64.ln()) / 2.0,
        max_relative = 1e-12
    );
    // PyTorch clamps each log at −100: p = 0 with y = 1 costs 100, not infinity.
    assert_eq!(
        value(
            |v| binary_cross_entropy(v, &Tensor::from([1.0]), Reduction::Sum),
            Tensor::from([0.0])
        )
        .item(),
        100.0
    );
    // Logits: softplus(x) − x·y. x = 0, y = 1: ln 2. x = 2, y = 0: ln(1 + e²). x = −1000, y = 1: 1000 (finite).
    let l = value(
        |v| binary_cross_entropy_with_logits(v, &Tensor::from([1.0, 0.0, 1.0]), Reduction::None),
        Tensor::from([0.0, 2.0, -1000.0]),
    );
    assert_relative_eq!(
        &l.to_vec()[..],
        &[2f64.ln(), (1.0 + 2f64.exp()).ln(), 1000.0][..],
        max_relative = 1e-12
    );
    // Cross-entropy: logsumexp(x) − x_y.
    let e = std::f64::consts::E;
    let ce = value(
        |v| cross_entropy(v, &Tensor::from([2.0, 0.0]), Reduction::None),
        Tensor::from([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]),
    );
    assert_relative_eq!(
        &ce.to_vec()[..],
        &[(e + e * e + e * e * e).ln() - 3.0, 3f64.ln()][..],
        max_relative = 1e-12
    );
    // Stable for huge logits.
    let big = value(
        |v| cross_entropy(v, &Tensor::from([0.0]), Reduction::Mean),
        Tensor::from([[1000.0, 0.0]]),
    );
    assert_eq!(big.item(), 0.0);
    // Soft targets: −Σ y log_softmax(x).
    let soft = value(
        |v| cross_entropy_probs(v, &Tensor::from([[0.25, 0.75]]), Reduction::Mean),
        Tensor::from([[0.0, 0.0]]),
    );
    assert_relative_eq!(soft.item(), 2f64.ln(), max_relative = 1e-12);
    // NLL on log-probabilities.
    let logp = Tensor::from([[0.2f64.ln(), 0.8f64.ln()]]);
    assert_relative_eq!(
        value(|v| nll_loss(v, &Tensor::from([1.0]), Reduction::Mean), logp).item(),
        -(0.8f64.ln()),
        max_relative = 1e-12
    );
    // KL(p‖q) with p = [½, ½, 0], q = [¼, ½, ¼]: ½·ln 2 (the 0·ln 0 term is 0).
    let q = Tensor::from([[0.25f64.ln(), 0.5f64.ln(), 0.25f64.ln()]]);
    let kl = value(
        |v| kl_div(v, &Tensor::from([[0.5, 0.5, 0.0]]), Reduction::BatchMean),
        q,
    );
    assert_relative_eq!(kl.item(), 0.5 * 2f64.ln(), max_relative = 1e-12);
}

#[test]
fn cross_entropy_gradient_is_softmax_minus_onehot_over_n() {
    let x = Tensor::from([[1.0, 2.0, 3.0], [0.5, -0.5, 0.0]]);
    let labels = Tensor::from([2.0, 0.0]);
    let tape = Tape::new();
    let v = tape.var(x.clone());
    let g = cross_entropy(v, &labels, Reduction::Mean).backward();
    let expected = (x.softmax(1) - labels.one_hot(3)) / 2.0;
    assert_relative_eq!(g[&v], expected, max_relative = 1e-12);
}

/// PyTorch's `CrossEntropyLoss` reads a target of the logits' shape as class
/// probabilities: one-hot rows give the class-index loss, soft rows `−Σ p·log softmax(x)`.
#[test]
fn cross_entropy_takes_class_probabilities_of_the_logits_shape() {
    use nn::loss::{CrossEntropy, Loss};
    let x = [[1.0, 2.0, 3.0], [0.5, -0.5, 0.0]];
    let probs = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]];
    // By hand: log softmax = x − ln Σ e^x, row by row.
    let expected: f64 = x
        .iter()
        .zip(&probs)
        .map(|(row, p)| {
            let lse = row.iter().map(|v: &f64| v.exp()).sum::<f64>().ln();
            -row.iter().zip(p).map(|(v, q)| q * (v - lse)).sum::<f64>()
        })
        .sum::<f64>()
        / 2.0;
    let tape = Tape::new();
    let logits = tape.var(Tensor::from(x));
    let soft = CrossEntropy.loss(logits, &Tensor::from(probs));
    assert_relative_eq!(soft.item(), expected, max_relative = 1e-12);
    let labels = Tensor::from([2.0, 0.0]);
    let one_hot = CrossEntropy.loss(logits, &labels.one_hot(3)).item();
    let indices = CrossEntropy.loss(logits, &labels).item();
    assert_relative_eq!(one_hot, indices, max_relative = 1e-12);
    // `fit` checks targets first: probabilities must be finite and non-negative.
    let bad = Tensor::from([[0.2, -0.3, 1.1], [0.6, 0.1, 0.3]]);
    let err = Loss::<f64>::check(&CrossEntropy, &[2, 3], &bad).unwrap_err();
    assert!(err.contains("element 1 is -0.3"), "{err}");
    assert!(Loss::<f64>::check(&CrossEntropy, &[2, 3], &Tensor::from(probs)).is_ok());
}

#[test]
fn every_loss_passes_gradcheck() {
    let cfg = GradcheckConfig::default();
    let pred = Tensor::from([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]]);
    let target = Tensor::from([[0.0, -1.0, 1.0], [2.0, 0.5, 0.0]]);
    let probs = Tensor::from([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]);
    let labels = Tensor::from([2.0, 0.0]);
    let binary = Tensor::from([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]);
    for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        gradcheck(
            |v| mse_loss(v[0], &target, reduction),
            std::slice::from_ref(&pred),
            cfg,
        )
        .unwrap();
        gradcheck(
            |v| l1_loss(v[0], &target, reduction),
            std::slice::from_ref(&pred),
            cfg,
        )
        .unwrap();
        gradcheck(
            |v| huber_loss(v[0], &target, 1.0, reduction),
            std::slice::from_ref(&pred),
            cfg,
        )
        .unwrap();
        gradcheck(
            |v| binary_cross_entropy_with_logits(v[0], &binary, reduction),
            std::slice::from_ref(&pred),
            cfg,
        )
        .unwrap();
        gradcheck(
            |v| binary_cross_entropy(v[0], &binary, reduction),
            std::slice::from_ref(&probs),
            cfg,
        )
        .unwrap();
        gradcheck(
            |v| cross_entropy(v[0], &labels, reduction),
            std::slice::from_ref(&pred),
            cfg,
        )
        .unwrap();
        gradcheck(
            |v| cross_entropy_probs(v[0], &probs, reduction),
            std::slice::from_ref(&pred),
            cfg,
        )
        .unwrap();
        gradcheck(
            |v| nll_loss(v[0].log_softmax(1), &labels, reduction),
            std::slice::from_ref(&pred),
            cfg,
        )
        .unwrap();
        gradcheck(
            |v| kl_div(v[0].log_softmax(1), &probs, reduction),
            std::slice::from_ref(&pred),
            cfg,
        )
        .unwrap();
    }
    gradcheck(
        |v| gaussian_nll_loss(v[0], &target, v[1].exp(), Reduction::Mean),
        &[
            pred.clone(),
            Tensor::from([[0.1, -0.3, 0.2], [0.0, 0.4, -0.1]]),
        ],
        cfg,
    )
    .unwrap();
}

#[test]
fn bad_labels_are_named() {
    let err = nn::loss::check_class_targets(&[2, 3], &Tensor::<f32>::from([0.0, 3.0])).unwrap_err();
    assert_eq!(err, "label 3 in row 1 is not a class index in 0..3");
    let err = nn::loss::check_class_targets(&[2, 3], &Tensor::<f32>::from([0.0])).unwrap_err();
    assert!(err.contains("expected 2 class labels"));
}

/// Per-element f32 loss values.
fn value_f32(
    f: impl for<'t> Fn(autograd::Var<'t, f32>) -> autograd::Var<'t, f32>,
    pred: &[f32],
) -> Vec<f32> {
    let tape = Tape::new();
    f(tape.var(Tensor::from_vec(pred.to_vec(), &[pred.len()]).unwrap()))
        .value()
        .to_vec()
}

#[test]
fn binary_cross_entropies_keep_small_losses_in_f32() {
    // f64 references: softplus(x) − x·y = max(x, 0) − x·y + ln(1 + e^−|x|), and
    // −[y·ln p + (1 − y)·ln(1 − p)] with log1p. Bound 8·ε_f32 relative: a few rounded
    // operations, every term non-negative (no cancellation left). The old forms gave 0
    // for (x = 20, y = 1) and for p = 1e-8, y = 0.
    let eps = f64::from(f32::EPSILON);
    let check = |what: &str, got: f32, want: f64| {
        let err = (f64::from(got) - want).abs();
        assert!(
            err <= 8.0 * eps * want.abs(),
            "{what}: {got:e}, f64 gives {want:e}"
        );
    };
    // (−80, 0) costs e^−80 = 1.8e-35, still a normal f32.
    let logits = [
        20.0f32, -20.0, 30.0, 1e-8, -1e-8, 0.0, 3.0, -80.0, -100.0, 5.0,
    ];
    let labels = [1.0f32, 0.0, 1.0, 1.0, 0.0, 1.0, 0.3, 0.0, 1.0, 0.7];
    let y = Tensor::from_vec(labels.to_vec(), &[labels.len()]).unwrap();
    let got = value_f32(
        |v| binary_cross_entropy_with_logits(v, &y, Reduction::None),
        &logits,
    );
    for ((x, l), g) in logits.iter().zip(labels).zip(got) {
        let (x, l) = (f64::from(*x), f64::from(l));
        let want = x.max(0.0) - x * l + (-x.abs()).exp().ln_1p();
        check(&format!("bce_with_logits(x = {x}, y = {l})"), g, want);
    }
    let probs = [1e-8f32, 1e-4, 0.3, 0.5, 1.0 - 1e-3, 1e-20];
    let labels = [0.0f32, 0.0, 0.3, 1.0, 1.0, 0.0];
    let y = Tensor::from_vec(labels.to_vec(), &[labels.len()]).unwrap();
    let got = value_f32(|v| binary_cross_entropy(v, &y, Reduction::None), &probs);
    for ((p, l), g) in probs.iter().zip(labels).zip(got) {
        let (p, l) = (f64::from(*p), f64::from(l));
        let want = -(l * p.ln() + (1.0 - l) * (-p).ln_1p());
        check(&format!("bce(p = {p:e}, y = {l})"), g, want);
    }
}

/// Huber at thresholds other than 1, on both sides of δ: values from the definition
/// (`½d²` for |d| < δ, `δ(|d| − ½δ)` beyond), gradients `d` and `δ·sign(d)`, and a gradcheck
/// whose gaps reach the linear part.
#[test]
fn huber_uses_its_delta_in_both_parts() {
    let y = Tensor::from([0.0, 0.0, 0.0, 0.0, 0.0]);
    let d = [0.1, -0.25, 0.9, -2.0, 4.0];
    let p = Tensor::from(d);
    for delta in [0.3, 2.5] {
        let expected: Vec<f64> = d
            .iter()
            .map(|&d: &f64| {
                if d.abs() < delta {
                    0.5 * d * d
                } else {
                    delta * (d.abs() - 0.5 * delta)
                }
            })
            .collect();
        let got = value(|v| huber_loss(v, &y, delta, Reduction::None), p.clone()).to_vec();
        for (g, e) in got.iter().zip(&expected) {
            assert_relative_eq!(*g, *e, max_relative = 1e-15);
        }
        let tape = Tape::new();
        let v = tape.var(p.clone());
        let grads = huber_loss(v, &y, delta, Reduction::Sum).backward();
        let expected_grad: Vec<f64> = d
            .iter()
            .map(|&d: &f64| {
                if d.abs() < delta {
                    d
                } else {
                    delta * d.signum()
                }
            })
            .collect();
        assert_eq!(grads[&v].to_vec(), expected_grad, "δ = {delta}");
        gradcheck(
            |v| huber_loss(v[0], &y, delta, Reduction::Mean),
            std::slice::from_ref(&p),
            GradcheckConfig {
                eps: 1e-6,
                atol: 1e-9,
                rtol: 1e-7,
            },
        )
        .unwrap();
    }
}

fn boxed(loss: impl nn::loss::Loss<f64> + 'static) -> Box<dyn nn::loss::Loss<f64>> {
    Box::new(loss)
}

/// The value of a [`nn::loss::Loss`] on `pred` (f64).
fn loss_value(loss: &dyn nn::loss::Loss<f64>, pred: &Tensor<f64>, target: &Tensor<f64>) -> f64 {
    let tape = Tape::new();
    loss.loss(tape.var(pred.clone()), target).item()
}

/// A loss, its name, what it takes, a prediction, a target and the expected value.
type LossCase<'a> = (
    Box<dyn nn::loss::Loss<f64>>,
    &'static str,
    nn::loss::Prediction,
    &'a Tensor<f64>,
    &'a Tensor<f64>,
    f64,
);

/// Each loss type is the function it names with the reduction its docs give, under its
/// PyTorch/Keras name, taking what its docs say it takes; the same through `Box<dyn Loss>`.
#[test]
fn loss_types_compute_name_and_declare_their_input() {
    use nn::loss::{
        self, Bce, BceWithLogits, BinaryCrossentropy, CategoricalCrossentropy, CrossEntropy, Huber,
        KlDiv, Loss, Mae, Mse, Nll, Prediction, SparseCategoricalCrossentropy,
    };
    let ln = f64::ln;
    // Regression: d = p − y = [0.5, −2, −3].
    let p = Tensor::from([1.0, 2.0, -1.0]);
    let y = Tensor::from([0.5, 4.0, 2.0]);
    // Binary on probabilities / logits.
    let pb = Tensor::from([0.9, 0.2]);
    let yb = Tensor::from([1.0, 0.0]);
    let zb = Tensor::from([0.0, 2.0]);
    // Classes: log-probabilities of 2 rows, labels 1 and 0.
    let lp = Tensor::from([[ln(0.2), ln(0.8)], [ln(0.6), ln(0.4)]]);
    let labels = Tensor::from([1.0, 0.0]);
    let probs = Tensor::from([[0.2, 0.8], [0.6, 0.4]]);
    let onehot = Tensor::from([[0.0, 1.0], [1.0, 0.0]]);
    // KL: q = [¼, ½, ¼] (log), p = [½, ½, 0] and [¼, ½, ¼]: (½ ln 2 + 0) / 2 rows.
    let q = Tensor::from([[ln(0.25), ln(0.5), ln(0.25)], [ln(0.25), ln(0.5), ln(0.25)]]);
    let pk = Tensor::from([[0.5, 0.5, 0.0], [0.25, 0.5, 0.25]]);
    let softplus = |x: f64| (1.0 + x.exp()).ln();
    let cases: Vec<LossCase> = vec![
        (boxed(Mse), "mse", Prediction::Values, &p, &y, 13.25 / 3.0),
        (boxed(Mae), "mae", Prediction::Values, &p, &y, 5.5 / 3.0),
        // δ = 2: ½·0.25, 2·(2 − 1), 2·(3 − 1), averaged.
        (
            boxed(Huber(2.0)),
            "huber",
            Prediction::Values,
            &p,
            &y,
            (0.125 + 2.0 + 4.0) / 3.0,
        ),
        (
            boxed(Bce),
            "binary_cross_entropy",
            Prediction::Probabilities,
            &pb,
            &yb,
            -(ln(0.9) + ln(0.8)) / 2.0,
        ),
        (
            boxed(BceWithLogits),
            "binary_cross_entropy_with_logits",
            Prediction::Logits,
            &zb,
            &yb,
            (softplus(0.0) + softplus(2.0)) / 2.0,
        ),
        (
            boxed(Nll),
            "nll",
            Prediction::LogProbabilities,
            &lp,
            &labels,
            -(ln(0.8) + ln(0.6)) / 2.0,
        ),
        (
            // Log-probabilities are logits too: log_softmax leaves them unchanged.
            boxed(CrossEntropy),
            "cross_entropy",
            Prediction::Logits,
            &lp,
            &labels,
            -(ln(0.8) + ln(0.6)) / 2.0,
        ),
        (
            boxed(KlDiv),
            "kl_div",
            Prediction::LogProbabilities,
            &q,
            &pk,
            0.5 * ln(2.0) / 2.0,
        ),
        (
            boxed(SparseCategoricalCrossentropy::new()),
            "sparse_categorical_crossentropy",
            Prediction::Probabilities,
            &probs,
            &labels,
            -(ln(0.8) + ln(0.6)) / 2.0,
        ),
        (
            boxed(SparseCategoricalCrossentropy::new().from_logits(true)),
            "sparse_categorical_crossentropy",
            Prediction::Logits,
            &lp,
            &labels,
            -(ln(0.8) + ln(0.6)) / 2.0,
        ),
        (
            boxed(CategoricalCrossentropy::new()),
            "categorical_crossentropy",
            Prediction::Probabilities,
            &probs,
            &onehot,
            -(ln(0.8) + ln(0.6)) / 2.0,
        ),
        (
            boxed(CategoricalCrossentropy::new().from_logits(true)),
            "categorical_crossentropy",
            Prediction::Logits,
            &lp,
            &onehot,
            -(ln(0.8) + ln(0.6)) / 2.0,
        ),
        (
            boxed(BinaryCrossentropy::new()),
            "binary_crossentropy",
            Prediction::Probabilities,
            &pb,
            &yb,
            -(ln(0.9) + ln(0.8)) / 2.0,
        ),
        (
            boxed(BinaryCrossentropy::new().from_logits(true)),
            "binary_crossentropy",
            Prediction::Logits,
            &zb,
            &yb,
            (softplus(0.0) + softplus(2.0)) / 2.0,
        ),
    ];
    for (loss, name, takes, pred, target, expected) in &cases {
        assert_eq!(loss.name(), *name);
        assert_eq!(loss.prediction(), *takes, "{name}");
        let got = loss_value(loss, pred, target);
        assert!(
            (got - expected).abs() < 1e-12,
            "{name}: {got} vs {expected}"
        );
        assert_eq!(loss.check(pred.shape(), target), Ok(()), "{name}");
    }
    // By Keras name: the same losses.
    for (name, expected) in [
        ("mse", 13.25 / 3.0),
        ("mean_squared_error", 13.25 / 3.0),
        ("mae", 5.5 / 3.0),
        ("mean_absolute_error", 5.5 / 3.0),
        // Keras' default δ = 1: ½·0.25, 1.5, 2.5.
        ("huber", (0.125 + 1.5 + 2.5) / 3.0),
    ] {
        let l = loss::get::<f64>(name).unwrap();
        let got = loss_value(&l, &p, &y);
        assert!(
            (got - expected).abs() < 1e-12,
            "{name}: {got} vs {expected}"
        );
    }
    let l = loss::get::<f64>("kld").unwrap();
    assert_eq!(l.prediction(), Prediction::LogProbabilities);
    assert!((loss_value(&l, &q, &pk) - 0.5 * ln(2.0) / 2.0).abs() < 1e-12);
    for (name, takes) in [
        ("binary_crossentropy", Prediction::Probabilities),
        ("categorical_crossentropy", Prediction::Probabilities),
        ("sparse_categorical_crossentropy", Prediction::Probabilities),
        ("kl_divergence", Prediction::LogProbabilities),
    ] {
        assert_eq!(
            loss::get::<f64>(name).unwrap().prediction(),
            takes,
            "{name}"
        );
    }
    let words: Vec<&str> = [
        Prediction::Logits,
        Prediction::Probabilities,
        Prediction::LogProbabilities,
        Prediction::Values,
    ]
    .iter()
    .map(|p| p.describe())
    .collect();
    assert_eq!(
        words,
        ["logits", "probabilities", "log-probabilities", "values"]
    );
}

/// What each loss type accepts before training: the same shape (regression), probabilities
/// in [0, 1] of the same shape (binary), one class index in 0..C per row (sparse).
#[test]
fn loss_types_check_their_targets() {
    use nn::loss::{
        Bce, BceWithLogits, BinaryCrossentropy, CategoricalCrossentropy, CrossEntropy, Loss, Mse,
        Nll, SparseCategoricalCrossentropy,
    };
    let t = |v: &[f64], shape: &[usize]| Tensor::from_vec(v.to_vec(), shape).unwrap();
    // Regression: any values, the same shape.
    let mse: Box<dyn Loss<f64>> = Box::new(Mse);
    assert!(mse
        .check(&[2, 2], &t(&[-5.0, 0.0, 7.0, 1.0], &[2, 2]))
        .is_ok());
    let e = mse.check(&[2, 2], &t(&[0.0; 4], &[4])).unwrap_err();
    assert_eq!(
        e,
        "predictions have shape [2, 2] but targets have shape [4]"
    );
    // Binary: 0 and 1 themselves are probabilities; below, above or NaN are not (row named).
    let binary: [Box<dyn Loss<f64>>; 3] = [
        Box::new(Bce),
        Box::new(BceWithLogits),
        Box::new(BinaryCrossentropy::new()),
    ];
    for l in &binary {
        assert!(l.check(&[2, 2], &t(&[0.0, 1.0, 0.5, 1.0], &[2, 2])).is_ok());
        for (bad, row) in [(-0.1, 1), (1.1, 1), (f64::NAN, 1)] {
            let e = l
                .check(&[2, 2], &t(&[0.0, 1.0, bad, 1.0], &[2, 2]))
                .unwrap_err();
            assert!(
                e.contains(&format!("row {row} is not a probability")),
                "{}: {e}",
                l.name()
            );
        }
        assert!(l.check(&[2, 2], &t(&[0.0; 4], &[4])).is_err());
    }
    // Categorical on probabilities: [N, C] predictions and probability targets.
    let cat = CategoricalCrossentropy::new();
    assert!(Loss::<f64>::check(&cat, &[2, 2], &t(&[0.0, 1.0, 1.0, 0.0], &[2, 2])).is_ok());
    assert!(Loss::<f64>::check(&cat, &[4], &t(&[0.0, 1.0, 1.0, 0.0], &[4])).is_err());
    assert!(Loss::<f64>::check(&cat, &[2, 2], &t(&[0.0, 2.0, 1.0, 0.0], &[2, 2])).is_err());
    // Class indices: [N] or [N, 1], whole numbers in 0..C.
    let sparse: [Box<dyn Loss<f64>>; 3] = [
        Box::new(CrossEntropy),
        Box::new(Nll),
        Box::new(SparseCategoricalCrossentropy::new()),
    ];
    for l in &sparse {
        let name = l.name();
        assert!(l.check(&[2, 3], &t(&[0.0, 2.0], &[2])).is_ok(), "{name}");
        assert!(l.check(&[2, 3], &t(&[2.0, 0.0], &[2, 1])).is_ok(), "{name}");
        let bad: [(Vec<f64>, Vec<usize>); 6] = [
            (vec![0.0, 3.0], vec![2]),
            (vec![0.0, -1.0], vec![2]),
            (vec![0.0, 1.5], vec![2]),
            (vec![0.0, 1.0], vec![1, 2]),
            (vec![0.0, 1.0], vec![2, 1, 1]),
            (vec![0.0, 1.0, 2.0], vec![3]),
        ];
        for (labels, shape) in &bad {
            assert!(
                l.check(&[2, 3], &t(labels, shape)).is_err(),
                "{name}: {labels:?} {shape:?}"
            );
        }
        assert!(l.check(&[6], &t(&[0.0, 1.0], &[2])).is_err(), "{name}");
    }
}

/// PyTorch's `GaussianNLLLoss` clamps the variance at eps = 1e-6: a variance below it
/// costs what 1e-6 costs.
#[test]
fn gaussian_nll_clamps_the_variance_at_eps() {
    let y = Tensor::from([0.0, 0.0]);
    let mean = Tensor::from([1e-3, 0.0]);
    let eps = 1e-6f64;
    for var in [0.0, 4e-7, 1e-6] {
        let tape = Tape::new();
        let l = gaussian_nll_loss(
            tape.var(mean.clone()),
            &y,
            tape.var(Tensor::full(&[2], var)),
            Reduction::Sum,
        )
        .item();
        let want = 0.5 * (eps.ln() + 1e-6 / eps) + 0.5 * eps.ln();
        assert!((l - want).abs() < 1e-9, "σ² = {var}: {l} vs {want}");
    }
}

/// A prediction and a target of different shapes are a mistake, not a broadcast: `[3]`
/// against `[3, 1]` would otherwise silently average a 3 × 3 table of differences.
#[test]
fn loss_functions_reject_targets_of_another_shape_naming_both() {
    let y = Tensor::from([[0.5], [4.0], [2.0]]);
    let p = Tensor::from([1.0, 2.0, -1.0]);
    let message = |f: &dyn Fn()| {
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("no panic");
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    };
    let mse = message(&|| {
        let _ = value(|v| mse_loss(v, &y, Reduction::Mean), p.clone());
    });
    assert_eq!(
        mse,
        "mse_loss: prediction of shape [3] and target of shape [3, 1] differ"
    );
    let l1 = message(&|| {
        let _ = value(|v| l1_loss(v, &y, Reduction::Mean), p.clone());
    });
    assert_eq!(
        l1,
        "l1_loss: prediction of shape [3] and target of shape [3, 1] differ"
    );
}

/// A non-positive δ would make the loss negative (δ = −1 gave −3.5 for a gap of 3) or
/// zero; PyTorch refuses it, and so do `huber_loss` and `Huber`'s `validate` before `fit`. An
/// infinite one is refused too: its linear branch's gradient is 0·∞ = NaN.
#[test]
fn huber_refuses_a_non_positive_delta() {
    use nn::loss::{Huber, Loss};
    for delta in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let y = Tensor::from([0.0f64]);
        let panic = std::panic::catch_unwind(|| {
            value(
                |v| huber_loss(v, &y, delta, Reduction::Mean),
                Tensor::from([3.0]),
            )
        })
        .unwrap_err();
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            message.contains("huber_loss: delta must be positive and finite"),
            "{delta}: {message}"
        );
        let refused = Loss::<f64>::validate(&Huber(delta)).unwrap_err();
        assert!(refused.contains("delta must be positive"), "{refused}");
    }
    assert!(Loss::<f64>::validate(&Huber(1.0)).is_ok());
}
