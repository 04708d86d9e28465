//! Metrics: accumulated over batches with `update`, read with `compute`, cleared with
//! `reset` (the lifecycle of Keras and burn metrics).
//!
//! Every built-in metric checks the shapes it is given and fails with a [`MetricError`]
//! naming the metric and both shapes ([`Metric::update`] panics with it,
//! [`Metric::try_update`] returns it). [`Accuracy`] reads the label format from the
//! shapes, as Keras' `"accuracy"` does.

use tensor::{Float, Tensor};
use thiserror::Error;

/// Predictions and targets that a metric cannot compare.
#[derive(Clone, Debug, PartialEq, Error)]
#[error("{metric}: predictions of shape {pred:?} and targets of shape {target:?}: {reason}")]
pub struct MetricError {
    /// The metric's name.
    pub metric: String,
    /// The predictions' shape.
    pub pred: Vec<usize>,
    /// The targets' shape.
    pub target: Vec<usize>,
    /// What was expected instead.
    pub reason: String,
}

impl MetricError {
    fn new(metric: &str, pred: &[usize], target: &[usize], reason: String) -> Self {
        MetricError {
            metric: metric.to_string(),
            pred: pred.to_vec(),
            target: target.to_vec(),
            reason,
        }
    }
}

/// A quantity tracked during training and evaluation.
pub trait Metric<T: Float = f32>: Send {
    /// The name in logs and History (`accuracy`, `mae`, …); validation adds `val_`.
    fn name(&self) -> &str;
    /// Adds a batch of predictions and targets.
    ///
    /// # Panics
    /// The built-in metrics panic with the [`MetricError`] of [`Metric::check`] when the
    /// predictions and targets do not fit.
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>);
    /// Whether predictions of shape `pred_shape` and these targets fit the metric (shapes,
    /// and class labels where the metric reads them). `fit` and `evaluate` call it on all
    /// targets before the first batch. The default accepts anything.
    ///
    /// # Errors
    /// A [`MetricError`] naming the metric, both shapes and what was expected.
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
        let _ = (pred_shape, target);
        Ok(())
    }
    /// [`Metric::update`] after [`Metric::check`]: returns the error instead of panicking.
    ///
    /// # Errors
    /// As [`Metric::check`]; nothing is accumulated then.
    fn try_update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) -> Result<(), MetricError> {
        self.check(pred.shape(), target)?;
        self.update(pred, target);
        Ok(())
    }
    /// [`Metric::update`] on the real positions of padded sequences only: `mask` covers
    /// the leading axes of both `pred` and `target` (`[N, T]` for predictions `[N, T, C]`
    /// or `[N, T]`, and targets `[N, T]` or `[N, T, C]`; a
    /// [`sequence_mask`](crate::data::sequence_mask) fits), and the positions where it
    /// is 0 are left out, as Keras leaves out masked time steps. The kept positions
    /// reach `update` as one batch (`[K, C]` and `[K]`, `K` = ones in the mask), so every
    /// metric that reads its batch row by row respects the mask. A mask of zeros adds
    /// nothing.
    ///
    /// # Panics
    /// If `mask` is not the leading part of both shapes, naming the three shapes; then as
    /// [`Metric::update`].
    ///
    /// ```
    /// use nn::train::{Accuracy, Metric};
    /// use tensor::Tensor;
    /// let mut acc = Accuracy::default();
    /// // Two sequences of 3 steps, the second only 1 long: its padded steps are wrong
    /// // but do not count.
    /// let pred = Tensor::<f32>::from([[0.9, 0.2, 0.7], [0.8, 0.1, 0.1]]);
    /// let target = Tensor::from([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]]);
    /// acc.update_masked(&pred, &target, &nn::data::sequence_mask(&[3, 1], 3));
    /// assert_eq!(Metric::<f32>::compute(&acc), 3.0 / 4.0);
    /// ```
    #[track_caller]
    fn update_masked(&mut self, pred: &Tensor<T>, target: &Tensor<T>, mask: &Tensor<T>) {
        let (pred, target) = super::metrics_mask::kept(pred, target, mask);
        if pred.shape()[0] > 0 {
            self.update(&pred, &target);
        }
    }
    /// The value over everything since the last reset.
    fn compute(&self) -> f64;
    /// Clears the accumulated state.
    fn reset(&mut self);
    /// True if larger is better (for `EarlyStopping` in `auto` mode).
    fn higher_is_better(&self) -> bool {
        false
    }
}

/// A boxed metric is a metric, so metrics chosen at run time (by name, see
/// [`metric`](super::metric)) can be handed to `Model::metric`.
impl<T: Float> Metric<T> for Box<dyn Metric<T>> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        (**self).update(pred, target)
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
        (**self).check(pred_shape, target)
    }
    fn compute(&self) -> f64 {
        (**self).compute()
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn higher_is_better(&self) -> bool {
        (**self).higher_is_better()
    }
}

