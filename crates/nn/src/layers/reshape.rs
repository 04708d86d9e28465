//! `Flatten` and `Identity`.

use autograd::Var;
use tensor::Float;

use crate::module::Module;

/// Flattens every axis after the first: `[N, …] → [N, ∏…]` (PyTorch `nn.Flatten()`), so
/// `[N, C, H, W]` images become `[N, C·H·W]` rows in channel-major order, as PyTorch
/// orders them (a `Linear` after it loads PyTorch weights unchanged). A 1-D input `[N]`
/// becomes `[N, 1]`, as Keras' `Flatten` does.
///
/// # Panics
/// If the axes after the first hold more than `isize::MAX` elements (possible only for an
/// empty batch, whose shape can be anything).
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
        let rest = shape
            .iter()
            .skip(1)
            .try_fold(1usize, |a, &b| a.checked_mul(b))
            .and_then(|rest| isize::try_from(rest).ok());
        let (Some(rest), Ok(n)) = (rest, isize::try_from(n)) else {
            panic!("Flatten: input {shape:?}: its rows would hold more than isize::MAX elements")
        };
        x.reshape(&[n, rest])
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
