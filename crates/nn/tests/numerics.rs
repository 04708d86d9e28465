//! Losses and training at the points real training reaches (docs/numerics.md): saturated
//! sigmoids, masked classes, infinite logits, a collapsed variance, one-row batches under
//! BatchNorm, data that is already NaN, and anomaly detection that names the op and the
//! line of the user's code.

use autograd::{Phase, Tape, Var};
use nn::loss::{
    binary_cross_entropy_with_logits, cross_entropy_probs, gaussian_nll_loss, kl_div, Bce, Mse,
    Reduction,
};
use nn::optim::Sgd;
use nn::train::{FitConfig, TrainError};
use nn::{BatchNorm1d, Linear, Model, Module, Named, Sequential, Sigmoid};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

#[test]
fn a_saturating_sigmoid_with_bce_trains_to_a_loss_near_zero_in_f32() {
    // Linearly separable, and a learning rate high enough to push logits past ±20, where
    // σ rounds to exactly 0 or 1 in f32 (it used to stop fit with a NaN gradient).
    let x = Tensor::<f32>::linspace(-1.0, 1.0, 40).reshape(&[40, 1]);
    let y = x.map(|v| if v > 0.0 { 1.0 } else { 0.0 });
    let mut rng = StdRng::seed_from_u64(0);
    let net = Sequential::new()
        .add(Linear::new(1, 1, &mut rng))
        .add(Sigmoid);
    let mut model = Model::new(net, Bce, Sgd::new(50.0));
    let h = model
        .fit(
            &x,
            &y,
            FitConfig::new().epochs(60).batch_size(40).verbose(0),
        )
        .unwrap();
    let w = model.module().parameters()[0].1.value().item();
    assert!(
        w.is_finite() && w * 0.95 > 20.0,
        "the logit at x = 0.95 saturates: w = {w}"
    );
    let last = *h.get("loss").unwrap().last().unwrap();
    assert!(last.is_finite() && last < 0.05, "loss {last}");
}

#[test]
fn masked_classes_with_zero_target_weight_contribute_nothing() {
    let tape = Tape::new();
    // Class 1 is masked (logit −∞) and has target 0: 0·log 0 = 0, so the loss is the
    // cross-entropy over the other two classes, ln 2 for equal logits.
    let logits = tape.var(Tensor::from([[0.0f64, f64::NEG_INFINITY, 0.0]]));
    let l = cross_entropy_probs(logits, &Tensor::from([[0.5, 0.0, 0.5]]), Reduction::Mean);
    assert_eq!(l.item(), std::f64::consts::LN_2);
    let g = l.backward()[&logits].to_vec(); // softmax − target
    assert_eq!(g, vec![0.0, 0.0, 0.0]);
    // KL divergence with a −∞ log-probability where the target is 0.
    let log_q = tape.var(Tensor::from([[f64::NEG_INFINITY, 0.0]]));
    let l = kl_div(log_q, &Tensor::from([[0.0, 1.0]]), Reduction::Sum);
    assert_eq!(l.item(), 0.0); // 1·(ln 1 − 0)
    assert_eq!(l.backward()[&log_q].to_vec(), vec![0.0, -1.0]);
}

#[test]
fn bce_with_logits_at_infinite_logits_is_exact() {
    let tape = Tape::new();
    let inf = f64::INFINITY;
    let z = tape.var(Tensor::from([inf, -inf, inf, -inf]));
    let l =
        binary_cross_entropy_with_logits(z, &Tensor::from([1.0, 0.0, 0.0, 1.0]), Reduction::None);
    // Right and certain: 0. Wrong and certain: ∞ (the true value), never NaN.
    assert_eq!(l.value().to_vec(), vec![0.0, 0.0, inf, inf]);
    // σ(z) − y: 0 when right, ±1 when wrong.
    assert_eq!(
        l.sum_all().backward()[&z].to_vec(),
        vec![0.0, 0.0, 1.0, -1.0]
    );
}