/// `a` and `b` are equal, or equal but for a trailing axis of length 1 on one of them
/// (`[N]` and `[N, 1]`), the shapes Keras makes agree with `squeeze_or_expand_to_same_rank`.
fn same_up_to_trailing_one(a: &[usize], b: &[usize]) -> bool {
    let strip = |s: &[usize], t: &[usize]| {
        s.len() == t.len() + 1 && s.last() == Some(&1) && s[..t.len()] == *t
    };
    a == b || strip(a, b) || strip(b, a)
}

/// How [`Accuracy`] reads targets, chosen from the shapes as Keras' `"accuracy"` does.
enum Truth {
    /// Predictions `[N]` or `[N, 1]`: class 1 when above 0.5, targets 0/1 of the same
    /// shape up to a trailing 1.
    Binary,
    /// Predictions `[N, C]`, C > 1, targets `[N]` or `[N, 1]`: class indices.
    Sparse(Vec<usize>),
    /// Predictions and targets `[N, C]`, C > 1: one-hot (or soft) rows, compared by arg-max.
    OneHot,
}

fn accuracy_truth<T: Float>(pred: &[usize], target: &Tensor<T>) -> Result<Truth, MetricError> {
    let t = target.shape();
    let fail = |reason: String| MetricError::new("accuracy", pred, t, reason);
    let Some((&c, lead)) = pred.split_last() else {
        return Err(fail("expected predictions of shape [N, C] or [N]".into()));
    };
    if pred.len() == 1 || c == 1 {
        return if same_up_to_trailing_one(pred, t) {
            Ok(Truth::Binary)
        } else {
            Err(fail(format!(
                "binary predictions need 0/1 targets of shape {lead:?} or {:?}",
                [lead, &[1]].concat()
            )))
        };
    }
    if t == pred {
        return Ok(Truth::OneHot);
    }
    if t == lead || t == [lead, &[1]].concat() {
        return target
            .to_indices(c)
            .map(Truth::Sparse)
            .map_err(|e| fail(format!("targets are read as class indices in 0..{c}; {e}")));
    }
    Err(fail(format!(
        "expected class indices of shape {lead:?} or {:?}, or one-hot targets of shape {pred:?}",
        [lead, &[1]].concat()
    )))
}

/// Fraction of correct predictions, reading the label format from the shapes as Keras'
/// `"accuracy"` does:
///
/// * predictions `[N, C]` (C > 1, logits or probabilities) and targets `[N]` or `[N, 1]` of
///   class indices: the arg-max must equal the index (Keras `SparseCategoricalAccuracy`);
/// * predictions and targets both `[N, C]`: one-hot (or soft) targets, the arg-maxes must
///   agree (`CategoricalAccuracy`);
/// * predictions `[N]` or `[N, 1]`: binary, class 1 above 0.5 (`BinaryAccuracy`).
///
/// Other shapes panic (or fail in [`Metric::try_update`]) with both shapes named. Ties in
/// an arg-max go to the first index. For a single logit output (binary cross-entropy
/// with logits), the 0.5 threshold is wrong, as in Keras: use [`BinaryAccuracy::new`]
/// with 0.0.
///
/// ```
/// use nn::train::{Accuracy, Metric};
/// use tensor::Tensor;
/// let pred = Tensor::from([[0.9f32, 0.1, 0.0], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]);
/// let mut acc = Accuracy::default();
/// acc.update(&pred, &Tensor::from([0.0, 2.0, 2.0])); // indices: rows 0 and 2 right
/// acc.update(&pred, &Tensor::from([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]));
/// assert_eq!(Metric::<f32>::compute(&acc), 4.0 / 6.0); // one-hot: rows 0 and 1 right
/// assert!(acc.try_update(&pred, &Tensor::from([0.0f32; 9])).is_err());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Accuracy {
    correct: usize,
    total: usize,
}

impl<T: Float> Metric<T> for Accuracy {
    fn name(&self) -> &str {
        "accuracy"
    }
    #[track_caller]
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        let truth = accuracy_truth(pred.shape(), target).unwrap_or_else(|e| panic!("{e}"));
        let (hits, n) = match truth {
            Truth::Binary => binary_hits(pred, target, 0.5),
            Truth::Sparse(labels) => {
                let guess = pred.argmax(-1, false).to_vec();
                let hits = guess
                    .iter()
                    .zip(&labels)
                    .filter(|(g, &l)| g.to_f64() == l as f64);
                (hits.count(), labels.len())
            }
            Truth::OneHot => {
                let (guess, truth) = (
                    pred.argmax(-1, false).to_vec(),
                    target.argmax(-1, false).to_vec(),
                );
                (
                    guess.iter().zip(&truth).filter(|(g, t)| g == t).count(),
                    truth.len(),
                )
            }
        };
        self.correct += hits;
        self.total += n;
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
        accuracy_truth(pred_shape, target).map(|_| ())
    }
    fn compute(&self) -> f64 {
        self.correct as f64 / self.total.max(1) as f64
    }
    fn reset(&mut self) {
        *self = Accuracy::default();
    }
    fn higher_is_better(&self) -> bool {
        true
    }
}

