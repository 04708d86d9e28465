//! Every optimizer against its published formula, written out again here in plain f64,
//! step by step for 25 steps on a fixed smooth function, with default and non-default
//! hyperparameters. Trajectories must agree to 1e-10.

use autograd::{Param, Tape};
use nn::optim::{Adadelta, Adagrad, Adam, AdamW, Optimizer, RmsProp, Sgd};
use tensor::Tensor;

const STEPS: usize = 25;
const C: [f64; 4] = [1.0, 0.5, 2.0, 0.1];
const T: [f64; 4] = [0.3, -1.0, 0.5, 2.0];
const START: [f64; 4] = [1.0, 0.5, -0.8, 0.0];

/// f(θ) = Σ c_i (θ_i − t_i)² + 0.05 θ_i⁴, recorded on a tape.
fn loss_grads(p: &Param<f64>) -> autograd::Grads<f64> {
    let tape = Tape::new();
    let th = tape.param(p);
    let c = tape.constant(Tensor::from(C));
    let t = tape.constant(Tensor::from(T));
    let f = (c * (th - t).square()).sum_all() + th.powi(4).sum_all() * 0.05;
    f.backward()
}

/// ∇f written by hand: 2c(θ − t) + 0.2θ³.
fn grad(theta: &[f64]) -> Vec<f64> {
    (0..4)
        .map(|i| 2.0 * C[i] * (theta[i] - T[i]) + 0.2 * theta[i].powi(3))
        .collect()
}

/// Runs `opt` for STEPS steps and compares with `reference(theta, g, step)` each step.
fn compare(
    name: &str,
    mut opt: impl Optimizer<f64>,
    mut reference: impl FnMut(&mut [f64], &[f64], usize),
) {
    let p = Param::new("theta", Tensor::from(START));
    let mut theta = START.to_vec();
    for t in 1..=STEPS {
        let grads = loss_grads(&p);
        opt.step(&[&p], &grads);
        let g = grad(&theta);
        reference(&mut theta, &g, t);
        let got = p.value().to_vec();
        for i in 0..4 {
            assert!(
                (got[i] - theta[i]).abs() <= 1e-10 * (1.0 + theta[i].abs()),
                "{name}: step {t}, θ[{i}] = {} but the formula gives {}",
                got[i],
                theta[i]
            );
        }
    }
}

#[test]
fn sgd_matches_the_formula() {
    let plain = |lr: f64| {
        move |th: &mut [f64], g: &[f64], _t: usize| (0..4).for_each(|i| th[i] -= lr * g[i])
    };
    compare("sgd", Sgd::new(0.05), plain(0.05));
    for (mu, tau, nesterov, wd) in [
        (0.9, 0.0, false, 0.0),
        (0.8, 0.3, false, 0.01),
        (0.9, 0.0, true, 0.02),
    ] {
        let mut b = [0.0; 4];
        compare(
            "sgd momentum",
            Sgd::new(0.05)
                .momentum(mu)
                .dampening(tau)
                .nesterov(nesterov)
                .weight_decay(wd),
            move |th, g, t| {
                for i in 0..4 {
                    let d = g[i] + wd * th[i];
                    b[i] = if t == 1 {
                        d
                    } else {
                        mu * b[i] + (1.0 - tau) * d
                    };
                    let step = if nesterov { d + mu * b[i] } else { b[i] };
                    th[i] -= 0.05 * step;
                }
            },
        );
    }
}

#[test]
fn adagrad_matches_the_formula() {
    for (lr, decay, wd, init, eps) in [(0.01, 0.0, 0.0, 0.0, 1e-10), (0.1, 0.05, 0.01, 0.1, 1e-7)] {
        let mut s = [init; 4];
        compare(
            "adagrad",
            Adagrad::new(lr)
                .lr_decay(decay)
                .weight_decay(wd)
                .initial_accumulator_value(init)
                .eps(eps),
            move |th, g, t| {
                let clr = lr / (1.0 + (t - 1) as f64 * decay);
                for i in 0..4 {
                    let d = g[i] + wd * th[i];
                    s[i] += d * d;
                    th[i] -= clr * d / (s[i].sqrt() + eps);
                }
            },
        );
    }
}

