//! A catalogue of bad inputs to `fit`, `evaluate` and the optimizers: each is an error
//! of the right type whose message names the problem, found before the first update, and
//! the model's weights are unchanged afterwards.

use autograd::Tape;
use nn::loss::{Bce, BceWithLogits, Mse};
use nn::optim::{Adadelta, Adagrad, Adam, AdamW, LrSchedule, Optimizer, RmsProp, Sgd};
use nn::train::{FitConfig, LambdaCallback, LearningRateScheduler, TrainError};
use nn::{Conv2d, Dropout, Flatten, Linear, Model, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

fn data() -> (Tensor<f32>, Tensor<f32>) {
    let x = Tensor::<f32>::linspace(-1.0, 1.0, 20).reshape(&[20, 1]);
    let y = x.map(|v| if v > 0.0 { 1.0 } else { 0.0 });
    (x, y)
}

fn net() -> Sequential {
    let mut rng = StdRng::seed_from_u64(0);
    Sequential::new().add(Linear::new(1, 1, &mut rng))
}

/// A convolution of 1 channel into 2 with a 3 × 3 kernel, flattened into a `Linear` sized
/// for 4 × 4 images (2 × 2 × 2 = 8 features).
fn small_cnn() -> Sequential {
    let mut rng = StdRng::seed_from_u64(0);
    Sequential::new()
        .add(Conv2d::new(1, 2, 3, &mut rng))
        .add(Flatten)
        .add(Linear::new(2 * 2 * 2, 1, &mut rng))
}

fn weights(model: &Model) -> Vec<Vec<f32>> {
    model
        .module()
        .parameters()
        .iter()
        .map(|(_, p)| p.value().to_vec())
        .collect()
}

fn fit_with(opt: Box<dyn Optimizer>) -> (Result<nn::train::History, TrainError>, bool) {
    let (x, y) = data();
    let mut model = Model::new(net(), Mse, opt);
    let before = weights(&model);
    let r = model.fit(&x, &y, FitConfig::new().epochs(2).verbose(0));
    let unchanged = weights(&model) == before;
    (r, unchanged)
}

#[test]
fn optimizer_hyperparameters_out_of_range_are_rejected_before_the_first_step() {
    let cases: Vec<(Box<dyn Optimizer>, &str, &str)> = vec![
        (Box::new(Sgd::new(f64::NAN)), "lr", "finite"),
        (Box::new(Sgd::new(-0.1)), "lr", "≥ 0"),
        (Box::new(Adam::new(f64::INFINITY)), "lr", "finite"),
        (Box::new(Sgd::new(0.1).momentum(-0.5)), "momentum", "≥ 0"),
        (
            Box::new(Sgd::new(0.1).weight_decay(-1e-4)),
            "weight_decay",
            "≥ 0",
        ),
        (
            Box::new(Sgd::new(0.1).momentum(0.9).dampening(1.5)),
            "dampening",
            "in [0, 1]",
        ),
        (
            Box::new(Adam::new(1e-3).betas(0.9, 1.0)),
            "beta2",
            "in [0, 1)",
        ),
        (
            Box::new(Adam::new(1e-3).betas(-0.1, 0.999)),
            "beta1",
            "in [0, 1)",
        ),
        (Box::new(Adam::new(1e-3).eps(0.0)), "eps", "> 0"),
        (
            Box::new(AdamW::new(1e-3).weight_decay(-0.01)),
            "weight_decay",
            "≥ 0",
        ),
        (
            Box::new(RmsProp::new(1e-3).alpha(1.5)),
            "alpha",
            "in [0, 1]",
        ),
        (Box::new(RmsProp::new(1e-3).eps(-1e-8)), "eps", "> 0"),
        (
            Box::new(Adagrad::new(1e-2).lr_decay(-1.0)),
            "lr_decay",
            "≥ 0",
        ),
        (Box::new(Adadelta::new(1.0).rho(1.1)), "rho", "in [0, 1]"),
    ];
    for (opt, parameter, allowed) in cases {
        let name = opt.name();
        let (r, unchanged) = fit_with(opt);
        let err = r.unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, TrainError::Optimizer(ref e) if e.parameter == parameter),
            "{name}: {msg}"
        );
        assert!(msg.contains(name) && msg.contains(allowed), "{msg}");
        assert!(unchanged, "{name}: weights changed");
    }
    // The defaults of every optimizer are valid.
    for opt in [
        Box::new(Sgd::<f32>::new(0.1)) as Box<dyn Optimizer>,
        Box::new(Adam::default()),
        Box::new(AdamW::default()),
        Box::new(RmsProp::new(1e-2)),
        Box::new(Adagrad::new(1e-2)),
        Box::new(Adadelta::new(1.0)),
    ] {
        assert_eq!(opt.validate(), Ok(()), "{}", opt.name());
    }
}

