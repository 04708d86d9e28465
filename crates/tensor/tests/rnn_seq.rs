//! The whole-sequence LSTM op (`Tensor::lstm_sequence`): the gates it keeps, and the
//! same bits on any number of threads. Its values and gradients against the per-step
//! composition are in `autograd/tests/lstm_sequence.rs`.

mod common;

use rand::{rngs::StdRng, SeedableRng};
use tensor::{Float, Tensor};

/// Random `[xw, W_hh, h0, c0, g]` for `(T, N, H)`: inputs `[T, N, 4H]`, weights
/// `[4H, H]`, states `[N, H]`, and an output gradient `[T, N, 2H]`.
fn inputs<T: Float>(seed: u64, (steps, n, h): (usize, usize, usize)) -> [Tensor<T>; 5] {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut normal = |shape: &[usize], sd: f64| {
        Tensor::<T>::rand_normal(shape, T::ZERO, T::from_f64(sd), &mut rng)
    };
    [
        normal(&[steps, n, 4 * h], 1.5),
        normal(&[4 * h, h], 0.4),
        normal(&[n, h], 1.0),
        normal(&[n, h], 1.0),
        normal(&[steps, n, 2 * h], 1.0),
    ]
}

/// The LSTM sequence op splits the batch into row blocks that depend on the batch size
/// only, so one thread and two give the same bits, forward and backward.
#[test]
fn lstm_sequence_is_the_same_on_one_thread_and_two() {
    let [xw, w, h0, c0, g] = inputs::<f32>(3, (12, 40, 40));
    let run = |threads: usize| {
        common::on_threads(threads, || {
            // With the gates kept (as in training) and recomputed.
            let (out, gates) = xw.lstm_sequence_with_gates(&w, &h0, &c0, true);
            let a = g.lstm_sequence_backward(&xw, &w, &h0, &c0, &out, Some(&gates), true);
            let b = g.lstm_sequence_backward(&xw, &w, &h0, &c0, &out, None, true);
            [out, gates, a.0, a.1, a.2, a.3, b.0, b.1, b.2, b.3].map(|t| t.to_vec())
        })
    };
    assert_eq!(run(1), run(2));
}

/// The gates `lstm_sequence_with_gates` keeps are `a_t = xw[t] + h_prev·W_hhᵀ`, and the
/// backward pass given them equals the one that recomputes them.
#[test]
fn lstm_sequence_saved_gates_are_the_pre_activations() {
    let (steps, n, h) = (3, 5, 4);
    let [xw, w, h0, c0, g] = inputs::<f64>(4, (steps, n, h));
    for reverse in [false, true] {
        let (out, gates) = xw.lstm_sequence_with_gates(&w, &h0, &c0, reverse);
        assert_eq!(
            out.to_vec(),
            xw.lstm_sequence(&w, &h0, &c0, reverse).to_vec()
        );
        // Step by step, h_prev is h0 for the first step visited, then the previous h.
        let (o, a, x, wv) = (out.to_vec(), gates.to_vec(), xw.to_vec(), w.to_vec());
        let visit: Vec<usize> = if reverse {
            (0..steps).rev().collect()
        } else {
            (0..steps).collect()
        };
        for (i, &t) in visit.iter().enumerate() {
            for b in 0..n {
                let h_prev = |k: usize| match i {
                    0 => h0.to_vec()[b * h + k],
                    _ => o[(visit[i - 1] * n + b) * 2 * h + k],
                };
                for j in 0..4 * h {
                    let want = x[(t * n + b) * 4 * h + j]
                        + (0..h).map(|k| h_prev(k) * wv[j * h + k]).sum::<f64>();
                    let got = a[(t * n + b) * 4 * h + j];
                    assert!(
                        (got - want).abs() <= 1e-12,
                        "a[{t}, {b}, {j}] = {got}, want {want}"
                    );
                }
            }
        }
        let saved = g.lstm_sequence_backward(&xw, &w, &h0, &c0, &out, Some(&gates), reverse);
        let again = g.lstm_sequence_backward(&xw, &w, &h0, &c0, &out, None, reverse);
        for (p, q) in [saved.0, saved.1, saved.2, saved.3]
            .iter()
            .zip([again.0, again.1, again.2, again.3].iter())
        {
            for (u, v) in p.to_vec().iter().zip(q.to_vec()) {
                assert!((u - v).abs() <= 1e-12, "with gates {u}, recomputed {v}");
            }
        }
    }
}

#[test]
#[should_panic(expected = "lstm_sequence: inputs [2, 3, 0] must be [T, N, 4H]")]
fn a_hidden_size_of_zero_is_refused_naming_the_shapes() {
    let z = Tensor::<f32>::zeros(&[3, 0]);
    let _ = Tensor::<f32>::zeros(&[2, 3, 0]).lstm_sequence(&Tensor::zeros(&[0, 0]), &z, &z, false);
}

#[test]
#[should_panic(expected = "lstm_cell: gates [3, 0] must be [N, 4·H]")]
fn a_cell_with_no_hidden_units_is_refused() {
    let _ = Tensor::<f32>::zeros(&[3, 0]).lstm_cell(&Tensor::zeros(&[3, 0]));
}
