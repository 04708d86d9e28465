//! `sample_weight` and `class_weight` in `fit`, with Keras' semantics: the batch loss is
//! `Σ wᵢ·lᵢ / N` (SUM_OVER_BATCH_SIZE: divided by the batch size, not the sum of weights).
//! Reference values are computed by hand in each test.

use nn::loss::{
    self, BinaryCrossentropy, CategoricalCrossentropy, CrossEntropy, Loss, Mse,
    SparseCategoricalCrossentropy,
};
use nn::optim::Sgd;
use nn::train::{FitConfig, TrainError};
use nn::{Linear, Model, Module, Relu, Sequential, Sigmoid, Softmax};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::Tensor;

/// `y = w·x + b` with w = 2, b = 0.
fn line() -> Sequential<f64> {
    let mut rng = StdRng::seed_from_u64(0);
    let net = Sequential::new().add(Linear::new(1, 1, &mut rng));
    let state = [
        ("0.weight".to_string(), Tensor::from([[2.0]])),
        ("0.bias".to_string(), Tensor::from([0.0])),
    ];
    net.load_state_dict(&state, true).unwrap();
    net
}

fn quiet() -> FitConfig<f64> {
    FitConfig::new().verbose(0).shuffle(false)
}

#[test]
fn the_weighted_loss_is_the_weighted_sum_over_the_batch_size() {
    let x = Tensor::from([[1.0], [2.0], [3.0]]);
    let y = Tensor::from([[0.0], [0.0], [0.0]]);
    // Squared errors (2x)²: 4, 16, 36; weights 1, 2, 0.5.
    // Σ w·l = 4 + 32 + 18 = 54, over the batch size 3 (not Σw = 3.5): 18.
    let mut model = Model::new(line(), Mse, Sgd::new(0.0));
    let config = quiet()
        .batch_size(3)
        .sample_weight(&Tensor::from([1.0, 2.0, 0.5]));
    let history = model.fit(&x, &y, config).unwrap();
    assert_eq!(history.get("loss").unwrap(), [18.0]);

    // Two batches (2 rows, then 1): batch losses (4 + 32)/2 = 18 and 18/1 = 18; the
    // epoch loss weights them by batch size: (2·18 + 1·18)/3 = 18 = Σ w·l / n.
    let mut model = Model::new(line(), Mse, Sgd::new(0.0));
    let config = quiet()
        .batch_size(2)
        .sample_weight(&Tensor::from([1.0, 2.0, 0.5]));
    assert_eq!(
        model.fit(&x, &y, config).unwrap().get("loss").unwrap(),
        [18.0]
    );

    // Unweighted: the plain mean (4 + 16 + 36)/3.
    let mut model = Model::new(line(), Mse, Sgd::new(0.0));
    let history = model.fit(&x, &y, quiet().batch_size(3)).unwrap();
    approx::assert_relative_eq!(
        history.get("loss").unwrap()[0],
        56.0 / 3.0,
        max_relative = 1e-15
    );
}

#[test]
fn a_validation_split_takes_its_rows_weights_along() {
    // Rows 0..3 train, row 3 validates (split 0.25 of 4), with weight 3.
    let x = Tensor::from([[1.0], [2.0], [3.0], [4.0]]);
    let y = Tensor::from([[0.0], [0.0], [0.0], [1.0]]);
    let mut model = Model::new(line(), Mse, Sgd::new(0.0));
    let config = quiet()
        .batch_size(4)
        .validation_split(0.25)
        .sample_weight(&Tensor::from([1.0, 1.0, 2.0, 3.0]));
    let history = model.fit(&x, &y, config).unwrap();
    // Training: (4 + 16 + 2·36)/3; validation: 3·(8 − 1)²/1.
    assert_eq!(history.get("loss").unwrap(), [92.0 / 3.0]);
    assert_eq!(history.get("val_loss").unwrap(), [147.0]);

    // class_weight weights training only (Keras): the same rows with class weights.
    let y = Tensor::from([0.0, 1.0, 1.0, 1.0]);
    let x = Tensor::from([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]);
    let net = Sequential::<f64>::new().add(Linear::new(2, 2, &mut StdRng::seed_from_u64(0)));
    let zero: Vec<(String, Tensor<f64>)> = net
        .state_dict()
        .into_iter()
        .map(|(n, t)| (n, Tensor::zeros(t.shape())))
        .collect();
    net.load_state_dict(&zero, true).unwrap();
    let mut model = Model::new(net, CrossEntropy, Sgd::new(0.0));
    let config = quiet()
        .batch_size(4)
        .validation_split(0.25)
        .class_weight([(1, 5.0)]);
    let history = model.fit(&x, &y, config).unwrap();
    // Every loss is ln 2 (zero logits): training (1 + 5 + 5)·ln 2 / 3; validation unweighted.
    let ln2 = 2.0f64.ln();
    approx::assert_relative_eq!(history.get("loss").unwrap()[0], 11.0 * ln2 / 3.0);
    approx::assert_relative_eq!(history.get("val_loss").unwrap()[0], ln2);
}

