//! `Flatten` and `Identity`.

use autograd::Var;
use tensor::Float;

use crate::module::Module;

/// Flattens every axis after the first: `[N, …] → [N, ∏…]` (PyTorch `nn.Flatten()`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten;

impl<T: Float> Module<T> for Flatten {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        let n = x.shape().first().copied().unwrap_or(1);
        x.reshape(&[n as isize, -1])
    }
}

/// Returns its input unchanged.
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

impl<T: Float> Module<T> for Identity {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        x
    }
}
