//! Freezing parameters (`Param::requires_grad(false)`, `Module::freeze`): no gradient,
//! no update by any optimizer, counted as non-trainable, saved and loaded as before; and
//! fine-tuning only the last layer of a trained MLP through `Model::fit`, with the frozen
//! weights bit-identical afterwards.

use autograd::{Param, Tape};
use nn::io::{load_weights, save_weights};
use nn::loss::Mse;
use nn::optim::{Adagrad, Adam, AdamW, Optimizer, RmsProp, Sgd};
use nn::train::FitConfig;
use nn::{Linear, Model, Module, Relu, Sequential, Tanh};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

fn mlp(seed: u64) -> Sequential {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .add(Linear::new(2, 16, &mut rng))
        .add(Tanh)
        .add(Linear::new(16, 16, &mut rng))
        .add(Relu)
        .add(Linear::new(16, 1, &mut rng))
}

fn data(target: impl Fn(f32, f32) -> f32) -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = StdRng::seed_from_u64(3);
    let x = Tensor::<f32>::rand_uniform(&[96, 2], -1.0, 1.0, &mut rng);
    let v = x.to_vec();
    let y: Vec<f32> = v.chunks(2).map(|r| target(r[0], r[1])).collect();
    (x, Tensor::from_vec(y, &[96, 1]).unwrap())
}

/// Every parameter's bits, by name.
fn bits(m: &dyn Module<f32>) -> Vec<(String, Vec<u32>)> {
    m.parameters()
        .into_iter()
        .map(|(n, p)| (n, p.value().to_vec().iter().map(|v| v.to_bits()).collect()))
        .collect()
}

#[test]
fn fine_tuning_the_last_layer_leaves_the_frozen_layers_bit_identical() {
    // Pre-train on one task.
    let (x, y) = data(|a, b| (2.0 * a).sin() + b * b);
    let mut model = Model::new(mlp(0), Mse, Adam::new(0.01));
    model
        .fit(
            &x,
            &y,
            FitConfig::new().epochs(40).batch_size(16).verbose(0),
        )
        .unwrap();
    let trained = model.module().state_dict();

    // A fresh network with the trained weights, everything but the head frozen.
    let mut net = mlp(1);
    net.load_state_dict(&trained, true).unwrap();
    for layer in &net.layers()[..4] {
        layer.freeze();
    }
    assert_eq!(net.num_trainable_parameters(), 16 + 1);
    assert_eq!(net.num_parameters(), 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1);
    let summary = net.summary();
    assert!(summary.contains(" Trainable params: 17 "), "{summary}");
    assert!(
        summary.contains(&format!("Non-trainable params: {} ", 48 + 272)),
        "{summary}"
    );

    // Fine-tune on a shifted task (weight decay on, to show decay skips frozen weights too).
    let (x2, y2) = data(|a, b| (2.0 * a).sin() + b * b + 0.5 * a - 0.3);
    let before = bits(&net);
    let mut model = Model::new(net, Mse, AdamW::new(0.01).weight_decay(0.1));
    let start = model.evaluate(&x2, &y2).unwrap().get("loss").unwrap();
    let history = model
        .fit(
            &x2,
            &y2,
            FitConfig::new().epochs(30).batch_size(16).verbose(0),
        )
        .unwrap();
    let end = *history.get("loss").unwrap().last().unwrap();
    assert!(
        end < 0.5 * start,
        "the head did not learn: loss {start} → {end}"
    );
    let after = bits(model.module());
    for ((name, b), (_, a)) in before.iter().zip(&after) {
        if name.starts_with("4.") {
            assert_ne!(a, b, "{name} (trainable) did not change");
        } else {
            assert_eq!(a, b, "{name} (frozen) changed");
        }
    }
}

#[test]
fn frozen_parameters_get_no_gradient_and_no_optimizer_moves_them() {
    let optimizers: Vec<Box<dyn Optimizer<f32>>> = vec![
        Box::new(Sgd::new(0.1).momentum(0.9).weight_decay(0.01)),
        Box::new(Adam::new(0.1)),
        Box::new(AdamW::new(0.1).weight_decay(0.5)),
        Box::new(RmsProp::new(0.1)),
        Box::new(Adagrad::new(0.1)),
    ];
    for mut opt in optimizers {
        let w = Param::new("w", Tensor::from([1.0f32, -2.0]));
        let b = Param::new("b", Tensor::from([0.5f32]));
        b.requires_grad(false);
        for _ in 0..3 {
            let tape = Tape::new();
            let loss = (tape.param(&w).sum_all() * tape.param(&b).sum_all()).powi(2);
            let grads = loss.backward();
            assert!(
                grads.param(&b).is_none(),
                "a frozen parameter got a gradient"
            );
            opt.step(&[&w, &b], &grads);
        }
        assert_eq!(
            b.value().to_vec(),
            vec![0.5],
            "{} moved a frozen parameter",
            opt.name()
        );
        assert_ne!(
            w.value().to_vec(),
            vec![1.0, -2.0],
            "{} did not train",
            opt.name()
        );
    }
}

#[test]
fn a_gradient_computed_before_freezing_is_not_applied() {
    let w = Param::new("w", Tensor::from([1.0f32]));
    let tape = Tape::new();
    let grads = (tape.param(&w) * 3.0).sum_all().backward();
    assert!(grads.param(&w).is_some());
    w.requires_grad(false);
    Sgd::new(1.0).step(&[&w], &grads);
    assert_eq!(w.value().to_vec(), vec![1.0]);
    w.requires_grad(true);
    Sgd::new(1.0).step(&[&w], &grads);
    assert_eq!(w.value().to_vec(), vec![-2.0]);
}

#[test]
fn saving_and_loading_do_not_depend_on_freezing() {
    let net = mlp(5);
    net.freeze();
    assert_eq!(net.num_trainable_parameters(), 0);
    let path =
        std::env::temp_dir().join(format!("wengert-frozen-{}.safetensors", std::process::id()));
    save_weights(&net, &path).unwrap();
    let other = mlp(6);
    load_weights(&other, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(bits(&other), bits(&net));
    // Loading into a frozen module works too, and keeps it frozen.
    let fresh = mlp(7);
    net.load_state_dict(&fresh.state_dict(), true).unwrap();
    assert_eq!(bits(&net), bits(&fresh));
    assert_eq!(net.num_trainable_parameters(), 0);
    net.unfreeze();
    assert_eq!(net.num_trainable_parameters(), net.num_parameters());
    // Cloning a frozen parameter gives a frozen copy.
    let p = Param::new("p", Tensor::from([1.0f32]));
    p.requires_grad(false);
    assert!(!p.clone().trainable());
}
