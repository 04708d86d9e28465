//! Convolutional layers against their definitions written as loops: `Conv2d` and `Conv1d`
//! (bias, `padding="same"` with PyTorch's extra zero after), PyTorch's initialization
//! bounds, state-dict names, `BatchNorm2d` statistics, `Dropout2d` channel masks, and
//! training on `[N, C, H, W]` images with `fit`, `evaluate` and `predict`.

use autograd::Tape;
use nn::data::RandomFlip;
use nn::loss::CrossEntropy;
use nn::optim::Adam;
use nn::train::{Accuracy, FitConfig};
use nn::{
    AdaptiveAvgPool2d, BatchNorm2d, Conv1d, Conv2d, Dropout2d, Flatten, Linear, MaxPool2d, Model,
    Module, Relu, Sequential,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::Tensor;

fn random(shape: &[usize], rng: &mut StdRng) -> Tensor<f64> {
    let n = shape.iter().product();
    Tensor::from_vec((0..n).map(|_| rng.random_range(-1.0..1.0)).collect(), shape).unwrap()
}

/// `out[n,o,y,x] = b[o] + Σ w[o,c,i,j]·x[n,c,y·s + i·d − top, x·s + j·d − left]` (one
/// group), zeros outside: padding `top`/`left` before and whatever fits after.
#[allow(clippy::too_many_arguments)]
fn naive_conv(
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    b: &[f64],
    out_hw: [usize; 2],
    stride: usize,
    dilation: usize,
    top: usize,
    left: usize,
) -> Vec<f64> {
    let (xs, ws) = (x.shape(), w.shape());
    let (xv, wv) = (x.to_vec(), w.to_vec());
    let mut out = Vec::new();
    for n in 0..xs[0] {
        for o in 0..ws[0] {
            for y in 0..out_hw[0] {
                for xo in 0..out_hw[1] {
                    let mut acc = b[o];
                    for c in 0..ws[1] {
                        for i in 0..ws[2] {
                            for j in 0..ws[3] {
                                let iy = (y * stride + i * dilation) as isize - top as isize;
                                let ix = (xo * stride + j * dilation) as isize - left as isize;
                                if iy >= 0 && ix >= 0 && iy < xs[2] as isize && ix < xs[3] as isize
                                {
                                    let xi = ((n * xs[1] + c) * xs[2] + iy as usize) * xs[3]
                                        + ix as usize;
                                    acc += wv[((o * ws[1] + c) * ws[2] + i) * ws[3] + j] * xv[xi];
                                }
                            }
                        }
                    }
                    out.push(acc);
                }
            }
        }
    }
    out
}

fn close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (k, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() < 1e-10, "{what}[{k}]: {a} vs {b}");
    }
}

#[test]
fn conv2d_layer_adds_the_bias_and_pads_same_like_pytorch() {
    let mut rng = StdRng::seed_from_u64(0);
    let x = random(&[2, 3, 5, 6], &mut rng);
    let tape = Tape::new();
    // Explicit padding, stride 2.
    let conv: Conv2d<f64> = Conv2d::builder(3, 4, 3)
        .stride(2)
        .padding(1)
        .build2d(&mut rng);
    let b = conv.bias().unwrap().value().to_vec();
    let y = conv.forward(tape.constant(x.clone())).value();
    assert_eq!(y.shape(), &[2, 4, 3, 3]);
    let want = naive_conv(&x, &conv.weight().value(), &b, [3, 3], 2, 1, 1, 1);
    close("stride 2", &y.to_vec(), &want);
    // "same" with an even kernel: 3 zeros per axis, 1 before and 2 after.
    let same: Conv2d<f64> = Conv2d::builder(3, 2, 4).padding_same().build2d(&mut rng);
    let b = same.bias().unwrap().value().to_vec();
    let y = same.forward(tape.constant(x.clone())).value();
    assert_eq!(y.shape(), &[2, 2, 5, 6]);
    close(
        "same even",
        &y.to_vec(),
        &naive_conv(&x, &same.weight().value(), &b, [5, 6], 1, 1, 1, 1),
    );
    // "same" with dilation 2 and a 3×3 kernel: 2 zeros each side; no bias.
    let dil: Conv2d<f64> = Conv2d::builder(3, 2, 3)
        .padding_same()
        .dilation(2)
        .bias(false)
        .build2d(&mut rng);
    assert!(dil.bias().is_none());
    let y = dil.forward(tape.constant(x.clone())).value();
    close(
        "same dilated",
        &y.to_vec(),
        &naive_conv(&x, &dil.weight().value(), &[0.0; 2], [5, 6], 1, 2, 2, 2),
    );
}

