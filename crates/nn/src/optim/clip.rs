//! Gradient clipping, applied to a [`Grads`] before the optimizer step.

use autograd::Grads;
use tensor::Float;

/// The L2 norm of all parameter gradients together.
#[must_use]
pub fn global_norm<T: Float>(grads: &Grads<T>) -> f64 {
    grads
        .params()
        .map(|(_, g)| {
            g.to_vec()
                .iter()
                .map(|v| v.to_f64() * v.to_f64())
                .sum::<f64>()
        })
        .sum::<f64>()
        .sqrt()
}

/// Scales all parameter gradients so that their global L2 norm is at most `max_norm`
/// (PyTorch's `clip_grad_norm_`: every gradient is multiplied by
/// `min(max_norm / (norm + 1e-6), 1)`, so a norm at or just below `max_norm`, within
/// 1e-6, is scaled slightly too). Returns the norm before clipping.
///
/// ```
/// use autograd::{Param, Tape};
/// use tensor::Tensor;
/// let p = Param::new("w", Tensor::from([3.0f64, 4.0]));
/// let tape = Tape::new();
/// let mut grads = (tape.param(&p) * tape.param(&p) * 0.5).sum_all().backward(); // grad = w
/// let before = nn::optim::clip_grad_norm(&mut grads, 1.0);
/// assert_eq!(before, 5.0);
/// approx::assert_relative_eq!(nn::optim::global_norm(&grads), 1.0, epsilon = 1e-6);
/// ```
pub fn clip_grad_norm<T: Float>(grads: &mut Grads<T>, max_norm: f64) -> f64 {
    let norm = global_norm(grads);
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        let scale = T::from_f64(coef);
        for (_, g) in grads.params_mut() {
            *g = g.mul_scalar(scale);
        }
    }
    norm
}

/// Clamps every parameter gradient entry into `[-clip, clip]` (PyTorch
/// `clip_grad_value_`, Keras `clipvalue`).
pub fn clip_grad_value<T: Float>(grads: &mut Grads<T>, clip: f64) {
    let c = T::from_f64(clip.abs());
    for (_, g) in grads.params_mut() {
        *g = g.clamp(-c, c);
    }
}
