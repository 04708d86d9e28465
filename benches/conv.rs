//! Convolutional training steps and one large convolution: `cargo bench --bench conv`.
//!
//! * the digits CNN (Conv 1→8 3×3 p1, ReLU, MaxPool 2, Conv 8→16 3×3 p1, ReLU, MaxPool 2,
//!   Linear 64→10), batch 32, one Adam step (forward, backward, update);
//! * LeNet-5 on 28×28 (Conv 1→6 5×5 p2, ReLU, MaxPool 2, Conv 6→16 5×5, ReLU, MaxPool 2,
//!   Linear 400→120→84→10), batch 64, one Adam step;
//! * one Conv2d 32→64 3×3 p1 on `[64, 32, 32, 32]`: forward and both gradients (input
//!   and weight), in GFLOP/s, beside the raw gemm throughput on the same matrix shapes
//!   measured in the same run.
//!
//! The PyTorch figures are printed as reference lines (PyTorch eager, same machine, 2
//! threads). `QUICK=1` shortens the runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use wengert::prelude::*;
use wengert::tensor::{Conv2dParams, Pool2d};

fn median_secs(budget: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let t = Instant::now();
    f();
    let once = t.elapsed().as_secs_f64().max(1e-9);
    let reps = ((budget.as_secs_f64() / once) as usize).clamp(5, 20_000);
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn budget() -> Duration {
    if std::env::var_os("QUICK").is_some() {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(2)
    }
}

/// The median time of one Adam step of `net` on a random batch `x` with class labels.
fn adam_step(net: &Sequential, x: &Tensor, classes: usize) -> f64 {
    let batch = x.shape()[0];
    let y = Tensor::from_vec((0..batch).map(|i| (i % classes) as f32).collect(), &[batch]).unwrap();
    let params: Vec<&Param<f32>> = net.parameters().into_iter().map(|(_, p)| p).collect();
    // A tiny learning rate keeps the weights where they start (see benches/step.rs).
    let mut adam = Adam::new(1e-7);
    median_secs(budget(), || {
        let grads = {
            let tape = Tape::new();
            let pred = net.forward(tape.constant(x.clone()));
            loss::cross_entropy(pred, &y, loss::Reduction::Mean).backward()
        };
        adam.step(&params, &grads);
    })
}

fn digits_cnn(rng: &mut StdRng) -> Sequential {
    Sequential::new()
        .add(Conv2d::builder(1, 8, 3).padding(1).build2d(rng))
        .add(Relu)
        .add(MaxPool2d::new(2))
        .add(Conv2d::builder(8, 16, 3).padding(1).build2d(rng))
        .add(Relu)
        .add(MaxPool2d::new(2))
        .add(Flatten)
        .add(Linear::new(64, 10, rng))
}

fn lenet5(rng: &mut StdRng) -> Sequential {
    Sequential::new()
        .add(Conv2d::builder(1, 6, 5).padding(2).build2d(rng))
        .add(Relu)
        .add(MaxPool2d::new(2))
        .add(Conv2d::new(6, 16, 5, rng))
        .add(Relu)
        .add(MaxPool2d::new(2))
        .add(Flatten)
        .add(Linear::new(400, 120, rng))
        .add(Relu)
        .add(Linear::new(120, 84, rng))
        .add(Relu)
        .add(Linear::new(84, 10, rng))
}

fn steps() {
    let mut rng = StdRng::seed_from_u64(0);
    let net = digits_cnn(&mut rng);
    let x = Tensor::<f32>::rand_normal(&[32, 1, 8, 8], 0.0, 1.0, &mut rng);
    let t = adam_step(&net, &x, 10);
    println!(
        "digits CNN, batch 32, one Adam step      {:>9.1} µs",
        t * 1e6
    );
    println!("  reference: PyTorch eager 1400 µs; target ≤ 280 µs");
    let net = lenet5(&mut rng);
    let x = Tensor::<f32>::rand_normal(&[64, 1, 28, 28], 0.0, 1.0, &mut rng);
    let t = adam_step(&net, &x, 10);
    println!(
        "LeNet-5 28×28, batch 64, one Adam step   {:>9.2} ms",
        t * 1e3
    );
    println!("  reference: PyTorch eager 5.45 ms; target ≤ 4.4 ms");
}

fn big_conv() {
    let mut rng = StdRng::seed_from_u64(1);
    let (n, c, o, h) = (64, 32, 64, 32);
    let x = Tensor::<f32>::rand_normal(&[n, c, h, h], 0.0, 1.0, &mut rng);
    let w = Tensor::<f32>::rand_normal(&[o, c, 3, 3], 0.0, 0.1, &mut rng);
    let g = Tensor::<f32>::rand_normal(&[n, o, h, h], 0.0, 1.0, &mut rng);
    let p = Conv2dParams::default().padding(1);
    let pass_flops = 2.0 * (n * o * h * h * c * 9) as f64;
    let gflops = |secs: f64, passes: f64| passes * pass_flops / secs / 1e9;
    let fwd = median_secs(budget(), || {
        black_box(x.conv2d(&w, p));
    });
    let dx = median_secs(budget(), || {
        black_box(g.conv_transpose2d(&w, p, [h, h]));
    });
    let dw = median_secs(budget(), || {
        black_box(x.conv2d_weight(&g, p, [3, 3]));
    });
    // The same, recorded on a tape: forward, then backward to both input and weight.
    let wp = Param::new("w", w.clone());
    let taped = median_secs(budget(), || {
        let tape = Tape::new();
        let y = tape.var(x.clone()).conv2d(tape.param(&wp), p);
        black_box(y.backward_with(g.clone()));
    });
    // Raw gemm on the lowered shapes and operand layouts the kernels use, per sample:
    // [64, 288]·[288, 1024] (forward), Wᵀ [288, 64] (a row-major copy)·[64, 1024] (input
    // gradient), cols [288, 1024]·gᵀ (a transposed view) (weight gradient, as dWᵀ).
    let k = c * 9;
    let l = h * h;
    let wm = Tensor::<f32>::rand_normal(&[o, k], 0.0, 1.0, &mut rng);
    let wt = wm.t().contiguous();
    let cols = Tensor::<f32>::rand_normal(&[n, k, l], 0.0, 1.0, &mut rng);
    let gm = Tensor::<f32>::rand_normal(&[n, o, l], 0.0, 1.0, &mut rng);
    let gemm_fwd = median_secs(budget(), || {
        black_box(wm.matmul(&cols));
    });
    let gemm_dx = median_secs(budget(), || {
        black_box(wt.matmul(&gm));
    });
    let gemm_dw = median_secs(budget(), || {
        black_box(cols.matmul(&gm.transpose(1, 2)));
    });
    println!(
        "Conv2d 32→64 3×3 p1 on [64, 32, 32, 32] ({:.2} GFLOP per pass)",
        pass_flops / 1e9
    );
    println!(
        "  forward                  {:>7.2} ms  {:>6.1} GFLOP/s   gemm alone {:>6.1} GFLOP/s",
        fwd * 1e3,
        gflops(fwd, 1.0),
        gflops(gemm_fwd, 1.0)
    );
    println!(
        "  input gradient           {:>7.2} ms  {:>6.1} GFLOP/s   gemm alone {:>6.1} GFLOP/s",
        dx * 1e3,
        gflops(dx, 1.0),
        gflops(gemm_dx, 1.0)
    );
    println!(
        "  weight gradient          {:>7.2} ms  {:>6.1} GFLOP/s   gemm alone {:>6.1} GFLOP/s",
        dw * 1e3,
        gflops(dw, 1.0),
        gflops(gemm_dw, 1.0)
    );
    let total = fwd + dx + dw;
    println!(
        "  forward + backward       {:>7.2} ms  {:>6.1} GFLOP/s   gemm alone {:>6.1} GFLOP/s",
        total * 1e3,
        gflops(total, 3.0),
        gflops(gemm_fwd + gemm_dx + gemm_dw, 3.0)
    );
    println!("  on a tape (fwd + bwd)    {:>7.2} ms", taped * 1e3);
    println!("  reference: PyTorch eager 30.1 ms forward + backward; target ≤ 24 ms");
    // Pooling the layer's output, for scale.
    let y = x.conv2d(&w, p);
    let pool = median_secs(budget(), || {
        black_box(y.max_pool2d(Pool2d::new(2)));
    });
    println!("  max_pool2d 2×2 of its output {:>5.2} ms", pool * 1e3);
}

fn main() {
    println!(
        "rayon threads: {}, SIMD: {:?}",
        rayon::current_num_threads(),
        wengert::tensor::simd::level()
    );
    steps();
    big_conv();
}
