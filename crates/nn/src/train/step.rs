//! One training step on a batch, as `fit` takes it: forward, loss (weighted when asked),
//! penalty, backward on a tape of its own; and the check that names a non-finite loss or
//! gradient.

use autograd::{Grads, Tape};
use tensor::{Float, Tensor};

use super::model::first_non_finite;
use super::weights;
use crate::loss::Loss;
use crate::module::Module;

/// One forward and backward pass on a batch: (loss value, predictions, gradients, the
/// first anomaly when detecting). The tape is dropped before returning, so the optimizer
/// updates parameters in place.
pub(super) fn train_step<T: Float>(
    module: &dyn Module<T>,
    loss: &dyn Loss<T>,
    (xb, yb, wb): (&Tensor<T>, &Tensor<T>, Option<&Tensor<T>>),
    detect_anomaly: bool,
) -> (f64, Tensor<T>, Grads<T>, Option<autograd::Anomaly>) {
    let tape = Tape::new();
    tape.detect_anomaly(detect_anomaly);
    let pred = module.forward(tape.constant(xb.clone()));
    let loss = weights::batch_loss(loss, pred, yb, wb);
    let total = match module.penalty(&tape) {
        Some(p) => loss + p,
        None => loss,
    };
    let value = total.item().to_f64();
    let grads = if value.is_finite() {
        total.backward()
    } else {
        Grads::default()
    };
    (value, pred.value(), grads, tape.anomaly())
}

/// The first non-finite value of a step: (`loss` or `gradient`, the value).
pub(super) fn non_finite<T: Float>(value: f64, grads: &Grads<T>) -> Option<(&'static str, f64)> {
    if value.is_finite() {
        first_non_finite(grads).map(|g| ("gradient", g))
    } else {
        Some(("loss", value))
    }
}
