//! Where a NaN input sends its gradient. PyTorch's rule for the whole-tensor `torch.max()`
//! (`evenly_distribute_backward`, mask `(x == out) | (isnan(x) & isnan(out))`): the NaN is
//! the maximum, so the gradient goes to it and nowhere else, rather than NaN everywhere;
//! wengert applies the same rule along an axis (PyTorch's `amax` gives NaN everywhere
//! there). Also: gradcheck's own settings must be usable numbers.

use autograd::{gradcheck, GradcheckConfig, Tape};
use tensor::Tensor;

#[test]
fn the_gradient_of_a_nan_maximum_goes_to_the_nan() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, f64::NAN, 3.0]));
    let m = x.max(0, false);
    assert!(m.item().is_nan());
    assert_eq!(m.backward()[&x].to_vec(), vec![0.0, 1.0, 0.0]);
    // Two NaNs share it, as tied maxima do.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[f64::NAN, 2.0, f64::NAN], [1.0, 5.0, 5.0]]));
    let g = x.max(1, false).sum_all().backward()[&x].to_vec();
    assert_eq!(g, vec![0.5, 0.0, 0.5, 0.0, 0.5, 0.5]);
    // The whole-tensor maximum and the minimum follow.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, f64::NAN]));
    assert_eq!(x.max_all().backward()[&x].to_vec(), vec![0.0, 1.0]);
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([1.0, f64::NAN]));
    assert_eq!(x.min(0, false).backward()[&x].to_vec(), vec![0.0, 1.0]);
}

fn square_sum<'t>(v: &[autograd::Var<'t, f64>]) -> autograd::Var<'t, f64> {
    v[0].square().sum_all()
}

#[test]
fn gradcheck_refuses_settings_that_are_not_usable_numbers() {
    let x = [Tensor::from([0.5f64, 1.5])];
    for config in [
        GradcheckConfig {
            eps: 0.0,
            ..GradcheckConfig::default()
        },
        GradcheckConfig {
            eps: f64::NAN,
            ..GradcheckConfig::default()
        },
        GradcheckConfig {
            eps: -1e-6,
            ..GradcheckConfig::default()
        },
        GradcheckConfig {
            atol: -1.0,
            ..GradcheckConfig::default()
        },
        GradcheckConfig {
            rtol: f64::NAN,
            ..GradcheckConfig::default()
        },
    ] {
        let err = gradcheck(square_sum, &x, config).unwrap_err().to_string();
        assert!(
            err.contains("gradcheck:") && err.contains("must be"),
            "{err}"
        );
    }
    assert!(gradcheck(square_sum, &x, GradcheckConfig::default()).is_ok());
}

/// relu passes a NaN on, and so does its gradient (PyTorch's `threshold_backward` zeroes
/// only where the output is ≤ 0); ELU's slope at a NaN is 1 (`elu_backward` tests
/// `x <= 0`); `|x|`'s is `sgn(NaN) = 0`, as `torch.sgn` gives.
#[test]
fn relu_elu_and_abs_at_a_nan_take_pytorchs_slopes() {
    let tape = autograd::Tape::new();
    let x = tape.var(tensor::Tensor::from([f64::NAN, -1.0, 2.0]));
    let g = x.relu().sum_all().backward()[&x].to_vec();
    assert!(g[0] == 1.0 && g[1] == 0.0 && g[2] == 1.0, "{g:?}");
    let g = x.elu(1.0).sum_all().backward()[&x].to_vec();
    assert!(
        g[0] == 1.0 && (g[1] - (-1.0f64).exp()).abs() < 1e-15 && g[2] == 1.0,
        "{g:?}"
    );
    let g = x.abs().sum_all().backward()[&x].to_vec();
    assert_eq!(g, [0.0, -1.0, 1.0]);
}