#[test]
fn conv1d_layer_is_the_one_dimensional_definition() {
    let mut rng = StdRng::seed_from_u64(1);
    let x = random(&[2, 3, 9], &mut rng);
    let conv: Conv1d<f64> = Conv1d::builder(3, 5, 3)
        .stride(2)
        .padding(1)
        .build1d(&mut rng);
    assert_eq!(conv.weight().shape(), vec![5, 3, 3]);
    let tape = Tape::new();
    let y = conv.forward(tape.constant(x.clone())).value();
    assert_eq!(y.shape(), &[2, 5, 5]);
    // As a 2-D convolution of height 1, written out.
    let w = conv.weight().value().unsqueeze(2);
    let b = conv.bias().unwrap().value().to_vec();
    let want = naive_conv(&x.unsqueeze(2), &w, &b, [1, 5], 2, 1, 0, 1);
    // The naive helper uses one stride for both axes; height 1 makes it irrelevant.
    close("conv1d", &y.to_vec(), &want);
}

#[test]
fn initialization_is_pytorchs_uniform_fan_in_bound() {
    let mut rng = StdRng::seed_from_u64(2);
    let conv: Conv2d = Conv2d::builder(8, 16, 3).groups(2).build2d(&mut rng);
    let bound = 1.0 / ((8 / 2 * 3 * 3) as f32).sqrt();
    let w = conv.weight().value().to_vec();
    assert_eq!(conv.weight().shape(), vec![16, 4, 3, 3]);
    assert!(w.iter().all(|v| v.abs() <= bound));
    assert!(
        w.iter().any(|v| v.abs() > 0.9 * bound),
        "the bound is reached"
    );
    let b = conv.bias().unwrap().value().to_vec();
    assert!(b.iter().all(|v| v.abs() <= bound));
}

#[test]
fn parameter_names_follow_the_state_dict() {
    let mut rng = StdRng::seed_from_u64(3);
    let net = Sequential::<f32>::new()
        .add(Conv2d::new(1, 4, 3, &mut rng))
        .add(BatchNorm2d::new(4))
        .add(Relu)
        .add(Conv1d::new(4, 4, 1, &mut rng));
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
            "1.weight",
            "1.bias",
            "3.weight",
            "3.bias",
            "1.running_mean",
            "1.running_var",
            "1.num_batches_tracked"
        ]
    );
}

#[test]
fn batchnorm2d_normalizes_each_channel_over_batch_and_plane() {
    let mut rng = StdRng::seed_from_u64(4);
    let x = random(&[3, 2, 4, 5], &mut rng)
        .mul_scalar(3.0)
        .add_scalar(1.0);
    let bn = BatchNorm2d::<f64>::new(2);
    let tape = Tape::new();
    let y = bn.forward(tape.constant(x.clone())).value().to_vec();
    let xv = x.to_vec();
    let plane = 20;
    for c in 0..2 {
        let vals: Vec<(usize, f64)> = (0..3)
            .flat_map(|n| (0..plane).map(move |k| (n * 2 + c) * plane + k))
            .map(|i| (i, xv[i]))
            .collect();
        let m = vals.iter().map(|v| v.1).sum::<f64>() / 60.0;
        let var = vals.iter().map(|v| (v.1 - m).powi(2)).sum::<f64>() / 60.0;
        for &(i, v) in &vals {
            assert!((y[i] - (v - m) / (var + 1e-5).sqrt()).abs() < 1e-9);
        }
        // Running statistics: momentum 0.1 from (0, 1), unbiased variance.
        assert!((bn.running_mean().to_vec()[c] - 0.1 * m).abs() < 1e-12);
        assert!((bn.running_var().to_vec()[c] - (0.9 + 0.1 * var * 60.0 / 59.0)).abs() < 1e-12);
    }
    // Evaluation uses the running statistics.
    let mut bn = bn;
    Module::<f64>::set_training(&mut bn, false);
    let y = bn.forward(tape.constant(x.clone())).value().to_vec();
    let (rm, rv) = (bn.running_mean().to_vec(), bn.running_var().to_vec());
    assert!((y[0] - (xv[0] - rm[0]) / (rv[0] + 1e-5).sqrt()).abs() < 1e-12);
}