/// A schedule that goes wrong at epoch 2.
#[derive(Clone, Copy, Debug)]
struct Broken;

impl LrSchedule for Broken {
    fn rate(&self, epoch: usize, initial: f64) -> f64 {
        if epoch >= 2 {
            f64::NAN
        } else {
            initial
        }
    }
}

#[test]
fn a_schedule_that_produces_a_bad_rate_stops_fit_naming_the_epoch() {
    let (x, y) = data();
    let mut model = Model::new(net(), Mse, Sgd::new(0.1));
    let err = model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(5)
                .verbose(0)
                .callback(LearningRateScheduler::new(Broken)),
        )
        .unwrap_err();
    assert!(
        matches!(err, TrainError::LearningRate { epoch: 2, value } if value.is_nan()),
        "{err}"
    );
    assert!(err.to_string().contains("Epoch 3"), "{err}");
}

#[test]
fn empty_evaluation_or_validation_data_is_an_error_not_a_perfect_score() {
    let (x, y) = data();
    let mut model = Model::new(net(), Mse, Sgd::new(0.1));
    let (x0, y0) = (x.narrow(0, 0, 0), y.narrow(0, 0, 0));
    assert_eq!(
        model.evaluate(&x0, &y0).unwrap_err(),
        TrainError::NoRows { what: "evaluate" }
    );
    let before = weights(&model);
    let err = model
        .fit(
            &x,
            &y,
            FitConfig::new().verbose(0).validation_data(&x0, &y0),
        )
        .unwrap_err();
    assert_eq!(
        err,
        TrainError::NoRows {
            what: "validation data"
        }
    );
    assert!(err.to_string().contains("no rows"));
    assert_eq!(weights(&model), before);
}

#[test]
fn binary_cross_entropy_targets_outside_0_1_are_rejected_with_the_row() {
    let (x, mut y) = data();
    y = y.map(|v| v); // a copy we may edit
    let mut bad = y.to_vec();
    bad[7] = 2.0;
    let y_bad = Tensor::from_vec(bad, &[20, 1]).unwrap();
    for loss in [
        Box::new(Bce) as Box<dyn nn::loss::Loss>,
        Box::new(BceWithLogits),
    ] {
        let mut model = Model::new(net(), loss, Sgd::new(0.1));
        let err = model
            .fit(&x, &y_bad, FitConfig::new().verbose(0))
            .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, TrainError::Targets { .. }), "{msg}");
        assert!(
            msg.contains("target 2 in row 7") && msg.contains("[0, 1]"),
            "{msg}"
        );
    }
    // Valid targets (0, 1 and soft labels in between) are accepted.
    let mut model = Model::new(net(), BceWithLogits, Sgd::new(0.1));
    assert!(model
        .fit(&x, &y.map(|v| 0.1 + 0.8 * v), FitConfig::new().verbose(0))
        .is_ok());
}