fn classification(n: usize, seed: u64) -> (Tensor<f64>, Tensor<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for _ in 0..n {
        let (a, b): (f64, f64) = (rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0));
        xs.extend([a, b]);
        // An imbalanced problem: class 1 in a corner.
        ys.push(if a + b > 0.8 { 1.0 } else { 0.0 });
    }
    (
        Tensor::from_vec(xs, &[n, 2]).unwrap(),
        Tensor::from_vec(ys, &[n]).unwrap(),
    )
}

fn mlp(classes: usize, seed: u64) -> Sequential<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .add(Linear::new(2, 8, &mut rng))
        .add(Relu)
        .add(Linear::new(8, classes, &mut rng))
}

#[test]
fn class_weight_equals_the_corresponding_sample_weight_bit_for_bit() {
    let (x, y) = classification(60, 1);
    let per_row: Vec<f64> = y
        .to_vec()
        .iter()
        .map(|&c| if c == 1.0 { 3.0 } else { 1.0 })
        .collect();
    let per_row = Tensor::from_vec(per_row, &[60]).unwrap();
    let config = || FitConfig::new().verbose(0).epochs(5).batch_size(8).seed(4);
    let onehot = |y: &Tensor<f64>| {
        let v: Vec<f64> = y
            .to_vec()
            .iter()
            .flat_map(|&c| if c == 1.0 { [0.0, 1.0] } else { [1.0, 0.0] })
            .collect();
        Tensor::from_vec(v, &[y.numel(), 2]).unwrap()
    };
    // Class indices, one-hot rows (arg-max) and binary [N, 1] targets (rounded).
    let cases = [
        ("sparse", y.clone()),
        ("categorical", onehot(&y)),
        ("binary", y.reshape(&[60, 1])),
    ];
    for (name, target) in cases {
        let build = || -> Model<f64> {
            match name {
                "sparse" => Model::new(mlp(2, 0), CrossEntropy, Sgd::new(0.5)),
                "categorical" => Model::new(
                    mlp(2, 0).add(Softmax(-1)),
                    CategoricalCrossentropy::new(),
                    Sgd::new(0.5),
                ),
                _ => Model::new(
                    mlp(1, 0).add(Sigmoid),
                    BinaryCrossentropy::new(),
                    Sgd::new(0.5),
                ),
            }
        };
        let mut a = build();
        let ha = a
            .fit(&x, &target, config().class_weight([(0, 1.0), (1, 3.0)]))
            .unwrap();
        let mut b = build();
        let hb = b
            .fit(&x, &target, config().sample_weight(&per_row))
            .unwrap();
        // Bit for bit (the timings aside).
        assert_eq!(ha.get("loss"), hb.get("loss"), "{name}");
        assert_eq!(ha.epoch, hb.epoch);
        assert_eq!(a.module().state_dict(), b.module().state_dict(), "{name}");
        // And the weights did something: unweighted training differs.
        let mut c = build();
        let hc = c.fit(&x, &target, config()).unwrap();
        assert_ne!(ha.get("loss"), hc.get("loss"), "{name}");
    }
}

/// Flattened parameters of a model.
fn flat(model: &Model<f64>) -> Vec<f64> {
    model
        .module()
        .parameters()
        .iter()
        .flat_map(|(_, p)| p.value().to_vec())
        .collect()
}

