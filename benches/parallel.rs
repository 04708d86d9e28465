//! Work split over threads: `cargo bench --bench parallel`.
//!
//! Each figure is printed beside a reference measured in the same run (the machine is
//! shared and drifts), as a ratio:
//! * a `[256, 1024]` `a + b` (above the split threshold) right after another op and after
//!   2 ms of idling, when the pool's threads have gone to sleep — against the same add
//!   run on one thread;
//! * a transposed copy of a `1024 × 1024` matrix (`w.t().contiguous()`) against a plain
//!   copy of it;
//! * SGD and Adam updates of a `1024 × 1024` parameter, against the same updates in a
//!   one-thread pool (the bits are the same: the update is elementwise).
//!
//! `QUICK=1` takes fewer samples.

use std::hint::black_box;
use std::time::{Duration, Instant};

use wengert::prelude::*;

/// Median of `samples` timings of `f` in µs, each after `idle` of sleep.
fn median_us(samples: usize, idle: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let mut v: Vec<f64> = (0..samples)
        .map(|_| {
            if !idle.is_zero() {
                std::thread::sleep(idle);
            }
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let samples = if std::env::var_os("QUICK").is_some() {
        20
    } else {
        200
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    println!("rayon threads: {}", rayon::current_num_threads());

    let a = Tensor::<f32>::ones(&[256, 1024]);
    let b = Tensor::<f32>::full(&[256, 1024], 0.5);
    let add = || {
        black_box(&a + &b);
    };
    let serial = one.install(|| median_us(samples, Duration::ZERO, add));
    let warm = median_us(samples, Duration::ZERO, add);
    let cold = median_us(samples, Duration::from_millis(2), add);
    println!(
        "[256, 1024] a + b: one thread {serial:.1} µs | split, back to back {warm:.1} µs \
         ({:.2}x) | split, after 2 ms idle {cold:.1} µs ({:.2}x)",
        warm / serial,
        cold / serial
    );

    let w = Tensor::<f32>::ones(&[1024, 1024]);
    let copy = median_us(samples, Duration::ZERO, || {
        black_box(w.mul_scalar(1.0));
    });
    let transposed = median_us(samples, Duration::ZERO, || {
        black_box(w.t().contiguous());
    });
    println!(
        "1024 x 1024 copy {copy:.0} µs | transposed copy {transposed:.0} µs ({:.1}x)",
        transposed / copy
    );

    let p = Param::new("w", Tensor::<f32>::ones(&[1024, 1024]));
    let grads = {
        let tape = Tape::new();
        let c = tape.constant(Tensor::<f32>::full(&[1024, 1024], 1e-3));
        (tape.param(&p) * c).sum_all().backward()
    };
    let time_update = |name: &str, opt: &mut dyn Optimizer<f32>| {
        let mut step = || opt.step(&[&p], &grads);
        let serial = one.install(|| median_us(samples, Duration::ZERO, &mut step));
        let split = median_us(samples, Duration::ZERO, &mut step);
        println!(
            "{name} update of 1024 x 1024: one thread {serial:.0} µs | split {split:.0} µs \
             ({:.2}x)",
            split / serial
        );
    };
    time_update("SGD", &mut Sgd::new(1e-6));
    time_update("Adam", &mut Adam::new(1e-6));
}
