//! `LastStep`: the last time step of a sequence (Keras' `return_sequences=False`).

use autograd::Var;
use tensor::Float;

use crate::module::Module;

/// Keeps the last step of a batch-first sequence, `[N, T, F] → [N, F]`: what Keras'
/// recurrent layers return with `return_sequences=False`, and PyTorch's `output[:, -1]`.
/// Put it between a `batch_first` recurrent layer and a head.
///
/// With variable-length batches the last real step differs per sequence; use the final
/// state from `forward_with_state` (`h_n`) there instead.
///
/// ```
/// use autograd::Tape;
/// use nn::{LastStep, Module};
/// use tensor::Tensor;
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::<f32>::from_vec((0..12).map(|v| v as f32).collect(), &[2, 3, 2]).unwrap());
/// assert_eq!(LastStep.forward(x).value().to_vec(), vec![4.0, 5.0, 10.0, 11.0]);
/// ```
///
/// # Panics
/// In `forward`, if the input is not 3-D or has no steps.
#[derive(Clone, Copy, Debug, Default)]
pub struct LastStep;

impl<T: Float> Module<T> for LastStep {
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        let shape = x.shape();
        assert!(
            shape.len() == 3 && shape[1] > 0,
            "LastStep: input of shape {shape:?} must be [N, T, F] with T > 0"
        );
        x.narrow(1, shape[1] - 1, 1).squeeze(1)
    }
}