#[test]
fn zero_weight_rows_only_dilute_the_batch_mean() {
    // 8 rows; rows 1, 3, 4, 6 get weight 0 (and absurd targets that must not matter).
    let (x, mut y) = classification(8, 2);
    let mut yv = y.to_vec();
    let kept = [0usize, 2, 5, 7];
    let w: Vec<f64> = (0..8)
        .map(|i| if kept.contains(&i) { 1.0 } else { 0.0 })
        .collect();
    for i in 0..8 {
        if !kept.contains(&i) {
            yv[i] = 1.0 - yv[i];
        }
    }
    y = Tensor::from_vec(yv, &[8]).unwrap();
    let w = Tensor::from_vec(w, &[8]).unwrap();
    let idx: Vec<usize> = kept.to_vec();
    let (xk, yk) = (x.index_select(0, &idx), y.index_select(0, &idx));

    let fit = |lr: f64, x: &Tensor<f64>, y: &Tensor<f64>, w: Option<&Tensor<f64>>, epochs| {
        let mut m = Model::new(mlp(2, 7), CrossEntropy, Sgd::new(lr));
        // One batch holds every row, so each epoch is one step on the whole data.
        let mut config = FitConfig::new().verbose(0).epochs(epochs).batch_size(8);
        if let Some(w) = w {
            config = config.sample_weight(w);
        }
        m.fit(x, y, config).unwrap();
        flat(&m)
    };
    let start = flat(&Model::new(mlp(2, 7), CrossEntropy, Sgd::new(0.1)));
    // SUM_OVER_BATCH_SIZE: the weighted loss is Σ_kept lᵢ / 8, the kept rows alone give
    // Σ_kept lᵢ / 4, so one step of the weighted run moves the weights exactly half as
    // far as one step on the kept rows at the same rate ...
    let removed = fit(0.2, &xk, &yk, None, 1);
    let weighted = fit(0.2, &x, &y, Some(&w), 1);
    for ((s, r), wt) in start.iter().zip(&removed).zip(&weighted) {
        approx::assert_relative_eq!(wt - s, 0.5 * (r - s), epsilon = 1e-14, max_relative = 1e-10);
    }
    // ... and with the rate doubled (8/4) the runs agree, over many steps.
    let removed = fit(0.2, &xk, &yk, None, 20);
    let weighted = fit(0.4, &x, &y, Some(&w), 20);
    for (r, wt) in removed.iter().zip(&weighted) {
        approx::assert_relative_eq!(r, wt, epsilon = 1e-13, max_relative = 1e-10);
    }
}

#[test]
fn sample_weights_travel_with_their_rows_through_shuffling() {
    // y = 2x + 1, plus outliers of weight 0; small shuffled batches.
    let n = 40;
    let xs: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let ys: Vec<f64> = (0..n)
        .map(|i| if i % 4 == 3 { 1e6 } else { 2.0 * xs[i] + 1.0 })
        .collect();
    let ws: Vec<f64> = (0..n).map(|i| if i % 4 == 3 { 0.0 } else { 1.0 }).collect();
    let x = Tensor::from_vec(xs, &[n, 1]).unwrap();
    let y = Tensor::from_vec(ys, &[n, 1]).unwrap();
    let mut model = Model::new(line(), Mse, Sgd::new(0.3));
    let config = FitConfig::new()
        .verbose(0)
        .epochs(300)
        .batch_size(4)
        .shuffle(true)
        .sample_weight(&Tensor::from_vec(ws, &[n]).unwrap());
    model.fit(&x, &y, config).unwrap();
    let p = model.predict(&Tensor::from([[0.5]])).unwrap().item();
    approx::assert_relative_eq!(p, 2.0, epsilon = 1e-6);
}

#[test]
fn weights_of_one_give_the_unweighted_training() {
    let (x, y) = classification(30, 3);
    let run = |w: Option<Tensor<f64>>| {
        let mut m = Model::new(mlp(2, 1), CrossEntropy, Sgd::new(0.3));
        let mut config = FitConfig::new().verbose(0).epochs(4).batch_size(7);
        if let Some(w) = &w {
            config = config.sample_weight(w);
        }
        let h = m.fit(&x, &y, config).unwrap();
        (h.get("loss").unwrap().to_vec(), flat(&m))
    };
    let (la, wa) = run(None);
    let (lb, wb) = run(Some(Tensor::ones(&[30])));
    for (a, b) in la.iter().zip(&lb).chain(wa.iter().zip(&wb)) {
        approx::assert_relative_eq!(a, b, max_relative = 1e-12);
    }
}

