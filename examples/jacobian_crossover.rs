//! Forward or reverse mode for a Jacobian? Times `jacfwd` (one forward pass per input)
//! against `jacrev` (one reverse pass per output) on f: ℝⁿ → ℝᵐ,
//! f(x) = W₂·tanh(W₁·x) with a hidden width of 64, for a fixed n and growing m.
//! The crossover sits where m ≈ n, as the pass counts say (docs/forward-mode.md).
//!
//! Run with `cargo run --release --example jacobian_crossover`.

use std::time::Instant;

use wengert::autograd::functional::{function, jacfwd, jacrev};
use wengert::prelude::*;

/// Median wall time of `reps` runs of `f`, in milliseconds.
fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

fn main() {
    let n = 64;
    let hidden = 64;
    let mut rng = StdRng::seed_from_u64(0);
    let x = Tensor::<f64>::rand_uniform(&[n], -1.0, 1.0, &mut rng);
    let w1 = Tensor::<f64>::rand_normal(&[hidden, n], 0.0, 0.2, &mut rng);
    println!("f: R^{n} -> R^m, f(x) = W2·tanh(W1·x), hidden width {hidden}");
    println!(
        "{:>6} {:>12} {:>12} {:>10}  faster",
        "m", "jacfwd ms", "jacrev ms", "fwd/rev"
    );
    for m in [4, 16, 32, 64, 128, 256, 1024] {
        let w2 = Tensor::<f64>::rand_normal(&[m, hidden], 0.0, 0.2, &mut rng);
        let f = function(|v: &[Var<'_, f64>]| {
            let tape = v[0].tape();
            let h = tape.constant(w1.clone()).matmul(v[0]).tanh();
            tape.constant(w2.clone()).matmul(h)
        });
        let inputs = [x.clone()];
        // Both give the same Jacobian (to rounding).
        let (fwd, rev) = (jacfwd(f, &inputs).unwrap(), jacrev(f, &inputs).unwrap());
        let gap = fwd[0].sub(&rev[0]).abs().max_all();
        assert!(gap < 1e-12, "jacfwd and jacrev differ by {gap}");
        let t_fwd = median_ms(5, || drop(jacfwd(f, &inputs).unwrap()));
        let t_rev = median_ms(5, || drop(jacrev(f, &inputs).unwrap()));
        let faster = if t_fwd < t_rev { "jacfwd" } else { "jacrev" };
        println!(
            "{m:>6} {t_fwd:>12.3} {t_rev:>12.3} {:>10.2}  {faster}",
            t_fwd / t_rev
        );
    }
}
