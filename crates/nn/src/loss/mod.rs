//! Loss functions, following PyTorch's definitions (values and gradients), as functions
//! and as structs implementing [`Loss`] for [`crate::Model`].
//!
//! Every loss takes the prediction as a `Var` and the target as a constant tensor, and
//! reduces with [`Reduction`] (default `Mean`).
//!
//! | loss | per element / row | notes |
//! |---|---|---|
//! | [`mse_loss`] | `(p − y)²` | |
//! | [`l1_loss`] | `|p − y|` | MAE |
//! | [`huber_loss`] | `½d²` if `|d| < δ`, else `δ(|d| − ½δ)` | `d = p − y` |
//! | [`binary_cross_entropy`] | `−[y·ln p + (1−y)·ln(1−p)]` | logs clamped at −100 as PyTorch |
//! | [`binary_cross_entropy_with_logits`] | `softplus(x) − x·y` | stable for any logit |
//! | [`cross_entropy`] | `logsumexp(x) − x_y` | logits, class indices (or probabilities `[N, C]`, as [`cross_entropy_probs`]); fused log-softmax |
//! | [`cross_entropy_probs`] | `−Σ_c y_c·log_softmax(x)_c` | logits, probability targets |
//! | [`nll_loss`] | `−logp_y` | log-probabilities: maximum likelihood |
//! | [`kl_div`] | `y·(ln y − logp)` | log-prob input, prob target; `0·ln 0 = 0` |
//! | [`gaussian_nll_loss`] | `½(ln σ² + (μ − y)²/σ²)` | maximum likelihood for regression |
//! | [`categorical_crossentropy_probs`] | `−Σ_c y_c·ln p_c` | probabilities, Keras' clipping to `[1e-7, 1 − 1e-7]` |
//! | [`binary_crossentropy_probs`] | `−[y·ln p + (1−y)·ln(1−p)]` | probabilities, clipped as Keras |
//!
//! What each loss takes is part of its type: [`CrossEntropy`] and [`BceWithLogits`] take
//! logits (PyTorch), [`Bce`] probabilities, [`Nll`] and [`KlDiv`] log-probabilities, and
//! Keras' [`SparseCategoricalCrossentropy`], [`CategoricalCrossentropy`] and
//! [`BinaryCrossentropy`] probabilities unless told `from_logits(true)`.
//! [`Loss::prediction`] reports it, and `fit` warns when the model's last layer
//! disagrees (a Softmax output into a loss that applies softmax again).
//!
//! For padded sequences, compute per-element losses (`Reduction::None`) and average them
//! over the real steps with [`masked_mean`].

mod keras;
mod losses;
mod masked;

pub use keras::{
    binary_crossentropy_probs, categorical_crossentropy_probs, get, BinaryCrossentropy,
    CategoricalCrossentropy, Prediction, SparseCategoricalCrossentropy,
};
pub use losses::{Bce, BceWithLogits, CrossEntropy, Huber, KlDiv, Loss, Mae, Mse, Nll};
pub use masked::masked_mean;

use autograd::Var;
use tensor::{Float, Tensor};

/// How per-element losses are combined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The mean over all elements (or over samples, for row-wise losses).
    #[default]
    Mean,
    /// The sum.
    Sum,
    /// No reduction: one loss per element (or per sample).
    None,
    /// The sum divided by the batch size: the true KL divergence per sample
    /// (`kl_div` only; elsewhere the same as `Mean` over samples).
    BatchMean,
}

fn reduce<'t, T: Float>(per: Var<'t, T>, reduction: Reduction, batch: usize) -> Var<'t, T> {
    match reduction {
        Reduction::Mean => per.mean_all(),
        Reduction::Sum => per.sum_all(),
        Reduction::None => per,
        // An empty batch gives 0/0 = NaN, as PyTorch's division by `input.size(0)` (and
        // as `Mean` does here).
        Reduction::BatchMean => per.sum_all() / T::from_usize(batch),
    }
}

