//! Values and sizes at the edges, found by an adversarial review: sizes whose products
//! overflow, labels that cannot be class indices, PyTorch's and Keras' rules for a few
//! losses and for validation. Expected values come from the maths or from PyTorch's and
//! Keras' documented behaviour.

use autograd::Tape;
use nn::data::{timeseries_dataset_from_array, Dataset, SplitOptions, Windows};
use nn::loss::{gaussian_nll_loss, kl_div, masked_mean, Mse, Reduction};
use nn::optim::Sgd;
use nn::train::FitConfig;
use nn::{Conv1d, Linear, Model, Module, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{Conv2dParams, Tensor};

fn panic_message(f: impl FnOnce()) -> String {
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
    err.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn a_convolution_whose_output_size_overflows_is_an_error() {
    let x = Tensor::<f32>::zeros(&[0, 1, 1 << 40, 1 << 40]);
    let err = x
        .try_conv2d(&Tensor::zeros(&[1, 1, 1, 1]), Conv2dParams::default())
        .unwrap_err();
    assert!(err.to_string().contains("conv2d"), "{err}");
    // A real batch whose output positions (2^48 per sample, from huge padding) times the
    // batch overflow: the whole output's size is checked too.
    let x = Tensor::<f32>::zeros(&[1 << 16, 1, 1, 1]);
    let p = Conv2dParams {
        padding: [1 << 23, 1 << 23],
        ..Conv2dParams::default()
    };
    let err = x.try_conv2d(&Tensor::zeros(&[1, 1, 1, 1]), p).unwrap_err();
    assert!(err.to_string().contains("conv2d"), "{err}");
}

#[test]
fn windows_spanning_more_than_usize_fit_nowhere() {
    let err = timeseries_dataset_from_array(
        &Tensor::<f32>::zeros(&[10, 1]),
        None,
        Windows::new(1 << 40).sampling_rate(1 << 30),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no window"), "{err}");
}

#[test]
fn a_stratified_split_needs_one_small_class_index_per_row() {
    let strat = SplitOptions {
        stratify: true,
        ..SplitOptions::new(0.5, 0)
    };
    let x = Tensor::<f32>::zeros(&[4, 1]);
    let huge = Dataset::new(x.clone(), Tensor::from([0.0, 0.0, 1e19, 1e19])).unwrap();
    let err = huge.train_test_split_with(strat).unwrap_err().to_string();
    assert!(err.contains("stratify"), "{err}");
    let two = Tensor::from([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]);
    let err = Dataset::new(x, two)
        .unwrap()
        .train_test_split_with(strat)
        .unwrap_err()
        .to_string();
    assert!(err.contains("one class index per row"), "{err}");
}

/// PyTorch's `GaussianNLLLoss`: a `var` of `input.shape[:-1]` is unsqueezed (here one
/// variance per row: ½(ln 1 + 1/1) and ½(ln 4 + 4/4), mean 0.8465736), other shapes and
/// negative variances are errors.
#[test]
fn gaussian_nll_takes_pytorchs_variance_shapes_and_refuses_negative_ones() {
    let tape = Tape::<f64>::new();
    let mean = tape.var(Tensor::from([[0.0], [0.0]]));
    let target = Tensor::from([[1.0], [2.0]]);
    let per_row = tape.var(Tensor::from([1.0, 4.0]));
    let l = gaussian_nll_loss(mean, &target, per_row, Reduction::Mean);
    let expected = (0.5 * (0.0 + 1.0) + 0.5 * (4.0f64.ln() + 1.0)) / 2.0;
    approx::assert_relative_eq!(l.item(), expected, max_relative = 1e-12);
    // One variance shared by a row's elements: a last axis of 1 against mean [2, 2].
    let mean2 = tape.var(Tensor::from([[0.0, 0.0], [0.0, 0.0]]));
    let target2 = Tensor::from([[1.0, 1.0], [2.0, 2.0]]);
    let shared = tape.var(Tensor::from([[1.0], [4.0]]));
    let l = gaussian_nll_loss(mean2, &target2, shared, Reduction::Mean);
    approx::assert_relative_eq!(l.item(), expected, max_relative = 1e-12);
    let wrong = tape.var(Tensor::from([1.0, 4.0, 9.0]));
    let msg = panic_message(|| {
        let _ = gaussian_nll_loss(mean, &target, wrong, Reduction::Mean);
    });
    assert!(msg.contains("does not fit the mean's [2, 1]"), "{msg}");
    let negative = tape.var(Tensor::from([[1.0], [-4.0]]));
    let msg = panic_message(|| {
        let _ = gaussian_nll_loss(mean, &target, negative, Reduction::Mean);
    });
    assert!(msg.contains("negative entry (-4)"), "{msg}");
}

/// A padded step whose loss is infinite (a masked class, a log of 0) is left out of the
/// mean, not multiplied by 0 (∞·0 is NaN).
#[test]
fn masked_mean_ignores_infinite_losses_at_padded_steps() {
    let tape = Tape::<f64>::new();
    let losses = tape.var(Tensor::from([1.0, f64::INFINITY]));
    let mean = masked_mean(losses, &Tensor::from([1.0, 0.0]));
    assert_eq!(mean.item(), 1.0);
    assert_eq!(mean.backward()[&losses].to_vec(), [1.0, 0.0]);
}

/// PyTorch's `batchmean` divides by `input.size(0)`: an empty batch gives NaN, as `mean`.
#[test]
fn kl_div_batchmean_of_an_empty_batch_is_nan() {
    let tape = Tape::<f64>::new();
    let input = tape.var(Tensor::zeros(&[0, 3]));
    let l = kl_div(input, &Tensor::zeros(&[0, 3]), Reduction::BatchMean);
    assert!(l.item().is_nan());
}

fn xy() -> (Tensor<f32>, Tensor<f32>) {
    let x = Tensor::<f32>::linspace(-1.0, 1.0, 20).reshape(&[20, 1]);
    (x.clone(), x.mul_scalar(3.0))
}

fn sgd_model() -> Model<f32> {
    let mut rng = StdRng::seed_from_u64(0);
    Model::new(
        Sequential::new().add(Linear::new(1, 1, &mut rng)),
        Mse,
        Sgd::new(0.0),
    )
}

/// Keras: explicit `validation_data` wins over `validation_split` whatever the order, and
/// a split of 0 (Keras' default) means no validation.
#[test]
fn validation_data_wins_over_a_split_and_a_split_of_zero_is_none() {
    let (x, y) = xy();
    let (xv, yv) = (Tensor::<f32>::full(&[4, 1], 10.0), Tensor::zeros(&[4, 1]));
    let val_loss = |cfg: FitConfig<f32>| {
        let h = sgd_model().fit(&x, &y, cfg.epochs(1).verbose(0)).unwrap();
        h.get("val_loss").map(|v| v[0])
    };
    let explicit = val_loss(FitConfig::new().validation_data(&xv, &yv)).unwrap();
    let data_then_split = FitConfig::new()
        .validation_data(&xv, &yv)
        .validation_split(0.2);
    let split_then_data = FitConfig::new()
        .validation_split(0.2)
        .validation_data(&xv, &yv);
    assert_eq!(val_loss(data_then_split), Some(explicit));
    assert_eq!(val_loss(split_then_data), Some(explicit));
    assert_eq!(val_loss(FitConfig::new().validation_split(0.0)), None);
}

#[test]
fn a_conv1d_mistake_names_conv1d_and_the_shapes_given() {
    let mut rng = StdRng::seed_from_u64(0);
    let conv: Conv1d<f32> = Conv1d::builder(2, 3, 5).build1d(&mut rng);
    let tape = Tape::new();
    let x = tape.constant(Tensor::zeros(&[1, 2, 3]));
    let msg = panic_message(|| {
        let _ = conv.forward(x);
    });
    assert!(
        msg.starts_with("Conv1d: input [1, 2, 3] is shorter than the kernel: 5 taps"),
        "{msg}"
    );
}

#[test]
fn a_functional_conv1d_mistake_names_conv1d_and_the_shapes_given() {
    let tape = Tape::<f32>::new();
    let x = tape.constant(Tensor::zeros(&[1, 2, 3]));
    let w = tape.var(Tensor::zeros(&[3, 2, 5]));
    let msg = panic_message(|| {
        let _ = x.conv1d(w, 1, 0, 1, 1);
    });
    assert!(
        msg.starts_with("conv1d: input [1, 2, 3], weight [3, 2, 5]: kernel 5"),
        "{msg}"
    );
}

/// A callback's saved counter (EarlyStopping's `wait`, say) comes back only as a whole
/// number that can still be counted on from; 1e300 used to become usize::MAX and
/// overflow at the next epoch.
#[test]
fn a_callback_count_from_a_file_is_bounded() {
    for (value, expected) in [(3.0, Some(3)), (1e300, None), (-1.0, None), (2.5, None)] {
        let mut state = nn::train::CallbackState::<f32>::new("EarlyStopping");
        state.set("wait", value);
        assert_eq!(state.count("wait"), expected, "{value}");
    }
}

/// `Linear` takes `[*, in]` (PyTorch), so `fit` takes `[N, T, features]` for a model that
/// starts with one, as Keras' `Dense` does: the same weights act on every step.
#[test]
fn fit_takes_extra_leading_axes_before_a_first_linear() {
    // y = 2·x₀ − x₁ at every step of every sequence.
    let mut rng = StdRng::seed_from_u64(3);
    let x = Tensor::<f32>::rand_uniform(&[32, 4, 2], -1.0, 1.0, &mut rng);
    let y = (&x.narrow(2, 0, 1).mul_scalar(2.0) - &x.narrow(2, 1, 1)).contiguous();
    let net = Sequential::new().add(Linear::new(2, 1, &mut rng));
    let mut model = Model::new(net, Mse, nn::optim::Adam::new(0.05));
    let history = model
        .fit(
            &x,
            &y,
            FitConfig::new().epochs(200).batch_size(8).verbose(0),
        )
        .unwrap();
    assert!(history.get("loss").unwrap().last().unwrap() < &1e-4);
    assert_eq!(model.predict(&x).unwrap().shape(), &[32, 4, 1]);
    let w = model.module().parameters()[0].1.value().to_vec();
    assert!(
        (w[0] - 2.0).abs() < 0.02 && (w[1] + 1.0).abs() < 0.02,
        "{w:?}"
    );
}