/// (correct, total) for predictions thresholded at `threshold` against 0/1 targets of the
/// same element order.
fn binary_hits<T: Float>(pred: &Tensor<T>, target: &Tensor<T>, threshold: f64) -> (usize, usize) {
    let (p, t) = (pred.to_vec(), target.to_vec());
    let hits = p.iter().zip(&t).filter(|(p, t)| {
        let class = if p.to_f64() > threshold { 1.0 } else { 0.0 };
        class == t.to_f64()
    });
    (hits.count(), t.len())
}

/// Predictions and targets of the same shape up to a trailing 1, or an error for `metric`.
fn check_same_shape(metric: &str, pred: &[usize], target: &[usize]) -> Result<(), MetricError> {
    if same_up_to_trailing_one(pred, target) {
        Ok(())
    } else {
        Err(MetricError::new(
            metric,
            pred,
            target,
            "expected the same shape (a trailing axis of 1 may be added or dropped)".into(),
        ))
    }
}

/// Binary accuracy: a prediction counts as class 1 when above `threshold` (0.5 for
/// probabilities; use 0.0 for logits), compared element by element with 0/1 targets of the
/// same shape (`[N]` and `[N, 1]` are interchangeable; `[N, K]` for K labels per sample),
/// as Keras' `BinaryAccuracy`. Other shapes panic, naming both.
///
/// ```
/// use nn::train::{BinaryAccuracy, Metric};
/// use tensor::Tensor;
/// let mut acc = BinaryAccuracy::default();
/// acc.update(&Tensor::from([[0.8f32], [0.4], [0.6]]), &Tensor::from([1.0, 1.0, 0.0]));
/// assert_eq!(Metric::<f32>::compute(&acc), 1.0 / 3.0);
/// ```
#[derive(Clone, Debug)]
pub struct BinaryAccuracy {
    threshold: f64,
    correct: usize,
    total: usize,
}

impl BinaryAccuracy {
    /// Binary accuracy with the given decision threshold.
    #[must_use]
    pub fn new(threshold: f64) -> Self {
        BinaryAccuracy {
            threshold,
            correct: 0,
            total: 0,
        }
    }
}

impl Default for BinaryAccuracy {
    fn default() -> Self {
        Self::new(0.5)
    }
}

impl<T: Float> Metric<T> for BinaryAccuracy {
    fn name(&self) -> &str {
        "binary_accuracy"
    }
    #[track_caller]
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        Metric::<T>::check(self, pred.shape(), target).unwrap_or_else(|e| panic!("{e}"));
        let (hits, n) = binary_hits(pred, target, self.threshold);
        self.correct += hits;
        self.total += n;
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
        check_same_shape("binary_accuracy", pred_shape, target.shape())
    }
    fn compute(&self) -> f64 {
        self.correct as f64 / self.total.max(1) as f64
    }
    fn reset(&mut self) {
        self.correct = 0;
        self.total = 0;
    }
    fn higher_is_better(&self) -> bool {
        true
    }
}

/// Mean squared error over all elements; predictions and targets of the same shape up
/// to a trailing 1 (other shapes panic, naming both).
#[derive(Clone, Debug, Default)]
pub struct MeanSquaredError {
    sum: f64,
    count: usize,
}

impl<T: Float> Metric<T> for MeanSquaredError {
    fn name(&self) -> &str {
        "mse"
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
        check_same_shape("mse", pred_shape, target.shape())
    }
    #[track_caller]
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        Metric::<T>::check(self, pred.shape(), target).unwrap_or_else(|e| panic!("{e}"));
        for (p, t) in pred.to_vec().iter().zip(target.to_vec()) {
            let d = p.to_f64() - t.to_f64();
            self.sum += d * d;
            self.count += 1;
        }
    }
    fn compute(&self) -> f64 {
        self.sum / self.count.max(1) as f64
    }
    fn reset(&mut self) {
        *self = MeanSquaredError::default();
    }
}

/// Mean absolute error over all elements; predictions and targets of the same shape up
/// to a trailing 1 (other shapes panic, naming both).
#[derive(Clone, Debug, Default)]
pub struct MeanAbsoluteError {
    sum: f64,
    count: usize,
}

impl<T: Float> Metric<T> for MeanAbsoluteError {
    fn name(&self) -> &str {
        "mae"
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
        check_same_shape("mae", pred_shape, target.shape())
    }
    #[track_caller]
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        Metric::<T>::check(self, pred.shape(), target).unwrap_or_else(|e| panic!("{e}"));
        for (p, t) in pred.to_vec().iter().zip(target.to_vec()) {
            self.sum += (p.to_f64() - t.to_f64()).abs();
            self.count += 1;
        }
    }
    fn compute(&self) -> f64 {
        self.sum / self.count.max(1) as f64
    }
    fn reset(&mut self) {
        *self = MeanAbsoluteError::default();
    }
}
