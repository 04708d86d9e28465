//! Recurrent training-step benchmark (issue #18): `cargo bench --bench rnn`.
//!
//! One Adam step (forward + backward + update) for the two workloads whose PyTorch times
//! were measured on this machine (PyTorch 2.15, 2 threads):
//!
//! * LSTM 8 → 64, T = 50, batch 32, Linear 64 → 1 on the last step, MSE: 2.94 ms;
//! * GRU 1 → 32, T = 24, batch 32, Linear 32 → 1 on the last step, MSE: 3.56 ms.
//!
//! Beside each, a same-run reference: the time of the step's matmuls alone on plain
//! tensors (input projection, the T recurrent products, and the matching backward
//! products: three times the forward ones), so machine drift can be told from code.
//! `QUICK=1` shortens the runs; `PROFILE=lstm|gru` runs only that workload's training
//! step, for 10 s, for a profiler.

use std::hint::black_box;
use std::time::{Duration, Instant};

use wengert::prelude::*;

fn median_secs(budget: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let t = Instant::now();
    f();
    let once = t.elapsed().as_secs_f64().max(1e-9);
    let reps = ((budget.as_secs_f64() / once) as usize).clamp(5, 5_000);
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
        Duration::from_secs(3)
    }
}

/// Recurrent layer (batch first) → last step → Linear(hidden → 1).
fn workload(lstm: bool, input: usize, hidden: usize, steps: usize, batch: usize, peer_ms: f64) {
    let mut rng = StdRng::seed_from_u64(0);
    let mut net = if lstm {
        Sequential::<f32>::new().add(
            nn::Lstm::builder(input, hidden)
                .batch_first(true)
                .build(&mut rng),
        )
    } else {
        Sequential::<f32>::new().add(
            nn::Gru::builder(input, hidden)
                .batch_first(true)
                .build(&mut rng),
        )
    }
    .add(nn::LastStep)
    .add(Linear::new(hidden, 1, &mut rng));
    let x = Tensor::<f32>::rand_normal(&[batch, steps, input], 0.0, 1.0, &mut rng);
    let y = Tensor::<f32>::rand_normal(&[batch, 1], 0.0, 1.0, &mut rng);
    let params: Vec<&Param<f32>> = net.parameters().into_iter().map(|(_, p)| p).collect();
    // A tiny learning rate keeps the weights (and so the work) where they start.
    let mut adam = Adam::new(1e-7);
    let mut train_step = || {
        let grads = {
            let tape = Tape::new();
            let pred = net.forward(tape.constant(x.clone()));
            loss::mse_loss(pred, &y, loss::Reduction::Mean).backward()
        };
        adam.step(&params, &grads);
    };
    let name = if lstm { "LSTM" } else { "GRU" };
    if let Ok(which) = std::env::var("PROFILE") {
        if which.eq_ignore_ascii_case(name) {
            let (start, mut count) = (Instant::now(), 0);
            while start.elapsed() < Duration::from_secs(10) {
                train_step();
                count += 1;
            }
            println!("{name}: {count} Adam steps in 10 s");
        }
        return;
    }
    let step = median_secs(budget(), &mut train_step);
    // On a thread of the rayon pool (`tensor::parallel::on_pool`), as a training loop can run.
    let pool_step = tensor::parallel::on_pool(|| median_secs(budget(), &mut train_step));
    let forward = median_secs(budget(), || {
        let tape = Tape::new();
        black_box(net.forward(tape.constant(x.clone())).value());
    });
    // Evaluation mode (predict, evaluate): the LSTM runs as one fused op per layer.
    net.set_training(false);
    let eval_forward = median_secs(budget(), || {
        let tape = Tape::new();
        black_box(net.forward(tape.constant(x.clone())).value());
    });
    let gates = if lstm { 4 } else { 3 } * hidden;
    let xs = Tensor::<f32>::rand_normal(&[batch * steps, input], 0.0, 1.0, &mut rng);
    let w_ih = Tensor::<f32>::rand_normal(&[gates, input], 0.0, 0.1, &mut rng);
    let h = Tensor::<f32>::rand_normal(&[batch, hidden], 0.0, 1.0, &mut rng);
    let w_hh = Tensor::<f32>::rand_normal(&[gates, hidden], 0.0, 0.1, &mut rng);
    let matmuls = median_secs(budget(), || {
        black_box(xs.matmul(&w_ih.t()));
        for _ in 0..steps {
            black_box(h.matmul(&w_hh.t()));
        }
    });
    println!(
        "{name} {input} → {hidden}, T = {steps}, batch {batch}, Linear {hidden} → 1, MSE, Adam"
    );
    println!("  forward                      {:>8.3} ms", forward * 1e3);
    println!(
        "  forward, evaluation mode     {:>8.3} ms",
        eval_forward * 1e3
    );
    println!(
        "  one Adam step                {:>8.3} ms   (PyTorch 2.15, 2 threads: {peer_ms} ms)",
        step * 1e3
    );
    println!(
        "  one Adam step, on a pool thread (on_pool) {:>8.3} ms",
        pool_step * 1e3
    );
    println!(
        "  step's matmuls alone (≈3 × forward ones, plain tensors) {:>8.3} ms",
        3.0 * matmuls * 1e3
    );
}

fn main() {
    workload(true, 8, 64, 50, 32, 2.94);
    workload(false, 1, 32, 24, 32, 3.56);
}