/// `x` whose rows are not shaped as the first layer takes them: 1-D, 3-D and wrong widths
/// for a Linear model, flat rows and wrong channels for a convolutional one. Every entry
/// point says both shapes, and the weights are unchanged.
#[test]
fn x_of_the_wrong_rank_or_width_names_both_shapes() {
    let y = Tensor::<f32>::zeros(&[6, 1]);
    let cases: Vec<(Tensor<f32>, &str)> = vec![
        (
            Tensor::zeros(&[6]),
            "x has shape [6], but the model's first layer takes [N, …, 1]; a 1-D x is ambiguous",
        ),
        // Linear takes extra leading axes ([*, in]), but the last one must be its width.
        (
            Tensor::zeros(&[6, 1, 3]),
            "x has shape [6, 1, 3], but the model's first layer takes [N, …, 1]",
        ),
        (
            Tensor::zeros(&[6, 3]),
            "x has shape [6, 3], but the model's first layer takes [N, …, 1]",
        ),
        (Tensor::scalar(1.0), "x needs a batch axis"),
    ];
    for (x, message) in &cases {
        let mut model = Model::new(net(), Mse, Sgd::new(0.1));
        let before = weights(&model);
        for err in [
            model.fit(x, &y, FitConfig::new().verbose(0)).unwrap_err(),
            model.evaluate(x, &y).unwrap_err(),
            model.predict(x).unwrap_err(),
        ] {
            assert!(matches!(err, TrainError::InputShape { .. }), "{err}");
            assert!(err.to_string().contains(message), "{err}");
        }
        assert_eq!(weights(&model), before);
    }

    let mut model = Model::new(small_cnn(), Mse, Sgd::new(0.1));
    for (x, message) in [
        (
            Tensor::zeros(&[6, 16]),
            "x has shape [6, 16], but the model's first layer takes [N, 1, any, any]",
        ),
        (
            Tensor::zeros(&[6, 3, 4, 4]),
            "x has shape [6, 3, 4, 4], but the model's first layer takes [N, 1, any, any]",
        ),
    ] {
        let err = model.fit(&x, &y, FitConfig::new().verbose(0)).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
    }
    // The right shape trains.
    let x = Tensor::<f32>::zeros(&[6, 1, 4, 4]);
    model
        .fit(&x, &y, FitConfig::new().epochs(1).verbose(0))
        .unwrap();
}

