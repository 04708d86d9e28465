//! Every layer gradchecked through its input and its parameters in f64; BatchNorm train
//! versus eval; Dropout statistics under a fixed seed; state-dict names.

use approx::assert_relative_eq;
use autograd::{gradcheck, GradcheckConfig, Param, Tape, Var};
use nn::{
    BatchNorm1d, Dropout, Elu, Flatten, Gelu, Identity, Init, LayerNorm, LeakyRelu, Linear,
    LogSoftmax, Module, Relu, Sequential, Sigmoid, Softmax, Tanh,
};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

/// Sum of the output times fixed weights 0.5..1.5, so that every output element matters
/// and each with a different weight.
fn weighted_sum<'t>(y: Var<'t, f64>) -> Var<'t, f64> {
    let shape: Vec<isize> = y.shape().iter().map(|&d| d as isize).collect();
    let w = Tensor::linspace(0.5, 1.5, y.value().numel()).reshape(&shape);
    (y * y.tape().constant(w)).sum_all()
}

fn scalar_out(module: &dyn Module<f64>, x: &Tensor<f64>) -> f64 {
    let tape = Tape::new();
    weighted_sum(module.forward(tape.constant(x.clone()))).item()
}

/// Checks a module's gradients with respect to its input (with `gradcheck`) and to every
/// parameter (central differences on the parameter values).
fn check_module(module: &dyn Module<f64>, x: &Tensor<f64>) {
    gradcheck(
        |v| weighted_sum(module.forward(v[0])),
        std::slice::from_ref(x),
        GradcheckConfig::default(),
    )
    .unwrap_or_else(|e| panic!("{}: input: {e}", module.describe()));
    let grads = {
        let tape = Tape::new();
        weighted_sum(module.forward(tape.constant(x.clone()))).backward()
    };
    let eps = 1e-6;
    for (name, p) in module.parameters() {
        let analytic = grads
            .param(p)
            .unwrap_or_else(|| panic!("{name} got no gradient"))
            .to_vec();
        let base = p.value().to_vec();
        for k in 0..base.len() {
            let at = |delta: f64| {
                let mut v = base.clone();
                v[k] += delta;
                p.set(Tensor::from_vec(v, &p.shape()).unwrap());
                let out = scalar_out(module, x);
                p.set(Tensor::from_vec(base.clone(), &p.shape()).unwrap());
                out
            };
            let numeric = (at(eps) - at(-eps)) / (2.0 * eps);
            assert!(
                (analytic[k] - numeric).abs() <= 1e-5 + 1e-3 * numeric.abs(),
                "{}: {name}[{k}]: analytic {}, numeric {numeric}",
                module.describe(),
                analytic[k]
            );
        }
    }
}

#[test]
fn every_layer_passes_gradcheck_through_input_and_parameters() {
    let mut rng = StdRng::seed_from_u64(1);
    let x = {
        let raw = Tensor::<f64>::rand_uniform(&[5, 4], -1.5, 1.5, &mut rng);
        // Keep |x| ≥ 0.1: no kink of relu, leaky relu or elu lies within eps.
        raw.map(|v| if v.abs() < 0.1 { v + 0.3 } else { v })
    };
    let mut bn_eval = BatchNorm1d::<f64>::new(4);
    // Give the running statistics non-trivial values, then check evaluation mode.
    bn_eval.forward(Tape::new().constant(x.clone()));
    Module::<f64>::set_training(&mut bn_eval, false);
    let layers: Vec<Box<dyn Module<f64>>> = vec![
        Box::new(Linear::<f64>::new(4, 3, &mut rng)),
        Box::new(Linear::<f64>::with_init(
            4,
            3,
            Init::GlorotUniform,
            None,
            &mut rng,
        )),
        Box::new(Relu),
        Box::new(LeakyRelu(0.1)),
        Box::new(Elu(1.0)),
        Box::new(Gelu { tanh: false }),
        Box::new(Gelu { tanh: true }),
        Box::new(Sigmoid),
        Box::new(Tanh),
        Box::new(Softmax(-1)),
        Box::new(LogSoftmax(1)),
        Box::new(BatchNorm1d::<f64>::new(4)),
        Box::new(bn_eval),
        Box::new(LayerNorm::<f64>::new(4)),
        Box::new(Flatten),
        Box::new(Identity),
        Box::new({
            let mut d = Dropout::new(0.0, 0);
            Module::<f64>::set_training(&mut d, false);
            d
        }),
        Box::new(
            Sequential::new()
                .add(Linear::<f64>::new(4, 6, &mut rng))
                .add(Tanh)
                .add(BatchNorm1d::new(6))
                .add(Linear::new(6, 2, &mut rng)),
        ),
    ];
    for layer in &layers {
        check_module(layer.as_ref(), &x);
    }
}

