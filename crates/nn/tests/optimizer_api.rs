//! The `Optimizer` trait's API for every built-in optimizer, used directly and through
//! `Box<dyn Optimizer>` (what `Model::new` stores): names, learning rate, hyper-parameters,
//! and the state that checkpoints and `fit`'s rollback rely on (`state`/`set_state`,
//! `save_state`/`restore_state`); and the trait's defaults, seen by an optimizer that
//! implements only the required methods.

use autograd::{Grads, Param, Tape};
use nn::optim::{Adadelta, Adagrad, Adam, AdamW, Optimizer, RmsProp, SavedState, Sgd, StateError};
use tensor::Tensor;

const START: [f64; 3] = [1.0, -0.5, 2.0];

/// Gradients of Σ (θ − 0.3)² + θ⁴/4, a different vector at every point.
fn grads(p: &Param<f64>) -> Grads<f64> {
    let tape = Tape::new();
    let th = tape.param(p);
    ((th - 0.3).square().sum_all() + th.powi(4).sum_all() * 0.25).backward()
}

fn steps(opt: &mut dyn Optimizer<f64>, p: &Param<f64>, n: usize) {
    for _ in 0..n {
        let g = grads(p);
        opt.step(&[p], &g);
    }
}

/// Each optimizer with state to keep (momentum for SGD, AMSGrad, centred RMSprop),
/// built at learning rate `lr`, boxed, with PyTorch's class name.
fn all(lr: f64) -> Vec<(Box<dyn Optimizer<f64>>, &'static str)> {
    vec![
        (Box::new(Sgd::new(lr).momentum(0.9)), "SGD"),
        (Box::new(Adam::new(lr).amsgrad(true)), "Adam"),
        (Box::new(AdamW::new(lr)), "AdamW"),
        (Box::new(Adagrad::new(lr)), "Adagrad"),
        (Box::new(Adadelta::new(lr)), "Adadelta"),
        (
            Box::new(RmsProp::new(lr).centered(true).momentum(0.5)),
            "RMSprop",
        ),
    ]
}

#[test]
fn names_learning_rates_and_hyperparameters_reach_through_a_box() {
    for (mut opt, name) in all(0.05) {
        assert_eq!(opt.name(), name);
        assert_eq!(opt.learning_rate(), 0.05, "{name}");
        assert_eq!(opt.hyperparameters()[0], ("lr", 0.05), "{name}");
        opt.set_learning_rate(0.125);
        assert_eq!(opt.learning_rate(), 0.125, "{name}");
        assert_eq!(opt.hyperparameters()[0], ("lr", 0.125), "{name}");
        assert!(opt.validate().is_ok(), "{name}");
        opt.set_learning_rate(f64::NAN);
        assert!(
            opt.validate().is_err(),
            "{name}: a NaN learning rate must not validate"
        );
    }
}

#[test]
fn a_changed_learning_rate_is_the_one_the_next_steps_use() {
    for ((mut set, name), (mut built, _)) in all(0.5).into_iter().zip(all(0.05)) {
        set.set_learning_rate(0.05);
        let (a, b) = (
            Param::new("a", Tensor::from(START)),
            Param::new("b", Tensor::from(START)),
        );
        steps(set.as_mut(), &a, 3);
        steps(built.as_mut(), &b, 3);
        assert_eq!(a.value().to_vec(), b.value().to_vec(), "{name}");
        assert_ne!(
            a.value().to_vec(),
            START.to_vec(),
            "{name}: the steps moved nothing"
        );
        // Changed between steps too: at a learning rate of 0 the next step moves nothing.
        set.set_learning_rate(0.0);
        let before = a.value().to_vec();
        steps(set.as_mut(), &a, 1);
        assert_eq!(
            a.value().to_vec(),
            before,
            "{name}: still stepping at the old rate"
        );
    }
}

