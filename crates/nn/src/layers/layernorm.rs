//! `LayerNorm` over the last axis.

use autograd::{Param, Var};
use tensor::{Float, Tensor};

use crate::module::{Module, Named};

/// Normalizes each sample over its last axis (biased variance, eps 1e-5), then applies a
/// per-feature scale and shift, as PyTorch's `nn.LayerNorm(features)`.
#[doc(alias = "LayerNormalization")]
#[derive(Debug)]
pub struct LayerNorm<T: Float = f32> {
    weight: Param<T>,
    bias: Param<T>,
    eps: f64,
}

impl<T: Float> LayerNorm<T> {
    /// Layer normalization over a last axis of length `features`.
    #[must_use]
    pub fn new(features: usize) -> Self {
        LayerNorm {
            weight: Param::new("weight", Tensor::ones(&[features])),
            bias: Param::new("bias", Tensor::zeros(&[features])),
            eps: 1e-5,
        }
    }
}

impl<T: Float> Module<T> for LayerNorm<T> {
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        let shape = x.shape();
        assert!(
            shape.last() == Some(&self.weight.numel()),
            "LayerNorm: input of shape {shape:?}, expected last axis {}",
            self.weight.numel()
        );
        let mean = x.mean(-1, true);
        let var = x.var(-1, 0, true);
        let tape = x.tape();
        (x - mean) / (var + T::from_f64(self.eps)).sqrt() * tape.param(&self.weight)
            + tape.param(&self.bias)
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        vec![("weight".into(), &self.weight), ("bias".into(), &self.bias)]
    }

    fn describe(&self) -> String {
        format!("LayerNorm({})", self.weight.numel())
    }
}