/// Per-element losses `[N, …]` to one per sample `[N]`: the mean over the other axes.
fn row_mean<T: Float>(per: Var<'_, T>) -> Var<'_, T> {
    let shape = per.shape();
    if shape.len() <= 1 {
        return per;
    }
    per.reshape(&[shape[0] as isize, -1]).mean(1, false)
}

#[track_caller]
fn check_same_shape<T: Float>(op: &str, pred: &Var<'_, T>, target: &Tensor<T>) {
    assert!(
        pred.shape() == target.shape(),
        "{op}: prediction of shape {:?} and target of shape {:?} differ",
        pred.shape(),
        target.shape()
    );
}

/// Mean squared error.
///
/// ```
/// use autograd::Tape;
/// use nn::loss::{mse_loss, Reduction};
/// use tensor::Tensor;
/// let tape = Tape::new();
/// let p = tape.var(Tensor::from([1.0f64, 2.0]));
/// let l = mse_loss(p, &Tensor::from([0.0, 4.0]), Reduction::Mean);
/// assert_eq!(l.item(), (1.0 + 4.0) / 2.0);
/// ```
///
/// # Panics
/// If the shapes differ.
#[track_caller]
#[must_use]
pub fn mse_loss<'t, T: Float>(
    pred: Var<'t, T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<'t, T> {
    check_same_shape("mse_loss", &pred, target);
    let d = pred - pred.tape().constant(target.clone());
    reduce(
        d.square(),
        reduction,
        target.shape().first().copied().unwrap_or(1),
    )
}

/// Mean absolute error (L1).
///
/// # Panics
/// If the shapes differ.
#[track_caller]
#[must_use]
pub fn l1_loss<'t, T: Float>(
    pred: Var<'t, T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<'t, T> {
    check_same_shape("l1_loss", &pred, target);
    let d = pred - pred.tape().constant(target.clone());
    reduce(
        d.abs(),
        reduction,
        target.shape().first().copied().unwrap_or(1),
    )
}

/// `delta` of a Huber loss: positive and finite (for an infinite one, the linear branch's
/// gradient would be 0·∞ = NaN; use `mse_loss`, which it would equal up to ½).
pub(crate) fn check_huber_delta(delta: f64) -> Result<(), String> {
    if delta > 0.0 && delta.is_finite() {
        Ok(())
    } else {
        Err(format!("delta must be positive and finite, got {delta}"))
    }
}

/// Huber loss with threshold `delta` (PyTorch `HuberLoss`, Keras `Huber`).
///
/// # Panics
/// If the shapes differ, or `delta` is not positive and finite (PyTorch refuses a
/// non-positive one: the loss would be negative or zero).
#[track_caller]
#[must_use]
pub fn huber_loss<'t, T: Float>(
    pred: Var<'t, T>,
    target: &Tensor<T>,
    delta: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    if let Err(e) = check_huber_delta(delta) {
        panic!("huber_loss: {e}");
    }
    check_same_shape("huber_loss", &pred, target);
    let d = pred - pred.tape().constant(target.clone());
    let dl = T::from_f64(delta);
    let inside = d.value().abs().lt_scalar(dl);
    let quadratic = d.square() * T::from_f64(0.5);
    let linear = (d.abs() - T::from_f64(0.5 * delta)) * dl;
    reduce(
        Var::where_(&inside, quadratic, linear),
        reduction,
        target.shape().first().copied().unwrap_or(1),
    )
}