/// A layer deep inside a `Sequential` that is given the wrong shape (a `Linear` after a
/// `Flatten` sized for another image, a second `Linear` whose input is not the first's
/// output) is a `LayerInput` error from `fit`, `evaluate` and `predict`, naming the
/// layer's index and both shapes, with nothing trained: not a panic inside the layer.
#[test]
fn a_layer_given_the_wrong_shape_is_an_error_naming_the_layer() {
    let mut rng = StdRng::seed_from_u64(0);
    // 1 × 6 × 6 images give 2 × 4 × 4 = 32 features after the convolution, not 8.
    let cnn = small_cnn();
    let mlp = Sequential::new()
        .add(Linear::new(4, 5, &mut rng))
        .add(Linear::new(6, 1, &mut rng));
    let cases = [
        (
            cnn,
            Tensor::<f32>::zeros(&[6, 1, 6, 6]),
            "layer 2 (Linear(8 → 1)) takes [N, …, 8], but the layers before it give [N, 32]",
        ),
        (
            mlp,
            Tensor::<f32>::zeros(&[6, 4]),
            "layer 1 (Linear(6 → 1)) takes [N, …, 6], but the layers before it give [N, 5]",
        ),
    ];
    let y = Tensor::<f32>::zeros(&[6, 1]);
    for (net, x, message) in cases {
        let mut model = Model::new(net, Mse, Sgd::new(0.1));
        let before = weights(&model);
        for (what, err) in [
            (
                "fit",
                model.fit(&x, &y, FitConfig::new().verbose(0)).unwrap_err(),
            ),
            ("evaluate", model.evaluate(&x, &y).unwrap_err()),
            ("predict", model.predict(&x).unwrap_err()),
        ] {
            assert!(matches!(err, TrainError::LayerInput { .. }), "{err}");
            assert!(err.to_string().starts_with(what), "{err}");
            assert!(err.to_string().contains(message), "{err}");
        }
        assert_eq!(weights(&model), before);
    }

    // A convolution is held to its exact rank: two in a row with the wrong channels.
    let mut rng = StdRng::seed_from_u64(0);
    let convs = Sequential::<f32>::new()
        .add(Conv2d::new(1, 2, 3, &mut rng))
        .add(Conv2d::new(3, 4, 3, &mut rng));
    let mut model = Model::new(convs, Mse, Sgd::new(0.1));
    let err = model.predict(&Tensor::zeros(&[2, 1, 8, 8])).unwrap_err();
    assert!(
        err.to_string()
            .contains("takes [N, 3, any, any], but the layers before it give [N, 2, 6, 6]"),
        "{err}"
    );
    // Inside a nested Sequential the layer is named by its path.
    let mut rng = StdRng::seed_from_u64(0);
    let nested = Sequential::<f32>::new()
        .add(Conv2d::new(1, 2, 3, &mut rng))
        .add(
            Sequential::new()
                .add(Flatten)
                .add(Linear::new(2 * 2 * 2, 1, &mut rng)),
        );
    let mut model = Model::new(nested, Mse, Sgd::new(0.1));
    let err = model.predict(&Tensor::zeros(&[6, 1, 6, 6])).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "predict: layer 1.1 (Linear(8 → 1)) takes [N, …, 8], but the layers before it give [N, 32]"
        ),
        "{err}"
    );

    // Validation images of another size than the training ones.
    let mut model = Model::new(small_cnn(), Mse, Sgd::new(0.1));
    let before = weights(&model);
    let (x, xv) = (
        Tensor::<f32>::zeros(&[6, 1, 4, 4]),
        Tensor::zeros(&[3, 1, 5, 5]),
    );
    let yv = Tensor::<f32>::zeros(&[3, 1]);
    let config = FitConfig::new().verbose(0).validation_data(&xv, &yv);
    let err = model.fit(&x, &y, config).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("validation data: layer 2 (Linear(8 → 1)) takes [N, …, 8], but the layers before it give [N, 18]"),
        "{err}"
    );
    assert_eq!(weights(&model), before);
}

/// A custom module that declares `input_features` but also takes extra axes without
/// saying so (`takes_leading_axes` left false) still trains past the first layer: the
/// layer check reads a declared shape as the last axes.
#[test]
fn a_custom_layer_declaring_its_features_takes_leading_axes_past_the_first_layer() {
    use autograd::Var;
    use nn::Module;
    struct Residual(Linear);
    impl Module for Residual {
        fn forward<'t>(&self, x: Var<'t>) -> Var<'t> {
            x + self.0.forward(x)
        }
        fn children(&self) -> Vec<(String, &dyn Module)> {
            vec![("0".into(), &self.0)]
        }
        fn children_mut(&mut self) -> Vec<&mut dyn Module> {
            vec![&mut self.0]
        }
        fn input_features(&self) -> Option<usize> {
            Some(4)
        }
    }
    let mut rng = StdRng::seed_from_u64(0);
    let net = Sequential::new()
        .add(Linear::new(3, 4, &mut rng))
        .add(Residual(Linear::new(4, 4, &mut rng)))
        .add(Flatten)
        .add(Linear::new(5 * 4, 1, &mut rng));
    let mut model = Model::new(net, Mse, Sgd::new(0.01));
    let x = Tensor::<f32>::rand_normal(&[6, 5, 3], 0.0, 1.0, &mut rng);
    let y = Tensor::<f32>::zeros(&[6, 1]);
    model
        .fit(&x, &y, FitConfig::new().epochs(1).verbose(0))
        .unwrap();
    assert_eq!(model.predict(&x).unwrap().shape(), &[6, 1]);
}

