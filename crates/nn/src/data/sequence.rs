//! Sequence data: Keras' `pad_sequences` and `timeseries_dataset_from_array`, TensorFlow's
//! `sequence_mask`, and gap filling for series (`interpolate`, pandas' linear and
//! forward-fill rules).

use tensor::{Float, Tensor};

use super::dataset::Dataset;
use super::error::DataError;

/// Which end of a sequence `pad_sequences` pads or truncates (Keras `"pre"`/`"post"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// At the start (Keras' default for both padding and truncation).
    Pre,
    /// At the end; post-padding keeps the real steps first, which the `lengths` argument
    /// of the recurrent layers expects.
    Post,
}

/// Keras' `pad_sequences`: lists of different lengths into one `[N, maxlen]` tensor.
/// `maxlen` defaults to the longest sequence; longer sequences lose steps at the
/// `truncating` side, shorter ones get `value` at the `padding` side.
///
/// # Panics
/// If the `[N, maxlen]` result cannot be allocated (a huge `maxlen`), naming the shape.
///
/// ```
/// use nn::data::{pad_sequences, Side};
/// let seqs = vec![vec![1.0f32, 2.0, 3.0], vec![4.0], vec![5.0, 6.0, 7.0, 8.0, 9.0]];
/// let keras = pad_sequences(&seqs, Some(4), Side::Pre, Side::Pre, 0.0);
/// assert_eq!(keras.to_vec(), [0.0, 1.0, 2.0, 3.0,  0.0, 0.0, 0.0, 4.0,  6.0, 7.0, 8.0, 9.0]);
/// let post = pad_sequences(&seqs, None, Side::Post, Side::Post, -1.0);
/// assert_eq!(post.shape(), [3, 5]);
/// assert_eq!(post.narrow(0, 1, 1).to_vec(), [4.0, -1.0, -1.0, -1.0, -1.0]);
/// ```
#[must_use]
pub fn pad_sequences<T: Float>(
    sequences: &[Vec<T>],
    maxlen: Option<usize>,
    padding: Side,
    truncating: Side,
    value: T,
) -> Tensor<T> {
    let len = maxlen.unwrap_or_else(|| sequences.iter().map(Vec::len).max().unwrap_or(0));
    let mut out = Vec::with_capacity(result_len::<T>("pad_sequences", sequences.len(), len));
    for s in sequences {
        let kept = if s.len() <= len {
            &s[..]
        } else if truncating == Side::Pre {
            &s[s.len() - len..]
        } else {
            &s[..len]
        };
        let pad = std::iter::repeat_n(value, len - kept.len());
        match padding {
            Side::Pre => out.extend(pad.chain(kept.iter().copied())),
            Side::Post => out.extend(kept.iter().copied().chain(pad)),
        }
    }
    Tensor::from_vec(out, &[sequences.len(), len]).expect("N · maxlen values")
}

/// TensorFlow's `sequence_mask`: `[N, maxlen]`, 1 where step `t < lengths[n]`, else 0. Use
/// it with [`masked_mean`](crate::loss::masked_mean) so padded steps do not count.
///
/// # Panics
/// If the `[N, maxlen]` result cannot be allocated (a huge `maxlen`), naming the shape.
///
/// ```
/// let m = nn::data::sequence_mask::<f32>(&[2, 0, 3], 3);
/// assert_eq!(m.to_vec(), [1.0, 1.0, 0.0,  0.0, 0.0, 0.0,  1.0, 1.0, 1.0]);
/// ```
#[must_use]
pub fn sequence_mask<T: Float>(lengths: &[usize], maxlen: usize) -> Tensor<T> {
    result_len::<T>("sequence_mask", lengths.len(), maxlen);
    let data = lengths
        .iter()
        .flat_map(|&l| (0..maxlen).map(move |t| if t < l { T::ONE } else { T::ZERO }))
        .collect();
    Tensor::from_vec(data, &[lengths.len(), maxlen]).expect("N · maxlen values")
}

