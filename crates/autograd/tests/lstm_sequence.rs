//! The fused LSTM sequence op against the same recurrence composed step by step from
//! `matmul`, `+` and the fused cell: values and every gradient, forward and reversed, in
//! f64 and f32. Both sides share the cell kernels, so this checks the time loop and the
//! backpropagation through time; the kernels themselves are checked here against the
//! equations in plain f64 at a hidden size with full 16-wide chunks and a tail (their
//! gradients by the gradcheck rows at the same size, against finite differences).

use autograd::{Tape, Var};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{Float, Tensor};

/// `[h_t | c_t]` of every step, `[T, N, 2H]`, composed from per-step ops.
fn composed<'t, T: Float>(
    xw: Var<'t, T>,
    w_hh: Var<'t, T>,
    h0: Var<'t, T>,
    c0: Var<'t, T>,
    reverse: bool,
) -> Var<'t, T> {
    let s = xw.shape();
    let (steps, n, h) = (s[0], s[1] as isize, h0.shape()[1]);
    let order: Vec<usize> = if reverse {
        (0..steps).rev().collect()
    } else {
        (0..steps).collect()
    };
    let (mut hp, mut cp) = (h0, c0);
    let mut outs: Vec<Option<Var<'t, T>>> = vec![None; steps];
    for t in order {
        let a = xw.narrow(0, t, 1).reshape(&[n, 4 * h as isize]) + hp.matmul(w_hh.t());
        let hc = a.lstm_cell(cp);
        hp = hc.narrow(1, 0, h);
        cp = hc.narrow(1, h, h);
        outs[t] = Some(hc);
    }
    let outs: Vec<Var<'t, T>> = outs.into_iter().map(|o| o.expect("every step")).collect();
    Var::stack(&outs, 0)
}

fn compare<T: Float>(steps: usize, n: usize, h: usize, reverse: bool, tol: f64) {
    let mut rng = StdRng::seed_from_u64(steps as u64 * 31 + h as u64);
    let xw = Tensor::<T>::rand_normal(&[steps, n, 4 * h], T::ZERO, T::from_f64(1.5), &mut rng);
    let w_hh = Tensor::<T>::rand_normal(&[4 * h, h], T::ZERO, T::from_f64(0.4), &mut rng);
    let h0 = Tensor::<T>::rand_normal(&[n, h], T::ZERO, T::from_f64(0.5), &mut rng);
    let c0 = Tensor::<T>::rand_normal(&[n, h], T::ZERO, T::from_f64(0.5), &mut rng);
    // Fixed random weights on every output entry, so that every entry matters.
    let u = Tensor::<T>::rand_normal(&[steps, n, 2 * h], T::ZERO, T::from_f64(1.0), &mut rng);
    let run = |fused: bool| {
        let tape = Tape::new();
        let vars = [&xw, &w_hh, &h0, &c0].map(|t| tape.var(t.clone()));
        let out = if fused {
            vars[0].lstm_sequence(vars[1], vars[2], vars[3], reverse)
        } else {
            composed(vars[0], vars[1], vars[2], vars[3], reverse)
        };
        let grads = (out * tape.constant(u.clone())).sum_all().backward();
        let mut all = vec![out.value().to_vec()];
        all.extend(vars.iter().map(|v| grads[v].to_vec()));
        all
    };
    // The reference first, from an empty storage pool, so that it cannot reuse what the
    // fused run released (a result the fused path failed to write could then match).
    tensor::recycle::clear();
    let reference = run(false);
    tensor::recycle::clear();
    let fused = run(true);
    let names = ["output", "d xw", "d w_hh", "d h0", "d c0"];
    for ((name, f), r) in names.iter().zip(&fused).zip(&reference) {
        assert_eq!(f.len(), r.len(), "{name}");
        for (k, (a, b)) in f.iter().zip(r).enumerate() {
            let (a, b) = (a.to_f64(), b.to_f64());
            assert!(
                (a - b).abs() <= tol * (1.0 + b.abs()),
                "T={steps} N={n} H={h} reverse={reverse}: {name}[{k}] fused {a}, composed {b}"
            );
        }
    }
}

#[test]
fn fused_sequence_equals_composed_steps_in_f64() {
    for reverse in [false, true] {
        compare::<f64>(5, 3, 4, reverse, 1e-12);
        compare::<f64>(1, 1, 3, reverse, 1e-12);
        compare::<f64>(4, 2, 37, reverse, 1e-12);
        // Batches the time loops split into row blocks: 50 rows in three (16, 17, 17),
        // and 40 rows in two with enough work to run them on the thread pool.
        compare::<f64>(3, 50, 5, reverse, 1e-12);
        compare::<f64>(12, 40, 40, reverse, 1e-12);
    }
}

#[test]
fn fused_sequence_equals_composed_steps_in_f32() {
    for reverse in [false, true] {
        compare::<f32>(6, 4, 20, reverse, 2e-5);
    }
}

#[test]
fn shape_mistakes_name_every_shape() {
    let tape = Tape::new();
    let xw = tape.var(Tensor::<f64>::zeros(&[3, 2, 8]));
    let w_hh = tape.var(Tensor::zeros(&[8, 3]));
    let h0 = tape.var(Tensor::zeros(&[2, 2]));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = xw.lstm_sequence(w_hh, h0, h0, false);
    }))
    .expect_err("wrong weight_hh");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    for part in ["lstm_sequence", "[3, 2, 8]", "[8, 3]", "[2, 2]"] {
        assert!(msg.contains(part), "{msg}");
    }
}

#[test]
fn the_cell_kernel_follows_the_equations_across_its_chunks() {
    // Hidden 37: two full 16-element chunks and a tail of 5, in each of 2 rows.
    let (n, h) = (2, 37);
    let mut rng = StdRng::seed_from_u64(5);
    let a = Tensor::<f64>::rand_normal(&[n, 4 * h], 0.0, 2.0, &mut rng);
    let c0 = Tensor::<f64>::rand_normal(&[n, h], 0.0, 1.0, &mut rng);
    let out = a.lstm_cell(&c0).to_vec();
    let (a, c0) = (a.to_vec(), c0.to_vec());
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    for r in 0..n {
        for j in 0..h {
            let gate = |k: usize| a[r * 4 * h + k * h + j];
            let (i, f, g, o) = (
                sigmoid(gate(0)),
                sigmoid(gate(1)),
                gate(2).tanh(),
                sigmoid(gate(3)),
            );
            let c = f * c0[r * h + j] + i * g;
            let (got_h, got_c) = (out[r * 2 * h + j], out[r * 2 * h + h + j]);
            assert!((got_c - c).abs() < 1e-13, "c[{r}][{j}]: {got_c} vs {c}");
            assert!((got_h - o * c.tanh()).abs() < 1e-13, "h[{r}][{j}]");
        }
    }
}
