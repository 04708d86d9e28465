//! Activations in f32 near 0 and at large magnitudes against f64 references, with the
//! relative-error bound of each stated. `F` is f32's machine epsilon (1.19e-7).
//!
//! Where the function is ill-conditioned the bound includes its condition number
//! `κ(x) = |x·f'(x)/f(x)|`: rounding the input alone (relative F/2) moves the exact
//! result by `κ·F/2`, so no f32 computation can do better.

use autograd::{Tape, Var};
use tensor::Tensor;

const F: f64 = f32::EPSILON as f64;
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;

fn forward(xs: &[f32], f: impl for<'t> Fn(Var<'t, f32>) -> Var<'t, f32>) -> Vec<f32> {
    let tape = Tape::new();
    let x = tape.var(Tensor::from_vec(xs.to_vec(), &[xs.len()]).unwrap());
    f(x).value().to_vec()
}

fn close(what: &str, x: f32, got: f32, want: f64, bound: f64) {
    let err = (f64::from(got) - want).abs();
    assert!(
        err <= bound * want.abs(),
        "{what}({x:e}) = {got:e}, f64 gives {want:e} (relative error {:.2e} > {bound:.2e})",
        err / want.abs()
    );
}

#[test]
fn elu_is_accurate_near_zero_and_saturates_correctly() {
    // α·(e^x − 1) in f64 with expm1. Bound 2·F (expm1f within 1 ulp, times α rounded).
    // The old `exp(x) − 1` gave 0 at −1e-8 and was 1.3 % off at −1e-6.
    let xs = [
        -1e-30f32, -1e-8, -1e-6, -1e-4, -0.1, -1.0, -5.0, -20.0, -100.0,
    ];
    for alpha in [1.0f32, 0.5, 1.673_263_2] {
        for (x, y) in xs.iter().zip(forward(&xs, |v| v.elu(alpha))) {
            let want = f64::from(alpha) * f64::from(*x).exp_m1();
            close("elu", *x, y, want, 2.0 * F);
        }
    }
    // Positive inputs pass through exactly.
    assert_eq!(forward(&[1e-8, 3.0], |v| v.elu(1.0)), vec![1e-8, 3.0]);
}

#[test]
fn exact_gelu_keeps_its_negative_tail() {
    // x·Φ(x) with Φ(x) = ½·erfc(−x/√2) in f64. For x < 0, κ ≈ 1 + x² (the Gaussian tail's
    // log-derivative is about −x): bound (4 + x²)·F. The old `½(1 + erf(x/√2))` was 0
    // below x ≈ −5.9 in f32.
    let xs = [
        1e-8f32, -1e-8, 1e-3, -1e-3, 0.5, -0.5, 2.0, -2.0, -6.0, -10.0, -12.0, 5.0, 20.0,
    ];
    for (x, y) in xs.iter().zip(forward(&xs, |v| v.gelu())) {
        let x64 = f64::from(*x);
        let want = x64 * 0.5 * libm::erfc(-x64 * std::f64::consts::FRAC_1_SQRT_2);
        close("gelu", *x, y, want, (4.0 + x64 * x64) * F);
    }
}

#[test]
fn tanh_gelu_keeps_its_negative_tail() {
    // ½x(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³), in f64 (the σ form: in f64 too
    // `1 + tanh u` cancels for x ≪ 0). For x < 0, κ ≤ 1 + 2√(2/π)|x|(1 + 3·0.044715x²):
    // bound (4 + κ)·F. The old form was 0 below x ≈ −5 in f32.
    let xs = [
        1e-8f32, -1e-8, 1e-3, -1e-3, 0.5, -0.5, 2.0, -2.0, -5.0, -8.0, -10.0, 5.0, 20.0,
    ];
    for (x, y) in xs.iter().zip(forward(&xs, |v| v.gelu_tanh())) {
        let x64 = f64::from(*x);
        let u = SQRT_2_OVER_PI * (x64 + 0.044_715 * x64.powi(3));
        let want = x64 / (1.0 + (-2.0 * u).exp());
        let kappa = 1.0 + 2.0 * SQRT_2_OVER_PI * x64.abs() * (1.0 + 3.0 * 0.044_715 * x64 * x64);
        close("gelu_tanh", *x, y, want, (4.0 + kappa) * F);
    }
}

#[test]
fn sigmoid_and_softplus_vars_in_the_tails() {
    // The Var ops use the tensor kernels (checked in the tensor crate); here the values
    // users see: σ(−30) = 9.4e-14 and softplus(−30) = 9.4e-14, log σ(30) = −9.4e-14.
    let xs = [-30.0f32, 30.0];
    let s = forward(&xs, |v| v.sigmoid());
    close("sigmoid", -30.0, s[0], 1.0 / (1.0 + 30f64.exp()), 4.0 * F);
    let sp = forward(&xs, |v| v.softplus());
    close("softplus", -30.0, sp[0], (-30f64).exp().ln_1p(), 4.0 * F);
    let log_sigmoid = forward(&[30.0], |v| v.neg().softplus().neg());
    close(
        "log_sigmoid",
        30.0,
        log_sigmoid[0],
        -(-30f64).exp().ln_1p(),
        4.0 * F,
    );
}