/// Binary cross-entropy on probabilities, with PyTorch's clamp of each log at −100 (so
/// `p = 0` or `1` gives a large finite loss rather than infinity), computed by the fused
/// op [`Var::binary_cross_entropy`]: a zero-weight term is dropped (`p = 1, y = 1` is
/// exactly 0), `ln(1 − p)` is `log1p(−p)`, and the gradient
/// `(p − y) / max(p(1 − p), 1e-12)` (PyTorch's) stays finite when a sigmoid saturates to
/// exactly 0 or 1 in f32 (|logit| above about 17).
///
/// # Panics
/// If the shapes differ.
///
/// ```
/// use autograd::Tape;
/// use nn::loss::{binary_cross_entropy, Reduction};
/// use tensor::Tensor;
/// let tape = Tape::new();
/// let logit = tape.var(Tensor::from([20.0f32]));
/// let p = logit.sigmoid(); // rounds to exactly 1.0 in f32
/// let l = binary_cross_entropy(p, &Tensor::from([1.0]), Reduction::Mean);
/// assert_eq!(l.item(), 0.0);
/// assert!(l.backward()[&logit].item().is_finite()); // was NaN (0/0 in ln's rule)
/// ```
#[track_caller]
#[must_use]
pub fn binary_cross_entropy<'t, T: Float>(
    p: Var<'t, T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<'t, T> {
    check_same_shape("binary_cross_entropy", &p, target);
    let per = p.binary_cross_entropy(target);
    reduce(per, reduction, target.shape().first().copied().unwrap_or(1))
}

/// `Σ weight · term` elementwise with the terms whose weight is exactly 0 dropped rather
/// than multiplied (so `0 · (−∞)` is 0, the limit `0 · ln 0 = 0`, not NaN). The dropped
/// terms receive a zero gradient.
pub(crate) fn weighted<'t, T: Float>(weight: &Tensor<T>, term: Var<'t, T>) -> Var<'t, T> {
    let tape = term.tape();
    let kept = weight.map(|w| if w == T::ZERO { T::ZERO } else { T::ONE });
    let zeros = tape.constant(Tensor::zeros(weight.shape()));
    Var::where_(&kept, term * tape.constant(weight.clone()), zeros)
}

/// Binary cross-entropy on logits, stable for any logit: `softplus(x) − x·y`, whose
/// gradient is `σ(x) − y`. Computed as `(1 − y)·softplus(x) + y·softplus(−x)` (the same
/// function, `softplus(x) − x = softplus(−x)`), a sum of non-negative terms: the direct
/// form cancels when the logit is confidently right (x = 20, y = 1: `20 + 2e-9 − 20`
/// is 0 in f32, not 2.1e-9).
///
/// # Panics
/// If the shapes differ.
#[track_caller]
#[must_use]
pub fn binary_cross_entropy_with_logits<'t, T: Float>(
    logits: Var<'t, T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<'t, T> {
    check_same_shape("binary_cross_entropy_with_logits", &logits, target);
    let per = weighted(&target.rsub_scalar(T::ONE), logits.softplus())
        + weighted(target, logits.neg().softplus());
    reduce(per, reduction, target.shape().first().copied().unwrap_or(1))
}

/// Cross-entropy of logits `[N, C]` against class indices `[N]` (whole numbers stored as
/// floats), through a fused, stable log-softmax: `logsumexp(x) − x_y` per sample. The
/// gradient with respect to the logits is `softmax(x) − onehot(y)` (÷N under `Mean`).
///
/// As PyTorch's `cross_entropy`, a target of the logits' own shape `[N, C]` is read as
/// class probabilities (one-hot rows, soft labels) and goes to [`cross_entropy_probs`].
///
/// # Panics
/// If the shapes do not fit or a label is outside `0..C`; see [`check_class_targets`].
///
/// ```
/// use autograd::Tape;
/// use nn::loss::{cross_entropy, Reduction};
/// use tensor::Tensor;
/// let tape = Tape::new();
/// let logits = tape.var(Tensor::from([[0.0f64, 0.0]]));
/// let l = cross_entropy(logits, &Tensor::from([1.0]), Reduction::Mean);
/// approx::assert_relative_eq!(l.item(), 2.0f64.ln());
/// ```
#[track_caller]
#[must_use]
pub fn cross_entropy<'t, T: Float>(
    logits: Var<'t, T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<'t, T> {
    if is_probability_target(&logits.shape(), target) {
        return cross_entropy_probs(logits, target, reduction);
    }
    nll_loss(logits.log_softmax(1), target, reduction)
}

