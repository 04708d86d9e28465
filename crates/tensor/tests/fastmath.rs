//! The vectorized `exp`, `tanh` and `sigmoid` against the standard library over a sweep,
//! with the error bounds stated in `tensor::fastmath`.

use tensor::fastmath::{exp_f32, exp_f64, tanh_f32, tanh_f64};
use tensor::Tensor;

const POINTS: usize = 2_000_000;

fn ulps_f32(a: f32, b: f32) -> u32 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
}

fn ulps_f64(a: f64, b: f64) -> u64 {
    (a.to_bits() as i128 - b.to_bits() as i128).unsigned_abs() as u64
}

#[test]
fn exp_f32_within_2_ulp_on_the_normal_range() {
    let (lo, hi) = (-87.0f64, 88.7f64);
    let mut worst = 0;
    for i in 0..POINTS {
        let x = (lo + (hi - lo) * i as f64 / POINTS as f64) as f32;
        worst = worst.max(ulps_f32(exp_f32(x), x.exp()));
    }
    assert!(worst <= 2, "worst error {worst} ulp");
}

#[test]
fn exp_f64_within_2_ulp_on_the_normal_range() {
    let (lo, hi) = (-708.0f64, 709.7f64);
    let mut worst = 0;
    for i in 0..POINTS {
        let x = lo + (hi - lo) * i as f64 / POINTS as f64;
        worst = worst.max(ulps_f64(exp_f64(x), x.exp()));
    }
    assert!(worst <= 2, "worst error {worst} ulp");
}

#[test]
fn exp_special_values_follow_std() {
    assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
    assert_eq!(exp_f32(100.0), f32::INFINITY);
    assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
    assert_eq!(exp_f32(-200.0), 0.0);
    assert!(exp_f32(f32::NAN).is_nan());
    assert_eq!(exp_f32(0.0), 1.0);
    assert_eq!(exp_f64(800.0), f64::INFINITY);
    assert_eq!(exp_f64(-800.0), 0.0);
    assert!(exp_f64(f64::NAN).is_nan());
    // Subnormal results are computed, not flushed.
    let x = -100.0f32;
    assert!((exp_f32(x) - x.exp()).abs() <= 2.0 * f32::from_bits(1));
    assert!(exp_f64(-740.0) > 0.0);
}

#[test]
fn tanh_f32_within_3_ulp_or_1e7_absolute() {
    let mut worst = 0.0f64;
    for i in 0..POINTS {
        let x = (-12.0 + 24.0 * i as f64 / POINTS as f64) as f32;
        let (got, want) = (tanh_f32(x), x.tanh());
        let err = ulps_f32(got, want) as f64;
        if err > 3.0 {
            worst = worst.max((got - want).abs() as f64 / 1e-7);
        }
    }
    assert!(worst <= 1.0, "worst absolute error {:e}", worst * 1e-7);
    assert_eq!(tanh_f32(f32::INFINITY), 1.0);
    assert_eq!(tanh_f32(f32::NEG_INFINITY), -1.0);
    assert_eq!(tanh_f32(1e-30), 1e-30);
}

#[test]
fn tanh_f64_relative_1e15_or_absolute_1e16() {
    for i in 0..POINTS {
        let x = -20.0 + 40.0 * i as f64 / POINTS as f64;
        let (got, want) = (tanh_f64(x), x.tanh());
        let err = (got - want).abs();
        assert!(
            err <= 1e-15 * want.abs() || err <= 1e-16,
            "tanh({x}) = {got}, std says {want}"
        );
    }
    assert_eq!(tanh_f64(1e-300), 1e-300);
    assert_eq!(tanh_f64(f64::INFINITY), 1.0);
}

#[test]
fn tensor_kernels_use_the_fast_functions_on_every_layout() {
    let x = Tensor::<f64>::linspace(-30.0, 30.0, 1001);
    let xs = x.to_vec();
    let sig = x.sigmoid().to_vec();
    for (s, &v) in sig.iter().zip(&xs) {
        let want = 1.0 / (1.0 + (-v).exp());
        assert!((s - want).abs() <= 1e-15 * want.max(1e-300) + 1e-300);
    }
    // A strided view goes through the same kernel.
    let strided = x.slice(0, 0, 1001, 3);
    let want: Vec<f64> = strided.to_vec().iter().map(|v| v.exp()).collect();
    let got = strided.exp().to_vec();
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 5e-16 * w);
    }
}

#[test]
fn flush_subnormal_zeroes_only_subnormals() {
    use tensor::Float;
    assert_eq!(1e-40f32.flush_subnormal(), 0.0);
    assert_eq!((-1e-40f32).flush_subnormal(), 0.0);
    assert_eq!(1e-37f32.flush_subnormal(), 1e-37);
    assert_eq!(f32::MIN_POSITIVE.flush_subnormal(), f32::MIN_POSITIVE);
    assert_eq!(1e-310f64.flush_subnormal(), 0.0);
    assert_eq!(1e-300f64.flush_subnormal(), 1e-300);
}

#[test]
fn sigmoid_f32_within_5e7_relative() {
    use tensor::Float;
    let mut worst = 0.0f64;
    for i in 0..POINTS {
        let x = (-80.0 + 160.0 * i as f64 / POINTS as f64) as f32;
        let want = 1.0 / (1.0 + (-(x as f64)).exp());
        let got = x.fast_sigmoid() as f64;
        if want > 1e-30 {
            worst = worst.max((got - want).abs() / want);
        }
    }
    assert!(worst <= 5e-7, "worst relative error {worst:e}");
}
