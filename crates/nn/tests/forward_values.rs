//! Forward values pinned independently of the backward rules: each expected value is
//! computed in the test from the formula (in f64), or is a standard constant (Φ, the
//! normal distribution function, for exact GELU), never read from the code under test.

use approx::assert_relative_eq;
use autograd::Tape;
use nn::{BatchNorm1d, Elu, Gelu, LayerNorm, Module};
use tensor::Tensor;

fn forward(m: &dyn Module<f64>, x: &Tensor<f64>) -> Vec<f64> {
    let tape = Tape::new();
    m.forward(tape.constant(x.clone())).value().to_vec()
}

#[test]
fn gelu_is_x_times_the_normal_cdf() {
    // Φ(x) from tables: Φ(−2) = 0.022750131948179195, Φ(−1) = 0.15865525393145707,
    // Φ(0.5) = 0.6914624612740131, Φ(1) = 0.8413447460685429, Φ(3) = 0.9986501019683699.
    let x = [-2.0, -1.0, 0.0, 0.5, 1.0, 3.0];
    let phi = [
        0.022750131948179195,
        0.15865525393145707,
        0.5,
        0.6914624612740131,
        0.8413447460685429,
        0.9986501019683699,
    ];
    let got = forward(&Gelu { tanh: false }, &Tensor::from(x));
    for i in 0..x.len() {
        assert_relative_eq!(
            got[i],
            x[i] * phi[i],
            max_relative = 1e-14,
            epsilon = 1e-300
        );
    }
}

#[test]
fn gelu_tanh_elu_and_softplus_follow_their_formulas() {
    let x = [-30.0, -3.0, -1.0, -1e-6, 0.0, 1e-6, 0.7, 2.0, 40.0];
    let t = Tensor::from(x);
    let c = (2.0 / std::f64::consts::PI).sqrt();
    let gelu_tanh = forward(&Gelu { tanh: true }, &t);
    let elu = forward(&Elu(1.7), &t);
    let softplus = {
        let tape = Tape::new();
        tape.constant(t.clone()).softplus().value().to_vec()
    };
    for (i, &x) in x.iter().enumerate() {
        let g = 0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh());
        assert_relative_eq!(gelu_tanh[i], g, max_relative = 1e-14, epsilon = 1e-300);
        let e = if x > 0.0 { x } else { 1.7 * x.exp_m1() };
        assert_relative_eq!(elu[i], e, max_relative = 1e-15);
        // ln(1 + eˣ), written stably: max(x, 0) + ln(1 + e^(−|x|)).
        let s = x.max(0.0) + (-x.abs()).exp().ln_1p();
        assert_relative_eq!(softplus[i], s, max_relative = 1e-15);
    }
}

#[test]
fn layer_norm_normalizes_each_row_with_the_biased_variance() {
    let x = Tensor::from([[1.0, 2.0, 4.0, 9.0], [-3.0, 0.5, 0.5, 2.0]]);
    let got = forward(&LayerNorm::<f64>::new(4), &x);
    for (r, row) in x.to_vec().chunks(4).enumerate() {
        let mean = row.iter().sum::<f64>() / 4.0;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
        for (k, v) in row.iter().enumerate() {
            let expected = (v - mean) / (var + 1e-5).sqrt();
            assert_relative_eq!(got[r * 4 + k], expected, max_relative = 1e-13);
        }
    }
}

/// BatchNorm1d on `[N, C, L]`: per-channel statistics over N and L; training mode uses the
/// biased batch variance and updates the running statistics with the unbiased one
/// (momentum 0.1); evaluation mode uses the running statistics (PyTorch's BatchNorm1d).
#[test]
fn batch_norm_1d_on_sequences_uses_per_channel_statistics_over_batch_and_length() {
    let (n, c, l) = (2, 3, 4);
    let values: Vec<f64> = (0..n * c * l)
        .map(|i| ((i * 7 % 11) as f64 - 5.0) * 0.3 + (i / (c * l)) as f64)
        .collect();
    let x = Tensor::from_vec(values.clone(), &[n, c, l]).unwrap();
    let mut bn = BatchNorm1d::<f64>::new(c);
    let train = forward(&bn, &x);
    let at = |b: usize, ch: usize, k: usize| values[(b * c + ch) * l + k];
    let mut running = Vec::new();
    for ch in 0..c {
        let xs: Vec<f64> = (0..n)
            .flat_map(|b| (0..l).map(move |k| (b, k)))
            .map(|(b, k)| at(b, ch, k))
            .collect();
        let m = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / m;
        let var = xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m;
        for b in 0..n {
            for k in 0..l {
                let expected = (at(b, ch, k) - mean) / (var + 1e-5).sqrt();
                assert_relative_eq!(train[(b * c + ch) * l + k], expected, max_relative = 1e-12);
            }
        }
        running.push((0.1 * mean, 0.9 + 0.1 * var * m / (m - 1.0)));
    }
    Module::<f64>::set_training(&mut bn, false);
    let eval = forward(&bn, &x);
    for ch in 0..c {
        let (mean, var) = running[ch];
        for b in 0..n {
            for k in 0..l {
                let expected = (at(b, ch, k) - mean) / (var + 1e-5).sqrt();
                assert_relative_eq!(eval[(b * c + ch) * l + k], expected, max_relative = 1e-12);
            }
        }
    }
}
