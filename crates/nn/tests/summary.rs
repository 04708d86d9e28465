//! `Model::summary` and `summary_for`: Keras' layout, output shapes (known, open as `None`,
//! unknown as `?`), parameter counts computed by hand, and the trainable/non-trainable split
//! (frozen parameters, BatchNorm's running statistics).

use nn::loss::{CrossEntropy, Mse};
use nn::optim::{Adam, Sgd};
use nn::{
    BatchNorm2d, Conv2d, Embedding, Flatten, Gru, LastStep, Linear, Lstm, MaxPool2d, Model, Module,
    Relu, Sequential,
};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// The table's layer rows (between the `=` rules), split into their three columns.
fn rows(table: &str) -> Vec<[String; 3]> {
    let lines: Vec<&str> = table.lines().collect();
    let rules: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("=="))
        .collect();
    lines[rules[0] + 1..rules[1]]
        .iter()
        .map(|l| {
            let cols: Vec<String> = l
                .trim()
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect();
            assert_eq!(cols.len(), 3, "row {l:?} of\n{table}");
            [cols[0].clone(), cols[1].clone(), cols[2].clone()]
        })
        .collect()
}

fn shapes(table: &str) -> Vec<String> {
    rows(table).into_iter().map(|r| r[1].clone()).collect()
}

fn params(table: &str) -> Vec<String> {
    rows(table).into_iter().map(|r| r[2].clone()).collect()
}

#[test]
fn an_mlp_lists_each_layer_with_its_output_shape_and_hand_counted_parameters() {
    let mut rng = StdRng::seed_from_u64(0);
    let net = Sequential::<f32>::new()
        .add(Linear::new(13, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 1, &mut rng));
    let mut model = Model::new(net, Mse, Adam::new(1e-3));
    let table = model.summary();
    // Linear 13→64: 13·64 + 64 = 896; 64→1: 64 + 1 = 65.
    assert_eq!(params(&table), ["896", "0", "65"], "{table}");
    assert_eq!(
        shapes(&table),
        ["(None, 64)", "(None, 64)", "(None, 1)"],
        "{table}"
    );
    assert_eq!(rows(&table)[0][0], "0 (Linear(13 → 64))");
    // 961 f32 values are 3844 bytes = 3.75 KB.
    assert!(table.contains(" Total params: 961 (3.75 KB)\n"), "{table}");
    assert!(
        table.contains(" Trainable params: 961 (3.75 KB)\n"),
        "{table}"
    );
    assert!(
        table.contains(" Non-trainable params: 0 (0.00 B)\n"),
        "{table}"
    );
    assert!(table.starts_with("Model: \"model\"\n"), "{table}");
    // Aligned: the header and every row are equally long, and the counts end together.
    let body: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with(' ') && !l.contains("params:"))
        .collect();
    assert_eq!(body.len(), 4, "{table}");
    let width = body[0].chars().count();
    assert!(body.iter().all(|l| l.chars().count() == width), "{table}");
    assert!(body[0].starts_with(" Layer (type)") && body[0].ends_with("Param #"));
}

#[test]
fn a_frozen_layer_moves_into_the_non_trainable_count() {
    let mut rng = StdRng::seed_from_u64(0);
    let net = Sequential::<f32>::new()
        .add(Linear::new(13, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 1, &mut rng));
    net.layers()[0].freeze();
    let mut model = Model::new(net, Mse, Adam::new(1e-3));
    let table = model.summary();
    assert!(table.contains(" Total params: 961 "), "{table}");
    assert!(table.contains(" Trainable params: 65 "), "{table}");
    assert!(table.contains(" Non-trainable params: 896 "), "{table}");
    // The layer's own count still includes its frozen parameters (as Keras).
    assert_eq!(params(&table)[0], "896");
}

fn cnn(rng: &mut StdRng) -> Sequential<f32> {
    Sequential::new()
        .add(Conv2d::builder(1, 8, 3).padding(1).build2d(rng))
        .add(BatchNorm2d::new(8))
        .add(Relu)
        .add(MaxPool2d::new(2))
        .add(Flatten)
        .add(Linear::new(8 * 4 * 4, 10, rng))
}