#[test]
fn state_moves_to_another_optimizer_through_set_state() {
    for ((mut first, name), (mut second, _)) in all(0.05).into_iter().zip(all(0.05)) {
        let a = Param::new("a", Tensor::from(START));
        assert!(
            first.state(&a).is_empty(),
            "{name}: state before the first step"
        );
        steps(first.as_mut(), &a, 3);
        let state = first.state(&a);
        assert!(!state.is_empty(), "{name}");
        for (entry, t) in &state {
            assert!(
                t.shape().is_empty() || t.shape() == [3],
                "{name}.{entry}: {:?}",
                t.shape()
            );
        }
        // A second parameter at the same point, given the first one's state: its next
        // steps are the first one's.
        let b = Param::new("b", a.value());
        let entries: Vec<(String, Tensor<f64>)> = state
            .iter()
            .map(|(k, t)| (k.to_string(), t.clone()))
            .collect();
        second.set_state(&b, &entries).unwrap();
        steps(first.as_mut(), &a, 2);
        steps(second.as_mut(), &b, 2);
        assert_eq!(a.value().to_vec(), b.value().to_vec(), "{name}");

        // Wrong entries are refused, and leave the state as it was.
        let before = second.state(&b);
        let unknown = [("no_such_entry".to_string(), Tensor::zeros(&[3]))];
        assert!(second.set_state(&b, &unknown).is_err(), "{name}");
        let mut wrong_shape = entries.clone();
        for (_, t) in wrong_shape.iter_mut().filter(|(_, t)| t.shape() == [3]) {
            *t = Tensor::zeros(&[4]);
        }
        assert!(second.set_state(&b, &wrong_shape).is_err(), "{name}");
        let after = second.state(&b);
        assert_eq!(before.len(), after.len(), "{name}");
        for ((k0, t0), (k1, t1)) in before.iter().zip(&after) {
            assert_eq!((k0, t0.to_vec()), (k1, t1.to_vec()), "{name}");
        }
    }
}

#[test]
fn restore_state_undoes_the_steps_since_save_state() {
    for (mut opt, name) in all(0.05) {
        let p = Param::new("p", Tensor::from(START));
        steps(opt.as_mut(), &p, 2);
        let mut saved: SavedState = None;
        assert!(
            opt.save_state(&mut saved),
            "{name}: built-in optimizers support it"
        );
        let (value, state) = (p.value(), opt.state(&p));
        steps(opt.as_mut(), &p, 3);
        assert!(
            opt.restore_state(saved.as_deref().expect("saved")),
            "{name}"
        );
        assert_eq!(state.len(), opt.state(&p).len(), "{name}");
        for ((k0, t0), (k1, t1)) in state.iter().zip(&opt.state(&p)) {
            assert_eq!((k0, t0.to_vec()), (k1, t1.to_vec()), "{name}");
        }
        // From the restored state, the same steps again give the same values.
        let q = Param::new("q", value);
        let entries: Vec<(String, Tensor<f64>)> = state
            .iter()
            .map(|(k, t)| (k.to_string(), t.clone()))
            .collect();
        let (mut twin, _) = all(0.05)
            .into_iter()
            .find(|(_, n)| *n == name)
            .expect("same kind");
        twin.set_state(&q, &entries).unwrap();
        p.set(q.value());
        steps(opt.as_mut(), &p, 1);
        steps(twin.as_mut(), &q, 1);
        assert_eq!(p.value().to_vec(), q.value().to_vec(), "{name}");
        // Another optimizer's saved state is not this one's.
        let mut sgd_saved: SavedState = None;
        let plain = Sgd::<f64>::new(0.1);
        if plain.save_state(&mut sgd_saved) && name != "SGD" {
            assert!(
                !opt.restore_state(sgd_saved.as_deref().expect("saved")),
                "{name}"
            );
        }
    }
}

/// An optimizer with only the required methods: plain gradient descent.
struct Plain(f64);

