//! Custom ops: add an operation the framework lacks, with its own forward and backward,
//! and use it exactly like a built-in op (then check it with [`crate::gradcheck()`]).
//!
//! As in JAX's `custom_vjp`, `forward` saves what backward needs as *named residuals*,
//! and `backward` maps the output gradient to one gradient per input.

use std::sync::Arc;

use tensor::{Float, Tensor};

use crate::op::Op;
use crate::tape::{CustomEntry, Inputs, Tape, Var};

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

impl<T: Float> Tape<T> {
    /// Applies a custom op to `inputs`, recording it like a built-in op.
    ///
    /// # Panics
    /// If `inputs` is empty or its `Var`s are on another tape.
    #[track_caller]
    pub fn apply(&self, op: impl CustomOp<T> + 'static, inputs: &[Var<'_, T>]) -> Var<'_, T> {
        assert!(
            !inputs.is_empty(),
            "apply: custom op {:?} needs at least one input",
            op.name()
        );
        for v in inputs {
            assert!(
                std::ptr::eq(v.tape, self),
                "apply: input %{} of custom op {:?} lives on a different tape",
                v.id,
                op.name()
            );
        }
        let values: Vec<Tensor<T>> = inputs.iter().map(|v| v.value()).collect();
        let mut residuals = Residuals { items: Vec::new() };
        let out = op.forward(&values, &mut residuals);
        let index = self.add_custom(CustomEntry {
            op: Arc::new(op),
            residuals,
        });
        let ids: Inputs = inputs.iter().map(|v| v.id).collect();
        self.record(Op::Custom(index), ids, out)
    }

    /// The name of the custom op recorded as `Op::Custom(index)`.
    pub fn custom_name(&self, index: usize) -> String {
        self.custom.borrow()[index].op.name().to_string()
    }
}