#[test]
fn dropout2d_zeroes_whole_channels_and_is_seeded() {
    let x = Tensor::<f32>::ones(&[16, 8, 3, 3]);
    let tape = Tape::new();
    let run = |seed| {
        Dropout2d::new(0.25, seed)
            .forward(tape.constant(x.clone()))
            .value()
            .to_vec()
    };
    let y = run(5);
    assert_eq!(y, run(5), "same seed, same mask");
    let mut dropped = 0;
    for plane in y.chunks(9) {
        assert!(
            plane.iter().all(|&v| v == plane[0]),
            "a channel is kept or dropped whole"
        );
        assert!(plane[0] == 0.0 || (plane[0] - 1.0 / 0.75).abs() < 1e-6);
        dropped += usize::from(plane[0] == 0.0);
    }
    assert!(
        (16..=48).contains(&dropped),
        "{dropped} of 128 channels dropped at p = 0.25"
    );
    let mut eval = Dropout2d::new(0.25, 5);
    Module::<f32>::set_training(&mut eval, false);
    assert_eq!(
        eval.forward(tape.constant(x.clone())).value().to_vec(),
        x.to_vec()
    );
}

/// 8×8 images with one bright 2×2 blob: label 1 if it is in the top half.
fn blobs(n: usize, seed: u64) -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x = vec![0.0f32; n * 64];
    let mut y = Vec::new();
    for i in 0..n {
        let (r, c) = (rng.random_range(0..7), rng.random_range(0..7));
        for (dr, dc) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            x[i * 64 + (r + dr) * 8 + c + dc] = 1.0;
        }
        for v in &mut x[i * 64..(i + 1) * 64] {
            *v += rng.random_range(-0.1..0.1);
        }
        y.push(if r + 1 < 4 { 1.0 } else { 0.0 });
    }
    (
        Tensor::from_vec(x, &[n, 1, 8, 8]).unwrap(),
        Tensor::from_vec(y, &[n]).unwrap(),
    )
}

#[test]
fn fit_evaluate_and_predict_take_nchw_images() {
    let (x, y) = blobs(160, 6);
    let mut rng = StdRng::seed_from_u64(7);
    let net = Sequential::new()
        .add(Conv2d::builder(1, 4, 3).padding(1).build2d(&mut rng))
        .add(Relu)
        .add(MaxPool2d::new(2))
        .add(Dropout2d::new(0.1, 1))
        .add(AdaptiveAvgPool2d::new([2, 1]))
        .add(Flatten)
        .add(Linear::new(8, 2, &mut rng));
    let mut model = Model::new(net, CrossEntropy, Adam::new(0.05)).metric(Accuracy::default());
    let config = FitConfig::new()
        .epochs(30)
        .batch_size(16)
        .validation_split(0.25)
        .augment(RandomFlip::new(0.5, 3)) // left-right flips keep the label
        .verbose(0);
    let history = model.fit(&x, &y, config).unwrap();
    let acc = history.get("val_accuracy").unwrap();
    assert!(*acc.last().unwrap() > 0.9, "validation accuracy {acc:?}");
    let (xt, yt) = blobs(60, 8);
    let logs = model.evaluate(&xt, &yt).unwrap();
    assert!(logs.get("accuracy").unwrap() > 0.9, "{logs:?}");
    assert_eq!(model.predict(&xt).unwrap().shape(), &[60, 2]);
}

#[test]
fn summary_for_shows_output_shapes_without_touching_running_statistics() {
    let mut rng = StdRng::seed_from_u64(9);
    let mut net = Sequential::<f32>::new()
        .add(Conv2d::builder(1, 4, 3).padding(1).build2d(&mut rng))
        .add(BatchNorm2d::new(4))
        .add(MaxPool2d::new(2))
        .add(AdaptiveAvgPool2d::new([1, 1]))
        .add(Flatten);
    let table = net.summary_for(&[1, 7, 6]);
    // The batch axis shows as None, as in Keras.
    for shape in [
        "(None, 4, 7, 6)",
        "(None, 4, 3, 3)",
        "(None, 4, 1, 1)",
        "(None, 4)",
    ] {
        assert!(table.contains(shape), "{shape} missing from\n{table}");
    }
    let buffers: Vec<Vec<f32>> = net
        .buffers()
        .iter()
        .map(|(_, p)| p.value().to_vec())
        .collect();
    assert_eq!(
        buffers,
        [vec![0.0; 4], vec![1.0; 4], vec![0.0]],
        "evaluation mode: no statistics update, no batch counted"
    );
}
