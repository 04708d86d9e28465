//! `BatchNorm1d` and `BatchNorm2d`, with PyTorch's conventions: one implementation
//! (`Stats`) normalizing per channel over every other axis.

use autograd::{Param, Var};
use tensor::{Float, Tensor};

use crate::module::{Module, Named};

/// Batch normalization over `[N, C]` or `[N, C, L]` inputs, per channel `C`.
///
/// * Training: normalize with the batch mean and the *biased* batch variance, then
///   `y = γ·x̂ + β`; update the running statistics with PyTorch's momentum convention
///   `running = (1 − momentum)·running + momentum·batch` (momentum 0.1), where the
///   running variance uses the *unbiased* batch variance.
/// * Evaluation: normalize with the running statistics.
/// * `eps = 1e-5` is added to the variance.
/// * Buffers, as in PyTorch's state dict: `running_mean`, `running_var`, and
///   `num_batches_tracked` (training batches seen; saved as an int64 scalar).
///
/// Keras' `BatchNormalization(momentum=0.99)` writes the same update as
/// `moving = moving·0.99 + batch·0.01`, so Keras' `m` is PyTorch's `1 − m`: Keras 0.99 is
/// our 0.01. (Keras also uses eps 1e-3 and the biased variance for its moving average.)
#[doc(alias = "BatchNormalization")]
#[derive(Debug)]
pub struct BatchNorm1d<T: Float = f32>(Stats<T>);

/// The state and the forward pass both batch norms share: per-channel γ, β and running
/// statistics, with the channel on axis 1.
#[derive(Debug)]
struct Stats<T: Float> {
    weight: Param<T>,
    bias: Param<T>,
    running_mean: Param<T>,
    running_var: Param<T>,
    num_batches_tracked: Param<T>,
    momentum: f64,
    eps: f64,
    training: bool,
}

impl<T: Float> BatchNorm1d<T> {
    /// A layer for `features` channels: γ = 1, β = 0, running mean 0 and variance 1.
    #[must_use]
    pub fn new(features: usize) -> Self {
        BatchNorm1d(Stats::new(features))
    }

    /// Sets the momentum (PyTorch convention; see the type's docs).
    #[must_use]
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.0.momentum = momentum;
        self
    }

    /// Sets eps.
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.0.eps = eps;
        self
    }

    /// The running mean.
    pub fn running_mean(&self) -> Tensor<T> {
        self.0.running_mean.value()
    }

    /// The running (unbiased) variance.
    pub fn running_var(&self) -> Tensor<T> {
        self.0.running_var.value()
    }

    /// How many training-mode batches have updated the running statistics (PyTorch's
    /// `num_batches_tracked`).
    pub fn num_batches_tracked(&self) -> u64 {
        self.0.num_batches_tracked.value().to_vec()[0].to_f64() as u64
    }
}

impl<T: Float> Stats<T> {
    fn new(features: usize) -> Self {
        Stats {
            weight: Param::new("weight", Tensor::ones(&[features])),
            bias: Param::new("bias", Tensor::zeros(&[features])),
            running_mean: Param::new("running_mean", Tensor::zeros(&[features])),
            running_var: Param::new("running_var", Tensor::ones(&[features])),
            num_batches_tracked: Param::new("num_batches_tracked", Tensor::scalar(T::ZERO)),
            momentum: 0.1,
            eps: 1e-5,
            training: true,
        }
    }

    /// Normalizes `x` per channel (axis 1) over `axes` (every other axis), with per-channel
    /// tensors shaped `stat_shape` so they broadcast against `x`.
    /// `layer` names the layer in panic messages.
    #[track_caller]
    fn forward<'t>(
        &self,
        layer: &str,
        x: Var<'t, T>,
        axes: &[isize],
        stat_shape: &[isize],
    ) -> Var<'t, T> {
        let shape = x.shape();
        let tape = x.tape();
        let eps = T::from_f64(self.eps);
        let normalized = if self.training {
            let values_per_channel: usize = axes.iter().map(|&a| shape[a as usize]).product();
            assert!(
                values_per_channel > 1,
                "{layer}: expected more than 1 value per channel when training, got input \
                 of shape {shape:?}; use a batch size that leaves no single-row batch, \
                 FitConfig::drop_last(true), or evaluation mode"
            );
            let mean = x.mean_axes(axes, true);
            let var = x.var_axes(axes, 0, true);
            let n: usize = axes.iter().map(|&a| shape[a as usize]).product();
            // Running statistics (outside the graph): unbiased variance, PyTorch momentum.
            let m = T::from_f64(self.momentum);
            let unbiased = var
                .value()
                .mul_scalar(T::from_usize(n) / T::from_usize(n.saturating_sub(1).max(1)));
            let mut rm = self.running_mean.write();
            *rm = rm
                .mul_scalar(T::ONE - m)
                .add(&mean.value().reshape(&[-1]).mul_scalar(m));
            let mut rv = self.running_var.write();
            *rv = rv
                .mul_scalar(T::ONE - m)
                .add(&unbiased.reshape(&[-1]).mul_scalar(m));
            let mut count = self.num_batches_tracked.write();
            *count = count.add_scalar(T::ONE);
            (x - mean) / (var + eps).sqrt()
        } else {
            let mean = tape.constant(self.running_mean.value().reshape(stat_shape));
            let var = self.running_var.value().reshape(stat_shape);
            (x - mean) / tape.constant(var.add_scalar(eps).sqrt())
        };
        let gamma = tape.param(&self.weight).reshape(stat_shape);
        let beta = tape.param(&self.bias).reshape(stat_shape);
        normalized * gamma + beta
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        vec![("weight".into(), &self.weight), ("bias".into(), &self.bias)]
    }

    fn buffers(&self) -> Vec<Named<'_, T>> {
        vec![
            ("running_mean".into(), &self.running_mean),
            ("running_var".into(), &self.running_var),
            ("num_batches_tracked".into(), &self.num_batches_tracked),
        ]
    }
}

