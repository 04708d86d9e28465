//! Tape overhead and training-step benchmarks: `cargo bench --bench step`.
//!
//! * recording overhead per op on tiny tensors (ns/op): a chain of ops on a 1-element
//!   tensor, on a tape, minus the same chain on plain tensors;
//! * forward + backward (with anomaly detection off and on), and forward + backward +
//!   Adam/SGD update, for the MLPs in `shared/perf` (µs/step, median);
//! * the study guide's whole `fit` (seconds);
//! * for each MLP, the roofline: its matmuls alone through `gemm`, same shapes, with the
//!   step's transposes and all row-major;
//! * with `PEERS=1`, burn's and candle's steps (programs in `shared/perf/rust-peers`, when
//!   built) and JAX's (`shared/perf/python`, when `jax` is installed), run now, as ratios.
//!
//! `QUICK=1` shortens the runs and skips the large MLP. `PROFILE=small|digits|large|fit`
//! runs only one of them, for a profiler (`elementwise`: a 16-element `a + b`; `tape`: the
//! recording-overhead chain; `backward`: the same with its backward pass).

use std::hint::black_box;
use std::time::{Duration, Instant};

use wengert::prelude::*;

#[path = "step/peers.rs"]
mod peers;

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
        Duration::from_millis(100)
    } else {
        Duration::from_secs(1)
    }
}

fn overhead() {
    const OPS: usize = 100;
    let x0 = Tensor::<f32>::scalar(0.5);
    let plain = median_secs(budget(), || {
        let mut x = x0.clone();
        for _ in 0..OPS {
            x = x.mul_scalar(1.0001).add_scalar(0.0001);
        }
        black_box(x);
    });
    let taped = median_secs(budget(), || {
        let tape = Tape::new();
        let mut x = tape.var(x0.clone());
        for _ in 0..OPS {
            x = x * 1.0001 + 0.0001;
        }
        black_box(x.item());
    });
    let backward = median_secs(budget(), || {
        let tape = Tape::new();
        let mut x = tape.var(x0.clone());
        for _ in 0..OPS {
            x = x * 1.0001 + 0.0001;
        }
        black_box(x.backward());
    });
    let detecting = median_secs(budget(), || {
        let tape = Tape::new();
        tape.detect_anomaly(true);
        let mut x = tape.var(x0.clone());
        for _ in 0..OPS {
            x = x * 1.0001 + 0.0001;
        }
        black_box(x.backward());
    });
    let n = (2 * OPS) as f64;
    println!("tiny ops (1 element), per op:");
    println!("  tensor op alone         {:>7.0} ns", plain / n * 1e9);
    println!(
        "  recorded on a tape      {:>7.0} ns  (recording overhead {:.0} ns/op)",
        taped / n * 1e9,
        (taped - plain) / n * 1e9
    );
    println!("  recorded + backward     {:>7.0} ns", backward / n * 1e9);
    println!(
        "  same, anomaly detection {:>7.0} ns  ({:.2}x)",
        detecting / n * 1e9,
        detecting / backward
    );
}

/// A 16-element elementwise op against a plain loop writing a new `Vec` (the issue's
/// "within 2x" figure): `a + b` (same shapes), `a * 2` and `relu(a)`, per op.
fn elementwise16() {
    const OPS: usize = 100;
    let a: Vec<f32> = (0..16).map(|i| i as f32 * 0.25 - 2.0).collect();
    let b: Vec<f32> = (0..16).map(|i| 1.0 - i as f32 * 0.125).collect();
    let (ta, tb) = (
        Tensor::from_vec(a.clone(), &[16]).unwrap(),
        Tensor::from_vec(b.clone(), &[16]).unwrap(),
    );
    let per_op = |f: &mut dyn FnMut()| median_secs(budget(), f) / OPS as f64 * 1e9;
    let rows: [(&str, f64, f64); 3] = [
        (
            "a + b",
            per_op(&mut || {
                for _ in 0..OPS {
                    let (a, b) = (black_box(&a), black_box(&b));
                    black_box(a.iter().zip(b).map(|(x, y)| x + y).collect::<Vec<f32>>());
                }
            }),
            per_op(&mut || {
                for _ in 0..OPS {
                    black_box(black_box(&ta) + black_box(&tb));
                }
            }),
        ),
        (
            "a * 2",
            per_op(&mut || {
                for _ in 0..OPS {
                    black_box(black_box(&a).iter().map(|x| x * 2.0).collect::<Vec<f32>>());
                }
            }),
            per_op(&mut || {
                for _ in 0..OPS {
                    black_box(black_box(&ta).mul_scalar(2.0));
                }
            }),
        ),
        (
            "relu(a)",
            per_op(&mut || {
                for _ in 0..OPS {
                    black_box(
                        black_box(&a)
                            .iter()
                            .map(|x| x.max(0.0))
                            .collect::<Vec<f32>>(),
                    );
                }
            }),
            per_op(&mut || {
                for _ in 0..OPS {
                    black_box(black_box(&ta).relu());
                }
            }),
        ),
    ];
    println!("16-element elementwise op vs a plain loop into a new Vec, per op:");
    for (name, plain, tensor) in rows {
        println!(
            "  {name:<8} plain {plain:>5.1} ns  tensor {tensor:>5.1} ns  ({:.2}x)",
            tensor / plain
        );
    }
}