/// The element count of an `[n, maxlen]` result, checked: a panic naming `op` and the
/// shape when it cannot be allocated, rather than an abort or an overflow.
#[track_caller]
fn result_len<T: Float>(op: &'static str, n: usize, maxlen: usize) -> usize {
    match tensor::shape::check_alloc::<T>(op, &[n, maxlen]) {
        Ok(len) => len,
        Err(e) => panic!("{e}"),
    }
}

/// The windows of [`timeseries_dataset_from_array`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    /// Steps per window (Keras `sequence_length`).
    pub sequence_length: usize,
    /// Steps between the starts of consecutive windows (Keras `sequence_stride`, default 1).
    pub sequence_stride: usize,
    /// Steps between the samples within a window (Keras `sampling_rate`, default 1).
    pub sampling_rate: usize,
}

impl Windows {
    /// Windows of `sequence_length` steps, stride 1, sampling rate 1.
    #[must_use]
    pub fn new(sequence_length: usize) -> Self {
        Windows {
            sequence_length,
            sequence_stride: 1,
            sampling_rate: 1,
        }
    }

    /// Steps between window starts.
    #[must_use]
    pub fn stride(mut self, stride: usize) -> Self {
        self.sequence_stride = stride;
        self
    }

    /// Steps between samples within a window.
    #[must_use]
    pub fn sampling_rate(mut self, rate: usize) -> Self {
        self.sampling_rate = rate;
        self
    }
}

/// Keras' `timeseries_dataset_from_array` (all windows at once rather than batches):
/// window `i` starts at step `s = i · sequence_stride` and holds
/// `data[s], data[s + r], …, data[s + (L − 1)·r]` (`r` the sampling rate, `L` the
/// sequence length); its target is `targets[s]`. As in Keras, align targets yourself:
/// to predict the step after each window, pass `targets = data[L..]`.
///
/// `data` is `[S, …]` (steps first); `x` is `[windows, L, …]` and `y` is
/// `[windows, …]` from the targets' shape (`[windows, 0]` without targets). The number of
/// windows is as Keras counts it: starts `s ≤ S − 1 − (L − 1)·r`, and `s < len(targets)`.
///
/// # Errors
/// [`DataError::Invalid`] if a size is zero, `data` has no axis, or no window fits.
///
/// ```
/// use nn::data::{timeseries_dataset_from_array, Windows};
/// use tensor::Tensor;
/// // Predict the next value from the 3 before it.
/// let series = Tensor::from_vec((0..10).map(|v| v as f32).collect(), &[10, 1]).unwrap();
/// let targets = series.narrow(0, 3, 7);
/// let ds = timeseries_dataset_from_array(&series, Some(&targets), Windows::new(3)).unwrap();
/// assert_eq!(ds.x.shape(), [7, 3, 1]);
/// assert_eq!(ds.x.narrow(0, 6, 1).to_vec(), [6.0, 7.0, 8.0]);
/// assert_eq!(ds.y.to_vec(), [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
/// ```
pub fn timeseries_dataset_from_array<T: Float>(
    data: &Tensor<T>,
    targets: Option<&Tensor<T>>,
    windows: Windows,
) -> Result<Dataset<T>, DataError> {
    let what = "timeseries_dataset_from_array";
    let invalid = |reason: String| DataError::Invalid { what, reason };
    let Windows {
        sequence_length: len,
        sequence_stride: stride,
        sampling_rate: rate,
    } = windows;
    if len == 0 || stride == 0 || rate == 0 {
        return Err(invalid(format!(
            "sequence_length {len}, sequence_stride {stride} and sampling_rate {rate} must be positive"
        )));
    }
    let Some(&steps) = data.shape().first() else {
        return Err(invalid("data must have a steps axis".into()));
    };
    // Saturating: a span beyond usize fits in no data, which the check below reports.
    let span = (len - 1).saturating_mul(rate);
    let mut count = steps.saturating_sub(span);
    if let Some(t) = targets {
        count = count.min(t.shape().first().copied().unwrap_or(0));
    }
    let starts: Vec<usize> = (0..count).step_by(stride).collect();
    if starts.is_empty() {
        return Err(invalid(format!(
            "no window of {len} steps (sampling rate {rate}) fits in {steps} steps{}",
            targets.map_or(String::new(), |t| format!(
                " with {} targets",
                t.shape().first().copied().unwrap_or(0)
            ))
        )));
    }
    let rows: Vec<usize> = starts
        .iter()
        .flat_map(|&s| (0..len).map(move |k| s + k * rate))
        .collect();
    let mut x_shape = vec![starts.len(), len];
    x_shape.extend_from_slice(&data.shape()[1..]);
    let x = data
        .index_select(0, &rows)
        .reshape(&x_shape.iter().map(|&d| d as isize).collect::<Vec<_>>());
    let y = match targets {
        Some(t) => t.index_select(0, &starts),
        None => Tensor::zeros(&[starts.len(), 0]),
    };
    Ok(Dataset {
        x,
        y,
        feature_names: Vec::new(),
        target_names: Vec::new(),
    })
}