impl<T: Float> Module<T> for BatchNorm1d<T> {
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        let shape = x.shape();
        let c = self.0.weight.numel();
        assert!(
            (shape.len() == 2 || shape.len() == 3) && shape[1] == c,
            "BatchNorm1d: expected input [N, {c}] or [N, {c}, L], got {shape:?}"
        );
        // Statistics over every axis but the channel axis; per-channel tensors are shaped
        // [1, C] or [1, C, 1] so they broadcast against x.
        let c = c as isize;
        if shape.len() == 2 {
            self.0.forward("BatchNorm1d", x, &[0], &[1, c])
        } else {
            self.0.forward("BatchNorm1d", x, &[0, 2], &[1, c, 1])
        }
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        self.0.parameters()
    }

    fn buffers(&self) -> Vec<Named<'_, T>> {
        self.0.buffers()
    }

    fn set_training(&mut self, training: bool) {
        self.0.training = training;
    }

    fn uses_batch_statistics(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        format!("BatchNorm1d({})", self.0.weight.numel())
    }
}

/// Batch normalization over `[N, C, H, W]` inputs, per channel `C`, with statistics over
/// `N`, `H` and `W` (PyTorch `nn.BatchNorm2d`). Everything else is as [`BatchNorm1d`]
/// (the same code): batch statistics with the biased variance in training, running
/// statistics updated with momentum 0.1 from the unbiased variance (`n = N·H·W`), eps
/// 1e-5; parameters `weight` (γ) and `bias` (β), buffers `running_mean`, `running_var` and
/// `num_batches_tracked`.
///
/// # Panics
/// In `forward`, if the input is not `[N, C, H, W]` with the layer's `C`.
///
/// ```
/// use autograd::Tape;
/// use nn::{BatchNorm2d, Module};
/// use tensor::Tensor;
/// let bn = BatchNorm2d::<f64>::new(2);
/// let tape = Tape::new();
/// let x = Tensor::from_vec((0..16).map(|v| v as f64).collect(), &[2, 2, 2, 2]).unwrap();
/// let y = bn.forward(tape.constant(x)).value();
/// // Channel 0 holds 0..4 and 8..12: mean 5.5, so its first entry normalizes below zero.
/// assert!(y.to_vec()[0] < -1.0);
/// assert!((bn.running_mean().to_vec()[0] - 0.55).abs() < 1e-12);
/// ```
#[derive(Debug)]
pub struct BatchNorm2d<T: Float = f32>(Stats<T>);

impl<T: Float> BatchNorm2d<T> {
    /// A layer for `channels` channels: γ = 1, β = 0, running mean 0 and variance 1.
    #[must_use]
    pub fn new(channels: usize) -> Self {
        BatchNorm2d(Stats::new(channels))
    }

    /// Sets the momentum (PyTorch convention; see [`BatchNorm1d`]).
    #[must_use]
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.0.momentum = momentum;
        self
    }

    /// Sets eps.
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.0.eps = eps;
        self
    }

    /// The running mean.
    pub fn running_mean(&self) -> Tensor<T> {
        self.0.running_mean.value()
    }

    /// The running (unbiased) variance.
    pub fn running_var(&self) -> Tensor<T> {
        self.0.running_var.value()
    }

    /// How many training-mode batches have updated the running statistics (PyTorch's
    /// `num_batches_tracked`).
    pub fn num_batches_tracked(&self) -> u64 {
        self.0.num_batches_tracked.value().to_vec()[0].to_f64() as u64
    }
}

impl<T: Float> Module<T> for BatchNorm2d<T> {
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        let shape = x.shape();
        let c = self.0.weight.numel();
        assert!(
            shape.len() == 4 && shape[1] == c,
            "BatchNorm2d: expected input [N, {c}, H, W], got {shape:?}"
        );
        self.0
            .forward("BatchNorm2d", x, &[0, 2, 3], &[1, c as isize, 1, 1])
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        self.0.parameters()
    }

    fn buffers(&self) -> Vec<Named<'_, T>> {
        self.0.buffers()
    }

    fn set_training(&mut self, training: bool) {
        self.0.training = training;
    }

    fn uses_batch_statistics(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        format!("BatchNorm2d({})", self.0.weight.numel())
    }
}
