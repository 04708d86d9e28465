//! Weight penalties (Keras `kernel_regularizer` semantics): the penalty is added to the
//! training loss, so it shows in the reported loss.
//!
//! Keras' L2 is `l2 · Σw²` (no ½), whose gradient is `2·l2·w`: an L2 factor `λ` equals
//! PyTorch SGD's `weight_decay = 2λ` (for plain SGD; with Adam, L2 in the loss is not the
//! same as AdamW's decoupled decay).

use autograd::{Tape, Var};
use tensor::Float;

use crate::module::Module;

/// A penalty on a weight tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Regularizer {
    /// `l1 · Σ|w|`.
    L1(f64),
    /// `l2 · Σw²`.
    L2(f64),
    /// `l1 · Σ|w| + l2 · Σw²`.
    L1L2(f64, f64),
}

impl Regularizer {
    /// The penalty for one weight, recorded on its tape.
    #[must_use]
    pub fn penalty<'t, T: Float>(self, w: Var<'t, T>) -> Var<'t, T> {
        let (l1, l2) = match self {
            Regularizer::L1(a) => (a, 0.0),
            Regularizer::L2(b) => (0.0, b),
            Regularizer::L1L2(a, b) => (a, b),
        };
        let mut terms = Vec::new();
        if l1 != 0.0 {
            terms.push(w.abs().sum_all() * T::from_f64(l1));
        }
        if l2 != 0.0 {
            terms.push(w.square().sum_all() * T::from_f64(l2));
        }
        terms
            .into_iter()
            .reduce(|a, b| a + b)
            .unwrap_or_else(|| w.tape().constant(tensor::Tensor::scalar(T::ZERO)))
    }
}

/// A model-wide penalty: `r` applied to every parameter whose name ends in `weight`
/// (biases and normalization shifts are left alone, as is customary).
pub fn penalty<'t, T: Float>(
    model: &dyn Module<T>,
    tape: &'t Tape<T>,
    r: Regularizer,
) -> Option<Var<'t, T>> {
    model
        .parameters()
        .into_iter()
        .filter(|(name, _)| name.ends_with("weight"))
        .map(|(_, p)| r.penalty(tape.param(p)))
        .reduce(|a, b| a + b)
}
