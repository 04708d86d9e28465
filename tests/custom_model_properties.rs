//! Gradient property tests for a user's own op and module, in a few lines each, with the
//! proptest strategies from `autograd::strategies`.

use autograd::strategies::{tensor_of_shape, tensor_strategy};
use proptest::prelude::*;
use wengert::prelude::*;

/// Swish as a custom op: `x·σ(x)`, derivative `σ(x)·(1 + x·(1 − σ(x)))`.
struct Swish;

impl CustomOp<f64> for Swish {
    fn name(&self) -> &str {
        "swish"
    }
    fn forward(&self, inputs: &[Tensor<f64>], saved: &mut Residuals<f64>) -> Tensor<f64> {
        saved.save("x", inputs[0].clone());
        &inputs[0] * &inputs[0].sigmoid()
    }
    fn backward(&self, g: &Tensor<f64>, saved: &Residuals<f64>) -> Vec<Tensor<f64>> {
        let x = saved.get("x");
        let s = x.sigmoid();
        vec![g * &(&s * &(x * &s.rsub_scalar(1.0)).add_scalar(1.0))]
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn swish_gradients_match_finite_differences(x in tensor_strategy::<f64>(1..4, 1..5)) {
        gradcheck(|v| v[0].tape().apply(Swish, &[v[0]]), &[x], GradcheckConfig::default()).unwrap();
    }

    #[test]
    fn swish_equals_the_composed_definition(x in tensor_strategy::<f64>(1..3, 1..6)) {
        let tape = Tape::new();
        let v = tape.var(x);
        let fused = tape.apply(Swish, &[v]);
        let composed = v * v.sigmoid();
        let (gf, gc) = (fused.sum_all().backward(), composed.sum_all().backward());
        prop_assert!((fused.value() - composed.value()).abs().max_all() < 1e-12);
        prop_assert!((&gf[&v] - &gc[&v]).abs().max_all() < 1e-12);
    }

    #[test]
    fn a_residual_mlp_passes_gradcheck_through_its_weights(
        x in tensor_of_shape::<f64>(vec![3, 4]),
        w1 in tensor_of_shape::<f64>(vec![6, 4]),
        w2 in tensor_of_shape::<f64>(vec![4, 6]),
    ) {
        // y = x + swish(x·W1ᵀ)·W2ᵀ, checked through the input and both weights.
        gradcheck(
            |v| {
                let h = v[0].tape().apply(Swish, &[v[0].matmul(v[1].t())]);
                (v[0] + h.matmul(v[2].t())).tanh().sum_all()
            },
            &[x, w1, w2],
            GradcheckConfig::default(),
        )
        .unwrap();
    }

    #[test]
    fn broadcast_binary_ops_pass_gradcheck(a in tensor_of_shape::<f64>(vec![3, 4]), b in tensor_of_shape::<f64>(vec![4])) {
        gradcheck(|v| (v[0] * v[1] + v[1].exp()).sum(0, false), &[a.clone(), b.clone()], GradcheckConfig::default()).unwrap();
        // The same on a transposed view of the first operand.
        let at = a.t().contiguous().t();
        gradcheck(|v| (v[0] - v[1]).tanh(), &[at, b], GradcheckConfig::default()).unwrap();
    }
}
