//! Every optimizer in f32 over long runs with a constant gradient, against its formula
//! written out again here in plain f64: the weights stay finite and follow the f64
//! trajectory within the rounding bound stated at [`check`].
//!
//! A constant gradient is where running averages converge and differences of them
//! cancel: centered RMSprop's `v − ḡ²` rounded below zero after ~1200 steps and turned
//! the weight into NaN.

use autograd::{Grads, Param, Tape};
use nn::optim::{Adadelta, Adagrad, Adam, AdamW, Optimizer, RmsProp, Sgd};
use tensor::Tensor;

const STEPS: usize = 5000;
/// Constant gradients of several magnitudes and signs (each element is independent).
const G: [f64; 5] = [1.0, -0.5, 1e-3, 1e3, -7e-6];
const START: [f64; 5] = [1.0, -2.0, 0.5, 3.0, 0.0];

/// The gradient of `Σ G_i θ_i`, which is `G` whatever θ.
fn constant_grads(p: &Param<f32>) -> Grads<f32> {
    let tape = Tape::new();
    let g = tape.constant(Tensor::from(G.map(|v| v as f32)));
    (tape.param(p) * g).sum_all().backward()
}

/// Runs `opt` in f32 for `steps` steps and the f64 `reference(θ, g, t)` alongside.
///
/// Bound: each f32 step rounds the update (a relative error of a few ε_f32, the state
/// being a contracting average or a sum) and the sum `θ − Δ` (half an ulp of θ). Over `T`
/// steps the errors add up to at most `T · 8 · ε_f32 · max_t(|θ_t| + |Δ_t|)` per element,
/// which is what is checked, on every step (the errors measured are below 1/4 of it).
fn check(
    name: &str,
    mut opt: impl Optimizer<f32>,
    steps: usize,
    mut reference: impl FnMut(&mut [f64], &[f64], usize),
) -> Vec<f64> {
    let p = Param::new("theta", Tensor::from(START.map(|v| v as f32)));
    let grads = constant_grads(&p);
    let mut theta = START.to_vec();
    let mut scale = START.map(f64::abs);
    for t in 1..=steps {
        opt.step(&[&p], &grads);
        let before = theta.clone();
        reference(&mut theta, &G, t);
        let got = p.value().to_vec();
        for i in 0..G.len() {
            let step = (theta[i] - before[i]).abs();
            scale[i] = scale[i].max(theta[i].abs() + step);
            let bound = t as f64 * 8.0 * f64::from(f32::EPSILON) * scale[i];
            let err = (f64::from(got[i]) - theta[i]).abs();
            assert!(
                got[i].is_finite() && err <= bound,
                "{name}: step {t}, θ[{i}] = {} but the f64 formula gives {} (error {err:.3e} > \
                 bound {bound:.3e})",
                got[i],
                theta[i]
            );
        }
    }
    p.value().to_vec().iter().map(|&v| f64::from(v)).collect()
}

#[test]
fn sgd_with_and_without_momentum() {
    let lr = 1e-3;
    check("SGD", Sgd::new(lr), STEPS, |th, g, _| {
        (0..G.len()).for_each(|i| th[i] -= lr * g[i])
    });
    let (mu, tau) = (0.9, 0.1);
    for nesterov in [false, true] {
        let mut b = vec![0.0; G.len()];
        let opt = Sgd::new(lr)
            .momentum(mu)
            .dampening(if nesterov { 0.0 } else { tau });
        let tau = if nesterov { 0.0 } else { tau };
        check("SGD momentum", opt.nesterov(nesterov), STEPS, |th, g, t| {
            for i in 0..G.len() {
                b[i] = if t == 1 {
                    g[i]
                } else {
                    mu * b[i] + (1.0 - tau) * g[i]
                };
                th[i] -= lr * if nesterov { g[i] + mu * b[i] } else { b[i] };
            }
        });
    }
}

