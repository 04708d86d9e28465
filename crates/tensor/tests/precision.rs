//! f32 kernels near 0 and at large magnitudes against an f64 reference (the standard
//! library's f64 functions), with the relative-error bound of each stated. `F` is
//! f32's machine epsilon (1.19e-7, two ulps of 1).

use tensor::Tensor;

const F: f64 = f32::EPSILON as f64;

/// Inputs near 0 of both signs, moderate, and large.
const NEAR_ZERO: [f32; 8] = [1e-30, -1e-30, 1e-8, -1e-8, 1e-6, -1e-6, 1e-3, -1e-3];
const MODERATE: [f32; 4] = [0.5, -0.5, 3.0, -3.0];

/// Checks `got` (f32) against `want` (f64) within `bound` relative error, or within two
/// subnormal steps (2.8e-45) when the exact result is below f32's normal range, where
/// relative error has no meaning.
fn close(what: &str, x: f32, got: f32, want: f64, bound: f64) {
    let err = (f64::from(got) - want).abs();
    let ok = if want.abs() < f64::from(f32::MIN_POSITIVE) {
        err <= 2.0 * f64::from(f32::from_bits(1))
    } else {
        err <= bound * want.abs()
    };
    assert!(
        ok,
        "{what}({x:e}) = {got:e}, f64 gives {want:e} (relative error {:.2e} > {bound:.1e})",
        err / want.abs()
    );
}

fn apply(xs: &[f32], f: impl Fn(&Tensor<f32>) -> Tensor<f32>) -> Vec<f32> {
    f(&Tensor::from_vec(xs.to_vec(), &[xs.len()]).unwrap()).to_vec()
}

#[test]
fn expm1_and_log1p_keep_every_digit_near_zero() {
    // libm's expm1f/log1pf are within 1 ulp: bound 1·F (= 2 ulps near 1, at least 1 ulp).
    let xs: Vec<f32> = NEAR_ZERO
        .iter()
        .chain(&MODERATE)
        .chain(&[20.0, -20.0, 80.0])
        .copied()
        .collect();
    for (x, y) in xs.iter().zip(apply(&xs, Tensor::expm1)) {
        close("expm1", *x, y, f64::from(*x).exp_m1(), F);
    }
    let xs: Vec<f32> = NEAR_ZERO
        .iter()
        .chain(&MODERATE[..3])
        .chain(&[0.999, 1e10, 3e38])
        .copied()
        .collect();
    for (x, y) in xs.iter().zip(apply(&xs, Tensor::log1p)) {
        close("log1p", *x, y, f64::from(*x).ln_1p(), F);
    }
    // The naive forms lose it all: exp(−1e-8) − 1 is 0 in f32.
    assert_eq!((-1e-8f32).exp() - 1.0, 0.0);
}

#[test]
fn sigmoid_is_accurate_in_both_tails() {
    // σ(x) = 1/(1 + e^−x) in f64. Bound 4·F: the fast exp is within 2 ulps, plus the
    // division and, for x < 0, the product e·s. Below x ≈ −87.3 the result is subnormal.
    let xs: Vec<f32> = NEAR_ZERO
        .iter()
        .chain(&MODERATE)
        .chain(&[20.0, -20.0, 50.0, -50.0, -87.0, -95.0, -100.0, 100.0])
        .copied()
        .collect();
    for (x, y) in xs.iter().zip(apply(&xs, Tensor::sigmoid)) {
        let x64 = f64::from(*x);
        close("sigmoid", *x, y, 1.0 / (1.0 + (-x64).exp()), 4.0 * F);
    }
    // 1 − σ(x) is σ(−x), with no cancellation: 1 − σ(20) is 2.06e-9.
    let tail = apply(&[-20.0, -30.0], Tensor::sigmoid);
    close(
        "1 − sigmoid",
        20.0,
        tail[0],
        1.0 - 1.0 / (1.0 + (-20f64).exp()),
        4.0 * F,
    );
    close(
        "1 − sigmoid",
        30.0,
        tail[1],
        (-30f64).exp() / (1.0 + (-30f64).exp()),
        4.0 * F,
    );
}

#[test]
fn softplus_and_log_sigmoid_at_large_magnitudes() {
    // softplus(x) = ln(1 + e^x) = max(x, 0) + ln(1 + e^−|x|) in f64. Bound 4·F (fast exp,
    // log1p, one addition). log σ(x) = −softplus(−x), so this covers log-sigmoid too.
    let xs: Vec<f32> = NEAR_ZERO
        .iter()
        .chain(&MODERATE)
        .chain(&[20.0, -20.0, 90.0, -90.0, 1e6, -1e6])
        .copied()
        .collect();
    for (x, y) in xs.iter().zip(apply(&xs, Tensor::softplus)) {
        let x64 = f64::from(*x);
        close(
            "softplus",
            *x,
            y,
            x64.max(0.0) + (-x64.abs()).exp().ln_1p(),
            4.0 * F,
        );
    }
}

#[test]
fn erfc_is_accurate_where_erf_is_near_one() {
    // libm's erfcf against libm's f64 erfc; bound 4·F. erfc(5) = 1.5e-12, where
    // 1 − erf(5) is 0 in f32.
    let xs = [1e-8f32, -1e-8, 0.5, -0.5, 2.0, -2.0, 5.0, 9.0];
    for (x, y) in xs.iter().zip(apply(&xs, Tensor::erfc)) {
        close("erfc", *x, y, libm::erfc(f64::from(*x)), 4.0 * F);
    }
    assert_eq!(1.0 - libm::erff(5.0), 0.0);
}

/// `x^2` is `x·x` and `x^1` is `x`, bit for bit, as PyTorch computes them
/// (`aten/src/ATen/native/cpu/PowKernel.cpp`), at the edges too: `(-0)^2 = +0`,
/// `(-∞)^2 = +∞`, NaN stays NaN, `(-0)^1 = -0`, and squares that overflow or underflow.
#[test]
fn squares_and_first_powers_are_exact() {
    let xs = [
        0.0f32,
        -0.0,
        1.5,
        -3.25,
        1.1,
        0.1,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MAX,
        1e-30,
        -f32::MIN_POSITIVE,
    ];
    let t = Tensor::from(xs);
    let (sq, one) = (t.powf(2.0).to_vec(), t.powf(1.0).to_vec());
    for (i, &x) in xs.iter().enumerate() {
        assert_eq!(sq[i].to_bits(), (x * x).to_bits(), "{x}^2");
        assert_eq!(one[i].to_bits(), x.to_bits(), "{x}^1");
    }
    assert_eq!(sq[1].to_bits(), 0.0f32.to_bits());
    assert_eq!(sq[9], f32::INFINITY);
}