/// How [`interpolate`] fills a gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpolation {
    /// On the straight line between the values either side of the gap, by position
    /// (pandas `interpolate(method="linear")`).
    Linear,
    /// The last value before the gap (pandas `ffill`).
    ForwardFill,
}

/// Fills the NaN gaps of series, each column of `[S]` or `[S, F]` along the steps, with
/// pandas' rules: NaNs before a column's first value stay NaN (nothing to go on; drop
/// those steps), and NaNs after its last value take that value (for both methods, as
/// pandas' forward-limited linear interpolation does). Returns the filled series and the
/// number of values filled per column. Unlike [`SimpleImputer`](super::SimpleImputer),
/// which fills with a column statistic, it uses the neighbouring steps, which is what a
/// series with missing weeks needs.
///
/// # Panics
/// If `series` is not 1-D or 2-D.
///
/// ```
/// use nn::data::{interpolate, Interpolation};
/// use tensor::Tensor;
/// let s = Tensor::from([f64::NAN, 1.0, f64::NAN, f64::NAN, 4.0, f64::NAN]);
/// let (lin, filled) = interpolate(&s, Interpolation::Linear);
/// assert!(lin.to_vec()[0].is_nan());
/// assert_eq!(lin.to_vec()[1..], [1.0, 2.0, 3.0, 4.0, 4.0]);
/// assert_eq!(filled, [3]);
/// let (ff, _) = interpolate(&s, Interpolation::ForwardFill);
/// assert_eq!(ff.to_vec()[1..], [1.0, 1.0, 1.0, 4.0, 4.0]);
/// ```
#[track_caller]
#[must_use]
pub fn interpolate<T: Float>(series: &Tensor<T>, method: Interpolation) -> (Tensor<T>, Vec<usize>) {
    let shape = series.shape().to_vec();
    assert!(
        matches!(shape.len(), 1 | 2),
        "interpolate: series of shape {shape:?} must be [S] or [S, F]"
    );
    let (steps, cols) = (shape[0], shape.get(1).copied().unwrap_or(1));
    let mut data = series.contiguous().to_vec();
    let mut filled = vec![0; cols];
    for c in 0..cols {
        let at = |s: usize| s * cols + c;
        let mut last: Option<usize> = None; // the last step with a value
        for s in 0..steps {
            if data[at(s)].is_nan() {
                continue;
            }
            if let Some(p) = last {
                let (a, b) = (data[at(p)], data[at(s)]);
                for k in p + 1..s {
                    data[at(k)] = match method {
                        Interpolation::Linear => {
                            let w = T::from_usize(k - p) / T::from_usize(s - p);
                            a + (b - a) * w
                        }
                        Interpolation::ForwardFill => a,
                    };
                    filled[c] += 1;
                }
            }
            last = Some(s);
        }
        if let Some(p) = last {
            for k in p + 1..steps {
                data[at(k)] = data[at(p)];
                filled[c] += 1;
            }
        }
    }
    (Tensor::from_vec(data, &shape).expect("same shape"), filled)
}