#[test]
fn dropout_gradients_flow_through_kept_units_only() {
    // With a fixed seed the mask is fixed per call; check d(sum)/dx = mask/(1-p) directly.
    let d = Dropout::new(0.25, 3);
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::ones(&[200]));
    let y = d.forward(x);
    let g = y.sum_all().backward();
    assert_eq!(g[&x].to_vec(), y.value().to_vec());
    assert!(y
        .value()
        .to_vec()
        .iter()
        .all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-12));
}

#[test]
fn dropout_keeps_the_mean_and_drops_the_right_fraction() {
    let d = Dropout::new(0.3, 42);
    let tape = Tape::<f64>::new();
    let y = d
        .forward(tape.constant(Tensor::ones(&[100_000])))
        .value()
        .to_vec();
    let dropped = y.iter().filter(|&&v| v == 0.0).count() as f64 / y.len() as f64;
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    // Binomial(100 000, 0.3): standard deviation of the fraction ≈ 0.0014; 4σ bounds.
    assert!((dropped - 0.3).abs() < 0.006, "dropped {dropped}");
    assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
    // Same seed, same mask.
    let again = Dropout::new(0.3, 42)
        .forward(tape.constant(Tensor::ones(&[100_000])))
        .value()
        .to_vec();
    assert_eq!(y, again);
    // p = 1 drops everything; evaluation mode is the identity.
    assert_eq!(
        Dropout::new(1.0, 0)
            .forward(tape.constant(Tensor::ones(&[4])))
            .value()
            .to_vec(),
        vec![0.0; 4]
    );
    let mut e = Dropout::new(0.5, 0);
    Module::<f64>::set_training(&mut e, false);
    assert_eq!(
        e.forward(tape.constant(Tensor::ones(&[4])))
            .value()
            .to_vec(),
        vec![1.0; 4]
    );
}

#[test]
fn batchnorm_uses_batch_statistics_in_training_and_running_ones_in_eval() {
    let mut bn = BatchNorm1d::<f64>::new(2);
    let x = Tensor::from([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]]);
    let tape = Tape::new();
    let y = bn.forward(tape.constant(x.clone())).value();
    // Column 0: mean 3, biased var 8/3 → (x − 3)/√(8/3 + 1e-5).
    let s = (8.0f64 / 3.0 + 1e-5).sqrt();
    assert_relative_eq!(y.at(&[0, 0]), -2.0 / s, max_relative = 1e-12);
    assert_relative_eq!(y.at(&[2, 0]), 2.0 / s, max_relative = 1e-12);
    // Running stats: momentum 0.1 from (0, 1); the running variance uses the unbiased 4.
    assert_relative_eq!(
        bn.running_mean().to_vec()[0],
        0.1 * 3.0,
        max_relative = 1e-12
    );
    assert_relative_eq!(
        bn.running_var().to_vec()[0],
        0.9 + 0.1 * 4.0,
        max_relative = 1e-12
    );
    assert_relative_eq!(
        bn.running_mean().to_vec()[1],
        0.1 * 30.0,
        max_relative = 1e-12
    );
    // Eval: normalize with the running statistics.
    Module::<f64>::set_training(&mut bn, false);
    let e = bn.forward(tape.constant(x.clone())).value();
    assert_relative_eq!(
        e.at(&[0, 0]),
        (1.0 - 0.3) / (1.3f64 + 1e-5).sqrt(),
        max_relative = 1e-12
    );
    assert_eq!(
        bn.buffers()
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["running_mean", "running_var", "num_batches_tracked"]
    );
    // One training pass counted; the eval pass is not.
    assert_eq!(bn.num_batches_tracked(), 1);
}