#[test]
fn adadelta_matches_the_formula() {
    for (lr, rho, eps, wd) in [(1.0, 0.9, 1e-6, 0.0), (0.5, 0.95, 1e-5, 0.02)] {
        let (mut v, mut u) = ([0.0; 4], [0.0; 4]);
        compare(
            "adadelta",
            Adadelta::new(lr).rho(rho).eps(eps).weight_decay(wd),
            move |th, g, _| {
                for i in 0..4 {
                    let d = g[i] + wd * th[i];
                    v[i] = rho * v[i] + (1.0 - rho) * d * d;
                    let delta = (u[i] + eps).sqrt() / (v[i] + eps).sqrt() * d;
                    u[i] = rho * u[i] + (1.0 - rho) * delta * delta;
                    th[i] -= lr * delta;
                }
            },
        );
    }
}

#[test]
fn rmsprop_matches_the_formula() {
    for (lr, alpha, eps, wd, mu, centered) in [
        (0.01, 0.99, 1e-8, 0.0, 0.0, false),
        (0.01, 0.9, 1e-6, 0.01, 0.5, false),
        (0.005, 0.95, 1e-8, 0.0, 0.0, true),
        (0.005, 0.9, 1e-8, 0.01, 0.9, true),
    ] {
        let (mut v, mut gbar, mut b) = ([0.0; 4], [0.0; 4], [0.0; 4]);
        compare(
            "rmsprop",
            RmsProp::new(lr)
                .alpha(alpha)
                .eps(eps)
                .weight_decay(wd)
                .momentum(mu)
                .centered(centered),
            move |th, g, _| {
                for i in 0..4 {
                    let d = g[i] + wd * th[i];
                    v[i] = alpha * v[i] + (1.0 - alpha) * d * d;
                    let mut vt = v[i];
                    if centered {
                        gbar[i] = alpha * gbar[i] + (1.0 - alpha) * d;
                        vt -= gbar[i] * gbar[i];
                    }
                    if mu > 0.0 {
                        b[i] = mu * b[i] + d / (vt.sqrt() + eps);
                        th[i] -= lr * b[i];
                    } else {
                        th[i] -= lr * d / (vt.sqrt() + eps);
                    }
                }
            },
        );
    }
}

#[test]
fn adam_and_amsgrad_match_the_formula() {
    for (lr, b1, b2, eps, wd, amsgrad) in [
        (1e-3, 0.9, 0.999, 1e-8, 0.0, false),
        (0.05, 0.8, 0.99, 1e-6, 0.01, false),
        (0.05, 0.9, 0.999, 1e-8, 0.0, true),
    ] {
        let (mut m, mut v, mut vmax) = ([0.0; 4], [0.0; 4], [0.0f64; 4]);
        compare(
            "adam",
            Adam::new(lr)
                .betas(b1, b2)
                .eps(eps)
                .weight_decay(wd)
                .amsgrad(amsgrad),
            move |th, g, t| {
                for i in 0..4 {
                    let d = g[i] + wd * th[i];
                    m[i] = b1 * m[i] + (1.0 - b1) * d;
                    v[i] = b2 * v[i] + (1.0 - b2) * d * d;
                    let m_hat = m[i] / (1.0 - b1.powi(t as i32));
                    // torch keeps the max of the raw second moment, then bias-corrects it.
                    vmax[i] = vmax[i].max(v[i]);
                    let second = if amsgrad { vmax[i] } else { v[i] };
                    let v_hat = second / (1.0 - b2.powi(t as i32));
                    th[i] -= lr * m_hat / (v_hat.sqrt() + eps);
                }
            },
        );
    }
}

#[test]
fn adamw_decays_the_weights_before_the_adam_step() {
    for (lr, wd) in [(1e-3, 1e-2), (0.05, 0.1)] {
        let (b1, b2, eps) = (0.9, 0.999, 1e-8);
        let (mut m, mut v) = ([0.0; 4], [0.0; 4]);
        compare("adamw", AdamW::new(lr).weight_decay(wd), move |th, g, t| {
            for i in 0..4 {
                th[i] *= 1.0 - lr * wd;
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                let m_hat = m[i] / (1.0 - b1.powi(t as i32));
                let v_hat = v[i] / (1.0 - b2.powi(t as i32));
                th[i] -= lr * m_hat / (v_hat.sqrt() + eps);
            }
        });
    }
}