/// Token ids outside an Embedding's vocabulary (too large, negative, fractional) are an
/// error from `fit`, `evaluate` and `predict` naming the id, its position and the
/// vocabulary size — not a panic inside the forward pass — and nothing trains.
#[test]
fn token_ids_outside_the_vocabulary_are_errors_naming_the_id() {
    use nn::Embedding;
    let mut rng = StdRng::seed_from_u64(0);
    let net = Sequential::new()
        .add(Embedding::new(5, 3, &mut rng))
        .add(Flatten)
        .add(Linear::new(2 * 3, 1, &mut rng));
    let mut model = Model::new(net, Mse, Sgd::new(0.1));
    let before = weights(&model);
    let y = Tensor::<f32>::zeros(&[3, 1]);
    for (ids, message) in [
        (
            [[0.0, 1.0], [4.0, 5.0], [2.0, 3.0]],
            "index 5 (element 3 of the input) is not a token id in 0..5",
        ),
        ([[0.0, -1.0], [4.0, 1.0], [2.0, 3.0]], "index -1 (element 1"),
        ([[0.0, 1.0], [4.0, 1.5], [2.0, 3.0]], "index 1.5 (element 3"),
    ] {
        let x = Tensor::<f32>::from(ids);
        for err in [
            model.fit(&x, &y, FitConfig::new().verbose(0)).unwrap_err(),
            model.evaluate(&x, &y).unwrap_err(),
            model.predict(&x).unwrap_err(),
        ] {
            assert!(matches!(err, TrainError::InputValues { .. }), "{err}");
            assert!(err.to_string().contains(message), "{err}");
        }
    }
    assert_eq!(weights(&model), before);
    // Valid ids train.
    let x = Tensor::<f32>::from([[0.0, 1.0], [4.0, 2.0], [2.0, 3.0]]);
    model
        .fit(&x, &y, FitConfig::new().epochs(1).verbose(0))
        .unwrap();
}

/// Outside `fit`'s loop a model is in evaluation mode, whatever ended the call: a result,
/// an error found while checking the inputs (here: sample weights of the wrong length,
/// found after the one-row shape check), or a panic in a callback.
#[test]
fn fit_leaves_the_model_in_evaluation_mode_after_an_error_or_a_panic() {
    let (x, y) = data();
    let mut rng = StdRng::seed_from_u64(0);
    let net = Sequential::new()
        .add(Linear::new(1, 4, &mut rng))
        .add(Dropout::new(0.5, 7))
        .add(Linear::new(4, 1, &mut rng));
    let mut model = Model::new(net, Mse, Sgd::new(0.01));
    // In evaluation mode Dropout is the identity, so two forward passes agree.
    let in_evaluation_mode = |model: &Model| {
        let tape = Tape::inference();
        let a = model.module().forward(tape.constant(x.clone())).value();
        let b = model.module().forward(tape.constant(x.clone())).value();
        a.to_vec() == b.to_vec()
    };
    // A new Dropout starts in training mode (as in PyTorch); `fit` ends in evaluation.
    assert!(!in_evaluation_mode(&model));
    // An error found before any data check (rows of x and y differ).
    let early = model.fit(&x, &y.narrow(0, 0, 5), FitConfig::new().verbose(0));
    assert!(early.is_err());
    assert!(in_evaluation_mode(&model), "after an early error");
    model.module_mut().set_training(true);
    model
        .fit(&x, &y, FitConfig::new().epochs(1).verbose(0))
        .unwrap();
    assert!(in_evaluation_mode(&model), "after a fit that succeeded");
    model.module_mut().set_training(true);

    let bad = FitConfig::new()
        .epochs(1)
        .verbose(0)
        .sample_weight(&Tensor::ones(&[3]));
    assert!(model.fit(&x, &y, bad).is_err());
    assert!(in_evaluation_mode(&model), "after an input error");

    let panicking = LambdaCallback::new(
        |_, _: &nn::train::Logs, _: &mut nn::train::TrainContext<'_, f32>| {
            panic!("callback failed")
        },
    );
    let cfg = FitConfig::new().epochs(2).verbose(0).callback(panicking);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.fit(&x, &y, cfg)));
    assert!(caught.is_err());
    assert!(in_evaluation_mode(&model), "after a panicking callback");
}