#[test]
fn a_collapsed_variance_still_gets_a_gradient() {
    // PyTorch clamps the variance at eps = 1e-6 without blocking its gradient.
    let tape = Tape::new();
    let mean = tape.var(Tensor::from([0.0f64]));
    let var = tape.var(Tensor::from([1e-8f64]));
    let l = gaussian_nll_loss(mean, &Tensor::from([2e-3]), var, Reduction::Mean);
    // ½(ln ε + d²/ε), with the gradient of ½(ln v + d²/v) taken at v = ε (a clamp that
    // blocked it would give 0 here).
    let (eps, d2) = (1e-6f64, 4e-6f64);
    approx::assert_relative_eq!(l.item(), 0.5 * (eps.ln() + d2 / eps), max_relative = 1e-12);
    let g = l.backward()[&var].item();
    approx::assert_relative_eq!(g, 0.5 * (1.0 / eps - d2 / (eps * eps)), max_relative = 1e-9);
    assert!(g != 0.0);
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn batchnorm_refuses_one_value_per_channel_in_training_and_fit_says_so_first() {
    let bn = BatchNorm1d::<f32>::new(3);
    let msg = panic_message(|| {
        let tape = Tape::new();
        let _ = bn.forward(tape.constant(Tensor::zeros(&[1, 3])));
    });
    assert!(
        msg.contains("BatchNorm1d")
            && msg.contains("more than 1 value per channel")
            && msg.contains("[1, 3]"),
        "{msg}"
    );
    // 41 rows in batches of 20 leave one row over: an error before the first update,
    // naming the two remedies; drop_last(true) trains.
    let x = Tensor::<f32>::linspace(-1.0, 1.0, 41).reshape(&[41, 1]);
    let y = &x * 2.0;
    let mut rng = StdRng::seed_from_u64(1);
    let net = Sequential::new()
        .add(Linear::new(1, 4, &mut rng))
        .add(BatchNorm1d::new(4))
        .add(Linear::new(4, 1, &mut rng));
    let mut model = Model::new(net, Mse, Sgd::new(0.01));
    let err = model
        .fit(&x, &y, FitConfig::new().batch_size(20).verbose(0))
        .unwrap_err();
    assert_eq!(
        err,
        TrainError::SingleRowBatch {
            rows: 41,
            batch_size: 20
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("batch size") && msg.contains("drop_last(true)"),
        "{msg}"
    );
    let h = model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .batch_size(20)
                .drop_last(true)
                .epochs(2)
                .verbose(0),
        )
        .unwrap();
    assert_eq!(h.steps, 2);
    // A batch size of 1 gives only one-row batches, drop_last or not.
    for drop_last in [false, true] {
        let config = FitConfig::new()
            .batch_size(1)
            .drop_last(drop_last)
            .verbose(0);
        assert_eq!(
            model.fit(&x, &y, config).unwrap_err(),
            TrainError::SingleRowBatch {
                rows: 41,
                batch_size: 1
            }
        );
    }
}

/// PyTorch refuses a batch only when a BatchNorm would see one value per channel
/// (`N·∏ spatial = 1`): a `BatchNorm2d` on one image of several pixels trains, on one
/// 1 × 1 image it does not. A BatchNorm inside a custom module (whose own `forward`
/// decides its shapes) still counts as one that would see a single value.
#[test]
fn one_row_batches_are_refused_only_where_a_batchnorm_sees_one_value_per_channel() {
    use nn::{BatchNorm2d, Conv2d, Flatten};
    let mut rng = StdRng::seed_from_u64(3);
    let y = Tensor::<f32>::rand_normal(&[5, 1], 0.0, 1.0, &mut rng);
    let cnn = |pixels: usize, rng: &mut StdRng| {
        Sequential::new()
            .add(Conv2d::new(1, 2, 1, rng))
            .add(BatchNorm2d::new(2))
            .add(Flatten)
            .add(Linear::new(2 * pixels, 1, rng))
    };
    // 3 × 3 images: 9 values per channel in a one-row batch.
    let x = Tensor::<f32>::rand_normal(&[5, 1, 3, 3], 0.0, 1.0, &mut rng);
    let mut model = Model::new(cnn(9, &mut rng), Mse, Sgd::new(0.01));
    let h = model
        .fit(&x, &y, FitConfig::new().batch_size(1).epochs(2).verbose(0))
        .unwrap();
    assert_eq!(h.steps, 5); // per epoch, as Keras counts them
    assert!(h.get("loss").unwrap().iter().all(|l| l.is_finite()));
    // 1 × 1 images: one value per channel.
    let x = Tensor::<f32>::rand_normal(&[5, 1, 1, 1], 0.0, 1.0, &mut rng);
    let mut model = Model::new(cnn(1, &mut rng), Mse, Sgd::new(0.01));
    let err = model
        .fit(&x, &y, FitConfig::new().batch_size(2).verbose(0))
        .unwrap_err();
    assert_eq!(
        err,
        TrainError::SingleRowBatch {
            rows: 5,
            batch_size: 2
        }
    );
    // The same 3 × 3 BatchNorm inside a custom module.
    struct Wrapped(BatchNorm2d, Flatten);
    impl Module for Wrapped {
        fn forward<'t>(&self, x: Var<'t>) -> Var<'t> {
            self.1.forward(self.0.forward(x))
        }
        fn children(&self) -> Vec<(String, &dyn Module)> {
            vec![("bn".into(), &self.0)]
        }
        fn children_mut(&mut self) -> Vec<&mut dyn Module> {
            vec![&mut self.0]
        }
    }
    let x = Tensor::<f32>::rand_normal(&[5, 1, 3, 3], 0.0, 1.0, &mut rng);
    let net = Sequential::new()
        .add(Wrapped(BatchNorm2d::new(1), Flatten))
        .add(Linear::new(9, 1, &mut rng));
    let mut model = Model::new(net, Mse, Sgd::new(0.01));
    let err = model
        .fit(&x, &y, FitConfig::new().batch_size(1).verbose(0))
        .unwrap_err();
    assert_eq!(
        err,
        TrainError::SingleRowBatch {
            rows: 5,
            batch_size: 1
        }
    );
}