fn mlp(sizes: &[usize], rng: &mut StdRng) -> Sequential {
    let mut net = Sequential::new();
    for w in sizes.windows(2) {
        if !net.is_empty() {
            net.push(Relu);
        }
        net.push(Linear::new(w[0], w[1], rng));
    }
    net
}

/// Prints the step's figures; returns the (Adam, SGD) full steps' seconds.
fn step_bench(
    name: &str,
    sizes: &[usize],
    batch: usize,
    classes: Option<usize>,
    peer: &str,
) -> (f64, f64) {
    let mut rng = StdRng::seed_from_u64(0);
    let net = mlp(sizes, &mut rng);
    let x = Tensor::<f32>::rand_normal(&[batch, sizes[0]], 0.0, 1.0, &mut rng);
    let y = match classes {
        Some(c) => {
            Tensor::from_vec((0..batch).map(|i| (i % c) as f32).collect(), &[batch]).unwrap()
        }
        None => Tensor::<f32>::rand_normal(&[batch, 1], 0.0, 1.0, &mut rng),
    };
    let params: Vec<&Param<f32>> = net.parameters().into_iter().map(|(_, p)| p).collect();
    fn loss<'t>(pred: Var<'t, f32>, y: &Tensor<f32>, classes: Option<usize>) -> Var<'t, f32> {
        match classes {
            Some(_) => loss::cross_entropy(pred, y, loss::Reduction::Mean),
            None => loss::mse_loss(pred, y, loss::Reduction::Mean),
        }
    }
    let fwd_bwd = median_secs(budget(), || {
        let tape = Tape::new();
        let l = loss(net.forward(tape.constant(x.clone())), &y, classes);
        black_box(l.backward());
    });
    // A tiny learning rate keeps the weights where they start: after thousands of steps on
    // one batch the gradients would otherwise shrink into subnormal floats, which the CPU
    // handles a hundred times slower, and the figure would measure that instead.
    let mut adam = Adam::new(1e-7);
    let full = median_secs(budget(), || {
        let grads = {
            let tape = Tape::new();
            loss(net.forward(tape.constant(x.clone())), &y, classes).backward()
        };
        adam.step(&params, &grads);
    });
    let mut sgd = Sgd::new(1e-7);
    let mut sgd_step = || {
        let grads = {
            let tape = Tape::new();
            loss(net.forward(tape.constant(x.clone())), &y, classes).backward()
        };
        sgd.step(&params, &grads);
    };
    let full_sgd = median_secs(budget(), &mut sgd_step);
    // On a thread of the rayon pool (`tensor::parallel::on_pool`), as a training loop can run.
    let pool_sgd = wengert::tensor::parallel::on_pool(|| median_secs(budget(), &mut sgd_step));
    let detecting = median_secs(budget(), || {
        let tape = Tape::new();
        tape.detect_anomaly(true);
        let l = loss(net.forward(tape.constant(x.clone())), &y, classes);
        black_box(l.backward());
    });
    println!("{name}");
    println!("  forward + backward          {:>9.1} µs", fwd_bwd * 1e6);
    println!(
        "  same, anomaly detection on  {:>9.1} µs  ({:.2}x)",
        detecting * 1e6,
        detecting / fwd_bwd
    );
    println!("  + Adam update (full step)   {:>9.1} µs", full * 1e6);
    println!("  + SGD update (full step)    {:>9.1} µs", full_sgd * 1e6);
    println!(
        "  same, on a pool thread (on_pool) {:>9.1} µs",
        pool_sgd * 1e6
    );
    println!("  shared/perf peers (2 threads): {peer}");
    (full, full_sgd)
}