/// Every default, by PyTorch's name, as `torch.optim` documents it (2.x); and a run of
/// each optimizer built with `default()` against its formula written with those
/// constants, so a wrong default changes a trajectory, not only a getter.
#[test]
fn every_default_is_pytorchs_and_drives_the_update() {
    let hp = |o: &dyn Optimizer<f64>| o.hyperparameters();
    assert_eq!(
        hp(&Adam::default()),
        [
            ("lr", 1e-3),
            ("beta1", 0.9),
            ("beta2", 0.999),
            ("eps", 1e-8),
            ("weight_decay", 0.0),
            ("amsgrad", 0.0)
        ]
    );
    assert_eq!(
        hp(&AdamW::default()),
        [
            ("lr", 1e-3),
            ("beta1", 0.9),
            ("beta2", 0.999),
            ("eps", 1e-8),
            ("weight_decay", 1e-2),
            ("amsgrad", 0.0)
        ]
    );
    assert_eq!(
        hp(&RmsProp::default()),
        [
            ("lr", 1e-2),
            ("alpha", 0.99),
            ("eps", 1e-8),
            ("weight_decay", 0.0),
            ("momentum", 0.0),
            ("centered", 0.0)
        ]
    );
    assert_eq!(
        hp(&Adagrad::default()),
        [
            ("lr", 1e-2),
            ("lr_decay", 0.0),
            ("weight_decay", 0.0),
            ("initial_accumulator_value", 0.0),
            ("eps", 1e-10)
        ]
    );
    assert_eq!(
        hp(&Adadelta::default()),
        [
            ("lr", 1.0),
            ("rho", 0.9),
            ("eps", 1e-6),
            ("weight_decay", 0.0)
        ]
    );
    assert_eq!(
        hp(&Sgd::new(0.1)),
        [
            ("lr", 0.1),
            ("momentum", 0.0),
            ("dampening", 0.0),
            ("weight_decay", 0.0),
            ("nesterov", 0.0)
        ]
    );

    let (mut m, mut v) = ([0.0; 4], [0.0; 4]);
    compare("adam defaults", Adam::default(), move |th, g, t| {
        for i in 0..4 {
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.999 * v[i] + (1.0 - 0.999) * g[i] * g[i];
            let m_hat = m[i] / (1.0 - 0.9f64.powi(t as i32));
            let v_hat = v[i] / (1.0 - 0.999f64.powi(t as i32));
            th[i] -= 1e-3 * m_hat / (v_hat.sqrt() + 1e-8);
        }
    });
    let (mut m, mut v) = ([0.0; 4], [0.0; 4]);
    compare("adamw defaults", AdamW::default(), move |th, g, t| {
        for i in 0..4 {
            th[i] *= 1.0 - 1e-3 * 1e-2;
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.999 * v[i] + (1.0 - 0.999) * g[i] * g[i];
            let m_hat = m[i] / (1.0 - 0.9f64.powi(t as i32));
            let v_hat = v[i] / (1.0 - 0.999f64.powi(t as i32));
            th[i] -= 1e-3 * m_hat / (v_hat.sqrt() + 1e-8);
        }
    });
    let mut sq = [0.0; 4];
    compare("rmsprop defaults", RmsProp::default(), move |th, g, _| {
        for i in 0..4 {
            sq[i] = 0.99 * sq[i] + (1.0 - 0.99) * g[i] * g[i];
            th[i] -= 1e-2 * g[i] / (sq[i].sqrt() + 1e-8);
        }
    });
    let mut sum = [0.0; 4];
    compare("adagrad defaults", Adagrad::default(), move |th, g, _| {
        for i in 0..4 {
            sum[i] += g[i] * g[i];
            th[i] -= 1e-2 * g[i] / (sum[i].sqrt() + 1e-10);
        }
    });
    let (mut sq, mut acc) = ([0.0; 4], [0.0; 4]);
    compare("adadelta defaults", Adadelta::default(), move |th, g, _| {
        for i in 0..4 {
            sq[i] = 0.9 * sq[i] + 0.1 * g[i] * g[i];
            let delta = (acc[i] + 1e-6f64).sqrt() / (sq[i] + 1e-6f64).sqrt() * g[i];
            acc[i] = 0.9 * acc[i] + 0.1 * delta * delta;
            th[i] -= delta;
        }
    });
}

#[test]
fn defaults_are_pytorchs() {
    assert_eq!(Adam::<f32>::default().learning_rate(), 1e-3);
    assert_eq!(Adagrad::<f32>::default().learning_rate(), 1e-2);
    assert_eq!(Adadelta::<f32>::default().learning_rate(), 1.0);
    assert_eq!(RmsProp::<f32>::default().learning_rate(), 1e-2);
    assert_eq!(AdamW::<f32>::new(1e-3).name(), "AdamW");
    let mut sgd = Sgd::<f32>::new(0.1);
    sgd.set_learning_rate(0.2);
    assert_eq!(sgd.learning_rate(), 0.2);
}