/// Whether `target` has the logits' own shape `[N, C]`: class probabilities, in
/// PyTorch's reading of a cross-entropy target (class indices have no class axis). Only
/// for 2-D logits: PyTorch puts the classes of `[N, C, d…]` on axis 1 where Keras puts
/// them last, so higher ranks are not guessed at.
pub(crate) fn is_probability_target<T: Float>(logits_shape: &[usize], target: &Tensor<T>) -> bool {
    logits_shape.len() == 2 && target.shape() == logits_shape
}

/// Cross-entropy of logits `[N, C]` against probability targets `[N, C]` (soft labels,
/// label smoothing): `−Σ_c y_c · log_softmax(x)_c` per sample.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
#[must_use]
pub fn cross_entropy_probs<'t, T: Float>(
    logits: Var<'t, T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<'t, T> {
    check_same_shape("cross_entropy_probs", &logits, target);
    // A masked class (logit −∞) with target 0 contributes 0, not 0·(−∞).
    let per = -weighted(target, logits.log_softmax(1)).sum(1, false);
    reduce(per, reduction, target.shape()[0])
}

/// Negative log-likelihood of log-probabilities `[N, C]` at class indices `[N]`:
/// `−logp[n, y_n]` (maximum likelihood for a categorical model).
///
/// # Panics
/// If the shapes do not fit or a label is outside `0..C`.
#[track_caller]
#[must_use]
pub fn nll_loss<'t, T: Float>(
    log_probs: Var<'t, T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<'t, T> {
    if let Err(e) = check_class_targets(&log_probs.shape(), target) {
        panic!("nll_loss: {e}");
    }
    let n = target.numel();
    let picked = log_probs
        .gather(1, &target.reshape(&[n as isize, 1]))
        .reshape(&[n as isize]);
    reduce(-picked, reduction, n)
}

/// Checks binary targets against predictions: the same shape, and every target a
/// probability in `[0, 1]` (NaN included in the rejection).
///
/// # Errors
/// A message naming the shapes, or the first bad target and its row.
pub fn check_probability_targets<T: Float>(
    pred_shape: &[usize],
    target: &Tensor<T>,
) -> Result<(), String> {
    if pred_shape != target.shape() {
        return Err(format!(
            "predictions have shape {pred_shape:?} but targets have shape {:?}",
            target.shape()
        ));
    }
    let row_len = target.shape().iter().skip(1).product::<usize>().max(1);
    match target
        .to_vec()
        .iter()
        .position(|v| !(v.to_f64() >= 0.0 && v.to_f64() <= 1.0))
    {
        Some(i) => Err(format!(
            "target {} in row {} is not a probability in [0, 1] (binary cross-entropy \
             trains to a negative loss on such targets)",
            target.to_vec()[i],
            i / row_len
        )),
        None => Ok(()),
    }
}

/// Checks that `target` holds one class index in `0..C` per row of `[N, C]` predictions.
///
/// # Errors
/// A message naming the shapes or the first bad label and its row.
pub fn check_class_targets<T: Float>(
    pred_shape: &[usize],
    target: &Tensor<T>,
) -> Result<(), String> {
    if pred_shape.len() != 2 {
        return Err(format!(
            "expected predictions of shape [N, C], got {pred_shape:?}"
        ));
    }
    let (n, c) = (pred_shape[0], pred_shape[1]);
    if target.numel() != n || target.ndim() > 2 || (target.ndim() == 2 && target.shape()[1] != 1) {
        return Err(format!(
            "expected {n} class labels of shape [{n}], got shape {:?}",
            target.shape()
        ));
    }
    for (row, v) in target.to_vec().iter().enumerate() {
        let f = v.to_f64();
        if f.fract() != 0.0 || f < 0.0 || f >= c as f64 {
            return Err(format!(
                "label {v} in row {row} is not a class index in 0..{c}"
            ));
        }
    }
    Ok(())
}

