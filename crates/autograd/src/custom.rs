//! The custom-op protocol: the [`CustomOp`] trait users implement and the named
//! [`Residuals`] its forward saves for its backward (as JAX's `custom_vjp`). Recording a
//! custom op on a tape is in `function.rs`; this file knows nothing of tapes.

use std::sync::Arc;

use tensor::{Float, Tensor};

/// A user-defined differentiable operation.
///
/// ```
/// use autograd::{CustomOp, Residuals, Tape};
/// use tensor::Tensor;
///
/// /// softplus(x) = ln(1 + e^x), with derivative σ(x).
/// struct Softplus;
///
/// impl CustomOp<f64> for Softplus {
///     fn name(&self) -> &str {
///         "softplus"
///     }
///     fn forward(&self, inputs: &[Tensor<f64>], saved: &mut Residuals<f64>) -> Tensor<f64> {
///         let x = &inputs[0];
///         saved.save("sigmoid", x.sigmoid());
///         x.map(|v| v.exp().ln_1p())
///     }
///     fn backward(&self, g: &Tensor<f64>, saved: &Residuals<f64>) -> Vec<Tensor<f64>> {
///         vec![g * saved.get("sigmoid")]
///     }
/// }
///
/// let tape = Tape::new();
/// let x = tape.var(Tensor::from([0.0f64, 1.0]));
/// let y = tape.apply(Softplus, &[x]).sum_all();
/// let grads = y.backward();
/// assert_eq!(grads[&x].to_vec()[0], 0.5);
/// ```
pub trait CustomOp<T: Float>: Send + Sync {
    /// The name shown in the Wengert list and in error messages.
    fn name(&self) -> &str;

    /// Computes the output from the input values, saving in `saved` whatever backward
    /// will need.
    fn forward(&self, inputs: &[Tensor<T>], saved: &mut Residuals<T>) -> Tensor<T>;

    /// Maps the output gradient `g` (dL/dout) to one gradient per input, each with its
    /// input's shape.
    fn backward(&self, g: &Tensor<T>, saved: &Residuals<T>) -> Vec<Tensor<T>>;

    /// Forward mode: maps one tangent per input (each of its input's shape; zeros for an
    /// input that does not move) to the tangent of the output, `J·dx`.
    ///
    /// The default derives it from [`CustomOp::backward`] by transposition: entry `k` of
    /// `J·dx` is `⟨Jᵀ·e_k, dx⟩`, so it runs `backward` once per output element (correct
    /// but slow for large outputs). Override it with the op's own tangent rule; the
    /// dot-product test of `crates/autograd/tests/jvp.rs` shows how to check the two
    /// rules against each other.
    ///
    /// `out` is the op's output (for its shape, or to reuse its value).
    fn jvp(&self, tangents: &[Tensor<T>], out: &Tensor<T>, saved: &Residuals<T>) -> Tensor<T> {
        let n = out.numel();
        let mut values = vec![T::ZERO; n];
        for (k, value) in values.iter_mut().enumerate() {
            let mut seed = vec![T::ZERO; n];
            seed[k] = T::ONE;
            let seed = Tensor::from_vec(seed, out.shape()).expect("one entry per output element");
            let rows = self.backward(&seed, saved);
            *value = rows
                .iter()
                .zip(tangents)
                .map(|(r, d)| r.mul(d).sum_all())
                .fold(T::ZERO, |a, b| a + b);
        }
        Tensor::from_vec(values, out.shape()).expect("one entry per output element")
    }
}

/// Tensors a custom op's forward saved for its backward, by name.
#[derive(Clone, Debug, Default)]
pub struct Residuals<T: Float> {
    items: Vec<(String, Tensor<T>)>,
}

impl<T: Float> Residuals<T> {
    /// Saves a tensor under a name (replacing an earlier one of the same name).
    pub fn save(&mut self, name: &str, t: Tensor<T>) {
        match self.items.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = t,
            None => self.items.push((name.to_string(), t)),
        }
    }

    /// The tensor saved under `name`.
    ///
    /// # Panics
    /// If nothing was saved under that name; the message lists what was.
    #[track_caller]
    #[must_use]
    pub fn get(&self, name: &str) -> &Tensor<T> {
        match self.items.iter().find(|(n, _)| n == name) {
            Some((_, t)) => t,
            None => {
                let names: Vec<&str> = self.items.iter().map(|(n, _)| n.as_str()).collect();
                panic!("no residual named {name:?} was saved; saved: {names:?}")
            }
        }
    }

    /// The names saved, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|(n, _)| n.as_str())
    }
}

/// A custom op recorded on a tape, with the residuals its forward saved.
pub(crate) struct CustomEntry<T: Float> {
    pub(crate) op: Arc<dyn CustomOp<T>>,
    pub(crate) residuals: Residuals<T>,
}