#[test]
fn a_cnn_shows_how_it_shrinks_the_image_and_counts_batchnorm_statistics_as_non_trainable() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut model = Model::new(cnn(&mut rng), CrossEntropy, Adam::new(1e-3));
    let before = model.module().state_dict();
    let table = model.summary_for(&[1, 8, 8]);
    assert_eq!(
        shapes(&table),
        [
            "(None, 8, 8, 8)",
            "(None, 8, 8, 8)",
            "(None, 8, 8, 8)",
            "(None, 8, 4, 4)",
            "(None, 128)",
            "(None, 10)"
        ],
        "{table}"
    );
    // Conv 1→8, 3×3: 8·1·9 + 8 = 80; BatchNorm(8): γ, β, running mean and variance
    // = 4·8 = 32 (num_batches_tracked is a counter, not counted); Linear 128→10: 1290.
    assert_eq!(params(&table), ["80", "32", "0", "0", "0", "1,290"]);
    assert_eq!(80 + 32 + 1290, 1402);
    assert!(table.contains(" Total params: 1,402 "), "{table}");
    assert!(table.contains(" Trainable params: 1,386 "), "{table}"); // 1402 − 16
    assert!(table.contains(" Non-trainable params: 16 "), "{table}");
    // The probe ran in evaluation mode: the running statistics did not move.
    assert_eq!(model.module().state_dict(), before);

    // Without the image size: Keras' None for the open axes, `?` where the Linear layer
    // needs the flattened size.
    let table = model.summary();
    assert_eq!(
        shapes(&table),
        [
            "(None, 8, None, None)",
            "(None, 8, None, None)",
            "(None, 8, None, None)",
            "(None, 8, None, None)",
            "(None, None)",
            "?"
        ],
        "{table}"
    );
    assert!(table.contains("summary_for"), "{table}");
    assert_eq!(model.module().state_dict(), before);
}

#[test]
fn sequence_models_show_the_time_axis_and_the_recurrent_parameter_counts() {
    let mut rng = StdRng::seed_from_u64(2);
    let (vocab, d, h, t) = (100, 16, 32, 20);
    let net = Sequential::<f32>::new()
        .add(Embedding::new(vocab, d, &mut rng))
        .add(Lstm::builder(d, h).batch_first(true).build(&mut rng))
        .add(LastStep)
        .add(Linear::new(h, 2, &mut rng));
    let mut model = Model::new(net, CrossEntropy, Adam::new(1e-3));
    let table = model.summary_for(&[t]);
    assert_eq!(
        shapes(&table),
        [
            "(None, 20, 16)",
            "(None, 20, 32)",
            "(None, 32)",
            "(None, 2)"
        ],
        "{table}"
    );
    // LSTM (PyTorch's two bias vectors): 4·h·(i + h) + 8·h = 4·32·48 + 256 = 6400.
    let lstm = 4 * h * (d + h) + 8 * h;
    assert_eq!(lstm, 6400);
    assert_eq!(params(&table), ["1,600", "6,400", "0", "66"], "{table}");
    assert!(table.contains(" Total params: 8,066 "), "{table}");
    // The Embedding does not fix the sequence's rank or length: no shape without one.
    assert_eq!(shapes(&model.summary()), ["?", "?", "?", "?"]);

    // A model on [N, T, F] series: the GRU fixes F, the length stays open (None).
    let net = Sequential::<f32>::new()
        .add(Gru::builder(3, 8).batch_first(true).build(&mut rng))
        .add(LastStep)
        .add(Linear::new(8, 1, &mut rng));
    let mut model = Model::new(net, Mse, Sgd::new(0.1));
    let table = model.summary();
    assert_eq!(
        shapes(&table),
        ["(None, None, 8)", "(None, 8)", "(None, 1)"],
        "{table}"
    );
    // GRU: 3·h·(i + h) + 6·h = 3·8·11 + 48 = 312.
    assert_eq!(params(&table), ["312", "0", "9"], "{table}");
}

/// A module that is not a `Sequential` is one row.
struct Affine(Linear<f32>);

impl Module for Affine {
    fn forward<'t>(&self, x: autograd::Var<'t>) -> autograd::Var<'t> {
        self.0.forward(x)
    }
    fn parameters(&self) -> Vec<nn::Named<'_, f32>> {
        self.0.parameters()
    }
    fn input_features(&self) -> Option<usize> {
        Some(3)
    }
}

#[test]
fn a_custom_module_is_one_row() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut model = Model::new(Affine(Linear::new(3, 2, &mut rng)), Mse, Sgd::new(0.1));
    let table = model.summary();
    assert_eq!(
        rows(&table),
        [["Affine", "(None, 2)", "8"].map(String::from)]
    );
}
