//! A model of the user's own: a struct that lists its layers in `Module::children` gets
//! PyTorch's parameter names and state-dict order, mode switching, penalties, generators,
//! saving with BatchNorm's statistics and summary rows from them; `fit` warns about a layer
//! the forward pass uses but the struct does not list.

use autograd::{Tape, Var};
use nn::io::{load_weights, save_weights};
use nn::loss::Mse;
use nn::optim::Adam;
use nn::regularize::Regularizer;
use nn::{BatchNorm1d, Dropout, FitConfig, Linear, Model, Module, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

/// 3 → 8 → BatchNorm → Dropout → 2, the first layer L2-regularized.
struct Net {
    fc1: Linear,
    bn: BatchNorm1d,
    drop: Dropout,
    fc2: Linear,
}

impl Net {
    fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        Net {
            fc1: Linear::new(3, 8, &mut rng).with_regularizer(Regularizer::L2(0.5)),
            bn: BatchNorm1d::new(8),
            drop: Dropout::new(0.5, seed),
            fc2: Linear::new(8, 2, &mut rng),
        }
    }
}

impl Module for Net {
    fn forward<'t>(&self, x: Var<'t>) -> Var<'t> {
        let h = self.bn.forward(self.fc1.forward(x)).relu();
        self.fc2.forward(self.drop.forward(h))
    }
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![
            ("fc1".into(), &self.fc1),
            ("bn".into(), &self.bn),
            ("drop".into(), &self.drop),
            ("fc2".into(), &self.fc2),
        ]
    }
    fn children_mut(&mut self) -> Vec<&mut dyn Module> {
        vec![&mut self.fc1, &mut self.bn, &mut self.drop, &mut self.fc2]
    }
    fn input_features(&self) -> Option<usize> {
        Some(3)
    }
}

fn data(rows: usize) -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = StdRng::seed_from_u64(1);
    let x = Tensor::rand_normal(&[rows, 3], 0.0, 1.0, &mut rng);
    let y = Tensor::rand_normal(&[rows, 2], 0.0, 1.0, &mut rng);
    (x, y)
}

fn forward(net: &dyn Module, x: &Tensor<f32>) -> Vec<f32> {
    let tape = Tape::new();
    net.forward(tape.constant(x.clone())).value().to_vec()
}

#[test]
fn children_give_pytorch_names_and_state_dict_order() {
    let net = Net::new(0);
    let names: Vec<String> = net.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "fc1.weight",
            "fc1.bias",
            "bn.weight",
            "bn.bias",
            "fc2.weight",
            "fc2.bias"
        ]
    );
    let buffers: Vec<String> = net.buffers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        buffers,
        [
            "bn.running_mean",
            "bn.running_var",
            "bn.num_batches_tracked"
        ]
    );
    // PyTorch's `state_dict()` of the same module: each child's entries together.
    let keys: Vec<String> = net.state_dict().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        keys,
        [
            "fc1.weight",
            "fc1.bias",
            "bn.weight",
            "bn.bias",
            "bn.running_mean",
            "bn.running_var",
            "bn.num_batches_tracked",
            "fc2.weight",
            "fc2.bias"
        ]
    );
    assert_eq!(net.num_parameters(), 3 * 8 + 8 + 8 + 8 + 8 * 2 + 2);
    assert!(net.uses_batch_statistics());
    let rngs: Vec<String> = net.rngs().into_iter().map(|(n, _)| n).collect();
    assert_eq!(rngs, ["drop.rng"]);
}

#[test]
fn set_training_reaches_every_child() {
    let mut net = Net::new(0);
    let (x, _) = data(16);
    net.set_training(false);
    let eval = forward(&net, &x);
    assert_eq!(eval, forward(&net, &x));
    // Evaluation mode with fresh running statistics (mean 0, variance 1) and no dropout:
    // W₂·relu((W₁·x + b₁) / √(1 + ε)) + b₂, summed out here in f64 from the weights.
    let p: Vec<Vec<f64>> = net
        .parameters()
        .iter()
        .map(|(_, p)| p.value().to_vec().iter().map(|&v| f64::from(v)).collect())
        .collect();
    let (w1, b1, gamma, beta, w2, b2) = (&p[0], &p[1], &p[2], &p[3], &p[4], &p[5]);
    let xs = x.to_vec();
    let mut expected = Vec::new();
    for row in xs.chunks(3) {
        let h: Vec<f64> = (0..8)
            .map(|j| {
                let z = (0..3)
                    .map(|k| w1[j * 3 + k] * f64::from(row[k]))
                    .sum::<f64>()
                    + b1[j];
                (gamma[j] * z / (1.0f64 + 1e-5).sqrt() + beta[j]).max(0.0)
            })
            .collect();
        for o in 0..2 {
            expected.push((0..8).map(|j| w2[o * 8 + j] * h[j]).sum::<f64>() + b2[o]);
        }
    }
    for (a, b) in eval.iter().zip(&expected) {
        let a = f64::from(*a);
        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
    }
    // Training mode: Dropout draws a new mask each pass, BatchNorm uses batch statistics.
    net.set_training(true);
    assert_ne!(forward(&net, &x), forward(&net, &x));
}

