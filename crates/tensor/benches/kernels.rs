//! Kernel benchmarks: `cargo bench -p wengert-tensor --bench kernels`.
//!
//! Every figure is a median over repeated runs and is printed next to a reference
//! measured in the same run (raw `gemm` for matmul, `copy_from_slice` for memory
//! bandwidth, a plain scalar loop for tiny ops), so the ratios are meaningful on a noisy
//! machine. `SIZES=64,128` limits the matmul sizes; `QUICK=1` shortens everything.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tensor::{Float, Tensor};

/// Median seconds per call of `f`, running for about `budget`.
fn time(budget: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    f();
    let once = start.elapsed().as_secs_f64().max(1e-9);
    let reps = ((budget.as_secs_f64() / once) as usize).clamp(5, 100_000);
    // Batch very short calls so timer resolution does not dominate.
    let inner = ((1e-5 / once) as usize).max(1);
    let mut samples: Vec<f64> = (0..reps.div_ceil(inner).max(5))
        .map(|_| {
            let t = Instant::now();
            for _ in 0..inner {
                f();
            }
            t.elapsed().as_secs_f64() / inner as f64
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

fn budget() -> Duration {
    if std::env::var_os("QUICK").is_some() {
        Duration::from_millis(30)
    } else {
        Duration::from_millis(300)
    }
}

fn filled<T: Float>(shape: &[usize]) -> Tensor<T> {
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|i| T::from_f64(((i * 7919) % 1000) as f64 / 1000.0 - 0.5))
        .collect();
    Tensor::from_vec(data, shape).unwrap()
}

/// Raw gemm on row-major buffers (B optionally column-major), 1 thread or all.
fn raw_gemm<T: Float>(n: usize, a: &[T], b: &[T], c: &mut [T], b_transposed: bool, threads: bool) {
    let (b_cs, b_rs) = if b_transposed {
        (n as isize, 1)
    } else {
        (1, n as isize)
    };
    let par = if threads {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: all buffers hold n*n elements and the strides describe n×n matrices.
    unsafe {
        gemm::gemm(
            n,
            n,
            n,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            n as isize,
            b.as_ptr(),
            b_cs,
            b_rs,
            T::ZERO,
            T::ONE,
            false,
            false,
            false,
            par,
        )
    }
}

fn bench_matmul<T: Float>() {
    let sizes: Vec<usize> = std::env::var("SIZES")
        .unwrap_or_else(|_| "64,128,256,512,1024,2048".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    println!(
        "\nmatmul {} (GFLOP/s; raw gemm in the same run, with the same threading decision)",
        T::NAME
    );
    println!(
        "{:>6} {:>10} {:>10} {:>7} {:>12} {:>12} {:>7}",
        "n", "wengert", "raw gemm", "ratio", "wengert·Bᵀ", "raw gemm·Bᵀ", "ratio"
    );
    for n in sizes {
        let a = filled::<T>(&[n, n]);
        let b = filled::<T>(&[n, n]);
        let bt = b.t(); // a transposed view: no copy
        let flop = 2.0 * (n as f64).powi(3);
        let threads = tensor::parallel::split_matmul(2 * n * n * n);
        let ours = time(budget(), || drop(black_box(a.matmul(&b))));
        let ours_t = time(budget(), || drop(black_box(a.matmul(&bt))));
        let (sa, sb) = (a.as_slice().unwrap(), b.as_slice().unwrap());
        let mut c = vec![T::ZERO; n * n];
        let raw = time(budget(), || {
            // Allocate like the tensor op does, so the comparison is like for like.
            c = vec![T::ZERO; n * n];
            raw_gemm(n, sa, sb, &mut c, false, threads)
        });
        let raw_t = time(budget(), || {
            c = vec![T::ZERO; n * n];
            raw_gemm(n, sa, sb, &mut c, true, threads)
        });
        println!(
            "{:>6} {:>10.1} {:>10.1} {:>7.2} {:>12.1} {:>12.1} {:>7.2}",
            n,
            flop / ours / 1e9,
            flop / raw / 1e9,
            raw / ours,
            flop / ours_t / 1e9,
            flop / raw_t / 1e9,
            raw_t / ours_t
        );
    }
}

fn bench_elementwise() {
    println!(
        "\nelementwise f32 (GB/s of data touched: 3 arrays for add, 2 for exp; memcpy moves 2)"
    );
    println!(
        "{:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "elements", "add", "exp", "memcpy", "add/copy", "exp/copy"
    );
    for n in [1_000usize, 10_000, 100_000, 1_000_000, 10_000_000] {
        let a = filled::<f32>(&[n]);
        let b = filled::<f32>(&[n]);
        let bytes = (n * 4) as f64;
        let add = time(budget(), || drop(black_box(&a + &b)));
        let exp = time(budget(), || drop(black_box(a.exp())));
        let src = a.as_slice().unwrap();
        let copy = time(budget(), || {
            let mut v = Vec::with_capacity(n);
            v.extend_from_slice(src);
            black_box(v);
        });
        let (add_bw, exp_bw, copy_bw) = (
            3.0 * bytes / add / 1e9,
            2.0 * bytes / exp / 1e9,
            2.0 * bytes / copy / 1e9,
        );
        println!(
            "{:>10} {:>10.1} {:>10.1} {:>10.1} {:>10.2} {:>10.2}",
            n,
            add_bw,
            exp_bw,
            copy_bw,
            add_bw / copy_bw,
            exp_bw / copy_bw
        );
    }
    println!("\nexp throughput f32 (Gelem/s): vectorized kernel vs std's scalar exp");
    let n = 100_000;
    let a = filled::<f32>(&[n]);
    let src = a.as_slice().unwrap();
    let ours = time(budget(), || drop(black_box(a.exp())));
    let std_exp = time(budget(), || {
        drop(black_box(src.iter().map(|x| x.exp()).collect::<Vec<_>>()))
    });
    println!(
        "  tensor.exp(): {:.2}   std exp loop: {:.2}   speed-up {:.1}x",
        n as f64 / ours / 1e9,
        n as f64 / std_exp / 1e9,
        std_exp / ours
    );
    println!("  SIMD level: {:?}", tensor::simd::level());
}

fn bench_tiny() {
    println!("\n16-element add (ns): tensor op vs a plain scalar loop into a new Vec");
    let a = filled::<f32>(&[16]);
    let b = filled::<f32>(&[16]);
    let ours = time(budget(), || drop(black_box(&a + &b)));
    let (sa, sb) = (
        a.as_slice().unwrap().to_vec(),
        b.as_slice().unwrap().to_vec(),
    );
    let plain = time(budget(), || {
        let v: Vec<f32> = sa.iter().zip(&sb).map(|(x, y)| x + y).collect();
        black_box(v);
    });
    println!(
        "  tensor: {:.0} ns   plain loop: {:.0} ns   ratio {:.2}",
        ours * 1e9,
        plain * 1e9,
        ours / plain
    );
}

fn bench_reduce() {
    println!("\nreductions over a 1024×1024 f32 matrix (GB/s read)");
    let x = filled::<f32>(&[1024, 1024]);
    let bytes = (1024 * 1024 * 4) as f64;
    let rows = time(budget(), || drop(black_box(x.sum(1, false))));
    let cols = time(budget(), || drop(black_box(x.sum(0, false))));
    let all = time(budget(), || {
        black_box(x.sum_all());
    });
    let src = x.as_slice().unwrap();
    let plain = time(budget(), || {
        black_box(src.iter().sum::<f32>());
    });
    println!(
        "  sum(axis=1): {:.1}   sum(axis=0): {:.1}   sum_all: {:.1}   plain iter().sum(): {:.1}",
        bytes / rows / 1e9,
        bytes / cols / 1e9,
        bytes / all / 1e9,
        bytes / plain / 1e9
    );
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    println!("rayon threads: {}", rayon::current_num_threads());
    bench_tiny();
    bench_elementwise();
    bench_reduce();
    bench_matmul::<f32>();
    bench_matmul::<f64>();
}