#[test]
fn bad_weights_are_errors_before_any_update() {
    let (x, y) = classification(4, 5);
    let check = |loss: Box<dyn Loss<f64>>, config: FitConfig<f64>, expected: &str| {
        let mut model = Model::new(mlp(2, 0), loss, Sgd::new(0.5));
        let before = model.module().state_dict();
        let err = model.fit(&x, &y, config.verbose(0)).unwrap_err();
        assert!(matches!(err, TrainError::Weights { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(expected), "{message}");
        assert_eq!(model.module().state_dict(), before, "{message}");
    };
    let ce = || -> Box<dyn Loss<f64>> { Box::new(CrossEntropy) };
    let sw = |v: &[f64]| {
        FitConfig::new().sample_weight(&Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap())
    };
    check(ce(), sw(&[1.0, 1.0, 1.0]), "shape [3], but x has 4 rows");
    check(ce(), sw(&[1.0, 1.0, -1.0, 1.0]), "-1 at row 2");
    check(ce(), sw(&[1.0, f64::NAN, 1.0, 1.0]), "NaN at row 1");
    check(ce(), sw(&[1.0, 1.0, 1.0, f64::INFINITY]), "inf at row 3");
    check(
        ce(),
        sw(&[1.0; 4]).class_weight([(1, 2.0)]),
        "cannot both be given",
    );
    check(
        ce(),
        FitConfig::new().class_weight([(0, 1.0), (1, -2.0)]),
        "class_weight of class 1 is -2",
    );
    // Regression losses have no classes.
    let mut model = Model::new(mlp(1, 0), Mse, Sgd::new(0.5));
    let before = model.module().state_dict();
    let err = model
        .fit(
            &x,
            &y.reshape(&[4, 1]),
            FitConfig::new().verbose(0).class_weight([(1, 2.0)]),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("mse is a regression loss"),
        "{err}"
    );
    assert_eq!(model.module().state_dict(), before);
    // Probability-form Keras losses weight samples too.
    let mut model = Model::new(
        mlp(2, 0).add(Softmax(-1)),
        SparseCategoricalCrossentropy::new(),
        Sgd::new(0.5),
    );
    let config = FitConfig::new().verbose(0).class_weight([(1, 2.0)]);
    assert!(model.fit(&x, &y, config).is_ok());
}

#[test]
fn per_sample_losses_average_to_the_loss() {
    use autograd::Tape;
    let tape = Tape::new();
    let p = tape.var(Tensor::from([[0.2f64, 0.7, 0.1], [0.5, 0.25, 0.25]]));
    let logits = tape.var(Tensor::from([[1.0f64, -2.0, 0.5], [0.0, 3.0, -1.0]]));
    let reg = Tensor::from([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]);
    let idx = Tensor::from([1.0, 0.0]);
    let probs = p.value();
    type Case<'t, 'a> = (Box<dyn Loss<f64>>, autograd::Var<'t, f64>, &'a Tensor<f64>);
    let cases: Vec<Case<'_, '_>> = vec![
        (Box::new(Mse), logits, &reg),
        (Box::new(loss::Mae), logits, &reg),
        (Box::new(loss::Huber(0.5)), logits, &reg),
        (Box::new(loss::Bce), p, &reg),
        (Box::new(loss::BceWithLogits), logits, &reg),
        (Box::new(CrossEntropy), logits, &idx),
        (Box::new(loss::Nll), logits.log_softmax(1), &idx),
        (Box::new(loss::KlDiv), p.ln(), &probs),
        (Box::new(SparseCategoricalCrossentropy::new()), p, &idx),
        (
            Box::new(CategoricalCrossentropy::new().from_logits(true)),
            logits,
            &reg,
        ),
        (Box::new(BinaryCrossentropy::new()), p, &reg),
    ];
    for (loss, pred, target) in cases {
        let per = loss.per_sample(pred, target).unwrap();
        assert_eq!(per.shape(), [2], "{}", loss.name());
        approx::assert_relative_eq!(
            per.mean_all().item(),
            loss.loss(pred, target).item(),
            max_relative = 1e-14
        );
    }
}