/// `C[m×n] = A·B` through gemm directly, `C` contiguous row-major, `A` stored transposed
/// (column-major) if `ta`, `B` if `tb`; on both threads from 24 MFLOP on (the
/// framework's threshold), else on one.
#[allow(clippy::too_many_arguments)]
fn raw_gemm(c: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, ta: bool, tb: bool) {
    assert!(a.len() == m * k && b.len() == k * n && c.len() == m * n);
    let (a_cs, a_rs) = if ta { (m as isize, 1) } else { (1, k as isize) };
    let (b_cs, b_rs) = if tb { (k as isize, 1) } else { (1, n as isize) };
    let parallelism = if 2 * m * n * k >= wengert::tensor::parallel::PARALLEL_MATMUL_FLOPS {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the slices hold exactly m·k, k·n and m·n elements (checked above), laid out
    // with the strides given, and `c` does not alias `a` or `b` (a `&mut` slice).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// The roofline of an MLP step: its matmuls alone, same shapes, back to back: forward
/// `x·Wᵀ` per layer, backward `gᵀ·x` (weight gradient) per layer and `g·W` (input
/// gradient) for all but the first. With `transposes`, `Wᵀ` and `gᵀ` are stored
/// column-major as in the step (the definition); without, every operand is
/// row-major (what gemm does best). Returns seconds per step.
fn roofline(sizes: &[usize], batch: usize, transposes: bool) -> f64 {
    let mut products = Vec::new();
    for (l, w) in sizes.windows(2).enumerate() {
        let (i, o) = (w[0], w[1]);
        products.push((batch, i, o, false, transposes)); // forward x·Wᵀ
        products.push((o, batch, i, transposes, false)); // weight gradient gᵀ·x
        if l > 0 {
            products.push((batch, o, i, false, false)); // input gradient g·W
        }
    }
    let buffers: Vec<(Vec<f32>, Vec<f32>, Vec<f32>)> = products
        .iter()
        .map(|&(m, k, n, _, _)| (vec![0.5; m * k], vec![0.25; k * n], vec![0.0; m * n]))
        .collect();
    let mut buffers = buffers;
    median_secs(budget(), || {
        for (&(m, k, n, ta, tb), (a, b, c)) in products.iter().zip(buffers.iter_mut()) {
            raw_gemm(c, a, b, m, k, n, ta, tb);
        }
        black_box(&buffers);
    })
}

/// Prints the step's products alone (both rooflines) beside the SGD step's time.
fn print_roofline(sizes: &[usize], batch: usize, sgd: f64) -> peers::LargeProducts {
    let same = roofline(sizes, batch, true);
    let row_major = roofline(sizes, batch, false);
    // Forward and weight gradient per layer; input gradient for all but the first.
    let flops: f64 = sizes
        .windows(2)
        .enumerate()
        .map(|(l, w)| 2.0 * batch as f64 * (w[0] * w[1]) as f64 * if l > 0 { 3.0 } else { 2.0 })
        .sum();
    println!(
        "  roofline: the step's {} matmuls alone through gemm, stored as in the step {:.1} µs \
         ({:.0} GFLOP/s), all row-major {:.1} µs; the SGD step costs {:.2}x the first \
         ({:.0} % of the roofline)",
        3 * sizes.len() - 4,
        same * 1e6,
        flops / same / 1e9,
        row_major * 1e6,
        sgd / same,
        100.0 * same / sgd
    );
    peers::LargeProducts { flops, row_major }
}

/// `PROFILE=small|digits|large`: run only that model's SGD steps, for a profiler.
fn profile(which: &str) {
    let (sizes, batch, classes): (&[usize], usize, Option<usize>) = match which {
        "small" => (&[13, 64, 64, 1], 20, None),
        "digits" => (&[64, 128, 64, 10], 32, Some(10)),
        _ => (&[784, 1024, 1024, 10], 256, Some(10)),
    };
    let mut rng = StdRng::seed_from_u64(0);
    let net = mlp(sizes, &mut rng);
    let x = Tensor::<f32>::rand_normal(&[batch, sizes[0]], 0.0, 1.0, &mut rng);
    let y = match classes {
        Some(c) => {
            Tensor::from_vec((0..batch).map(|i| (i % c) as f32).collect(), &[batch]).unwrap()
        }
        None => Tensor::<f32>::rand_normal(&[batch, 1], 0.0, 1.0, &mut rng),
    };
    let params: Vec<&Param<f32>> = net.parameters().into_iter().map(|(_, p)| p).collect();
    let mut sgd = Sgd::new(1e-7);
    let t = Instant::now();
    let mut steps = 0usize;
    // `ON_POOL=1`: on a thread of the rayon pool (`tensor::parallel::on_pool`).
    let on_pool = std::env::var_os("ON_POOL").is_some();
    let mut body = || {
        while t.elapsed() < Duration::from_secs(10) {
            let grads = {
                let tape = Tape::new();
                let pred = net.forward(tape.constant(x.clone()));
                let l = match classes {
                    Some(_) => loss::cross_entropy(pred, &y, loss::Reduction::Mean),
                    None => loss::mse_loss(pred, &y, loss::Reduction::Mean),
                };
                l.backward()
            };
            sgd.step(&params, &grads);
            steps += 1;
        }
    };
    if on_pool {
        wengert::tensor::parallel::on_pool(body);
    } else {
        body();
    }
    println!("{which}: {steps} SGD steps in 10 s");
}

/// The study guide's whole workflow: diabetes (standardized, 80/20 split), Dense 64 → 64 → 1,
/// MSE, Adam, batch 20, 200 epochs with validation data every epoch, verbose 0. Seconds
/// (median of 5 fits).
fn study_guide_fit() -> f64 {
    let data = datasets::diabetes();
    let (train, test) = data.train_test_split(0.2, 42).expect("split");
    let scaler = StandardScaler::fit(&train.x);
    let (x_train, x_test) = (scaler.transform(&train.x), scaler.transform(&test.x));
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let mut rng = StdRng::seed_from_u64(42);
            let net = mlp(&[10, 64, 64, 1], &mut rng);
            let mut model = Model::new(net, loss::Mse, Adam::new(1e-3));
            let t = Instant::now();
            let history = model
                .fit(
                    &x_train,
                    &train.y,
                    FitConfig::new()
                        .epochs(200)
                        .batch_size(20)
                        .shuffle(true)
                        .seed(42)
                        .validation_data(&x_test, &test.y)
                        .verbose(0),
                )
                .expect("fit");
            black_box(history);
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times[times.len() / 2]
}

fn main() {
    if let Ok(which) = std::env::var("PROFILE") {
        if which == "tape" || which == "backward" {
            let x0 = Tensor::<f32>::scalar(0.5);
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(5) {
                let tape = Tape::new();
                let mut x = tape.var(x0.clone());
                for _ in 0..100 {
                    x = x * 1.0001 + 0.0001;
                }
                if which == "backward" {
                    black_box(x.backward());
                } else {
                    black_box(x.item());
                }
            }
        } else if which == "elementwise" {
            let a = Tensor::<f32>::ones(&[16]);
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(5) {
                for _ in 0..1000 {
                    black_box(black_box(&a) + black_box(&a));
                }
            }
        } else if which == "fit" {
            println!("fit: {:.3} s", study_guide_fit());
        } else {
            profile(&which);
        }
        return;
    }
    println!(
        "rayon threads: {}, SIMD: {:?}",
        rayon::current_num_threads(),
        wengert::tensor::simd::level()
    );
    overhead();
    elementwise16();
    let (small, small_sgd) = step_bench(
        "MLP 13 → 64 → 64 → 1, MSE, batch 20",
        &[13, 64, 64, 1],
        20,
        None,
        "PyTorch eager 235 µs, fused Adam 168, JAX 81, candle 63, burn 56 (Adam)",
    );
    print_roofline(&[13, 64, 64, 1], 20, small_sgd);
    let (digits, digits_sgd) = step_bench(
        "MLP 64 → 128 → 64 → 10, cross-entropy, batch 32",
        &[64, 128, 64, 10],
        32,
        Some(10),
        "PyTorch eager 282 µs, JAX 93, candle 125, burn 94 (Adam)",
    );
    print_roofline(&[64, 128, 64, 10], 32, digits_sgd);
    println!(
        "study guide fit (diabetes, 200 epochs, batch 20, validation every epoch): {:.3} s \
         (shared/perf: PyTorch plain loop 1.01 s, Keras 2.60 s)",
        study_guide_fit()
    );
    let mut large = None;
    if std::env::var_os("QUICK").is_none() {
        let sizes = [784, 1024, 1024, 10];
        let (_, sgd) = step_bench(
            "MLP 784 → 1024 → 1024 → 10, cross-entropy, batch 256",
            &sizes,
            256,
            Some(10),
            "PyTorch eager 16 046 µs, JAX 7 222, candle 19 520, burn 12 243 / 8 330 (SGD)",
        );
        large = Some((sgd * 1e6, print_roofline(&sizes, 256, sgd)));
    }
    if std::env::var_os("PEERS").is_some() {
        let (large_us, products) = large.unzip();
        peers::peers_table([Some(small * 1e6), Some(digits * 1e6), large_us], products);
    } else {
        println!(
            "(PEERS=1 also runs the peers built in shared/perf, in this run, and prints ratios)"
        );
    }
}
