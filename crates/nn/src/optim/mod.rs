//! Optimizers with `torch.optim`'s update formulas and defaults, learning-rate schedules
//! and gradient clipping.
//!
//! Running averages in optimizer state (momentum buffers, moments) are flushed to zero
//! once they fall below the smallest normal float (`Float::flush_subnormal`): a parameter
//! whose gradient stops (a dead ReLU unit) would otherwise decay through the subnormal
//! range for thousands of steps, where x86 arithmetic is about 100× slower. The effect on
//! the update is below 1e-38 (f32) or 1e-308 (f64).
//!
//! Averaging weights `1 − β` (Adam's β₁ and β₂, RMSprop's α, Adadelta's ρ, SGD's
//! `1 − dampening`) are computed in f64 and then rounded, as PyTorch does (it passes
//! `1 - beta2` as a Python float): in f32, `1 − 0.999f32` is 1.3e-5 away from 0.001,
//! which shifts `√v` by 6e-6 relative on every step.
//!
//! Quantities that are ≥ 0 in exact arithmetic but computed as a difference (centered
//! RMSprop's `v − ḡ²`) are clamped at 0 before a square root, so rounding cannot make a
//! weight NaN. The other optimizers take square roots only of sums of non-negative terms.
//!
//! Gradient descent variants are not separate optimizers: GD / batch GD, mini-batch GD
//! and stochastic GD are all [`Sgd`] with the batch size of `fit` set to all rows, to
//! `b`, or to 1. The optimizer is only the update rule.

mod adadelta;
mod adagrad;
mod adam;
mod clip;
mod rmsprop;
mod schedule;
mod sgd;
mod state;
mod validate;

use autograd::{Grads, Param};
use tensor::{Float, Tensor};

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::{Adam, AdamW};
pub use clip::{clip_grad_norm, clip_grad_value, global_norm};
pub use rmsprop::RmsProp;
pub use schedule::{CosineAnnealing, ExponentialDecay, LrSchedule, StepDecay};
pub use sgd::Sgd;
pub(crate) use state::{shaped, Entries, StateMap};
pub use state::{SavedState, StateError};
pub use validate::{validate, OptimizerError};

/// An update rule applied to parameters given their gradients.
pub trait Optimizer<T: Float = f32>: Send {
    /// Updates every parameter that has a gradient in `grads`, in place. State (moments,
    /// accumulators, step counts) is kept per parameter id across calls.
    fn step(&mut self, params: &[&Param<T>], grads: &Grads<T>);
    /// The current learning rate.
    fn learning_rate(&self) -> f64;
    /// Changes the learning rate (schedules, `ReduceLrOnPlateau`).
    fn set_learning_rate(&mut self, lr: f64);
    /// A short name for logs.
    fn name(&self) -> &'static str;
    /// The optimizer's state for one parameter, under PyTorch's names (`step`,
    /// `exp_avg`, `exp_avg_sq`, `momentum_buffer`, …), each tensor shaped like the
    /// parameter (`step` is a scalar). Empty before the first step. For teaching and
    /// debugging: print it step by step to watch the moments and accumulators evolve.
    fn state(&self, _param: &Param<T>) -> Vec<(&'static str, Tensor<T>)> {
        Vec::new()
    }
    /// The hyper-parameters under PyTorch's names (`lr`, `betas` as `beta1`/`beta2`,
    /// `eps`, `weight_decay`, …; flags as 0 or 1), for validation and display.
    fn hyperparameters(&self) -> Vec<(&'static str, f64)> {
        vec![("lr", self.learning_rate())]
    }
    /// Checks every hyper-parameter against its allowed range ([`validate`]); `fit` calls
    /// this before the first step.
    ///
    /// # Errors
    /// The first hyper-parameter that is not finite or is out of range, named.
    fn validate(&self) -> Result<(), OptimizerError> {
        validate(self.name(), &self.hyperparameters())
    }
    /// Replaces the state of one parameter with `entries`, named as [`Optimizer::state`]
    /// names them (the inverse of `state`); an empty list clears it, as before the first
    /// step. Used to resume from a checkpoint and to undo a diverging update.
    ///
    /// The default, for optimizers without state, accepts only an empty list.
    ///
    /// # Errors
    /// [`StateError`] for a missing or unknown entry or a shape unlike the parameter's;
    /// the state is unchanged then.
    fn set_state(
        &mut self,
        param: &Param<T>,
        entries: &[(String, Tensor<T>)],
    ) -> Result<(), StateError> {
        match entries.first() {
            None => Ok(()),
            Some((name, _)) => Err(StateError::Unknown {
                optimizer: self.name(),
                param: param.name().to_string(),
                entry: name.clone(),
            }),
        }
    }
    /// Copies the whole state (every parameter's) into `saved`, reusing the buffers of an
    /// earlier save there; `fit` calls it before each update so that it can undo one that
    /// diverges. Returns false if this optimizer does not support it (the default), and
    /// `fit` then keeps the state through [`Optimizer::state`] instead, which allocates.
    fn save_state(&self, _saved: &mut SavedState) -> bool {
        false
    }
    /// Puts back a state written by [`Optimizer::save_state`] of this optimizer; false
    /// (and nothing changed) if `saved` is not one.
    fn restore_state(&mut self, _saved: &(dyn std::any::Any + Send)) -> bool {
        false
    }
}

/// A boxed optimizer is an optimizer, so optimizers chosen at run time can be handed to
/// `Model::new`.
impl<T: Float> Optimizer<T> for Box<dyn Optimizer<T>> {
    fn step(&mut self, params: &[&Param<T>], grads: &Grads<T>) {
        (**self).step(params, grads)
    }
    fn learning_rate(&self) -> f64 {
        (**self).learning_rate()
    }
    fn set_learning_rate(&mut self, lr: f64) {
        (**self).set_learning_rate(lr)
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn state(&self, param: &Param<T>) -> Vec<(&'static str, Tensor<T>)> {
        (**self).state(param)
    }
    fn hyperparameters(&self) -> Vec<(&'static str, f64)> {
        (**self).hyperparameters()
    }
    fn set_state(
        &mut self,
        param: &Param<T>,
        entries: &[(String, Tensor<T>)],
    ) -> Result<(), StateError> {
        (**self).set_state(param, entries)
    }
    fn save_state(&self, saved: &mut SavedState) -> bool {
        (**self).save_state(saved)
    }
    fn restore_state(&mut self, saved: &(dyn std::any::Any + Send)) -> bool {
        (**self).restore_state(saved)
    }
}