impl Optimizer<f64> for Plain {
    fn step(&mut self, params: &[&Param<f64>], grads: &Grads<f64>) {
        for p in params {
            if let Some(g) = grads.param(p) {
                p.set(p.value().sub(&g.mul_scalar(self.0)));
            }
        }
    }
    fn learning_rate(&self) -> f64 {
        self.0
    }
    fn set_learning_rate(&mut self, lr: f64) {
        self.0 = lr;
    }
    fn name(&self) -> &'static str {
        "Plain"
    }
}

#[test]
fn the_trait_defaults_describe_an_optimizer_without_state() {
    let mut opt = Plain(0.1);
    let p = Param::new("p", Tensor::from(START));
    assert_eq!(opt.hyperparameters(), vec![("lr", 0.1)]);
    steps(&mut opt, &p, 1);
    assert!(opt.state(&p).is_empty());
    assert!(opt.set_state(&p, &[]).is_ok());
    let err = opt
        .set_state(&p, &[("momentum_buffer".to_string(), Tensor::zeros(&[3]))])
        .unwrap_err();
    assert!(matches!(err, StateError::Unknown { .. }), "{err:?}");
    let mut saved: SavedState = None;
    assert!(!opt.save_state(&mut saved), "no support by default");
    assert!(!opt.restore_state(&0u8), "no support by default");
    opt.set_learning_rate(-1.0);
    let msg = opt.validate().unwrap_err().to_string();
    assert!(msg.contains("lr"), "{msg}");
    // Through a box, too.
    let mut boxed: Box<dyn Optimizer<f64>> = Box::new(Plain(0.1));
    assert_eq!(boxed.hyperparameters(), vec![("lr", 0.1)]);
    assert!(boxed
        .set_state(&p, &[("x".to_string(), Tensor::zeros(&[3]))])
        .is_err());
    assert!(!boxed.save_state(&mut saved));
}

/// One step of `opt` on Σ k·θ (gradient `k` everywhere).
fn linear_step(opt: &mut dyn Optimizer<f64>, p: &Param<f64>, k: f64) {
    let tape = Tape::new();
    let g = (tape.param(p) * k).sum_all().backward();
    opt.step(&[p], &g);
}

