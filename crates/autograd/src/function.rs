//! Recording custom ops ([`Tape::apply`]): add an operation the framework lacks, with its own forward and backward,
//! and use it exactly like a built-in op (then check it with [`crate::gradcheck()`]).
//!
//! As in JAX's `custom_vjp`, `forward` saves what backward needs as *named residuals*,
//! and `backward` maps the output gradient to one gradient per input.

use std::sync::Arc;

use tensor::{Float, Tensor};

use crate::backward::InputGrads;
use crate::custom::CustomEntry;
pub use crate::custom::{CustomOp, Residuals};
use crate::op::Op;
use crate::tape::{Inputs, Tape, Var};

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
        let mut residuals = Residuals::default();
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

/// Runs a custom op's backward and checks that it returned one gradient per input, each
/// of its input's shape.
pub(crate) fn custom_vjp<T: Float>(
    tape: &Tape<T>,
    index: usize,
    g: &Tensor<T>,
    inputs: &[Tensor<T>],
    need: &[bool],
) -> InputGrads<Tensor<T>> {
    let custom = tape.custom.borrow();
    let entry = &custom[index];
    let grads = entry.op.backward(g, &entry.residuals);
    assert!(
        grads.len() == inputs.len(),
        "custom op {:?}: backward returned {} gradients for {} inputs",
        entry.op.name(),
        grads.len(),
        inputs.len()
    );
    grads
        .into_iter()
        .zip(inputs)
        .zip(need)
        .map(|((gi, xi), &needed)| {
            assert!(
                gi.shape() == xi.shape(),
                "custom op {:?}: backward returned a gradient of shape {:?} for an input of shape {:?}",
                entry.op.name(),
                gi.shape(),
                xi.shape()
            );
            needed.then_some(gi)
        })
        .collect()
}

/// Runs a custom op's tangent rule ([`CustomOp::jvp`]) and checks the tangent's shape.
pub(crate) fn custom_jvp<T: Float>(
    tape: &Tape<T>,
    index: usize,
    tangents: &[Tensor<T>],
    inputs: &[Tensor<T>],
    out: &Tensor<T>,
) -> Tensor<T> {
    let custom = tape.custom.borrow();
    let entry = &custom[index];
    debug_assert!(tangents
        .iter()
        .zip(inputs)
        .all(|(d, x)| d.shape() == x.shape()));
    let dout = entry.op.jvp(tangents, out, &entry.residuals);
    assert!(
        dout.shape() == out.shape(),
        "custom op {:?}: jvp returned a tangent of shape {:?} for an output of shape {:?}",
        entry.op.name(),
        dout.shape(),
        out.shape()
    );
    dout
}
