//! Sequence data and the Embedding layer: Keras' `pad_sequences` and
//! `timeseries_dataset_from_array` on the examples of their documentation, gap
//! interpolation, masks, the embedded series, and PyTorch's Embedding rules.

use autograd::Tape;
use nn::data::{
    datasets, interpolate, pad_sequences, sequence_mask, timeseries_dataset_from_array,
    Interpolation, Side, Windows,
};
use nn::loss::{masked_mean, mse_loss, Reduction};
use nn::{Embedding, Module};
use rand::SeedableRng;
use tensor::Tensor;

#[test]
fn pad_sequences_pads_and_truncates_at_either_end() {
    let seqs = vec![vec![1.0f32, 2.0, 3.0], vec![4.0, 5.0], vec![6.0]];
    // Keras: pad_sequences([[1,2,3],[4,5],[6]]) pre-pads to the longest.
    let pre = pad_sequences(&seqs, None, Side::Pre, Side::Pre, 0.0);
    assert_eq!(pre.to_vec(), [1.0, 2.0, 3.0, 0.0, 4.0, 5.0, 0.0, 0.0, 6.0]);
    let post = pad_sequences(&seqs, Some(2), Side::Post, Side::Post, 9.0);
    assert_eq!(post.to_vec(), [1.0, 2.0, 4.0, 5.0, 6.0, 9.0]);
    let trunc_pre = pad_sequences(&seqs, Some(2), Side::Post, Side::Pre, 0.0);
    assert_eq!(trunc_pre.to_vec(), [2.0, 3.0, 4.0, 5.0, 6.0, 0.0]);
    assert_eq!(
        pad_sequences::<f32>(&[], None, Side::Pre, Side::Pre, 0.0).shape(),
        [0, 0]
    );
}

/// A `maxlen` too large to allocate is a panic naming the op and the shape, not an
/// abort of the process or a wrapped product.
#[test]
fn a_maxlen_too_large_to_allocate_names_the_op() {
    for (op, maxlen) in [
        ("pad_sequences", 1usize << 40),
        ("pad_sequences", usize::MAX),
    ] {
        let seqs = vec![vec![1.0f32], vec![2.0]];
        let err = std::panic::catch_unwind(|| {
            pad_sequences(&seqs, Some(maxlen), Side::Post, Side::Post, 0.0)
        })
        .unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(msg.starts_with(op), "{msg}");
    }
    for maxlen in [1usize << 40, usize::MAX] {
        let err = std::panic::catch_unwind(|| sequence_mask::<f32>(&[1, 2], maxlen)).unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(msg.starts_with("sequence_mask"), "{msg}");
    }
}

#[test]
fn timeseries_windows_follow_keras_documented_example() {
    // Keras docs, example 1: indices 0..=98, sequence_length=10, sampling_rate=2,
    // sequence_stride=3: [0 2 … 18], [3 5 … 21], [6 8 … 24], …, last [78 80 … 96].
    let data = Tensor::from_vec((0..99).map(|v| v as f64).collect(), &[99]).unwrap();
    let ds =
        timeseries_dataset_from_array(&data, None, Windows::new(10).stride(3).sampling_rate(2))
            .unwrap();
    let rows = ds.x.shape()[0];
    assert_eq!(ds.x.shape(), [27, 10]);
    let row = |i: usize| ds.x.narrow(0, i, 1).to_vec();
    assert_eq!(row(0), (0..10).map(|k| (2 * k) as f64).collect::<Vec<_>>());
    assert_eq!(
        row(1),
        (0..10).map(|k| (3 + 2 * k) as f64).collect::<Vec<_>>()
    );
    assert_eq!(
        row(rows - 1),
        (0..10).map(|k| (78 + 2 * k) as f64).collect::<Vec<_>>()
    );
    // Keras docs, example 2: predict the value 10 steps on with data[:-10], targets data[10:].
    let series = Tensor::from_vec((0..100).map(|v| v as f64).collect(), &[100, 1]).unwrap();
    let input = series.narrow(0, 0, 90);
    let targets = series.narrow(0, 10, 90);
    let ds = timeseries_dataset_from_array(&input, Some(&targets), Windows::new(10)).unwrap();
    assert_eq!(ds.x.shape(), [81, 10, 1]);
    assert_eq!(
        ds.x.narrow(0, 0, 1).to_vec(),
        (0..10).map(|v| v as f64).collect::<Vec<_>>()
    );
    assert_eq!(ds.y.narrow(0, 0, 1).to_vec(), [10.0]);
    assert_eq!(ds.y.narrow(0, 80, 1).to_vec(), [90.0]);
    assert!(
        timeseries_dataset_from_array(&input, None, Windows::new(91)).is_err(),
        "no window fits"
    );
    assert!(timeseries_dataset_from_array(&input, None, Windows::new(0)).is_err());
}

#[test]
fn interpolation_fills_interior_gaps_per_column() {
    let nan = f64::NAN;
    let s = Tensor::from([[1.0, nan], [nan, 2.0], [nan, nan], [4.0, 8.0], [nan, nan]]);
    let (lin, counts) = interpolate(&s, Interpolation::Linear);
    let v = lin.to_vec();
    assert_eq!(counts, [3, 2]);
    assert!(v[1].is_nan(), "a leading gap stays NaN");
    assert_eq!(
        [v[0], v[2], v[4], v[6], v[8]],
        [1.0, 2.0, 3.0, 4.0, 4.0],
        "column 0"
    );
    assert_eq!([v[3], v[5], v[7], v[9]], [2.0, 5.0, 8.0, 8.0], "column 1");
    let (ff, _) = interpolate(&s, Interpolation::ForwardFill);
    let v = ff.to_vec();
    assert_eq!([v[0], v[2], v[4], v[6], v[8]], [1.0, 1.0, 1.0, 4.0, 4.0]);
}