#[test]
fn the_penalty_is_the_childrens() {
    let net = Net::new(0);
    let tape = Tape::new();
    let penalty = net.penalty(&tape).expect("fc1 is regularized").item();
    let w = net.fc1.parameters()[0].1.value().to_vec();
    let expected: f32 = 0.5 * w.iter().map(|v| v * v).sum::<f32>();
    assert!(
        (penalty - expected).abs() <= 1e-5 * expected,
        "{penalty} vs {expected}"
    );
}

#[test]
fn saved_weights_keep_batch_norm_statistics() {
    let (x, y) = data(64);
    let mut model = Model::new(Net::new(0), Mse, Adam::new(1e-2));
    model
        .fit(&x, &y, FitConfig::new().epochs(3).batch_size(16).verbose(0))
        .unwrap();
    let trained = model.predict(&x).unwrap().to_vec();
    let path =
        std::env::temp_dir().join(format!("wengert-custom-{}.safetensors", std::process::id()));
    save_weights(model.module(), &path).unwrap();
    let mut fresh = Model::new(Net::new(7), Mse, Adam::new(1e-2));
    load_weights(fresh.module(), &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    // The running statistics moved during training and came back with the weights.
    assert_eq!(fresh.predict(&x).unwrap().to_vec(), trained);
}

/// Lists `fc1` only: `fc2` is used but neither trained nor saved.
struct Forgot {
    fc1: Linear,
    fc2: Linear,
}

impl Module for Forgot {
    fn forward<'t>(&self, x: Var<'t>) -> Var<'t> {
        self.fc2.forward(self.fc1.forward(x).relu())
    }
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("fc1".into(), &self.fc1)]
    }
    fn children_mut(&mut self) -> Vec<&mut dyn Module> {
        vec![&mut self.fc1]
    }
}

/// Lists its layers in `children` only: `set_training` would never reach them.
struct NoMut {
    fc: Linear,
}

impl Module for NoMut {
    fn forward<'t>(&self, x: Var<'t>) -> Var<'t> {
        self.fc.forward(x)
    }
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("fc".into(), &self.fc)]
    }
}

#[test]
#[should_panic(expected = "Model::new: NoMut: children() lists 1 modules but children_mut() 0")]
fn children_and_children_mut_must_agree() {
    let mut rng = StdRng::seed_from_u64(0);
    let _ = Model::new(
        NoMut {
            fc: Linear::new(3, 2, &mut rng),
        },
        Mse,
        Adam::new(1e-3),
    );
}

#[test]
fn fit_warns_about_a_layer_left_out_of_children() {
    let mut rng = StdRng::seed_from_u64(0);
    let net = Forgot {
        fc1: Linear::new(3, 8, &mut rng),
        fc2: Linear::new(8, 2, &mut rng),
    };
    let (x, y) = data(32);
    let mut model = Model::new(net, Mse, Adam::new(1e-2));
    let history = model
        .fit(&x, &y, FitConfig::new().epochs(1).batch_size(16).verbose(0))
        .unwrap();
    let warning = history
        .warnings
        .iter()
        .find(|w| w.contains("parameters() does not list"))
        .expect("a warning about fc2");
    // fc2's weight and bias.
    assert!(
        warning.contains("2 parameter(s)") && warning.contains("[2, 8]"),
        "{warning}"
    );

    // A model that lists everything gets no such warning.
    let mut model = Model::new(Net::new(0), Mse, Adam::new(1e-2));
    let history = model
        .fit(&x, &y, FitConfig::new().epochs(1).batch_size(16).verbose(0))
        .unwrap();
    assert!(history.warnings.is_empty(), "{:?}", history.warnings);
}

#[test]
fn summary_rows_are_the_children() {
    let mut model = Model::new(Net::new(0), Mse, Adam::new(1e-3));
    let table = model.summary();
    let lines: Vec<&str> = table.lines().collect();
    let row = |name: &str| {
        *lines
            .iter()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no row {name} in\n{table}"))
    };
    // The model itself, probed: (None, 2), and all 82 scalars (BatchNorm's running
    // statistics counted, as Keras counts them).
    let top = row("Net");
    assert!(
        top.contains("(None, 2)") && top.trim_end().ends_with("82"),
        "{table}"
    );
    // Its layers, indented, with their own counts.
    for (name, count) in [("fc1", "32"), ("bn", "32"), ("drop", "0"), ("fc2", "18")] {
        let line = row(name);
        assert!(
            line.starts_with("   "),
            "{line:?} is not indented in\n{table}"
        );
        assert!(
            line.contains("--") && line.trim_end().ends_with(count),
            "{table}"
        );
    }
    assert!(table.contains("indented rows"), "{table}");
}

#[test]
fn sequential_summary_keeps_the_mode_it_found() {
    let mut rng = StdRng::seed_from_u64(0);
    let mut net = Sequential::<f32>::new()
        .add(Linear::new(3, 8, &mut rng))
        .add(Dropout::new(0.5, 1))
        .add(Linear::new(8, 1, &mut rng));
    let (x, _) = data(8);
    net.set_training(false);
    let before = forward(&net, &x);
    let _ = net.summary();
    let _ = net.summary_for(&[3]);
    assert_eq!(forward(&net, &x), before, "Dropout came back on");
    // A new stack is in training mode, and stays there.
    let mut fresh = Sequential::<f32>::new()
        .add(Linear::new(3, 8, &mut rng))
        .add(Dropout::new(0.5, 1));
    let _ = fresh.summary();
    assert_ne!(forward(&fresh, &x), forward(&fresh, &x));
}