/// The checks before training run the model on one row; an `Embedding` with `max_norm`
/// rescales the rows it looks up in place (as PyTorch's does), and a `fit` those checks
/// refuse must still leave its weights as they were.
#[test]
fn a_refused_fit_leaves_max_norm_embeddings_unchanged() {
    let mut rng = StdRng::seed_from_u64(0);
    let net = Sequential::<f32>::new()
        .add(nn::Embedding::new(5, 8, &mut rng).with_max_norm(0.5))
        .add(Flatten);
    let mut model = Model::new(net, Mse, Adam::new(1e-3));
    let before = weights(&model);
    let ids = Tensor::<f32>::from([[0.0], [1.0], [2.0], [3.0]]);
    // The prediction is [4, 8]; targets [4, 3] do not fit it.
    let err = model
        .fit(&ids, &Tensor::zeros(&[4, 3]), FitConfig::new().verbose(0))
        .unwrap_err();
    assert!(matches!(err, TrainError::Targets { .. }), "{err}");
    assert_eq!(weights(&model), before);
}

/// Settings that cannot train are errors before the first update: a clipping bound that
/// is not positive (NaN used to panic mid-training in `clamp`, or be ignored), and
/// `drop_last` with fewer rows than one batch (it used to return `Ok` with no update).
#[test]
fn settings_that_cannot_train_are_refused() {
    let (x, y) = data();
    for (model, name) in [
        (
            Model::new(net(), Mse, Sgd::new(0.1)).clip_grad_value(f64::NAN),
            "clip_grad_value",
        ),
        (
            Model::new(net(), Mse, Sgd::new(0.1)).clip_grad_value(-1.0),
            "clip_grad_value",
        ),
        (
            Model::new(net(), Mse, Sgd::new(0.1)).clip_grad_norm(f64::NAN),
            "clip_grad_norm",
        ),
        (
            Model::new(net(), Mse, Sgd::new(0.1)).clip_grad_norm(0.0),
            "clip_grad_norm",
        ),
    ] {
        let mut model = model;
        let before = weights(&model);
        let err = model.fit(&x, &y, FitConfig::new().verbose(0)).unwrap_err();
        assert!(matches!(err, TrainError::Config { .. }), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("{name} must be positive")),
            "{err}"
        );
        assert_eq!(weights(&model), before);
    }
    let mut model = Model::new(net(), Mse, Sgd::new(0.1));
    let err = model
        .fit(
            &x,
            &y,
            FitConfig::new().batch_size(32).drop_last(true).verbose(0),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("drop_last drops all 20 training rows"),
        "{err}"
    );
}

/// A loss whose own settings are unusable (Huber's δ = 0 makes every loss 0, a negative
/// δ a negative loss) is [`TrainError::LossConfig`] from `fit` and `evaluate`, naming
/// the loss and δ, before anything looks at the data or the model.
#[test]
fn a_loss_with_unusable_settings_is_refused() {
    let (x, y) = data();
    for delta in [0.0, -1.0, f64::NAN] {
        let mut model = Model::new(net(), nn::loss::Huber(delta), Sgd::new(0.1));
        let before = weights(&model);
        let err = model.fit(&x, &y, FitConfig::new().verbose(0)).unwrap_err();
        assert!(matches!(err, TrainError::LossConfig { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!(
                "fit: the huber loss cannot be used: delta must be positive and finite, got {delta}"
            )
        );
        assert_eq!(weights(&model), before);
        let err = model.evaluate(&x, &y).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("evaluate: the huber loss cannot be used"),
            "{err}"
        );
    }
}
