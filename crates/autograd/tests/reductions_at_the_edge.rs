//! Reductions whose rules need care at their edges: `std` of a constant slice, a
//! log-sum-exp over an empty axis, division by a scalar whose reciprocal overflows. Expected values from PyTorch's documented behaviour and the maths.

use autograd::Tape;
use tensor::Tensor;

/// PyTorch: `x = [[5, 5, 5], [1, 2, 3]]`, `x.std(dim=1).sum().backward()` gives
/// `[[0, 0, 0], [-0.5, 0, 0.5]]` (`std_backward` masks a zero std to a zero gradient).
#[test]
fn the_gradient_of_a_zero_std_is_zero() {
    let tape = Tape::new();
    let x = tape.var(Tensor::from([[5.0f64, 5.0, 5.0], [1.0, 2.0, 3.0]]));
    let s = x.std(1, 1, false);
    assert_eq!(s.value().to_vec(), [0.0, 1.0]);
    assert_eq!(
        s.sum_all().backward()[&x].to_vec(),
        [0.0, 0.0, 0.0, -0.5, 0.0, 0.5]
    );
    // Its derivative is 0 there too (PyTorch differentiates the masked_fill), while the
    // other row keeps std's true second derivative.
    let dx = s.sum_all().grad_graph(&[x])[0].unwrap();
    let h = dx.sum_all().backward()[&x].to_vec();
    assert_eq!(&h[..3], [0.0; 3]);
    assert!(h[3..].iter().all(|v| v.is_finite()), "{h:?}");
    // All zeros, both corrections: a zero gradient, not NaN.
    for ddof in [0, 1] {
        let x = tape.var(Tensor::<f64>::zeros(&[2, 3]));
        let g = x.std(1, ddof, false).sum_all().backward()[&x].to_vec();
        assert_eq!(g, [0.0; 6]);
    }
}

/// `torch.logsumexp` over an empty axis is `ln 0 = −∞`.
#[test]
fn logsumexp_over_an_empty_axis_is_minus_infinity() {
    let tape = Tape::new();
    let x = tape.var(Tensor::<f32>::zeros(&[2, 0]));
    let l = x.logsumexp(1, false);
    assert_eq!(l.value().to_vec(), [f32::NEG_INFINITY; 2]);
    assert_eq!(l.sum_all().backward()[&x].shape(), [2, 0]);
    assert_eq!(x.logsumexp(1, true).shape(), [2, 1]);
}

/// `x / s` where `1/s` overflows (a subnormal `s`) is the quotient, as PyTorch's, not ∞.
#[test]
fn division_by_a_scalar_is_a_division() {
    let tape = Tape::new();
    let x = tape.var(Tensor::from([1e-5f32, 0.0, 0.3]));
    let tiny = 1e-40f32;
    let y = x.div_scalar(tiny);
    let want: Vec<f32> = [1e-5f32, 0.0, 0.3].iter().map(|v| v / tiny).collect();
    assert_eq!(y.value().to_vec(), want);
    assert!(want[0].is_finite());
    let g = y.sum_all().backward()[&x].to_vec();
    assert_eq!(g, [1.0 / tiny; 3]);
    // Division by zero: ±∞ and NaN, as the quotient gives.
    let z = x.div_scalar(0.0).value().to_vec();
    assert!(
        z[0] == f32::INFINITY && z[1].is_nan() && z[2] == f32::INFINITY,
        "{z:?}"
    );
}