#[test]
fn data_that_is_already_nan_is_reported_by_row_and_column() {
    let mut rng = StdRng::seed_from_u64(2);
    let mut model = Model::new(
        Sequential::new().add(Linear::new(2, 1, &mut rng)),
        Mse,
        Sgd::new(0.1),
    );
    let mut values = vec![0.5f32; 40];
    values[17 * 2 + 1] = f32::NAN; // row 17, column 1
    let x = Tensor::from_vec(values, &[20, 2]).unwrap();
    let y = Tensor::<f32>::zeros(&[20, 1]);
    let err = model.fit(&x, &y, FitConfig::new().verbose(0)).unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::NonFiniteData {
                what: "fit",
                tensor: "x",
                row: 17,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("NaN at row 17, column 1") && msg.contains("SimpleImputer"),
        "{msg}"
    );
    let inf_y = y.map(|_| f32::INFINITY);
    let err = model
        .evaluate(&Tensor::zeros(&[20, 2]), &inf_y)
        .unwrap_err();
    assert!(
        err.to_string().contains("evaluate: y has inf at row 0"),
        "{err}"
    );
    assert!(model.predict(&x).is_err());
}

/// A model whose forward divides by zero in the middle.
struct Divides(Linear);

impl Module for Divides {
    fn forward<'t>(&self, x: Var<'t, f32>) -> Var<'t, f32> {
        let h = self.0.forward(x);
        h / (h - h.detach()) // this line is the anomaly: h − h is 0
    }
    fn parameters(&self) -> Vec<Named<'_, f32>> {
        self.0.parameters()
    }
}

#[test]
fn anomaly_detection_names_the_op_and_the_users_line() {
    let line = line!() - 9; // the division line above
    let x = Tensor::<f32>::linspace(-1.0, 1.0, 8).reshape(&[8, 1]);
    let y = Tensor::<f32>::zeros(&[8, 1]);
    let mut rng = StdRng::seed_from_u64(3);
    let mut model = Model::new(Divides(Linear::new(1, 1, &mut rng)), Mse, Sgd::new(0.1));
    let before = model.module().parameters()[0].1.value();
    // Without the switch: the loss is NaN, and the error points to the switch.
    let err = model.fit(&x, &y, FitConfig::new().verbose(0)).unwrap_err();
    assert!(err.to_string().contains("detect_anomaly(true)"), "{err}");
    // With it: the op, the pass, the shapes, and this file's line.
    let err = model
        .fit(&x, &y, FitConfig::new().verbose(0).detect_anomaly(true))
        .unwrap_err();
    let TrainError::Anomaly {
        epoch: 0,
        batch: 0,
        ref anomaly,
    } = err
    else {
        panic!("{err}")
    };
    assert_eq!(
        (anomaly.phase, anomaly.op.as_str()),
        (Phase::Forward, "div")
    );
    assert_eq!(anomaly.input_shapes, vec![vec![8, 1], vec![8, 1]]);
    let at = anomaly.location.expect("a location");
    assert_eq!((at.file(), at.line()), (file!(), line));
    let msg = err.to_string();
    assert!(msg.contains(&format!("{}:{line}", file!())), "{msg}");
    assert_eq!(
        model.module().parameters()[0].1.value(),
        before,
        "nothing trained"
    );
}
