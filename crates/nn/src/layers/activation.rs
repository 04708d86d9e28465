//! Activation modules: stateless wrappers over the `Var` methods.

use autograd::Var;
use tensor::Float;

use crate::loss::Prediction;
use crate::module::Module;

/// `max(x, 0)`.
#[doc(alias = "ReLU")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Relu;

impl<T: Float> Module<T> for Relu {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        x.relu()
    }
}

/// `x` if positive, else `slope·x` (PyTorch default slope 0.01).
#[doc(alias = "LeakyReLU")]
#[derive(Clone, Copy, Debug)]
pub struct LeakyRelu(pub f64);

impl Default for LeakyRelu {
    fn default() -> Self {
        LeakyRelu(0.01)
    }
}

impl<T: Float> Module<T> for LeakyRelu {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        x.leaky_relu(T::from_f64(self.0))
    }
}

/// `x` if positive, else `alpha·(e^x − 1)` (default alpha 1).
#[doc(alias = "ELU")]
#[derive(Clone, Copy, Debug)]
pub struct Elu(pub f64);

impl Default for Elu {
    fn default() -> Self {
        Elu(1.0)
    }
}

impl<T: Float> Module<T> for Elu {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        x.elu(T::from_f64(self.0))
    }
}

/// GELU; `Gelu { tanh: true }` uses the tanh approximation.
#[doc(alias = "GELU")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Gelu {
    /// Use `approximate="tanh"`.
    pub tanh: bool,
}

impl<T: Float> Module<T> for Gelu {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        if self.tanh {
            x.gelu_tanh()
        } else {
            x.gelu()
        }
    }
}

/// The logistic sigmoid.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sigmoid;

impl<T: Float> Module<T> for Sigmoid {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        x.sigmoid()
    }

    fn output_kind(&self) -> Option<Prediction> {
        Some(Prediction::Probabilities)
    }
}

/// Hyperbolic tangent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tanh;

impl<T: Float> Module<T> for Tanh {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        x.tanh()
    }
}

/// Softmax along an axis (default: the last).
#[derive(Clone, Copy, Debug)]
pub struct Softmax(pub isize);

impl Default for Softmax {
    fn default() -> Self {
        Softmax(-1)
    }
}

impl<T: Float> Module<T> for Softmax {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        x.softmax(self.0)
    }

    fn output_kind(&self) -> Option<Prediction> {
        Some(Prediction::Probabilities)
    }
}

/// Log-softmax along an axis (default: the last).
#[derive(Clone, Copy, Debug)]
pub struct LogSoftmax(pub isize);

impl Default for LogSoftmax {
    fn default() -> Self {
        LogSoftmax(-1)
    }
}

impl<T: Float> Module<T> for LogSoftmax {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        x.log_softmax(self.0)
    }

    fn output_kind(&self) -> Option<Prediction> {
        Some(Prediction::LogProbabilities)
    }
}