#[test]
fn state_dict_names_follow_pytorch() {
    let mut rng = StdRng::seed_from_u64(0);
    let mut net = Sequential::<f32>::new()
        .add(Linear::new(3, 4, &mut rng))
        .add(Relu)
        .add(BatchNorm1d::new(4))
        .add(Linear::new(4, 1, &mut rng));
    let names: Vec<String> = net
        .parameters()
        .into_iter()
        .chain(net.buffers())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        [
            "0.weight",
            "0.bias",
            "2.weight",
            "2.bias",
            "3.weight",
            "3.bias",
            "2.running_mean",
            "2.running_var",
            "2.num_batches_tracked"
        ]
    );
    // The unnamed list (what a training step uses) is the same parameters in the same
    // order: Sequential and Linear build it themselves, BatchNorm takes the default.
    let named: Vec<u64> = net.parameters().iter().map(|(_, p)| p.id().get()).collect();
    let refs: Vec<u64> = net.parameter_refs().iter().map(|p| p.id().get()).collect();
    assert_eq!((named.len(), refs), (6, named));
    let no_bias = Linear::<f32>::with_init(3, 4, nn::Init::Zeros, None, &mut rng);
    assert_eq!(no_bias.parameter_refs().len(), 1);
    assert_eq!(net.parameters()[0].1.shape(), vec![4, 3]); // [out, in], as PyTorch stores it
                                                           // 3·4 + 4, then 4 + 4 (γ, β), then 4·1 + 1.
                                                           // BatchNorm's running mean and variance are non-trainable weights (as Keras counts).
    let summary = net.summary();
    assert!(summary.contains("Trainable params: 29 "), "{summary}");
    assert!(summary.contains("Non-trainable params: 8 "), "{summary}");
}

#[test]
fn initializers_have_the_stated_ranges_and_spreads() {
    let mut rng = StdRng::seed_from_u64(9);
    let (fan_in, fan_out) = (300, 200);
    let shape = [fan_out, fan_in];
    let spread = |t: &Tensor<f64>| t.var_all(0).sqrt();
    let g = Init::GlorotUniform.tensor::<f64>(&shape, fan_in, fan_out, &mut rng);
    let a = (6.0f64 / 500.0).sqrt();
    assert!(g.max_all() <= a && g.min_all() >= -a);
    assert_relative_eq!(spread(&g), a / 3f64.sqrt(), max_relative = 0.03);
    let he = Init::HeNormal.tensor::<f64>(&shape, fan_in, fan_out, &mut rng);
    assert_relative_eq!(spread(&he), (2.0f64 / 300.0).sqrt(), max_relative = 0.03);
    let gn = Init::GlorotNormal.tensor::<f64>(&shape, fan_in, fan_out, &mut rng);
    assert_relative_eq!(spread(&gn), (2.0f64 / 500.0).sqrt(), max_relative = 0.03);
    let hu = Init::HeUniform.tensor::<f64>(&shape, fan_in, fan_out, &mut rng);
    assert!(hu.max_all() <= (6.0f64 / 300.0).sqrt());
    let lecun = Init::UniformFanIn.tensor::<f64>(&shape, fan_in, fan_out, &mut rng);
    assert!(lecun.max_all() <= 1.0 / 300f64.sqrt());
    assert_eq!(
        Init::Constant(0.5)
            .tensor::<f32>(&[2], 1, 1, &mut rng)
            .to_vec(),
        vec![0.5, 0.5]
    );
    assert_eq!(
        Init::Zeros.tensor::<f32>(&[2], 1, 1, &mut rng).sum_all(),
        0.0
    );
}

#[test]
fn linear_rejects_the_wrong_feature_count_with_both_numbers() {
    let mut rng = StdRng::seed_from_u64(0);
    let layer = Linear::<f32>::new(3, 2, &mut rng);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let tape = Tape::new();
        layer.forward(tape.constant(Tensor::zeros(&[5, 4])));
    }))
    .unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("input of shape [5, 4] has 4 features, the layer expects 3"),
        "{msg}"
    );
    let p = Param::new("p", Tensor::<f32>::zeros(&[2]));
    assert_eq!(p.name(), "p");
}
