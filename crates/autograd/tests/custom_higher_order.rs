//! A custom op's gradient is computed by its backward from tensors, so it has no
//! derivative of its own: `grad_graph` records it as a node that refuses to be
//! differentiated again (PyTorch's `once_differentiable`), instead of a constant that
//! would silently drop the op's terms from second derivatives.

use autograd::{CustomOp, Residuals, Tape};
use tensor::Tensor;

/// x³, with its gradient 3x² computed from tensors.
struct Cube;

impl CustomOp<f64> for Cube {
    fn name(&self) -> &str {
        "cube"
    }
    fn forward(&self, inputs: &[Tensor<f64>], saved: &mut Residuals<f64>) -> Tensor<f64> {
        saved.save("x", inputs[0].clone());
        inputs[0].map(|v| v * v * v)
    }
    fn backward(&self, g: &Tensor<f64>, saved: &Residuals<f64>) -> Vec<Tensor<f64>> {
        vec![g * &saved.get("x").map(|v| 3.0 * v * v)]
    }
}

#[test]
fn the_first_derivative_through_a_custom_op_is_recorded_and_right() {
    let tape = Tape::new();
    let x = tape.var(Tensor::from([2.0f64]));
    let y = tape.apply(Cube, &[x]).sum_all();
    let dx = y.grad_graph(&[x])[0].unwrap();
    assert_eq!(dx.value().to_vec(), [12.0]);
}

#[test]
#[should_panic(
    expected = "grad of cube: a custom op's gradient is computed by its backward \
                           from tensors, not recorded, so it cannot be differentiated again"
)]
fn differentiating_a_custom_ops_gradient_again_is_refused_by_name() {
    let tape = Tape::new();
    let x = tape.var(Tensor::from([2.0f64]));
    let y = tape.apply(Cube, &[x]).sum_all();
    let dx = y.grad_graph(&[x])[0].unwrap();
    let _ = dx.sum_all().backward();
}