#[test]
fn adam_and_amsgrad_and_adamw() {
    let (lr, b1, b2, eps) = (1e-3, 0.9, 0.999, 1e-8);
    for amsgrad in [false, true] {
        let (mut m, mut v, mut vmax) = ([0.0f64; 5], [0.0f64; 5], [0.0f64; 5]);
        let opt = Adam::new(lr).amsgrad(amsgrad);
        check("Adam", opt, STEPS, |th, g, t| {
            for i in 0..G.len() {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                vmax[i] = vmax[i].max(v[i]);
                let vv = if amsgrad { vmax[i] } else { v[i] };
                let bc1 = 1.0 - b1.powi(t as i32);
                let bc2 = 1.0 - b2.powi(t as i32);
                th[i] -= lr * (m[i] / bc1) / (vv.sqrt() / bc2.sqrt() + eps);
            }
        });
    }
    let wd = 1e-2;
    let (mut m, mut v) = ([0.0f64; 5], [0.0f64; 5]);
    check("AdamW", AdamW::new(lr), STEPS, |th, g, t| {
        for i in 0..G.len() {
            th[i] -= lr * wd * th[i];
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let (bc1, bc2) = (1.0 - b1.powi(t as i32), 1.0 - b2.powi(t as i32));
            th[i] -= lr * (m[i] / bc1) / (v[i].sqrt() / bc2.sqrt() + eps);
        }
    });
}

#[test]
fn adagrad_and_adadelta() {
    let (lr, eps) = (1e-2, 1e-10);
    let mut s = [0.0f64; 5];
    check("Adagrad", Adagrad::new(lr), STEPS, |th, g, _| {
        for i in 0..G.len() {
            s[i] += g[i] * g[i];
            th[i] -= lr * g[i] / (s[i].sqrt() + eps);
        }
    });
    let (lr, rho, eps) = (1.0, 0.9, 1e-6);
    let (mut v, mut u) = ([0.0f64; 5], [0.0f64; 5]);
    check("Adadelta", Adadelta::new(lr), STEPS, |th, g, _| {
        for i in 0..G.len() {
            v[i] = rho * v[i] + (1.0 - rho) * g[i] * g[i];
            let d = (u[i] + eps).sqrt() / (v[i] + eps).sqrt() * g[i];
            u[i] = rho * u[i] + (1.0 - rho) * d * d;
            th[i] -= lr * d;
        }
    });
}

#[test]
fn rmsprop_plain_and_with_momentum() {
    let (lr, alpha, eps, mu) = (1e-3, 0.99, 1e-8, 0.9);
    for momentum in [0.0, mu] {
        let (mut v, mut b) = ([0.0f64; 5], [0.0f64; 5]);
        let opt = RmsProp::new(lr).momentum(momentum);
        check("RMSprop", opt, STEPS, |th, g, _| {
            for i in 0..G.len() {
                v[i] = alpha * v[i] + (1.0 - alpha) * g[i] * g[i];
                b[i] = momentum * b[i] + g[i] / (v[i].sqrt() + eps);
                th[i] -= lr * b[i];
            }
        });
    }
}

#[test]
fn centered_rmsprop_stays_finite_when_the_variance_estimate_cancels() {
    // With a constant gradient the exact variance estimate is ṽ_t = α^t(1 − α^t)g², which
    // falls below f32's rounding of v ≈ g² (ε_f32·g² ≈ 1.2e-7·g²) after ~1100 steps; from
    // there the f32 value is rounding noise (it was −9.3e-10 at step ~1200, and NaN
    // followed). While ṽ is well above that noise (α^t(1 − α^t) ≥ 6e-3 in the first 500
    // steps) the trajectory follows the f64 formula within the bound of `check`; over
    // 20 000 steps it stays finite and within the exact-arithmetic bound on the step,
    // |Δ| ≤ γ·|g|/ε (÷ (1 − μ) with momentum).
    let (lr, alpha, eps) = (1e-2, 0.99, 1e-8);
    for mu in [0.0, 0.9] {
        let (mut v, mut ga, mut b) = ([0.0f64; 5], [0.0f64; 5], [0.0f64; 5]);
        let opt = || RmsProp::new(lr).centered(true).momentum(mu);
        check("centered RMSprop", opt(), 500, |th, g, _| {
            for i in 0..G.len() {
                v[i] = alpha * v[i] + (1.0 - alpha) * g[i] * g[i];
                ga[i] = alpha * ga[i] + (1.0 - alpha) * g[i];
                b[i] = mu * b[i] + g[i] / ((v[i] - ga[i] * ga[i]).sqrt() + eps);
                th[i] -= lr * b[i];
            }
        });
        let p = Param::new("theta", Tensor::from(START.map(|v| v as f32)));
        let grads = constant_grads(&p);
        let mut opt = opt();
        let steps = 20_000;
        for _ in 0..steps {
            opt.step(&[&p], &grads);
        }
        for (i, w) in p.value().to_vec().iter().enumerate() {
            let max_travel = steps as f64 * lr * G[i].abs() / eps / (1.0 - mu);
            assert!(
                w.is_finite() && (f64::from(*w) - START[i]).abs() <= max_travel * 1.001,
                "centered RMSprop (μ = {mu}): θ[{i}] = {w} after {steps} steps"
            );
        }
    }
}

