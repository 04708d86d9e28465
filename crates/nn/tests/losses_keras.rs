//! Keras' classification losses on probabilities and on logits: values from the
//! definitions (with Keras' clipping at 1e-7), agreement with the logit forms, gradients,
//! and `fit`'s warning when the model's last layer does not produce what the loss takes.

use autograd::{gradcheck, GradcheckConfig, Tape};
use nn::loss::{
    BinaryCrossentropy, CategoricalCrossentropy, CrossEntropy, Loss, SparseCategoricalCrossentropy,
};
use nn::optim::Adam;
use nn::train::FitConfig;
use nn::{Linear, Model, Sequential, Sigmoid, Softmax};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

fn value<L: Loss<f64>>(loss: &L, pred: &Tensor<f64>, target: &Tensor<f64>) -> f64 {
    let tape = Tape::new();
    loss.loss(tape.var(pred.clone()), target).item()
}

#[test]
fn categorical_losses_on_probabilities_follow_keras() {
    // Rows sum to 1 except the last (rescaled to [0.25, 0.75, 0] first); an exact 0 at the
    // true class is clipped to 1e-7: −ln(1e-7) = 16.118…, finite.
    let p = Tensor::from([[0.2, 0.3, 0.5], [0.7, 0.2, 0.1], [0.5, 1.5, 0.0]]);
    let labels = Tensor::from([2.0, 0.0, 2.0]);
    let onehot = Tensor::from([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
    let expected = -(0.5f64.ln() + 0.7f64.ln() + 1e-7f64.ln()) / 3.0;
    let sparse = value(&SparseCategoricalCrossentropy::new(), &p, &labels);
    let dense = value(&CategoricalCrossentropy::new(), &p, &onehot);
    assert!((sparse - expected).abs() < 1e-12, "{sparse} vs {expected}");
    assert!((dense - expected).abs() < 1e-12, "{dense} vs {expected}");
    assert!(expected.is_finite());
}

#[test]
fn categorical_crossentropy_rescales_rows_and_clips_at_one_minus_epsilon() {
    // Keras divides each row by its sum first: [2, 6] is read as [0.25, 0.75].
    let loss = value(
        &CategoricalCrossentropy::new(),
        &Tensor::from([[2.0, 6.0]]),
        &Tensor::from([[0.0, 1.0]]),
    );
    assert!((loss - -(0.75f64).ln()).abs() < 1e-15, "{loss}");
    // A certain, right prediction is clipped to 1 − 1e-7: the loss is −ln(1 − 1e-7), not 0.
    let loss = value(
        &CategoricalCrossentropy::new(),
        &Tensor::from([[1.0, 0.0]]),
        &Tensor::from([[1.0, 0.0]]),
    );
    assert!((loss - -(1.0f64 - 1e-7).ln()).abs() < 1e-20, "{loss}");
}

#[test]
fn the_logit_forms_agree_with_softmax_then_the_probability_forms() {
    let logits = Tensor::from([[1.0, -0.5, 2.0], [0.3, 0.2, -1.0]]);
    let labels = Tensor::from([0.0, 1.0]);
    let onehot = Tensor::from([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
    let probs = logits.softmax(1);
    let on_logits = value(
        &SparseCategoricalCrossentropy::new().from_logits(true),
        &logits,
        &labels,
    );
    assert_eq!(on_logits, value(&CrossEntropy, &logits, &labels));
    let on_probs = value(&SparseCategoricalCrossentropy::new(), &probs, &labels);
    assert!((on_logits - on_probs).abs() < 1e-12);
    let dense = value(
        &CategoricalCrossentropy::new().from_logits(true),
        &logits,
        &onehot,
    );
    assert!((dense - on_logits).abs() < 1e-12);

    let z = Tensor::from([[2.0, -1.0], [0.0, 4.0]]);
    let y = Tensor::from([[1.0, 0.0], [0.5, 1.0]]);
    let on_logits = value(&BinaryCrossentropy::new().from_logits(true), &z, &y);
    let on_probs = value(&BinaryCrossentropy::new(), &z.sigmoid(), &y);
    let by_hand: f64 = z
        .to_vec()
        .iter()
        .zip(y.to_vec())
        .map(|(z, y)| {
            let p = 1.0 / (1.0 + (-z).exp());
            -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
        })
        .sum::<f64>()
        / 4.0;
    assert!((on_logits - by_hand).abs() < 1e-12);
    assert!((on_probs - by_hand).abs() < 1e-12);
    // Saturated probabilities are clipped, not infinite.
    let sure = value(
        &BinaryCrossentropy::new(),
        &Tensor::from([[0.0, 1.0]]),
        &Tensor::from([[1.0, 0.0]]),
    );
    assert!((sure + (1e-7f64).ln()).abs() < 1e-9, "{sure}");
}

#[test]
fn the_probability_forms_pass_gradcheck() {
    let cfg = GradcheckConfig {
        eps: 1e-6,
        atol: 1e-8,
        rtol: 1e-6,
    };
    let p = Tensor::from([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]);
    let labels = Tensor::from([2.0, 0.0]);
    let soft = Tensor::from([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]]);
    gradcheck(
        |v| Loss::<f64>::loss(&SparseCategoricalCrossentropy::new(), v[0], &labels),
        std::slice::from_ref(&p),
        cfg,
    )
    .unwrap();
    gradcheck(
        |v| Loss::<f64>::loss(&CategoricalCrossentropy::new(), v[0], &soft),
        std::slice::from_ref(&p),
        cfg,
    )
    .unwrap();
    gradcheck(
        |v| Loss::<f64>::loss(&BinaryCrossentropy::new(), v[0], &soft),
        std::slice::from_ref(&p),
        cfg,
    )
    .unwrap();
}

fn classifier(last: Option<&str>) -> Sequential {
    let mut rng = StdRng::seed_from_u64(0);
    let net = Sequential::new().add(Linear::new(2, 3, &mut rng));
    match last {
        Some("softmax") => net.add(Softmax(1)),
        Some("sigmoid") => net.add(Sigmoid),
        _ => net,
    }
}

#[test]
fn fit_warns_when_the_last_layer_does_not_produce_what_the_loss_takes() {
    let x = Tensor::<f32>::from([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]);
    let labels = Tensor::<f32>::from([0.0, 1.0, 2.0, 1.0]);
    let cfg = || FitConfig::new().epochs(1).verbose(0);
    // Softmax output into a loss that applies softmax itself.
    let mut m = Model::new(classifier(Some("softmax")), CrossEntropy, Adam::new(0.01));
    let h = m.fit(&x, &labels, cfg()).unwrap();
    assert_eq!(h.warnings.len(), 1, "{:?}", h.warnings);
    assert!(
        h.warnings[0].contains("outputs probabilities") && h.warnings[0].contains("applied twice")
    );
    // Keras' default pairing: Softmax with a loss on probabilities: no warning.
    let mut m = Model::new(
        classifier(Some("softmax")),
        SparseCategoricalCrossentropy::new(),
        Adam::new(0.01),
    );
    assert!(m.fit(&x, &labels, cfg()).unwrap().warnings.is_empty());
    // Logits into a loss on probabilities.
    let mut m = Model::new(
        classifier(None),
        SparseCategoricalCrossentropy::new(),
        Adam::new(0.01),
    );
    let h = m.fit(&x, &labels, cfg()).unwrap();
    assert!(
        h.warnings[0].contains("from_logits(true)"),
        "{:?}",
        h.warnings
    );
    // Logits with from_logits(true): fine.
    let mut m = Model::new(
        classifier(None),
        SparseCategoricalCrossentropy::new().from_logits(true),
        Adam::new(0.01),
    );
    assert!(m.fit(&x, &labels, cfg()).unwrap().warnings.is_empty());
}