#[test]
fn schedules_and_clipping_follow_their_definitions() {
    use nn::optim::{clip_grad_value, CosineAnnealing, ExponentialDecay, LrSchedule, StepDecay};
    assert_eq!(
        StepDecay {
            step_size: 10,
            gamma: 0.5
        }
        .rate(25, 1.0),
        0.25
    );
    assert!((ExponentialDecay { gamma: 0.9 }.rate(3, 2.0) - 2.0 * 0.729).abs() < 1e-15);
    let cos = CosineAnnealing {
        t_max: 10,
        eta_min: 0.1,
    };
    assert_eq!(cos.rate(0, 1.0), 1.0);
    assert!((cos.rate(5, 1.0) - 0.55).abs() < 1e-12);
    assert!((cos.rate(10, 1.0) - 0.1).abs() < 1e-12);
    let p = Param::new("w", Tensor::from([3.0f64, -4.0]));
    let mut grads = {
        let tape = Tape::new();
        (tape.param(&p).square() * 0.5).sum_all().backward()
    };
    clip_grad_value(&mut grads, 3.5);
    assert_eq!(grads[&p].to_vec(), vec![3.0, -3.5]);
}

#[test]
fn optimizer_state_is_inspectable_under_pytorch_names() {
    let p = Param::new("theta", Tensor::from(START));
    let mut adam = Adam::new(0.1).amsgrad(true);
    assert!(adam.state(&p).is_empty(), "no state before the first step");
    let g = grad(&START);
    adam.step(&[&p], &loss_grads(&p));
    let state = adam.state(&p);
    let names: Vec<&str> = state.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]);
    assert_eq!(state[0].1.item(), 1.0);
    // After one step: m = (1 − β₁)·g, v = (1 − β₂)·g² (written from the formula).
    for i in 0..4 {
        assert!((state[1].1.to_vec()[i] - 0.1 * g[i]).abs() < 1e-12);
        assert!((state[2].1.to_vec()[i] - 0.001 * g[i] * g[i]).abs() < 1e-12);
    }
    assert_eq!(state[1].1.shape(), &[4]);
    let mut sgd = Sgd::new(0.1).momentum(0.9);
    sgd.step(&[&p], &loss_grads(&p));
    assert_eq!(sgd.state(&p)[0].0, "momentum_buffer");
    let mut rms = RmsProp::new(0.01).centered(true).momentum(0.5);
    rms.step(&[&p], &loss_grads(&p));
    assert_eq!(
        rms.state(&p).iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ["square_avg", "grad_avg", "momentum_buffer"]
    );
    let mut ada = Adagrad::new(0.01);
    ada.step(&[&p], &loss_grads(&p));
    assert_eq!(ada.state(&p)[1].0, "sum");
    let mut delta = Adadelta::new(1.0);
    delta.step(&[&p], &loss_grads(&p));
    assert_eq!(delta.state(&p)[1].0, "acc_delta");
}

#[test]
fn a_saved_state_puts_every_optimizer_back_exactly() {
    // save_state → two more steps → restore_state must give back the state and the next
    // update of the moment of the save, bit for bit (fit's rollback relies on it).
    let optimizers: Vec<Box<dyn Optimizer<f64>>> = vec![
        Box::new(Sgd::new(0.1).momentum(0.9).nesterov(true)),
        Box::new(Adagrad::new(0.1)),
        Box::new(Adadelta::new(1.0)),
        Box::new(RmsProp::new(0.01).momentum(0.5).centered(true)),
        Box::new(Adam::new(0.01).amsgrad(true)),
        Box::new(AdamW::new(0.01)),
    ];
    for mut opt in optimizers {
        let p = Param::new("w", Tensor::from(START));
        let other = Param::new("v", Tensor::from([0.5f64, -1.5, 2.0, 0.1]));
        opt.step(&[&p], &loss_grads(&p));
        let mut saved = None;
        assert!(opt.save_state(&mut saved), "{}", opt.name());
        let state_then = opt.state(&p);
        opt.step(&[&p], &loss_grads(&p));
        // A parameter that first steps after the save must lose its state again.
        opt.step(&[&other], &loss_grads(&other));
        // A second save into the same slot reuses it and is overwritten by the restore.
        let mut scratch = None;
        assert!(opt.save_state(&mut scratch));
        assert!(opt.restore_state(saved.as_deref().expect("saved")));
        assert_eq!(opt.state(&p), state_then, "{}", opt.name());
        assert!(opt.state(&other).is_empty(), "{}", opt.name());
        // Another optimizer's saved state is refused and changes nothing.
        let foreign: Box<dyn std::any::Any + Send> = Box::new(0u8);
        assert!(!opt.restore_state(&*foreign));
        assert_eq!(opt.state(&p), state_then);
    }
}
