//! `Flatten` and `Identity`.

use autograd::Var;
use tensor::Float;

use crate::module::Module;

/// Flattens every axis after the first: `[N, …] → [N, ∏…]` (PyTorch `nn.Flatten()`), so
/// `[N, C, H, W]` images become `[N, C·H·W]` rows in channel-major order, as PyTorch
/// orders them (a `Linear` after it loads PyTorch weights unchanged).
///
/// ```
/// use autograd::Tape;
/// use nn::{Flatten, Module};
/// use tensor::Tensor;
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::<f32>::zeros(&[0, 16, 2, 2]));
/// assert_eq!(Flatten.forward(x).shape(), vec![0, 64]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten;

impl<T: Float> Module<T> for Flatten {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        let shape = x.shape();
        let n = shape.first().copied().unwrap_or(1);
        // The row length from the shape, not `-1`: an empty batch has nothing to infer from.
        let rest: usize = shape.iter().skip(1).product();
        x.reshape(&[n as isize, rest as isize])
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