#[test]
fn options_that_only_matter_at_small_scales_or_in_the_state() {
    // SGD with weight decay and no momentum: θ − γ(g + λθ) = 2 − 0.1·(1 + 0.5·2); no
    // momentum, so no buffer in the state (PyTorch keeps it `None`).
    let p = Param::new("p", Tensor::from([2.0f64]));
    let mut sgd = Sgd::new(0.1).weight_decay(0.5);
    linear_step(&mut sgd, &p, 1.0);
    assert!(
        (p.value().item() - 1.8).abs() < 1e-15,
        "{}",
        p.value().item()
    );
    assert!(sgd.state(&p).is_empty());

    // RMSprop where √v is near ε: g = 1e-8 gives v = (1 − α)g² = 1e-18, √v = 1e-9
    // against ε = 1e-8, so ε decides the step (PyTorch's algorithm box, momentum 0.5).
    for centered in [false, true] {
        let p = Param::new("p", Tensor::from([0.0f64]));
        let mut opt = RmsProp::new(0.01).momentum(0.5).centered(centered);
        linear_step(&mut opt, &p, 1e-8);
        let (v, g_avg): (f64, f64) = (0.01 * 1e-16, 0.01 * 1e-8);
        let root = if centered {
            (v - g_avg * g_avg).sqrt()
        } else {
            v.sqrt()
        };
        let want = -0.01 * (1e-8 / (root + 1e-8));
        let got = p.value().item();
        assert!(
            (got - want).abs() < 1e-15,
            "centered {centered}: {got}, want {want}"
        );
    }

    // RMSprop with weight decay, with and without momentum, plain and centered: three
    // steps on Σθ from θ = 2 against PyTorch's algorithm box, written out here.
    for (mu, centered) in [(0.0, false), (0.5, false), (0.0, true), (0.5, true)] {
        let p = Param::new("p", Tensor::from([2.0f64]));
        let mut opt = RmsProp::new(0.01)
            .momentum(mu)
            .weight_decay(0.1)
            .centered(centered);
        let (alpha, lr, wd, eps) = (0.99, 0.01, 0.1, 1e-8);
        let (mut th, mut v, mut g_avg, mut b): (f64, f64, f64, f64) = (2.0, 0.0, 0.0, 0.0);
        for _ in 0..3 {
            linear_step(&mut opt, &p, 1.0);
            let d = 1.0 + wd * th;
            v = alpha * v + (1.0 - alpha) * d * d;
            let mut root = v;
            if centered {
                g_avg = alpha * g_avg + (1.0 - alpha) * d;
                root -= g_avg * g_avg;
            }
            let step = d / (root.sqrt() + eps);
            if mu > 0.0 {
                b = mu * b + step;
                th -= lr * b;
            } else {
                th -= lr * step;
            }
        }
        let got = p.value().item();
        assert!(
            (got - th).abs() < 1e-13,
            "momentum {mu}, centered {centered}: {got}, want {th}"
        );
        // The state holds the averages themselves (the step only reads ḡ²).
        for (name, t) in opt.state(&p) {
            let want = match name {
                "square_avg" => v,
                "grad_avg" => g_avg,
                _ => b,
            };
            assert!(
                (t.item() - want).abs() < 1e-15,
                "{name}: {}, want {want}",
                t.item()
            );
        }
    }

    // RMSprop without momentum keeps only `square_avg`, and takes it back.
    let p = Param::new("p", Tensor::from([1.0f64, 2.0]));
    let mut plain = RmsProp::new(0.01);
    linear_step(&mut plain, &p, 3.0);
    let state = plain.state(&p);
    let names: Vec<&str> = state.iter().map(|(k, _)| *k).collect();
    assert_eq!(names, ["square_avg"]);
    let entries: Vec<(String, Tensor<f64>)> = state
        .iter()
        .map(|(k, t)| (k.to_string(), t.clone()))
        .collect();
    assert!(RmsProp::new(0.01).set_state(&p, &entries).is_ok());

    // AdamW's builder keeps every option.
    let h = AdamW::<f64>::new(0.01)
        .betas(0.8, 0.95)
        .eps(1e-6)
        .amsgrad(true)
        .hyperparameters();
    for want in [
        ("lr", 0.01),
        ("beta1", 0.8),
        ("beta2", 0.95),
        ("eps", 1e-6),
        ("amsgrad", 1.0),
    ] {
        assert!(h.contains(&want), "{want:?} in {h:?}");
    }
}

#[test]
fn clip_grad_norm_scales_as_pytorch_even_at_the_limit() {
    // Gradients (3, 4): norm 5. PyTorch multiplies by min(max / (norm + 1e-6), 1), so at
    // max = 5 exactly the factor is 5 / (5 + 1e-6), not 1.
    let p = Param::new("p", Tensor::from([3.0f64, 4.0]));
    let clipped = |max: f64| {
        let tape = Tape::new();
        let th = tape.param(&p);
        let mut g = (th * th * 0.5).sum_all().backward();
        assert_eq!(nn::optim::clip_grad_norm(&mut g, max), 5.0);
        g.param(&p).unwrap().to_vec()
    };
    let k = 5.0 / (5.0 + 1e-6);
    assert_eq!(clipped(5.0), vec![3.0 * k, 4.0 * k]);
    assert_eq!(clipped(6.0), vec![3.0, 4.0]);
    let k = 2.5 / (5.0 + 1e-6);
    assert_eq!(clipped(2.5), vec![3.0 * k, 4.0 * k]);
}

#[test]
fn nesterov_needs_momentum_and_zero_dampening_as_in_pytorch() {
    // The builder checks when `nesterov` is set; `validate` (which `fit` calls) also
    // catches momentum or dampening changed afterwards.
    let ok = || Sgd::<f64>::new(0.1).momentum(0.9).nesterov(true);
    assert!(ok().validate().is_ok());
    assert!(ok().momentum(0.0).validate().is_err());
    assert!(ok().dampening(0.1).validate().is_err());
}