/// KL divergence `Σ y·(ln y − input)` with `input` log-probabilities and `target`
/// probabilities (PyTorch `KLDivLoss`, `log_target=False`); terms with `y = 0` contribute
/// 0. Use `Reduction::BatchMean` for the true per-sample KL divergence.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
#[must_use]
pub fn kl_div<'t, T: Float>(
    input: Var<'t, T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<'t, T> {
    check_same_shape("kl_div", &input, target);
    let tape = input.tape();
    let y_ln_y = target.map(|y| if y > T::ZERO { y * y.ln() } else { T::ZERO });
    // Terms with y = 0 are 0 (xlogy), also where the log-probability is −∞.
    let per = tape.constant(y_ln_y) - weighted(target, input);
    reduce(per, reduction, target.shape().first().copied().unwrap_or(1))
}

/// Gaussian negative log-likelihood (PyTorch `GaussianNLLLoss`, `full=False`):
/// `½(ln max(σ², eps) + (μ − y)²/max(σ², eps))` per element, with `eps = 1e-6`. With a
/// fixed σ² this is MSE scaled by `1/(2σ²)` plus a constant: least squares is maximum
/// likelihood under Gaussian noise. The clamp at `eps` does not block the gradient
/// (PyTorch clamps under `no_grad`, straight-through), so a variance that collapsed below
/// `eps` still gets a gradient and can recover.
///
/// `var` has the shape of `mean`, or that shape without its last axis (one variance per
/// sample, PyTorch's unsqueeze), or a last axis of 1 (one variance shared by the
/// sample's elements), as PyTorch accepts.
///
/// # Panics
/// If `mean` and `target` differ in shape, `var` has none of the shapes above ("var is
/// of incorrect size" in PyTorch), or a variance is negative (PyTorch's "var has
/// negative entry/entries").
#[track_caller]
#[must_use]
pub fn gaussian_nll_loss<'t, T: Float>(
    mean: Var<'t, T>,
    target: &Tensor<T>,
    var: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    check_same_shape("gaussian_nll_loss", &mean, target);
    let (shape, var_shape) = (mean.shape(), var.shape());
    let var = if var_shape == shape {
        var
    } else if !shape.is_empty() && var_shape == shape[..shape.len() - 1] {
        let mut with_axis: Vec<isize> = var_shape.iter().map(|&d| d as isize).collect();
        with_axis.push(1);
        var.reshape(&with_axis)
    } else if !shape.is_empty()
        && var_shape.len() == shape.len()
        && var_shape[..shape.len() - 1] == shape[..shape.len() - 1]
        && var_shape[shape.len() - 1] == 1
    {
        var
    } else {
        panic!(
            "gaussian_nll_loss: var of shape {var_shape:?} does not fit the mean's {shape:?} \
             (expected that shape, that shape without its last axis, or a last axis of 1)"
        );
    };
    if let Some(v) = var.value().to_vec().into_iter().find(|v| *v < T::ZERO) {
        panic!("gaussian_nll_loss: var has a negative entry ({v})");
    }
    // PyTorch clamps the variance at eps without blocking its gradient
    // (straight-through): a collapsed variance can still grow back.
    let eps = T::from_f64(1e-6);
    let lifted = var.value().map(|v| if v < eps { eps - v } else { T::ZERO });
    let var = var + var.tape().constant(lifted);
    let d = mean - mean.tape().constant(target.clone());
    let per = (var.ln() + d.square() / var) * T::from_f64(0.5);
    reduce(per, reduction, target.shape().first().copied().unwrap_or(1))
}