/// Makes a fresh optimizer.
type MakeOptimizer = fn() -> Box<dyn Optimizer<f32>>;

/// A parameter large enough to be updated in pieces on several threads
/// (`tensor::parallel::elementwise_chunk`) gets, element by element, the bits a 5-element
/// one gets from the same optimizer (every optimizer, with its state buffers): the pieces line up with the state they update. Run
/// in a 3-thread pool so that the pieces are split whatever the machine; the gradient
/// drops after the first step so that `v` falls and AMSGrad's maximum differs from it.
#[test]
fn a_large_parameter_updated_in_pieces_matches_a_small_one() {
    const N: usize = 300_001; // above the split threshold, and not a whole number of pieces
    let cycle = |v: &[f64; 5], scale: f64| -> Vec<f32> {
        (0..N).map(|i| (v[i % 5] * scale) as f32).collect()
    };
    let optimizers: [(&str, MakeOptimizer); 8] = [
        ("SGD", || Box::new(Sgd::new(0.1).weight_decay(0.01))),
        ("SGD Nesterov", || {
            Box::new(Sgd::new(0.1).momentum(0.9).nesterov(true))
        }),
        ("Adam", || Box::new(Adam::new(0.01).weight_decay(0.1))),
        ("AMSGrad", || Box::new(AdamW::new(0.01).amsgrad(true))),
        ("RMSprop", || Box::new(RmsProp::new(0.01).momentum(0.9))),
        ("RMSprop centered", || {
            Box::new(RmsProp::new(0.01).centered(true).weight_decay(0.1))
        }),
        ("Adagrad", || Box::new(Adagrad::new(0.1).lr_decay(0.01))),
        ("Adadelta", || {
            Box::new(Adadelta::new(1.0).weight_decay(0.1))
        }),
    ];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    pool.install(|| {
        assert!(tensor::parallel::elementwise_chunk(N) < N, "not split");
        for (name, make) in optimizers {
            let small = Param::new("small", Tensor::from(START.map(|v| v as f32)));
            let large = Param::new("large", Tensor::from_vec(cycle(&START, 1.0), &[N]).unwrap());
            let (mut a, mut b) = (make(), make());
            for step in 1..=3 {
                let scale = if step == 1 { 1.0 } else { 1e-3 };
                let grads = |p: &Param<f32>, g: Vec<f32>, shape: &[usize]| {
                    let tape = Tape::new();
                    let g = tape.constant(Tensor::from_vec(g, shape).unwrap());
                    (tape.param(p) * g).sum_all().backward()
                };
                let small_g: Vec<f32> = G.iter().map(|g| (g * scale) as f32).collect();
                a.step(&[&small], &grads(&small, small_g, &[5]));
                b.step(&[&large], &grads(&large, cycle(&G, scale), &[N]));
                let (s, l) = (small.value().to_vec(), large.value().to_vec());
                for (i, v) in l.iter().enumerate() {
                    assert!(
                        v.to_bits() == s[i % 5].to_bits(),
                        "{name}, step {step}: element {i} is {v}, the small parameter's is {}",
                        s[i % 5]
                    );
                }
            }
        }
    });
}