#[test]
fn the_co2_series_has_its_59_missing_weeks_and_interpolates_to_none() {
    let co2 = datasets::co2_weekly();
    assert_eq!(co2.x.shape(), [2284, 3]);
    assert_eq!(co2.x.narrow(0, 0, 1).to_vec(), [1958.0, 3.0, 29.0]);
    assert_eq!(co2.y.narrow(0, 0, 1).to_vec(), [316.1]);
    let missing = co2.y.to_vec().iter().filter(|v| v.is_nan()).count();
    assert_eq!(missing, 59);
    let (filled, counts) = interpolate(&co2.y, Interpolation::Linear);
    assert_eq!(counts, [59]);
    assert!(filled.all_finite());
    let sun = datasets::sunspots_yearly();
    assert_eq!(sun.y.shape(), [309, 1]);
    assert_eq!(sun.x.narrow(0, 308, 1).to_vec(), [2008.0]);
}

#[test]
fn masked_mean_counts_only_real_steps() {
    let tape = Tape::new();
    let pred = tape.var(Tensor::from([[1.0f64, 1.0, 1.0], [2.0, 2.0, 2.0]]));
    let y = Tensor::zeros(&[2, 3]);
    let mask = sequence_mask(&[3, 1], 3);
    let loss = masked_mean(mse_loss(pred, &y, Reduction::None), &mask);
    assert_eq!(loss.item(), (1.0 + 1.0 + 1.0 + 4.0) / 4.0);
    let g = loss.backward()[&pred].to_vec();
    assert_eq!(g, [0.5, 0.5, 0.5, 1.0, 0.0, 0.0]);
}

#[test]
fn masked_mean_weighs_by_the_mask_and_counts_features_of_real_steps() {
    // Weights: Σ loss·w / Σ w = (1·1 + 4·0.5) / 1.5 = 2 (Keras divides by Σ mask).
    let tape = Tape::new();
    let losses = tape.var(Tensor::from([1.0f64, 4.0, 9.0]));
    let mean = masked_mean(losses, &Tensor::from([1.0, 0.5, 0.0]));
    assert_eq!(mean.item(), 2.0);
    let g = mean.backward()[&losses].to_vec();
    for (got, want) in g.iter().zip([1.0 / 1.5, 0.5 / 1.5, 0.0]) {
        assert!((got - want).abs() < 1e-15, "{g:?}");
    }
    // Losses [N, T, F] = [1, 2, 2] with a [1, 2, 1] mask: the real step's two features
    // both count, (1 + 3) / 2, Keras' mean over F then over the real steps.
    let tape = Tape::new();
    let losses = tape.var(Tensor::from_vec(vec![1.0f64, 3.0, 100.0, 200.0], &[1, 2, 2]).unwrap());
    let mask = sequence_mask(&[1], 2).unsqueeze(2);
    assert_eq!(masked_mean(losses, &mask).item(), 2.0);
}

#[test]
fn embedding_gradient_is_an_index_add_and_skips_the_padding_row() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let emb = Embedding::<f64>::new(5, 3, &mut rng).with_padding_idx(4);
    assert_eq!(emb.weight().value().narrow(0, 4, 1).to_vec(), [0.0; 3]);
    let tape = Tape::new();
    let ids = Tensor::from([[1.0, 4.0], [1.0, 2.0]]);
    let out = emb.forward(tape.constant(ids));
    let w = emb.weight().value();
    // Values: the rows, by id.
    assert_eq!(
        out.value().narrow(0, 1, 1).narrow(1, 1, 1).to_vec(),
        w.narrow(0, 2, 1).to_vec()
    );
    // d/dW of Σ out·c: each looked-up row receives the c of every place it was used.
    let c = Tensor::from_vec((1..=12).map(|v| v as f64).collect(), &[2, 2, 3]).unwrap();
    let loss = (out * tape.constant(c)).sum_all();
    let g = loss.backward();
    let gw = g.param(emb.weight()).unwrap().to_vec();
    assert_eq!(&gw[0..3], [0.0; 3]);
    assert_eq!(&gw[3..6], [1.0 + 7.0, 2.0 + 8.0, 3.0 + 9.0]);
    assert_eq!(&gw[6..9], [10.0, 11.0, 12.0]);
    assert_eq!(&gw[12..15], [0.0; 3], "padding row");
}

#[test]
fn embedding_max_norm_renormalizes_looked_up_rows_in_place() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let emb = Embedding::<f64>::new(3, 2, &mut rng).with_max_norm(1.0);
    emb.weight()
        .set(Tensor::from([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]));
    let tape = Tape::new();
    let out = emb
        .forward(tape.constant(Tensor::from([0.0, 1.0])))
        .value()
        .to_vec();
    // PyTorch's embedding_renorm_: scale = max_norm / (norm + 1e-7).
    let s = 1.0 / (5.0 + 1e-7);
    assert_eq!(out, [3.0 * s, 4.0 * s, 0.3, 0.4]);
    let w = emb.weight().value().to_vec();
    assert_eq!(&w[0..2], [3.0 * s, 4.0 * s]);
    assert_eq!(&w[4..6], [6.0, 8.0], "a row not looked up is left alone");
}

#[test]
#[should_panic(
    expected = "index 7 (element 1 of the input) is not a token id in 0..5 (vocabulary size 5)"
)]
fn embedding_names_the_bad_index_and_the_vocabulary_size() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let emb = Embedding::<f32>::new(5, 2, &mut rng);
    let tape = Tape::new();
    let _ = emb.forward(tape.constant(Tensor::from([1.0, 7.0])));
}
